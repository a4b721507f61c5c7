// PUT/GET/DELETE /collections/{collection}, GET /collections
#include "http/codec.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

void RegisterCollectionRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("GET", "/collections", JsonRoute([ctx](const HttpRequest&, const PathParams&) -> Result<json> {
    json list = json::array();
    for (const auto& c : ctx.db->ListCollections()) list.push_back(CollectionInfoToJson(c->Info()));
    return json{{"collections", list}};
  }));
  router.Add("PUT", "/collections/{collection}", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    const std::string& name = p.at("collection");
    LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    LDB_ASSIGN_OR_RETURN(auto config, engine::CollectionConfig::FromJson(body));
    if (config.encoder) LDB_RETURN_IF_ERROR(CheckEncoder(ctx, *config.encoder, config.dim));
    LDB_ASSIGN_OR_RETURN(auto c, ctx.db->CreateCollection(name, config));
    return CollectionInfoToJson(c->Info());
  }));
  router.Add("GET", "/collections/{collection}", JsonRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    return CollectionInfoToJson(c->Info());
  }));
  router.Add("DELETE", "/collections/{collection}", JsonRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(p.at("collection")));
    LDB_RETURN_IF_ERROR(ctx.db->DropCollection(p.at("collection")));
    return json(true);
  }));
}

}  // namespace latentdb::http
