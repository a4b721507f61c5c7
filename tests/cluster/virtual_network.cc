#include "tests/cluster/virtual_network.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <stdexcept>

#include "tests/support/server_process.h"

namespace latentdb::testing {

namespace {

void RunQuietly(const std::vector<std::string>& args) {
  std::string ignored;
  RunCapturing(args, &ignored);
}

// `ip netns exec NS ARGS…`
std::vector<std::string> In(const std::string& netns, std::vector<std::string> args) {
  args.insert(args.begin(), {"ip", "netns", "exec", netns});
  return args;
}

// Removes the networks of test processes that are gone (a ctest timeout kills without cleanup).
void RemoveAbandonedNetworks() {
  std::string listing;
  if (RunCapturing({"ip", "netns", "list"}, &listing) != 0) return;
  std::istringstream lines(listing);
  std::string name;
  while (lines >> name) {
    std::string rest;
    std::getline(lines, rest);  // " (id: N)"
    if (name.rfind("lt", 0) != 0) continue;
    const size_t dash = name.find('-');
    if (dash == std::string::npos || dash == 2) continue;
    const std::string digits = name.substr(2, dash - 2);
    if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t owner = static_cast<pid_t>(std::stol(digits));
    if (owner == getpid() || kill(owner, 0) == 0 || errno != ESRCH) continue;
    RunQuietly({"ip", "netns", "del", name});
    RunQuietly({"ip", "link", "del", "lt" + digits + "b"});
  }
}

}  // namespace

void RunCommand(const std::vector<std::string>& args) {
  std::string output;
  const int code = RunCapturing(args, &output);
  if (code == 0) return;
  std::string line;
  for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
  throw std::runtime_error("`" + line + "` exited with " + std::to_string(code) + ": " + output);
}

VirtualNetwork::VirtualNetwork(int hosts) {
  RemoveAbandonedNetworks();
  const pid_t pid = getpid();
  prefix_ = "lt" + std::to_string(pid);
  bridge_ = prefix_ + "b";
  // 10.X.Y.0/24 from the pid: the networks of two test processes do not overlap.
  const std::string subnet = "10." + std::to_string((pid >> 8) & 0xff) + "." + std::to_string(pid & 0xff) + ".";
  try {
    RunCommand({"ip", "link", "add", bridge_, "type", "bridge"});
    RunCommand({"ip", "addr", "add", subnet + "1/24", "dev", bridge_});
    RunCommand({"ip", "link", "set", bridge_, "up"});
    for (int i = 0; i < hosts; ++i) {
      Host h{prefix_ + "-" + std::to_string(i), subnet + std::to_string(i + 2)};
      const std::string outside = prefix_ + "h" + std::to_string(i), inside = prefix_ + "n" + std::to_string(i);
      RunCommand({"ip", "netns", "add", h.netns});
      hosts_.push_back(h);
      RunCommand({"ip", "link", "add", outside, "type", "veth", "peer", "name", inside});
      RunCommand({"ip", "link", "set", inside, "netns", h.netns});
      RunCommand({"ip", "link", "set", outside, "master", bridge_});
      RunCommand({"ip", "link", "set", outside, "up"});
      RunCommand(In(h.netns, {"ip", "addr", "add", h.ip + "/24", "dev", inside}));
      RunCommand(In(h.netns, {"ip", "link", "set", inside, "up"}));
      RunCommand(In(h.netns, {"ip", "link", "set", "lo", "up"}));
    }
    RunCommand(In(hosts_.front().netns, {"iptables", "-S"}));  // iptables works here, before any fault needs it
  } catch (...) {
    Remove();
    throw;
  }
}

VirtualNetwork::~VirtualNetwork() { Remove(); }

void VirtualNetwork::Remove() {
  // Each veth pair is deleted by its outside end, at once: a namespace whose processes are still
  // exiting outlives `ip netns del` for a while, and with it the pair inside, whose names a second
  // network of this process would then find taken ("File exists").
  for (size_t i = 0; i < hosts_.size(); ++i) RunQuietly({"ip", "link", "del", prefix_ + "h" + std::to_string(i)});
  for (const auto& h : hosts_) RunQuietly({"ip", "netns", "del", h.netns});
  hosts_.clear();
  if (!bridge_.empty()) RunQuietly({"ip", "link", "del", bridge_});
  bridge_.clear();
}

void VirtualNetwork::Cut(int a, int b) { Cut(a, std::vector<int>{b}); }

void VirtualNetwork::Cut(int a, const std::vector<int>& others) {
  // One rule per direction for every address at once (iptables takes a comma-separated list), so
  // an isolation takes effect at one moment rather than peer by peer.
  std::string addresses;
  for (int b : others) addresses += (addresses.empty() ? "" : ",") + host(b).ip;
  if (addresses.empty()) return;
  RunCommand(In(host(a).netns, {"iptables", "-A", "INPUT", "-s", addresses, "-j", "DROP"}));
  RunCommand(In(host(a).netns, {"iptables", "-A", "OUTPUT", "-d", addresses, "-j", "DROP"}));
}

void VirtualNetwork::Isolate(int a) {
  std::vector<int> others;
  for (int b = 0; b < size(); ++b) {
    if (b != a) others.push_back(b);
  }
  Cut(a, others);
}

void VirtualNetwork::Heal(int a) {
  RunCommand(In(host(a).netns, {"iptables", "-F"}));
}

void VirtualNetwork::HealAll() {
  for (int a = 0; a < size(); ++a) Heal(a);
}

}  // namespace latentdb::testing
