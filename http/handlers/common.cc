#include <chrono>

#include "http/error_mapping.h"
#include "http/handlers/handlers.h"
#include "http/json_body.h"
#include "engine/words/word_model.h"

namespace latentdb::http {

using nlohmann::json;

RouteHandler JsonRoute(JsonHandlerFn fn) {
  return [fn = std::move(fn)](const HttpRequest& req, const PathParams& params) {
    auto start = std::chrono::steady_clock::now();
    Result<json> result = fn(req, params);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!result.ok()) return ErrorResponse(result.status(), secs);
    HttpResponse r;
    json envelope = {{"result", std::move(result).value()}, {"status", "ok"}, {"time", secs}};
    r.body = envelope.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
  };
}

Result<json> BodyJson(const HttpRequest& req) { return ParseJsonBody(req.body); }

Status CheckEncoder(const HandlerContext& ctx, const std::string& encoder, size_t dim) {
  auto model = ctx.word_models->Get(encoder);
  if (!model.ok()) return Status::InvalidArgument("encoder '" + encoder + "' is not a registered model");
  if ((*model)->dim() != dim) {
    return Status::InvalidArgument("encoder '" + encoder + "' gives " + std::to_string((*model)->dim()) +
                                   "-d vectors, the collection is " + std::to_string(dim) + "-d");
  }
  return Status::Ok();
}

Status ResolveText(const HandlerContext& ctx, const engine::Collection& c, json* item) {
  if (!item->is_object() || !item->contains("text")) return Status::Ok();
  if (item->contains("vector")) return Status::InvalidArgument("give either \"text\" or \"vector\", not both");
  if (!c.config().encoder) {
    return Status::InvalidArgument("collection '" + c.name() + "' has no encoder: send \"vector\" instead of \"text\"");
  }
  const json& text = (*item)["text"];
  if (!text.is_string()) return Status::InvalidArgument("\"text\" must be a string");
  LDB_ASSIGN_OR_RETURN(auto model, ctx.word_models->Get(*c.config().encoder));
  LDB_ASSIGN_OR_RETURN(auto encoded, model->TextVector(text.get<std::string>()));
  if (encoded.tokens.size() == encoded.unknown.size()) {
    return Status::InvalidArgument("no word of the text is known to encoder '" + *c.config().encoder + "'");
  }
  json vec = json::array();
  for (float x : encoded.vector) vec.push_back(x);
  item->erase("text");
  (*item)["vector"] = std::move(vec);
  return Status::Ok();
}

Result<std::shared_ptr<engine::Collection>> PathCollection(const HandlerContext& ctx, const PathParams& params) {
  const std::string& name = params.at("collection");
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
  return ctx.db->GetCollection(name);
}

}  // namespace latentdb::http
