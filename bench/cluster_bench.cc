// cluster_bench: a sharded (and with --replication 2, replicated) collection on a cluster of
// LatentDB nodes against one node, in the same run, over HTTP (issue 15's benchmark).
//
// Starts a real etcd (Debian's etcd-server) and `latentdb serve --cluster` nodes on loopback
// ports, plus one `latentdb serve` without a cluster, and loads the same points into each: a
// collection of `--shards` shards on the cluster (through node 1, which routes every point to its
// shard's node) and one collection on the single node. Then, with one client (one connection,
// one request at a time):
//   - HTTP upsert throughput (batches of --batch points, vectors/s);
//   - recall@10 against exact neighbours (brute force, computed here) and queries/s at several
//     `hnsw_ef`, through Qdrant's /points/search;
//   - with --replication 2 or more, failover: a node holding a shard's primary (not node 1) is
//     killed with SIGKILL while one client writes batches of 100 points through node 1; the time
//     from the kill to the first acknowledged batch sent after it (100 ids reach every shard:
//     a batch that missed one of 3 shards has odds (2/3)^100), with leases of --lease-ttl
//     seconds; then recall@10 through the cluster again.
// Data: 96-d Gaussian clusters (1,000 centres uniform in [-1, 1]^96, σ = 0.15 around each, the
// shape of scale_bench's Deep1B stand-in), queries drawn the same way with another seed.
//
// Every process runs on this machine's cores: on 2 cores the nodes share them, so the figures show
// what routing and merging cost, not what more machines add. Run it on an idle machine (the load
// average is printed at the start and the end).
//
//   cluster_bench [--points 100000] [--queries 500] [--nodes 3] [--shards 3] [--replication 1]
//                 [--batch 500] [--lease-ttl 10]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_util.h"
#include "client/http_client.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using nlohmann::json;

namespace {

constexpr size_t kDim = 96;

std::vector<float> Clustered(size_t n, uint64_t seed) {
  std::mt19937_64 centre_rng(42);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  std::vector<float> centres(1000 * kDim);
  for (auto& x : centres) x = uniform(centre_rng);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, 999);
  std::normal_distribution<float> noise(0.f, 0.15f);
  std::vector<float> out(n * kDim);
  for (size_t i = 0; i < n; ++i) {
    const float* c = &centres[pick(rng) * kDim];
    for (size_t d = 0; d < kDim; ++d) out[i * kDim + d] = c[d] + noise(rng);
  }
  return out;
}

std::string VectorJson(const float* v) {
  std::string s = "[";
  char buf[32];
  for (size_t d = 0; d < kDim; ++d) {
    std::snprintf(buf, sizeof buf, d ? ",%.5g" : "%.5g", v[d]);
    s += buf;
  }
  return s + "]";
}

json Must(client::HttpClient& c, const std::string& method, const std::string& target, const std::string& body) {
  auto r = c.Request(method, target, body);
  if (!r.ok()) {
    std::fprintf(stderr, "%s %s: %s\n", method.c_str(), target.c_str(), r.status().ToString().c_str());
    std::exit(1);
  }
  if (r->status != 200) {
    std::fprintf(stderr, "%s %s: %d %s\n", method.c_str(), target.c_str(), r->status, r->body.substr(0, 400).c_str());
    std::exit(1);
  }
  return json::parse(r->body)["result"];
}

// Upserts every point in batches; vectors/s.
double Load(client::HttpClient& c, const std::string& collection, const std::vector<float>& base, size_t n, size_t batch) {
  const auto start = bench::Clock::now();
  for (size_t b = 0; b < n; b += batch) {
    std::string body = "{\"points\":[";
    for (size_t i = b; i < std::min(n, b + batch); ++i) {
      if (i > b) body += ',';
      body += "{\"id\":" + std::to_string(i) + ",\"vector\":" + VectorJson(&base[i * kDim]) + "}";
    }
    body += "]}";
    Must(c, "PUT", "/collections/" + collection + "/points", body);
  }
  return static_cast<double>(n) / bench::Seconds(start);
}

struct SearchRun {
  double recall = 0, qps = 0;
};

SearchRun Search(client::HttpClient& c, const std::string& collection, const std::vector<float>& queries, size_t nq,
                 const std::vector<std::vector<uint64_t>>& truth, size_t ef) {
  std::vector<std::string> bodies;
  for (size_t q = 0; q < nq; ++q) {
    bodies.push_back("{\"vector\":" + VectorJson(&queries[q * kDim]) + ",\"limit\":10,\"params\":{\"hnsw_ef\":" +
                     std::to_string(ef) + "}}");
  }
  Must(c, "POST", "/collections/" + collection + "/points/search", bodies[0]);  // warm the connection
  size_t found = 0;
  const auto start = bench::Clock::now();
  for (size_t q = 0; q < nq; ++q) {
    json hits = Must(c, "POST", "/collections/" + collection + "/points/search", bodies[q]);
    std::set<uint64_t> want(truth[q].begin(), truth[q].end());
    for (const auto& h : hits) found += want.count(h["id"].get<uint64_t>());
  }
  const double secs = bench::Seconds(start);
  return {static_cast<double>(found) / (10.0 * nq), nq / secs};
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, size_t> opt = {{"points", 100000}, {"queries", 500}, {"nodes", 3}, {"shards", 3},
                                       {"replication", 1}, {"batch", 500}, {"lease-ttl", 10}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc || !opt.count(a.substr(2))) {
      std::fprintf(stderr,
                   "usage: cluster_bench [--points N] [--queries N] [--nodes N] [--shards N] [--replication N] "
                   "[--batch N] [--lease-ttl S]\n");
      return 2;
    }
    opt[a.substr(2)] = std::stoul(argv[++i]);
  }
  const size_t n = opt["points"], nq = opt["queries"];
  std::printf("cluster_bench: %zu points x %zu-d, %zu queries, %zu nodes, %zu shards, replication factor %zu, "
              "batches of %zu, leases of %zu s\n",
              n, kDim, nq, opt["nodes"], opt["shards"], opt["replication"], opt["batch"], opt["lease-ttl"]);
  std::printf("load average at start: %s\n", bench::LoadAverage().c_str());

  const auto base = Clustered(n, 1), queries = Clustered(nq, 2);
  // Exact neighbours (L2) by brute force.
  std::vector<std::vector<uint64_t>> truth(nq);
  for (size_t q = 0; q < nq; ++q) {
    std::vector<std::pair<float, uint64_t>> d(n);
    for (size_t i = 0; i < n; ++i) {
      float s = 0;
      for (size_t k = 0; k < kDim; ++k) {
        const float x = queries[q * kDim + k] - base[i * kDim + k];
        s += x * x;
      }
      d[i] = {s, i};
    }
    std::partial_sort(d.begin(), d.begin() + 10, d.end());
    for (size_t k = 0; k < 10; ++k) truth[q].push_back(d[k].second);
  }

  testing::TempDir dir;
  testing::EtcdCluster etcd(dir.Sub("etcd"));
  std::vector<std::unique_ptr<testing::ServerProcess>> nodes;
  for (size_t i = 1; i <= opt["nodes"]; ++i) {
    nodes.push_back(std::make_unique<testing::ServerProcess>(
        dir.Sub("node" + std::to_string(i)),
        testing::ServeClusterArgs(etcd, static_cast<int>(i), static_cast<int>(opt["lease-ttl"]))));
  }
  testing::ServerProcess single(dir.Sub("single"));
  client::HttpClient to_cluster("127.0.0.1", nodes[0]->port()), to_single("127.0.0.1", single.port());
  const std::string config = "{\"dim\":96,\"metric\":\"l2\",\"index\":\"HNSW16\"";
  Must(to_single, "PUT", "/collections/bench", config + "}");
  Must(to_cluster, "PUT", "/collections/bench",
       config + ",\"shard_number\":" + std::to_string(opt["shards"]) +
           ",\"replication_factor\":" + std::to_string(opt["replication"]) + "}");

  const double single_rate = Load(to_single, "bench", base, n, opt["batch"]);
  const double cluster_rate = Load(to_cluster, "bench", base, n, opt["batch"]);
  std::printf("\nHTTP upsert, one client: single node %.0f vectors/s, cluster %.0f vectors/s (%.2fx)\n", single_rate,
              cluster_rate, cluster_rate / single_rate);
  json info = Must(to_cluster, "GET", "/collections/bench", "");
  std::printf("cluster points_count %zu; per shard:", info["points_count"].get<size_t>());
  for (const auto& s : info["cluster"]["shards"]) {
    std::printf(" %zu (node %zu)", s["points_count"].get<size_t>(), s["primary"].get<size_t>());
  }
  std::printf("\n\n%6s | %-22s | %-22s | %s\n", "ef", "single node", "cluster", "qps ratio");
  for (size_t ef : {16, 32, 64, 128}) {
    const SearchRun a = Search(to_single, "bench", queries, nq, truth, ef);
    const SearchRun b = Search(to_cluster, "bench", queries, nq, truth, ef);
    std::printf("%6zu | r@10 %.4f %7.0f q/s | r@10 %.4f %7.0f q/s | %.2fx\n", ef, a.recall, a.qps, b.recall, b.qps,
                b.qps / a.qps);
  }
  if (opt["replication"] >= 2) {
    // A shard whose primary is not node 1 (the client's): its node is killed.
    size_t victim = 0;
    for (const auto& s : info["cluster"]["shards"]) {
      if (s["primary"].get<size_t>() != 1) victim = s["primary"].get<size_t>();
    }
    if (victim == 0) {
      std::printf("\nfailover: every primary is on node 1; not measured\n");
    } else {
      using Clock = std::chrono::steady_clock;
      client::HttpClient writer("127.0.0.1", nodes[0]->port(), std::chrono::seconds(30));
      // Far from every query (+50 on each axis), so that they never enter a top 10 and recall stays
      // comparable with the figures above.
      constexpr size_t kBatch = 100;
      std::vector<float> extra = Clustered(kBatch, 99);
      for (float& x : extra) x += 50.f;
      size_t next_id = n, acked = 0, refused = 0;
      auto write = [&] {
        std::string body = "{\"points\":[";
        for (size_t i = 0; i < kBatch; ++i) {
          body += (i ? "," : "") + std::string("{\"id\":") + std::to_string(next_id++) + ",\"vector\":" +
                  VectorJson(&extra[i * kDim]) + "}";
        }
        body += "]}";
        auto r = writer.Request("PUT", "/collections/bench/points?wait=true", body);
        const bool ok = r.ok() && r->status == 200;
        ok ? ++acked : ++refused;
        return ok;
      };
      for (int i = 0; i < 20; ++i) write();  // warm: every shard answers
      const auto killed = Clock::now();
      nodes[victim - 1]->Kill();
      double failover = -1;
      while (std::chrono::duration<double>(Clock::now() - killed).count() < 120) {
        if (write()) {
          failover = std::chrono::duration<double>(Clock::now() - killed).count();
          break;
        }
      }
      for (int i = 0; i < 50; ++i) write();
      std::printf("\nfailover (node %zu killed, leases of %zu s): first acknowledged write %.2f s after the kill; "
                  "%zu batches acknowledged, %zu refused meanwhile\n",
                  victim, opt["lease-ttl"], failover, acked, refused);
      const SearchRun after = Search(to_cluster, "bench", queries, nq, truth, 64);
      std::printf("after the failover, ef 64: r@10 %.4f %7.0f q/s\n", after.recall, after.qps);
    }
  }
  std::printf("\nload average at end: %s\n", bench::LoadAverage().c_str());
  return 0;
}
