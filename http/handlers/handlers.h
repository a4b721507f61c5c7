#pragma once
// Route handlers, one file per resource. Each Register* function adds its routes to the router.
// Handlers see only the engine API.

#include <functional>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "engine/database.h"
#include "http/metrics.h"
#include "http/router.h"

namespace latentdb::http {

struct HandlerContext {
  engine::Database* db = nullptr;
  Metrics* metrics = nullptr;
};

using JsonHandlerFn = std::function<Result<nlohmann::json>(const HttpRequest&, const PathParams&)>;

// Wraps a handler that returns a JSON result into the API envelope
// {"result":…, "status":"ok", "time":seconds}, or an error response.
RouteHandler JsonRoute(JsonHandlerFn fn);
// Parses the request body as JSON (depth-capped).
Result<nlohmann::json> BodyJson(const HttpRequest& req);
// The collection named in the path ({collection}).
Result<std::shared_ptr<engine::Collection>> PathCollection(const HandlerContext& ctx, const PathParams& params);

void RegisterSystemRoutes(Router& router, const HandlerContext& ctx);
void RegisterCollectionRoutes(Router& router, const HandlerContext& ctx);
void RegisterPointRoutes(Router& router, const HandlerContext& ctx);
void RegisterSearchRoutes(Router& router, const HandlerContext& ctx);
void RegisterWordRoutes(Router& router, const HandlerContext& ctx);

}  // namespace latentdb::http
