// PUT/GET/DELETE /collections/{collection}, GET /collections
// PUT takes the config ({"dim","metric","index","encoder"}); with an encoder, "dim" is optional.
// PUT /collections/{collection}/index, DELETE /collections/{collection}/index/{field_name}:
// payload indexes, as Qdrant's (engine/payload_index.h).
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
    // Qdrant's shape ({"vectors": {"size", "distance"}, …}) is translated, and answered as Qdrant does.
    if (body.is_object() && body.contains("vectors")) {
      LDB_ASSIGN_OR_RETURN(json translated, QdrantCollectionConfig(body));
      LDB_ASSIGN_OR_RETURN(auto config, engine::CollectionConfig::FromJson(translated));
      LDB_RETURN_IF_ERROR(ctx.db->CreateCollection(name, config).status());
      return json(true);
    }
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
    // As Qdrant: true when it existed, false when there was nothing to delete.
    const Status s = ctx.db->DropCollection(p.at("collection"));
    if (s.code() == StatusCode::kNotFound) return json(false);
    LDB_RETURN_IF_ERROR(s);
    return json(true);
  }));
  // Qdrant answers an index operation with {"operation_id", "status"}: "completed" after
  // ?wait=true, "acknowledged" when the build goes on in the background (the default, as Qdrant).
  auto operation = [](bool wait) { return json{{"operation_id", 0}, {"status", wait ? "completed" : "acknowledged"}}; };
  router.Add("PUT", "/collections/{collection}/index", JsonRoute([ctx, operation](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (it.key() != "field_name" && it.key() != "field_schema") {
        return Status::InvalidArgument("unknown field '" + it.key() + "' (an index takes field_name and field_schema)");
      }
    }
    if (!body.contains("field_name") || !body["field_name"].is_string()) {
      return Status::InvalidArgument("\"field_name\" must be a string (a payload key, e.g. \"color\" or \"items[].size\")");
    }
    if (!body.contains("field_schema")) {
      return Status::InvalidArgument("\"field_schema\" is required: keyword, integer, float or bool");
    }
    LDB_ASSIGN_OR_RETURN(auto schema, engine::ParsePayloadSchema(body["field_schema"]));
    LDB_ASSIGN_OR_RETURN(bool wait, QueryBool(req, "wait", false));
    LDB_RETURN_IF_ERROR(c->CreatePayloadIndex(body["field_name"].get<std::string>(), schema, wait).status());
    return operation(wait);
  }));
  router.Add("DELETE", "/collections/{collection}/index/{field_name}", JsonRoute([ctx, operation](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(bool wait, QueryBool(req, "wait", false));
    LDB_ASSIGN_OR_RETURN(bool existed, c->DeletePayloadIndex(p.at("field_name")));
    if (!existed) return Status::NotFound("collection '" + p.at("collection") + "' has no payload index on '" + p.at("field_name") + "'");
    return operation(wait);
  }));
}

}  // namespace latentdb::http
