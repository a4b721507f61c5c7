// PUT/GET/DELETE /collections/{collection}, GET /collections
// PUT takes the config ({"dim","metric","index","encoder"}); with an encoder, "dim" is optional.
#include "http/codec.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

void RegisterCollectionRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("GET", "/collections", JsonRoute([ctx](const HttpRequest&, const PathParams&) -> Result<json> {
    json list = json::array();
    for (const auto& c : ctx.db->ListCollections()) list.push_back(CollectionInfoToJson(c->Info()));
    // Collections that failed to load are listed too, red with their error (GET on one answers 503).
    for (const auto& f : ctx.db->FailedCollections()) {
      list.push_back({{"name", f.name}, {"status", "red"}, {"error", f.error.ToString()}});
    }
    return json{{"collections", list}};
  }));
  router.Add("PUT", "/collections/{collection}", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    const std::string& name = p.at("collection");
    LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    // With an encoder the model fixes the dimension: "dim" may be left out (it is inferred) and,
    // when given, must agree (CheckEncoder below refuses a contradicting one with 400).
    if (body.is_object() && body.contains("encoder") && body["encoder"].is_string() &&
        (!body.contains("dim") || body["dim"].is_null())) {
      LDB_ASSIGN_OR_RETURN(body["dim"], EncoderDim(ctx, body["encoder"].get<std::string>()));
    }
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
