#pragma once
// The harness of the replication and partition fault cases: a cluster of real `latentdb serve
// --cluster` processes on a real etcd, on loopback ports or each on a host of its own
// (tests/cluster/virtual_network.h), writers that record which writes were acknowledged, and the
// checks every fault case ends with (each acknowledged write stored once, copies that agree).
// Catch2 assertions: call the checks from a test case's thread.

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/http_client.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/cluster/virtual_network.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace latentdb::testing {

constexpr int kClusterTestDim = 8;

// The vector of point `id` (kClusterTestDim floats, clustered by id % 4, seeded by the id).
nlohmann::json ClusterTestVector(int id);
// Points begin…end-1 with those vectors and a payload {"group": id % 5, "tag": "t<id % 3>"}.
nlohmann::json ClusterTestPoints(int begin, int end);

struct Cluster {
  struct Options {
    std::vector<std::string> serve_args;  // more `serve` flags, for every node
    int etcd_members = 1;
    // Each etcd member and each node on a host of its own (a VirtualNetwork, which needs root):
    // hosts 0…etcd_members-1 are etcd's, host etcd_members + n - 1 is node n's. Room for
    // `spare_nodes` more nodes than the cluster starts with.
    bool own_hosts = false;
    int spare_nodes = 0;
  };

  // Starts the etcd members and nodes 1…n.
  Cluster(int n, Options options);
  explicit Cluster(int n, std::vector<std::string> serve_args = {}, int etcd_members = 1);

  // Starts node `i` (again: on its data directory).
  void Start(int i);
  std::unique_ptr<client::HttpClient> Client(int i, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The host index of node `i` in `network` (own_hosts only).
  int HostOf(int node) const { return options.etcd_members + node - 1; }
  std::string Address(int node) const;

  Options options;
  TempDir dir;
  std::unique_ptr<VirtualNetwork> network;  // own_hosts only
  std::unique_ptr<EtcdCluster> etcd;
  std::map<int, std::unique_ptr<ServerProcess>> nodes;
};

// The shard records of collection `name` as a node answers them (GET /collections/{c}: cluster.shards).
nlohmann::json ShardsOf(client::HttpClient& c, const std::string& name);
// Every point of one copy of collection `c` (ids, payloads, vectors), read from that copy alone.
nlohmann::json CopyContent(Cluster& cl, int node, const std::string& uid, int shard);
// Whether every shard of collection `c` has all its copies in its in-sync set, as `c` reads them.
bool AllInSync(client::HttpClient& c);
// Checks (CHECK) that the copies of every shard of collection `c` hold the same points.
void CopiesAgree(Cluster& cl, client::HttpClient& via);
// Every id collection `c` holds, read through `c` by scroll pages: each once (CHECKed).
std::set<int> StoredIds(client::HttpClient& c);
// A counter of a node's /metrics (0 when absent).
uint64_t Counter(client::HttpClient& c, const std::string& name);

// Writers: batches of 10 new ids into collection `c`, one thread per node named, recording which
// ids were sent and which acknowledged, and each batch's outcome.
struct Writers {
  using Clock = std::chrono::steady_clock;
  struct Batch {
    int first_id = 0;  // ids first_id … first_id + 9
    Clock::time_point sent, answered;
    int status = 0;  // the HTTP status, 0 when no answer came (timeout, connection lost)
  };
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<int> acked, attempted;
  std::vector<Batch> batches;
  std::vector<std::thread> threads;
  std::map<std::string, std::string> headers;  // sent with every request (set before Start)

  // Writer w sends ids first_id + w × 1,000,000 upwards through node via[w].
  void Start(Cluster& cl, const std::vector<int>& via, int first_id);
  void Stop();
  size_t AckedCount();
  ~Writers() { Stop(); }  // a failed REQUIRE leaves the case early: the threads end first
};

// Checks (CHECK) the end of every fault case: every id in `acked` is stored once, and every stored
// id is below `preloaded` or in `attempted`.
void EveryAcknowledgedWriteOnce(const std::set<int>& stored, const std::set<int>& acked, const std::set<int>& attempted,
                                int preloaded);

}  // namespace latentdb::testing
