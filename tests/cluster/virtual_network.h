#pragma once
// VirtualNetwork: a network of hosts on one machine, for partition faults that are real packet
// drops rather than a flag in a process. Each host is a Linux network namespace (`ip netns`)
// joined by a veth pair to one bridge in the test's own namespace, with an address of its own
// (10.X.Y.H/24); the bridge's address (10.X.Y.1) is the test's, so the test reaches every host
// even while hosts are cut off from one another. A cut is a pair of iptables DROP rules (INPUT
// from and OUTPUT to the other host) in a host's namespace: packets vanish without an answer, as
// in a real partition (Jepsen cuts its nodes the same way), so peers see timeouts, not refusals.
//
// Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), the `ip` command (iproute2) and `iptables`
// (Debian's iptables; either backend). Names carry the test process's pid, so two test processes
// build separate networks; networks left by a process that died (killed by a ctest timeout) are
// removed by the next one. Not thread-safe: one test thread builds and cuts the network.

#include <string>
#include <vector>

namespace latentdb::testing {

class VirtualNetwork {
 public:
  struct Host {
    std::string netns;  // pass to ServerProcess / EtcdCluster to run a process on this host
    std::string ip;     // the host's address, where its servers listen
  };

  // Creates `hosts` hosts. Throws std::runtime_error (with the failing command's output) when the
  // machine does not allow it, for example without root.
  explicit VirtualNetwork(int hosts);
  ~VirtualNetwork();  // removes the namespaces, the veth pairs and the bridge
  VirtualNetwork(const VirtualNetwork&) = delete;
  VirtualNetwork& operator=(const VirtualNetwork&) = delete;

  const Host& host(int i) const { return hosts_.at(i); }
  int size() const { return static_cast<int>(hosts_.size()); }

  // Drops every packet between hosts `a` and `b`, both ways (rules in `a`'s namespace).
  void Cut(int a, int b);
  // Drops every packet between host `a` and each of `others`, both ways. The packets that were
  // sent before it returns may still arrive.
  void Cut(int a, const std::vector<int>& others);
  // Cuts host `a` from every other host; the test still reaches it.
  void Isolate(int a);
  // Removes every cut made in `a`'s namespace.
  void Heal(int a);
  // Removes every cut.
  void HealAll();

 private:
  void Remove();

  std::string prefix_;  // "lt<pid>": interface and namespace names start with it
  std::string bridge_;
  std::vector<Host> hosts_;
};

// Runs `args` (args[0] looked up in PATH, /usr/sbin and /sbin) and waits; throws
// std::runtime_error with its output when it cannot start or exits with another status than 0.
void RunCommand(const std::vector<std::string>& args);

}  // namespace latentdb::testing
