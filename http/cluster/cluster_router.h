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
// Copies (replication_factor > 1): writes go to the shard's primary, which ships them to the
// in-sync copies before it answers (http/cluster/shard_replication.h); reads go to any in-sync
// copy. A background thread ships what copies lack, brings returning copies back into sync, and
// promotes an in-sync replica when its primary's lease is gone (failover). Rebalancing is not
// built (docs/cluster.md).
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
#include "http/metrics.h"
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
    // How long a shard's other copy may take to apply a shipment before it leaves the in-sync set.
    std::chrono::milliseconds replication_timeout{3000};
    // How often the node looks after the copies it holds: a primary ships what its copies lack
    // (background writes) and brings copies that are out of sync back; an in-sync replica whose
    // primary has lost its lease takes over.
    std::chrono::milliseconds maintenance_interval{500};
    // How long a copy keeps its WAL after flushing it, so that a copy that was away catches up by
    // tailing it (storage::StoreOptions::wal_retention_seconds).
    uint64_t wal_retention_seconds = 24 * 3600;
    // The node's metrics, which the replication counters join; none when null.
    Metrics* metrics = nullptr;
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

  // An answer that needs no thread of a pool, or nullopt. While this node has lost its etcd lease
  // (cut off from etcd, or paused past its TTL) it takes no write on a clustered collection:
  // neither a shard's write part (it may have been replaced as that shard's primary) nor a
  // client's (it cannot read the shard map to route it). It says so at once, 503, rather than
  // queue the write behind others that wait out unreachable nodes. Reads, the copies' shipments,
  // the node's own (unclustered) collections and /cluster routes are not refused. Cheap;
  // thread-safe.
  std::optional<HttpResponse> RefuseEarly(const HttpRequest& request, const Router::Match& route) const;

  // True for a shard's part: it is answered on the I/O thread, never queued behind the routed
  // requests that wait for it (which would let two nodes wait on each other's worker pools).
  static bool IsShardRequest(const HttpRequest& request) { return request.headers.count(kShardHeader) > 0; }
  // True for a shard's part that may write, and then waits for the shard's other copies before it
  // is answered (http/cluster/shard_replication.h): the server runs it on a pool of its own
  // (Api::Lane::kReplicating). Reads and the copies' shipments are answered on the I/O threads.
  static bool MayReplicate(const HttpRequest& request);
  // True for a part of a checkpoint's transfer (http/cluster/checkpoint_transfer.h): it writes
  // megabytes, or opens a whole copy, and goes to the worker pool rather than an I/O thread. It
  // waits on no other node, so it cannot take part in a cycle of waits.
  static bool IsCheckpointPart(const HttpRequest& request) {
    return IsShardRequest(request) && request.path.ends_with("/wal/checkpoint");
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latentdb::http
