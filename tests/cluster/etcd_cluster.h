#pragma once
// EtcdCluster: real etcd members (Debian's etcd-server, the `etcd` binary) for the cluster tests,
// each a child process with its data under a test directory: on free loopback ports, or each on a
// host of a VirtualNetwork (its own network namespace and address, etcd's usual ports). The
// constructor returns once every member reports itself healthy; the destructor kills them.
// Faults: Kill (SIGKILL), Pause/Resume (SIGSTOP/SIGCONT), Restart (same data directory).

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/etcd_client.h"
#include "tests/cluster/virtual_network.h"

namespace latentdb::testing {

class EtcdCluster {
 public:
  // Starts `members` etcd processes forming one cluster, under `dir`: member i on `hosts[i]` when
  // hosts are given (at least `members` of them), else on loopback. Throws std::runtime_error
  // when they do not become healthy within 30 s (the message holds the end of their logs).
  EtcdCluster(const std::string& dir, int members = 1, const std::vector<VirtualNetwork::Host>& hosts = {});
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // "etcd://IP1:P1,IP2:P2,…" (what `serve --cluster` takes).
  std::string Url() const;
  uint16_t client_port(int member) const { return members_[member].client_port; }
  int size() const { return static_cast<int>(members_.size()); }

  void Kill(int member);
  void Pause(int member);
  void Resume(int member);
  // Starts a killed member again on its ports and data; with `wait`, until it is healthy (which
  // needs a quorum: restart the others without waiting first).
  void Restart(int member, bool wait = true);
  // Waits up to 30 s until the member reports itself healthy (it has a leader); throws otherwise.
  void WaitHealthy(int member);

 private:
  struct Member {
    std::string name;
    std::string ip = "127.0.0.1";
    std::string netns;  // empty: the test's own
    uint16_t client_port = 0;
    uint16_t peer_port = 0;
    pid_t pid = -1;
  };
  void Start(int member, bool fresh);
  std::string LogTail(int member) const;

  std::string dir_;
  std::string initial_cluster_;
  std::vector<Member> members_;
};

// The `latentdb serve` flags that make a process node `node_id` of the cluster on `etcd`, with
// leases of `lease_ttl_seconds` (short ones keep fault cases to seconds).
std::vector<std::string> ServeClusterArgs(const EtcdCluster& etcd, int node_id, int lease_ttl_seconds = 2);

// A loopback port that was free a moment ago (bound to port 0, then released).
uint16_t FreeLoopbackPort();

// A client of every member of `etcd`.
std::shared_ptr<cluster::EtcdClient> ClientFor(const EtcdCluster& etcd);

// Polls `condition` every 100 ms for up to `seconds`; its last value.
bool Eventually(const std::function<bool()>& condition, int seconds);

}  // namespace latentdb::testing
