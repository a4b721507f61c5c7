#pragma once
// ClusterRouter: the REST API of a clustered collection on a cluster node (docs/cluster.md).
// Any node answers any request: the router reads the collection's shard map from etcd, sends each
// shard its part of the request — points by the hash of their id (cluster::ShardOf), searches,
// counts, scrolls and filtered deletes to every shard — and merges the shards' answers into the
// one a single node holding every point would give (http/cluster/shard_merge.h).
//
// A shard's part is the same REST request (same method, path and JSON shape, the body cut to the
// shard's points), sent to the node of the shard's copy with the header
// `x-latentdb-shard: <collection uid>/<shard>`; the node answers it from that copy
// (LocalShards), with the handlers of a single node. A part for a copy on this node is answered
// in process, without a socket.
//
// Built: shard_number ≥ 1 with one copy per shard (replication_factor 1). Copies, the in-sync set,
// failover and rebalancing are the next steps of issue 15; replication_factor > 1 is refused.
//
// Thread-safe. Blocking: a routed request waits for its shards (at most `timeout` each).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "engine/database.h"
#include "http/message.h"
#include "http/router.h"

namespace latentdb::cluster {
class EtcdClient;
class Membership;
}  // namespace latentdb::cluster
namespace latentdb::inference {
class Models;
}

namespace latentdb::http {

class ClusterRouter {
 public:
  // The header that marks a request as one shard's part, and names the copy.
  static constexpr const char* kShardHeader = "x-latentdb-shard";

  struct Options {
    // The node's database options: its data directory holds the shard copies (shards/…), and
    // each copy is opened with these options.
    engine::DatabaseOptions shard_db;
    std::string api_key;  // sent with every forwarded request when the nodes require one
    std::chrono::milliseconds timeout{30000};   // per forwarded request
    std::chrono::milliseconds cache_ttl{1000};  // how long a shard map read from etcd is reused
  };

  // `membership` (this node, joined) and `local` (the node's own database: collections that are
  // not clustered) must outlive the router.
  ClusterRouter(cluster::Membership* membership, std::shared_ptr<cluster::EtcdClient> etcd,
                engine::Database* local, std::shared_ptr<inference::Models> models, Options options);
  ~ClusterRouter();
  ClusterRouter(const ClusterRouter&) = delete;
  ClusterRouter& operator=(const ClusterRouter&) = delete;

  // Answers `request` when it concerns the cluster: a shard's part (kShardHeader), a request on a
  // clustered collection, the creation of a collection (on a cluster node every new collection
  // is clustered), the list of collections. nullopt when the node answers it alone from its own
  // database (`serve_locally` is that answer, used to list the node's own collections).
  std::optional<HttpResponse> Handle(const HttpRequest& request, const Router::Match& route,
                                     const std::function<HttpResponse()>& serve_locally);

  // True for a shard's part: it is answered on the I/O thread, never queued behind the routed
  // requests that wait for it (which would let two nodes wait on each other's worker pools).
  static bool IsShardRequest(const HttpRequest& request) { return request.headers.count(kShardHeader) > 0; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latentdb::http
