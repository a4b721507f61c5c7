#pragma once
// Membership: this node's place in a LatentDB cluster, kept in etcd (docs/cluster.md).
//
// A node is a key `<prefix>/nodes/<node id>` holding {"node_id", "advertise", "started_at"},
// attached to an etcd lease of `lease_ttl_seconds` that a background thread renews every third
// of the TTL. The key is the node's liveness: when the process dies, stops (SIGSTOP) or is cut
// off from etcd, the lease expires and etcd deletes the key, which is what the rest of the cluster
// watches for (failover). Two live processes can never hold one node id: the key is created in
// a transaction that requires it to be absent.
//
// Lease loss: when a renewal finds the lease expired, or no renewal has succeeded for a whole
// TTL, the node has been declared gone by etcd. `LeaseAlive()` turns false at once (whatever the
// node still does as a primary must stop: its epoch is about to be superseded) — counted from when
// the last acknowledged renewal was sent, so even while a renewal waits for an answer — and the
// thread joins again under a new lease as soon as etcd answers. The lease's calls go through
// connections of their own, never queued behind the node's other etcd calls (which, with etcd out
// of reach, wait a timeout per member each: a test found renewals starved for 15 s that way).
//
// Thread-safe. Leaving (the destructor) stops the thread and revokes the lease, so that a clean
// shutdown is seen at once rather than after a TTL.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/etcd_client.h"
#include "common/result.h"

namespace latentdb::cluster {

struct NodeInfo {
  uint64_t node_id = 0;
  std::string advertise;  // the node's REST API as other nodes and clients reach it: http://HOST:PORT
  std::string started_at; // UTC, ISO 8601
  int64_t lease = 0;      // the etcd lease that keeps the node's key alive
};

struct MembershipOptions {
  std::string prefix = "/latentdb";  // every key of this cluster starts with it
  uint64_t node_id = 0;              // > 0 (Qdrant's peer ids are unsigned integers too)
  std::string advertise;             // http://HOST:PORT
  int64_t lease_ttl_seconds = 10;    // how long a silent node stays a member; etcd's minimum applies
  // How long Join waits for a key of this node id left by an earlier life of the process
  // (killed before it could revoke its lease) to expire. 0: the lease TTL plus one second.
  int64_t join_wait_seconds = 0;
};

class Membership {
 public:
  // Registers the node and starts renewing its lease. InvalidArgument for a node id of 0 or an
  // advertise URL that is not http://HOST:PORT; Conflict when another live process holds the
  // node id (its key did not expire within the wait); Unavailable when etcd does not answer.
  static Result<std::unique_ptr<Membership>> Join(std::shared_ptr<EtcdClient> etcd, MembershipOptions options);
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Every live node, by node id (read from etcd).
  Result<std::vector<NodeInfo>> Nodes() const;

  const MembershipOptions& options() const { return options_; }
  EtcdClient& etcd() const { return *etcd_; }
  const std::shared_ptr<EtcdClient>& etcd_client() const { return etcd_; }
  // False from the moment the node's lease is known or presumed lost until it has joined again:
  // presumed lost as soon as a TTL has passed since the last renewal etcd acknowledged was sent,
  // even while a renewal is still waiting for an answer.
  bool LeaseAlive() const;
  // The current lease (changes when the node joins again after losing one).
  int64_t lease() const { return lease_.load(); }
  // How many times the node has joined (1 after Join; +1 per lease lost and regained).
  int64_t generation() const { return generation_.load(); }

  std::string NodeKey() const;
  static std::string NodesPrefix(const std::string& prefix) { return prefix + "/nodes/"; }

 private:
  Membership(std::shared_ptr<EtcdClient> etcd, MembershipOptions options);
  // Grants a lease and creates the node key under it, waiting up to `wait_seconds` for a key
  // left by an earlier life to expire.
  Status Register(int64_t wait_seconds);
  void RenewLoop();

  std::shared_ptr<EtcdClient> etcd_;
  // The lease's own connections (GrantLease, KeepAlive, RevokeLease, the node key): renewals never
  // wait behind the other etcd calls of the node, which queue on one connection per member and,
  // with etcd out of reach, take a timeout per member each.
  std::shared_ptr<EtcdClient> lease_etcd_;
  MembershipOptions options_;
  std::string started_at_;
  std::atomic<int64_t> lease_{0};
  std::atomic<bool> lease_alive_{false};
  // When the last renewal (or grant) that etcd acknowledged was sent, steady_clock nanoseconds.
  std::atomic<int64_t> last_renewal_sent_ns_{0};
  std::atomic<int64_t> generation_{0};

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread renewer_;
};

}  // namespace latentdb::cluster
