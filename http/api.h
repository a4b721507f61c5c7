#pragma once
// Api: the whole REST API as one pure function from request to response, over a Database.
// The server (http/server.h) feeds it requests; tests can call it directly.

#include <atomic>
#include <memory>
#include <optional>

#include "engine/database.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/router.h"

namespace latentdb::cluster {
class Membership;
}
namespace latentdb::inference {
class Models;
}

namespace latentdb::http {

class ClusterRouter;

class Api {
 public:
  explicit Api(engine::Database* db);
  // An Api sharing already loaded models (a node's shard copies share the node's).
  Api(engine::Database* db, std::shared_ptr<inference::Models> models);
  const std::shared_ptr<inference::Models>& models() const { return models_; }
  // This node's cluster membership (`serve --cluster`), once it has joined; null to leave. It
  // must outlive its use by the Api (set null before destroying it).
  void SetMembership(cluster::Membership* membership) { membership_->store(membership); }
  // The router of this cluster node's clustered collections (http/cluster/cluster_router.h); null
  // to leave. Same lifetime rule as the membership.
  void SetClusterRouter(ClusterRouter* router) { cluster_router_.store(router); }
  // The request's route (Router::Find). The server finds it once and hands it to NeedsWorker
  // and Handle; the one-argument forms find it themselves.
  Router::Match Route(const HttpRequest& request) const;
  // Handles the request on `route`, records metrics, never throws. Running out of memory while
  // handling a request answers 503 for that request only.
  HttpResponse Handle(const HttpRequest& request, const Router::Match& route);
  HttpResponse Handle(const HttpRequest& request);
  // True when the request may take long (decoding or encoding images, model inference, loading
  // a word model, writes that may train an index, scans of a whole collection): the server runs
  // such requests on its worker pool so that the I/O threads keep answering health checks and
  // light requests (plain vector searches, reads of single points, metrics). Cheap: routes only.
  bool NeedsWorker(const HttpRequest& request, const Router::Match& route) const;
  bool NeedsWorker(const HttpRequest& request) const;
  // An answer the server gives at once, before a request waits for a pool's thread, or nullopt
  // (ClusterRouter::RefuseEarly: the writes a node cut off from its cluster cannot take).
  std::optional<HttpResponse> AnswerEarly(const HttpRequest& request, const Router::Match& route);
  // Where the server runs a request: on its I/O thread, on the worker pool (NeedsWorker), or, for
  // a cluster shard's write part that waits for the shard's other copies
  // (ClusterRouter::MayReplicate), on a pool of its own — never on the I/O threads, which answer
  // the copies' shipments, nor on the worker pool, whose routed requests wait for such parts.
  enum class Lane { kIo, kWorkers, kReplicating };
  Lane LaneOf(const HttpRequest& request, const Router::Match& route) const;
  Metrics& metrics() { return metrics_; }
  // Every route as (method, pattern).
  std::vector<std::pair<std::string, std::string>> Routes() const { return router_.Routes(); }

 private:
  engine::Database* db_;
  std::shared_ptr<inference::Models> models_;
  std::atomic<ClusterRouter*> cluster_router_{nullptr};
  std::shared_ptr<std::atomic<cluster::Membership*>> membership_ =
      std::make_shared<std::atomic<cluster::Membership*>>(nullptr);
  Metrics metrics_;
  Router router_;
};

}  // namespace latentdb::http
