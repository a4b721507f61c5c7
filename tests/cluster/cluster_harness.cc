#include "tests/cluster/cluster_harness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "tests/support/http_reply.h"

namespace latentdb::testing {

using nlohmann::json;

json ClusterTestVector(int id) {
  std::mt19937 rng(id);
  std::normal_distribution<float> noise(0.f, 1.f);
  json v = json::array();
  for (int d = 0; d < kClusterTestDim; ++d) v.push_back((id % 4 == d % 4 ? 3.f : 0.f) + noise(rng));
  return v;
}

json ClusterTestPoints(int begin, int end) {
  json points = json::array();
  for (int i = begin; i < end; ++i) {
    points.push_back({{"id", i}, {"vector", ClusterTestVector(i)}, {"payload", {{"group", i % 5}, {"tag", "t" + std::to_string(i % 3)}}}});
  }
  return points;
}

Cluster::Cluster(int n, Options o) : options(std::move(o)) {
  if (options.own_hosts) network = std::make_unique<VirtualNetwork>(options.etcd_members + n + options.spare_nodes);
  std::vector<VirtualNetwork::Host> etcd_hosts;
  for (int i = 0; network && i < options.etcd_members; ++i) etcd_hosts.push_back(network->host(i));
  etcd = std::make_unique<EtcdCluster>(dir.Sub("etcd"), options.etcd_members, etcd_hosts);
  for (int i = 1; i <= n; ++i) Start(i);
}

Cluster::Cluster(int n, std::vector<std::string> serve_args, int etcd_members)
    : Cluster(n, Options{std::move(serve_args), etcd_members}) {}

void Cluster::Start(int i) {
  std::vector<std::string> args = ServeClusterArgs(*etcd, i);
  args.insert(args.end(), options.serve_args.begin(), options.serve_args.end());
  std::string netns;
  if (network) {
    args.insert(args.end(), {"--host", Address(i)});
    netns = network->host(HostOf(i)).netns;
  }
  nodes[i].reset();  // a node restarted in place: the old process is gone first
  nodes[i] = std::make_unique<ServerProcess>(dir.Sub("n" + std::to_string(i)), args, netns);
}

std::string Cluster::Address(int node) const { return network ? network->host(HostOf(node)).ip : "127.0.0.1"; }

std::unique_ptr<client::HttpClient> Cluster::Client(int i, std::chrono::milliseconds timeout) {
  return std::make_unique<client::HttpClient>(Address(i), nodes.at(i)->port(), timeout);
}

json ShardsOf(client::HttpClient& c, const std::string& name) { return Ok(c, "GET", "/collections/" + name)["cluster"]["shards"]; }

json CopyContent(Cluster& cl, int node, const std::string& uid, int shard) {
  auto c = cl.Client(node);
  c->SetHeader("x-latentdb-shard", uid + "/" + std::to_string(shard));
  return Ok(*c, "POST", "/collections/c/points/scroll", {{"limit", 10000}, {"with_vector", true}, {"with_payload", true}})["points"];
}

bool AllInSync(client::HttpClient& c) {
  auto r = c.Request("GET", "/collections/c");
  if (!r.ok() || r->status != 200) return false;
  const json shards = json::parse(r->body)["result"]["cluster"]["shards"];
  for (const auto& s : shards) {
    if (s["in_sync"].size() != s["replicas"].size()) return false;
  }
  return true;
}

void CopiesAgree(Cluster& cl, client::HttpClient& via) {
  json info = Ok(via, "GET", "/collections/c");
  const std::string uid = info["cluster"]["uid"];
  for (const auto& s : info["cluster"]["shards"]) {
    json first;
    for (const auto& node : s["replicas"]) {
      json content = CopyContent(cl, node.get<int>(), uid, s["shard"].get<int>());
      INFO("shard " << s["shard"] << " node " << node);
      if (first.is_null()) {
        first = content;
        continue;
      }
      // The first point that differs, rather than two pages of JSON.
      CHECK(content.size() == first.size());
      for (size_t i = 0; i < std::min(content.size(), first.size()); ++i) {
        if (content[i] == first[i]) continue;
        CHECK(content[i].dump() == first[i].dump());
        break;
      }
    }
  }
}

std::set<int> StoredIds(client::HttpClient& c) {
  std::set<int> ids;
  json offset = nullptr;
  do {
    json body = {{"limit", 1000}, {"with_payload", false}};
    if (!offset.is_null()) body["offset"] = offset;
    json page = Ok(c, "POST", "/collections/c/points/scroll", body);
    for (const auto& p : page["points"]) CHECK(ids.insert(p["id"].get<int>()).second);
    offset = page["next_page_offset"];
  } while (!offset.is_null());
  return ids;
}

uint64_t Counter(client::HttpClient& c, const std::string& name) {
  auto r = c.Request("GET", "/metrics");
  REQUIRE(r.ok());
  const size_t at = r->body.find("\n" + name + " ");
  return at == std::string::npos ? 0 : std::stoull(r->body.substr(at + name.size() + 2));
}

void Writers::Start(Cluster& cl, const std::vector<int>& via, int first_id) {
  for (size_t w = 0; w < via.size(); ++w) {
    threads.emplace_back([this, &cl, node = via[w], next = first_id + static_cast<int>(w) * 1000000]() mutable {
      auto connect = [&] {
        auto c = cl.Client(node, std::chrono::seconds(10));
        for (const auto& [name, value] : headers) c->SetHeader(name, value);
        return c;
      };
      auto c = connect();
      while (!stop) {
        {
          std::lock_guard<std::mutex> lock(mu);
          for (int i = next; i < next + 10; ++i) attempted.insert(i);
        }
        Batch batch;
        batch.first_id = next;
        batch.sent = Clock::now();
        auto r = c->Request("PUT", "/collections/c/points?wait=true", json{{"points", ClusterTestPoints(next, next + 10)}}.dump());
        batch.answered = Clock::now();
        batch.status = r.ok() ? r->status : 0;
        {
          std::lock_guard<std::mutex> lock(mu);
          batches.push_back(batch);
          if (batch.status == 200) {
            for (int i = next; i < next + 10; ++i) acked.insert(i);
          }
        }
        if (!r.ok()) {
          c = connect();  // the connection may be gone
        } else if (batch.status != 200) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        next += 10;
      }
    });
  }
}

void Writers::Stop() {
  stop = true;
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

size_t Writers::AckedCount() {
  std::lock_guard<std::mutex> lock(mu);
  return acked.size();
}

void EveryAcknowledgedWriteOnce(const std::set<int>& stored, const std::set<int>& acked, const std::set<int>& attempted,
                                int preloaded) {
  size_t missing = 0, never_sent = 0;
  for (int id : acked) missing += stored.count(id) == 0;
  for (int id : stored) never_sent += id >= preloaded && attempted.count(id) == 0;
  INFO(acked.size() << " acknowledged, " << stored.size() << " stored");
  CHECK(missing == 0);
  CHECK(never_sent == 0);
}

}  // namespace latentdb::testing
