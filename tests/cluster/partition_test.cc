// Network partitions on a cluster whose etcd members and nodes each run on a host of their own (a
// network namespace: tests/cluster/virtual_network.h), cut by iptables rules that drop packets,
// under write load: a primary cut off from etcd and from its replicas acknowledges nothing, is
// fenced and replaced, and on its return follows the new primary without keeping a write it
// refused; a replica cut off from its primary leaves the in-sync set and catches up. Afterwards
// every acknowledged write is stored once, the copies agree, and search recall@10 on
// Fashion-MNIST is that of a single node at the same ef. Needs root (ip netns, iptables), as
// CI and `make test` run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "encoders/fashion_mnist.h"
#include "formats/idx.h"
#include "tests/cluster/cluster_harness.h"
#include "tests/support/http_reply.h"

using namespace latentdb;
using namespace latentdb::testing;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kFashionPoints = 10000;
constexpr int kFashionQueries = 200;
constexpr int kEf = 16;  // small enough that recall@10 is below 1 and differences would show

struct FashionData {
  formats::IdxImages train, test;
};

const FashionData& Fashion() {
  static const FashionData data = [] {
    const std::string dir = encoders::kFashionMnistDir;
    auto train = formats::ReadIdxImages(dir + "/train-images-idx3-ubyte.gz", kFashionPoints);
    auto test = formats::ReadIdxImages(dir + "/t10k-images-idx3-ubyte.gz", kFashionQueries);
    if (!train.ok() || !test.ok()) throw std::runtime_error("Fashion-MNIST (package dataset-fashion-mnist) cannot be read");
    return FashionData{std::move(*train), std::move(*test)};
  }();
  return data;
}

json PixelVector(const formats::IdxImages& images, size_t i) {
  json v = json::array();
  for (size_t d = 0; d < images.image_size(); ++d) v.push_back(images.image(i)[d]);
  return v;
}

void LoadFashion(client::HttpClient& c, const json& shape) {
  Ok(c, "PUT", "/collections/fashion", shape);
  const auto& train = Fashion().train;
  for (size_t b = 0; b < train.count; b += 500) {
    json points = json::array();
    for (size_t i = b; i < std::min(train.count, b + 500); ++i) points.push_back({{"id", i}, {"vector", PixelVector(train, i)}});
    Ok(c, "PUT", "/collections/fashion/points?wait=true", {{"points", points}});
  }
}

// The exact 10 nearest training images (squared l2 on the pixels) of every query.
std::vector<std::vector<int>> ExactNeighbours() {
  const auto& [train, test] = Fashion();
  std::vector<std::vector<int>> out;
  for (size_t q = 0; q < test.count; ++q) {
    std::vector<std::pair<int64_t, int>> d;
    for (size_t i = 0; i < train.count; ++i) {
      int64_t sum = 0;
      for (size_t k = 0; k < train.image_size(); ++k) {
        const int diff = int{train.image(i)[k]} - int{test.image(q)[k]};
        sum += diff * diff;
      }
      d.emplace_back(sum, static_cast<int>(i));
    }
    std::partial_sort(d.begin(), d.begin() + 10, d.end());
    std::vector<int> ids;
    for (int k = 0; k < 10; ++k) ids.push_back(d[k].second);
    out.push_back(ids);
  }
  return out;
}

double RecallAt10(client::HttpClient& c, const std::vector<std::vector<int>>& exact) {
  const auto& test = Fashion().test;
  size_t found = 0;
  for (size_t q = 0; q < test.count; ++q) {
    json hits = Ok(c, "POST", "/collections/fashion/points/search",
                   {{"vector", PixelVector(test, q)}, {"limit", 10}, {"params", {{"hnsw_ef", kEf}}}});
    for (const auto& h : hits) found += std::count(exact[q].begin(), exact[q].end(), h["id"].get<int>());
  }
  return static_cast<double>(found) / static_cast<double>(10 * test.count);
}

bool PrimaryIsNot(client::HttpClient& c, int shard, int node) {
  auto r = c.Request("GET", "/collections/c");
  return r.ok() && r->status == 200 && json::parse(r->body)["result"]["cluster"]["shards"][shard]["primary"] != node;
}

}  // namespace

TEST_CASE("Partitions: a primary cut off from etcd and its replicas is fenced without diverging, a cut-off replica catches up, and recall stays a single node's", "[cluster][replication][partition]") {
  Cluster cl(3, Cluster::Options{{}, /*etcd_members=*/3, /*own_hosts=*/true});
  auto one = cl.Client(1);
  const json shape = {{"dim", 784}, {"metric", "l2"}, {"index", "HNSW16"}};
  json sharded = shape;
  sharded["shard_number"] = 2;
  sharded["replication_factor"] = 2;
  LoadFashion(*one, sharded);
  Ok(*one, "PUT", "/collections/c", {{"dim", kClusterTestDim}, {"index", "Flat"}, {"shard_number", 2}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", ClusterTestPoints(0, 500)}});

  // 1. The primary of shard 0 loses etcd and every other node; clients still reach it and write
  // through it, as through the others.
  const int victim = ShardsOf(*one, "c")[0]["primary"];
  std::vector<int> others;
  for (int n = 1; n <= 3; ++n) {
    if (n != victim) others.push_back(n);
  }
  auto witness = cl.Client(others[0]);
  // Writes through it as a router (they span both shards), and writes to its copy of shard 0
  // alone (the shard header), which it handles as that shard's primary.
  Writers through_others, through_victim, to_victim_copy;
  to_victim_copy.headers["x-latentdb-shard"] = Ok(*one, "GET", "/collections/c")["cluster"]["uid"].get<std::string>() + "/0";
  through_others.Start(cl, others, 100000);
  through_victim.Start(cl, {victim}, 5000000);
  to_victim_copy.Start(cl, {victim}, 8000000);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  REQUIRE(through_victim.AckedCount() > 0);
  REQUIRE(to_victim_copy.AckedCount() > 0);
  cl.network->Isolate(cl.HostOf(victim));
  const auto cut_at = Clock::now();  // batches sent before the rules were in place may be acknowledged
  CHECK(Eventually([&] { return PrimaryIsNot(*witness, 0, victim); }, 20));
  const double failover = std::chrono::duration<double>(Clock::now() - cut_at).count();
  const size_t acked_after_failover = through_others.AckedCount();
  std::this_thread::sleep_for(std::chrono::seconds(15));
  CHECK(through_others.AckedCount() > acked_after_failover);  // the majority side goes on writing
  const auto healed_at = Clock::now();
  cl.network->HealAll();
  CHECK(Eventually([&] { return AllInSync(*witness); }, 120));  // minutes under TSan: a checkpoint rebuilds an index
  std::this_thread::sleep_for(std::chrono::seconds(1));
  through_victim.Stop();
  to_victim_copy.Stop();
  through_others.Stop();

  // Nothing sent to the cut-off primary after the cut was acknowledged, and every batch it
  // refused while cut off (answered before the heal) is nowhere: it did not diverge.
  std::set<int> refused;
  size_t acked_while_cut = 0, sent_while_cut = 0, refused_while_cut = 0;
  for (auto* w : {&through_victim, &to_victim_copy}) {
    for (const auto& b : w->batches) {
      if (b.sent < cut_at || b.answered >= healed_at) continue;
      ++sent_while_cut;
      if (b.status == 200) ++acked_while_cut;
      if (b.status != 200 && b.status != 0) {
        ++refused_while_cut;
        for (int i = b.first_id; i < b.first_id + 10; ++i) refused.insert(i);
      }
    }
  }
  CHECK(refused_while_cut > 0);
  CHECK(acked_while_cut == 0);
  std::set<int> acked = through_others.acked, attempted = through_others.attempted;
  for (auto* w : {&through_victim, &to_victim_copy}) {
    acked.insert(w->acked.begin(), w->acked.end());
    attempted.insert(w->attempted.begin(), w->attempted.end());
  }
  std::set<int> stored = StoredIds(*witness);
  EveryAcknowledgedWriteOnce(stored, acked, attempted, 500);
  size_t refused_stored = 0;
  for (int id : refused) refused_stored += stored.count(id);
  CHECK(refused_stored == 0);
  CopiesAgree(cl, *witness);
  WARN("primary cut off: " << acked.size() << " of " << attempted.size() << " points acknowledged; through it while cut "
                           << sent_while_cut << " batches sent, " << acked_while_cut << " acknowledged, " << refused_while_cut
                           << " refused, the rest unanswered; failover " << failover << " s");

  // 2. The replica of shard 0 cut off from that shard's primary (both still reach etcd): it
  // leaves the in-sync set, writes go on, and after the heal it catches up.
  {
    const json shard0 = ShardsOf(*witness, "c")[0];
    const int primary = shard0["primary"];
    const int lagging = shard0["replicas"][0] == primary ? shard0["replicas"][1].get<int>() : shard0["replicas"][0].get<int>();
    std::vector<int> via;
    for (int n = 1; n <= 3; ++n) {
      if (n != lagging) via.push_back(n);
    }
    Writers writers;
    writers.Start(cl, via, 20000000);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    cl.network->Cut(cl.HostOf(lagging), cl.HostOf(primary));
    CHECK(Eventually([&] { return ShardsOf(*witness, "c")[0]["in_sync"].size() == 1; }, 20));
    const size_t before = writers.AckedCount();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    CHECK(writers.AckedCount() > before);
    cl.network->HealAll();
    CHECK(Eventually([&] { return AllInSync(*witness); }, 120));  // minutes under TSan: a checkpoint rebuilds an index
    writers.Stop();
    stored = StoredIds(*witness);
    acked.insert(writers.acked.begin(), writers.acked.end());
    attempted.insert(writers.attempted.begin(), writers.attempted.end());
    EveryAcknowledgedWriteOnce(stored, acked, attempted, 500);
    CopiesAgree(cl, *witness);
    WARN("replica cut off from its primary: " << writers.acked.size() << " of " << writers.attempted.size() << " points acknowledged");
  }

  // 3. Search quality after the faults: recall@10 at the same ef as one node holding the same
  // points (a reference server in the same run), through every node of the cluster.
  ServerProcess reference(cl.dir.Sub("reference"));
  client::HttpClient single("127.0.0.1", reference.port());
  LoadFashion(single, shape);
  const auto exact = ExactNeighbours();
  const double single_recall = RecallAt10(single, exact);
  for (int n = 1; n <= 3; ++n) {
    const double cluster_recall = RecallAt10(*cl.Client(n), exact);
    WARN("recall@10 at ef " << kEf << ": single node " << single_recall << ", cluster through node " << n << " " << cluster_recall);
    CHECK(cluster_recall >= single_recall - 0.005);
  }
}

TEST_CASE("Failover promotes the most up-to-date in-sync copy: the other catches up from its WAL, not a checkpoint", "[cluster][replication]") {
  Cluster cl(3, Cluster::Options{{}, /*etcd_members=*/1, /*own_hosts=*/true});
  auto one = cl.Client(1);
  // A primary ships a batch to its in-sync copies in the order of its record's in_sync list. A
  // collection whose list names the higher-id replica first: a batch can reach it and not yet the
  // lower-id one, which the node-id order alone would promote.
  std::string name;
  int primary = 0, ahead = 0, behind = 0;
  for (int attempt = 0; attempt < 24 && name.empty(); ++attempt) {
    const std::string c = "f" + std::to_string(attempt);
    Ok(*one, "PUT", "/collections/" + c, {{"dim", kClusterTestDim}, {"index", "Flat"}, {"replication_factor", 3}});
    const json rec = ShardsOf(*one, c)[0];
    std::vector<int> replicas;
    for (const auto& n : rec["in_sync"]) {
      if (n != rec["primary"]) replicas.push_back(n.get<int>());
    }
    if (replicas.size() == 2 && replicas[0] > replicas[1]) {
      name = c;
      primary = rec["primary"];
      ahead = replicas[0];
      behind = replicas[1];
    }
  }
  REQUIRE_FALSE(name.empty());
  INFO("collection " << name << ": primary " << primary << ", ships to " << ahead << " then " << behind);
  const std::string points = "/collections/" + name + "/points?wait=true";
  Ok(*one, "PUT", points, {{"points", ClusterTestPoints(0, 200)}});

  // The lower-id replica is cut off from the primary (packets dropped); a write to the primary
  // reaches the other one, then waits on it; the primary dies before giving up on it, so both
  // stay in the in-sync set, the lower-id one without the batch.
  cl.network->Cut(cl.HostOf(behind), cl.HostOf(primary));
  std::thread write([&] {
    auto via = cl.Client(primary, std::chrono::seconds(10));
    (void)via->Request("PUT", points, json{{"points", ClusterTestPoints(200, 210)}}.dump());  // never acknowledged
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const std::string uid = Ok(*one, "GET", "/collections/" + name)["cluster"]["uid"];
  auto wal_sequence = [&](int node) {
    auto c = cl.Client(node);
    c->SetHeader("x-latentdb-shard", uid + "/0");
    return Ok(*c, "GET", "/collections/" + name + "/wal")["wal_sequence"].get<uint64_t>();
  };
  const uint64_t ahead_at = wal_sequence(ahead);
  REQUIRE(ahead_at > wal_sequence(behind));
  cl.nodes[primary]->Kill();
  write.join();
  // The cut stays until the failover: the dead primary's kernel would otherwise still deliver the
  // batch it was retransmitting (a socket's unsent data outlives its process).

  auto survivor = cl.Client(ahead);
  CHECK(Eventually([&] { return ShardsOf(*survivor, name)[0]["primary"].get<int>() != primary; }, 30));
  const json rec = ShardsOf(*survivor, name)[0];
  INFO(rec.dump());
  CHECK(rec["primary"] == ahead);
  CHECK(rec["epoch"] == 2);
  cl.network->HealAll();
  CHECK(Eventually([&] {
    const json r = ShardsOf(*survivor, name)[0];
    return std::find(r["in_sync"].begin(), r["in_sync"].end(), json(behind)) != r["in_sync"].end();
  }, 30));
  // The lagging copy's log was a prefix of the new primary's: it caught up from the WAL.
  CHECK(Counter(*survivor, "latentdb_replication_checkpoints_sent_total") == 0);
  CHECK(Ok(*survivor, "POST", "/collections/" + name + "/points/count", {{"exact", true}})["count"] == 210);
}
