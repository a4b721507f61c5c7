#pragma once
// Route handlers, one file per resource. Each Register* function adds its routes to the router.
// Handlers see only the engine API.

#include <functional>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "engine/database.h"
#include "http/metrics.h"
#include "http/router.h"

namespace latentdb::words {
class WordModelCache;
}

namespace latentdb::http {

struct HandlerContext {
  engine::Database* db = nullptr;
  Metrics* metrics = nullptr;
  // Word models opened by this server (shared by the word routes and text encoding).
  std::shared_ptr<words::WordModelCache> word_models;
};

using JsonHandlerFn = std::function<Result<nlohmann::json>(const HttpRequest&, const PathParams&)>;

// Wraps a handler that returns a JSON result into the API envelope
// {"result":…, "status":"ok", "time":seconds}, or an error response.
RouteHandler JsonRoute(JsonHandlerFn fn);
// Parses the request body as JSON (depth-capped).
Result<nlohmann::json> BodyJson(const HttpRequest& req);
// For a collection with a word-model encoder: replaces "text" in `item` (a point or a search)
// with the text's "vector" (mean of unit word vectors). InvalidArgument when the collection has no
// encoder or no word of the text is known. A no-op when `item` has no "text".
Status ResolveText(const HandlerContext& ctx, const engine::Collection& c, nlohmann::json* item);
// NotFound-free check used at collection creation: the encoder names a word model of this dim.
Status CheckEncoder(const HandlerContext& ctx, const std::string& encoder, size_t dim);

// The collection named in the path ({collection}).
Result<std::shared_ptr<engine::Collection>> PathCollection(const HandlerContext& ctx, const PathParams& params);

void RegisterSystemRoutes(Router& router, const HandlerContext& ctx);
void RegisterCollectionRoutes(Router& router, const HandlerContext& ctx);
void RegisterPointRoutes(Router& router, const HandlerContext& ctx);
void RegisterSearchRoutes(Router& router, const HandlerContext& ctx);
void RegisterWordRoutes(Router& router, const HandlerContext& ctx);
void RegisterConsoleRoutes(Router& router, const HandlerContext& ctx);  // GET /console

}  // namespace latentdb::http
