#include <chrono>

#include "http/error_mapping.h"
#include "http/handlers/handlers.h"
#include "http/json_body.h"

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

Result<std::shared_ptr<engine::Collection>> PathCollection(const HandlerContext& ctx, const PathParams& params) {
  const std::string& name = params.at("collection");
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
  return ctx.db->GetCollection(name);
}

}  // namespace latentdb::http
