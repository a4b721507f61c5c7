#include "tests/cluster/etcd_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client/http_client.h"
#include "tests/support/network_namespace.h"

namespace latentdb::testing {

uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::shared_ptr<cluster::EtcdClient> ClientFor(const EtcdCluster& etcd) {
  auto endpoints = cluster::ParseEtcdUrl(etcd.Url());
  if (!endpoints.ok()) throw std::runtime_error(endpoints.status().ToString());
  return std::make_shared<cluster::EtcdClient>(cluster::EtcdClient::Options{*endpoints});
}

bool Eventually(const std::function<bool()>& condition, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

EtcdCluster::EtcdCluster(const std::string& dir, int members, const std::vector<VirtualNetwork::Host>& hosts) : dir_(dir) {
  if (!hosts.empty() && static_cast<int>(hosts.size()) < members) throw std::invalid_argument("fewer hosts than etcd members");
  for (int i = 0; i < members; ++i) {
    Member m;
    m.name = "etcd" + std::to_string(i);
    if (hosts.empty()) {
      m.client_port = FreeLoopbackPort();
      m.peer_port = FreeLoopbackPort();
    } else {  // a host of its own: etcd's registered ports are free there
      m.ip = hosts[i].ip;
      m.netns = hosts[i].netns;
      m.client_port = 2379;
      m.peer_port = 2380;
    }
    if (!initial_cluster_.empty()) initial_cluster_ += ",";
    initial_cluster_ += m.name + "=http://" + m.ip + ":" + std::to_string(m.peer_port);
    members_.push_back(m);
  }
  for (int i = 0; i < members; ++i) Start(i, /*fresh=*/true);
  for (int i = 0; i < members; ++i) WaitHealthy(i);
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < size(); ++i) {
    if (members_[i].pid > 0) kill(members_[i].pid, SIGCONT);
    Kill(i);
  }
}

std::string EtcdCluster::Url() const {
  std::string url = "etcd://";
  for (size_t i = 0; i < members_.size(); ++i) {
    if (i) url += ",";
    url += members_[i].ip + ":" + std::to_string(members_[i].client_port);
  }
  return url;
}

void EtcdCluster::Start(int member, bool fresh) {
  Member& m = members_[member];
  const std::string client = "http://" + m.ip + ":" + std::to_string(m.client_port);
  const std::string peer = "http://" + m.ip + ":" + std::to_string(m.peer_port);
  std::vector<std::string> args = {LATENTDB_ETCD,
                                   "--name", m.name,
                                   "--data-dir", dir_ + "/" + m.name,
                                   "--listen-client-urls", client,
                                   "--advertise-client-urls", client,
                                   "--listen-peer-urls", peer,
                                   "--initial-advertise-peer-urls", peer,
                                   "--initial-cluster", initial_cluster_,
                                   "--initial-cluster-state", fresh ? "new" : "existing",
                                   "--initial-cluster-token", "latentdb-test",
                                   "--logger", "zap",
                                   "--log-outputs", "stderr"};
  const std::string log = dir_ + "/" + m.name + ".log";
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    if (!m.netns.empty() && !JoinNetworkNamespace(m.netns.c_str())) _exit(126);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  m.pid = pid;
}

void EtcdCluster::WaitHealthy(int member) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    client::HttpClient http(members_[member].ip, members_[member].client_port, std::chrono::milliseconds(1000));
    auto r = http.Request("GET", "/health");
    if (r.ok() && r->status == 200 && r->body.find("\"true\"") != std::string::npos) return;
    int status = 0;
    if (waitpid(members_[member].pid, &status, WNOHANG) == members_[member].pid) {
      members_[member].pid = -1;
      throw std::runtime_error("etcd member " + members_[member].name + " exited: " + LogTail(member));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("etcd member " + members_[member].name + " did not become healthy: " + LogTail(member));
}

std::string EtcdCluster::LogTail(int member) const {
  std::ifstream in(dir_ + "/" + members_[member].name + ".log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

void EtcdCluster::Kill(int member) {
  Member& m = members_[member];
  if (m.pid <= 0) return;
  kill(m.pid, SIGKILL);
  int status = 0;
  waitpid(m.pid, &status, 0);
  m.pid = -1;
}

void EtcdCluster::Pause(int member) {
  if (members_[member].pid > 0) kill(members_[member].pid, SIGSTOP);
}

void EtcdCluster::Resume(int member) {
  if (members_[member].pid > 0) kill(members_[member].pid, SIGCONT);
}

void EtcdCluster::Restart(int member, bool wait) {
  Kill(member);
  Start(member, /*fresh=*/false);
  if (wait) WaitHealthy(member);
}

std::vector<std::string> ServeClusterArgs(const EtcdCluster& etcd, int node_id, int lease_ttl_seconds) {
  return {"--cluster", etcd.Url(), "--node-id", std::to_string(node_id), "--lease-ttl", std::to_string(lease_ttl_seconds)};
}

}  // namespace latentdb::testing
