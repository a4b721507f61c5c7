#include "http/api.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <new>
#include <optional>

#include "common/logging.h"
#include "http/cluster/cluster_router.h"
#include "http/error_mapping.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

Api::Api(engine::Database* db) : Api(db, std::make_shared<inference::Models>(db->options().data_dir, db)) {}

Api::Api(engine::Database* db, std::shared_ptr<inference::Models> models) : db_(db), models_(std::move(models)) {
  HandlerContext ctx{db_, &metrics_, models_, membership_};
  RegisterSystemRoutes(router_, ctx);
  RegisterCollectionRoutes(router_, ctx);
  RegisterPointRoutes(router_, ctx);
  RegisterSearchRoutes(router_, ctx);
  RegisterWordRoutes(router_, ctx);
  RegisterConsoleRoutes(router_, ctx);
  RegisterImageRoutes(router_, ctx);
  RegisterLatentRoutes(router_, ctx);
  RegisterDirectionRoutes(router_, ctx);
  RegisterSnapshotRoutes(router_, ctx);
  RegisterQdrantRoutes(router_, ctx);
  RegisterClusterRoutes(router_, ctx);
}

Router::Match Api::Route(const HttpRequest& request) const { return router_.Find(request.method, request.path); }

HttpResponse Api::Handle(const HttpRequest& request) { return Handle(request, Route(request)); }

HttpResponse Api::Handle(const HttpRequest& request, const Router::Match& match) {
  auto start = std::chrono::steady_clock::now();
  HttpResponse response;
  ClusterRouter* cluster = cluster_router_.load();
  if (match.handler || (cluster && ClusterRouter::IsShardRequest(request))) {
    try {
      std::optional<HttpResponse> routed;
      if (cluster) routed = cluster->Handle(request, match, [&] { return (*match.handler)(request, match.params); });
      response = routed ? std::move(*routed) : (*match.handler)(request, match.params);
    } catch (const std::bad_alloc&) {
      // One request too big for the memory left: refuse it, keep serving the others.
      LogError("handler for " + match.pattern + " ran out of memory");
      response = ErrorResponse(Status(StatusCode::kBusy, "out of memory while handling this request; retry with a "
                                                         "smaller request"));
    } catch (const std::exception& e) {
      // A bug: handlers report errors through Status. Keep serving, but say so.
      LogError("handler for " + match.pattern + " threw: " + e.what());
      response = ErrorResponse(Status::Internal(std::string("internal error: ") + e.what()));
    } catch (...) {
      LogError("handler for " + match.pattern + " threw a non-standard exception");
      response = ErrorResponse(Status::Internal("internal error"));
    }
  } else if (match.method_mismatch) {
    response = ErrorResponse(Status::InvalidArgument("method " + request.method + " is not allowed on " + request.path));
    response.status = 405;
  } else {
    response = ErrorResponse(Status::NotFound("no route for " + request.method + " " + request.path));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Record(request.method, match.pattern, response.status, secs);
  return response;
}

bool Api::NeedsWorker(const HttpRequest& request) const { return NeedsWorker(request, Route(request)); }

std::optional<HttpResponse> Api::AnswerEarly(const HttpRequest& request, const Router::Match& route) {
  ClusterRouter* cluster = cluster_router_.load();
  if (cluster == nullptr) return std::nullopt;
  auto early = cluster->RefuseEarly(request, route);
  if (early) metrics_.Record(request.method, route.pattern, early->status, 0.0);
  return early;
}

Api::Lane Api::LaneOf(const HttpRequest& request, const Router::Match& route) const {
  if (cluster_router_.load() != nullptr && ClusterRouter::MayReplicate(request)) return Lane::kReplicating;
  return NeedsWorker(request, route) ? Lane::kWorkers : Lane::kIo;
}

bool Api::NeedsWorker(const HttpRequest& request, const Router::Match& match) const {
  // Routes cheap enough for the I/O threads; everything else goes to the worker pool.
  static const char* const kLight[][2] = {
      {"GET", "/healthz"},
      {"GET", "/readyz"},
      {"GET", "/metrics"},
      {"GET", "/console"},
      {"GET", "/favicon.ico"},
      {"GET", "/collections"},
      {"GET", "/collections/{collection}"},
      {"GET", "/collections/{collection}/points/{id}"},
      {"POST", "/collections/{collection}/points"},
      {"POST", "/collections/{collection}/points/scroll"},
      {"POST", "/collections/{collection}/search"},
      {"POST", "/collections/{collection}/points/search"},  // Qdrant's searches: vectors or ids only
      {"POST", "/collections/{collection}/points/query"},
      {"GET", "/models"},
      {"GET", "/models/{model}"},
  };
  // A checkpoint's transfer (no public route) writes megabytes or opens a whole shard copy.
  if (cluster_router_.load() != nullptr && ClusterRouter::IsCheckpointPart(request)) return true;
  if (!match.handler) return false;  // 404 / 405: answered at once
  if (cluster_router_.load() != nullptr) {
    // A shard's part is answered at once, never queued behind the routed requests waiting for
    // it; a request on a collection may be routed to other nodes, which is waiting: the pool.
    if (ClusterRouter::IsShardRequest(request)) return false;
    if (match.params.count("collection")) return true;
  }
  const bool light = std::any_of(std::begin(kLight), std::end(kLight), [&](const auto& r) {
    return request.method == r[0] && match.pattern == r[1];
  });
  if (!light) return true;
  // A search by image or by text decodes and encodes it first (and may load a model): that is
  // not a plain vector search; a scroll with a filter may scan the whole collection. Looking for
  // the keys as text over-approximates, which only costs a hop to the pool.
  if (IsImageRequest(request)) return true;
  auto has = [&](const char* key) { return request.body.find(key) != std::string::npos; };
  if (match.pattern == "/collections/{collection}/search") return has("\"image\"") || has("\"text\"");
  if (match.pattern == "/collections/{collection}/points/scroll") return has("\"filter\"");
  return false;
}

}  // namespace latentdb::http
