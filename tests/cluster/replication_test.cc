// Replicated collections (replication_factor 2) on real `latentdb serve --cluster` processes and a
// real etcd (http/cluster/shard_replication.h): every copy of a shard holds the same points as its
// primary; reads from any copy answer as the primary; a replica that dies leaves the in-sync set
// and catches up when it returns; a primary killed with -9 or paused past its lease under write
// load is replaced by its in-sync replica, every acknowledged write survives exactly once, a
// replaced primary's writes are refused, and its copy follows the new primary when it returns.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "client/http_client.h"
#include "tests/cluster/cluster_harness.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::testing;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kDim = kClusterTestDim;
json Vector(int id) { return ClusterTestVector(id); }
json Points(int begin, int end) { return ClusterTestPoints(begin, end); }

// The ids, payloads and scores of a list of scored points (scores to 5 decimals: a copy's index
// was built by other inserts than its primary's, which may differ in the last bits).
std::vector<std::string> RankedWithPayloads(const json& points) {
  std::vector<std::string> out;
  for (const auto& p : points) {
    out.push_back(p["id"].dump() + " " + p["payload"].dump() + " " + std::to_string(std::lround(p["score"].get<double>() * 1e5)));
  }
  return out;
}

}  // namespace

TEST_CASE("Every copy of a replicated shard holds its primary's points, and any copy answers reads", "[cluster][replication]") {
  Cluster cl(3);
  auto one = cl.Client(1), two = cl.Client(2), three = cl.Client(3);
  json created = Ok(*one, "PUT", "/collections/c",
                    {{"dim", kDim}, {"metric", "cosine"}, {"index", "HNSW16"}, {"shard_number", 3}, {"replication_factor", 2}});
  for (const auto& s : created["cluster"]["shards"]) {
    CHECK(s["replicas"].size() == 2);
    CHECK(s["replicas"][0] != s["replicas"][1]);
    CHECK(s["in_sync"].size() == 2);
  }
  // Writes of every kind through other nodes than the one that created it.
  Ok(*two, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 600)}});
  Ok(*three, "PUT", "/collections/c/index", {{"field_name", "group"}, {"field_schema", "integer"}});
  Ok(*two, "PUT", "/collections/c/points?wait=true", {{"points", Points(550, 650)}});
  Ok(*three, "POST", "/collections/c/points/delete?wait=true", {{"points", {1, 2, 3, 600}}});
  Ok(*one, "POST", "/collections/c/points/delete?wait=true",
     {{"filter", {{"must", {{{"key", "tag"}, {"match", {{"value", "t2"}}}}}}}}});
  Ok(*two, "POST", "/collections/c/points/payload?wait=true",
     {{"payload", {{"moved", true}}}, {"filter", {{"must", {{{"key", "group"}, {"match", {{"value", 4}}}}}}}}});
  CopiesAgree(cl, *one);
  const json count = Ok(*one, "POST", "/collections/c/points/count", {{"exact", true}})["count"];
  CHECK(count == 650 - 219);  // ids 0…649 without 1, 3, 600 and the 216 with tag t2 (i % 3 == 2)

  // Reads spread over the copies answer as the primaries do, through every node.
  for (int q = 0; q < 8; ++q) {
    json body = {{"vector", Vector(10000 + q)}, {"limit", 10}, {"with_payload", true}};
    if (q % 2) body["filter"] = {{"must", {{{"key", "group"}, {"range", {{"gte", 1}, {"lte", 3}}}}}}};
    json primary = Ok(*one, "POST", "/collections/c/points/search?consistency=primary", body);
    for (auto* via : {one.get(), two.get(), three.get()}) {
      for (int repeat = 0; repeat < 3; ++repeat) CHECK(RankedWithPayloads(Ok(*via, "POST", "/collections/c/points/search", body)) == RankedWithPayloads(primary));
    }
  }
  for (auto* via : {two.get(), three.get()}) CHECK(Ok(*via, "POST", "/collections/c/points/count", {{"exact", true}})["count"] == count);

  // A replica copy takes no write of its own, even sent to it directly.
  json shard0 = ShardsOf(*one, "c")[0];
  const int replica = shard0["replicas"][0] == shard0["primary"] ? shard0["replicas"][1].get<int>() : shard0["replicas"][0].get<int>();
  auto direct = cl.Client(replica);
  direct->SetHeader("x-latentdb-shard", created["cluster"]["uid"].get<std::string>() + "/0");
  Fails(*direct, 503, "PUT", "/collections/c/points", {{"points", Points(5000, 5001)}}, "replica");
  CopiesAgree(cl, *one);

  // Dropped, every copy goes.
  CHECK(Ok(*three, "DELETE", "/collections/c") == true);
  for (int n = 1; n <= 3; ++n) {
    for (const auto& e : std::filesystem::directory_iterator(cl.dir.Sub("n" + std::to_string(n)) + "/shards")) {
      CHECK(e.path().filename().string().rfind("c.", 0) != 0);
    }
  }
}

TEST_CASE("A replica that dies leaves the in-sync set, writes go on, and it catches up when it returns", "[cluster][replication]") {
  Cluster cl(3);
  auto one = cl.Client(1);
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 1}, {"replication_factor", 3},
                                     {"write_consistency_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 200)}});
  json shard = ShardsOf(*one, "c")[0];
  const int primary = shard["primary"];
  std::vector<int> replicas;
  for (const auto& n : shard["replicas"]) {
    if (n != primary) replicas.push_back(n);
  }
  auto via = cl.Client(primary);

  cl.nodes[replicas[0]]->Kill();
  // The next write leaves it out of the in-sync set (an etcd transaction) and is acknowledged.
  Ok(*via, "PUT", "/collections/c/points?wait=true", {{"points", Points(200, 300)}});
  CHECK(ShardsOf(*via, "c")[0]["in_sync"].size() == 2);
  // With the second replica gone too, a write would leave one in-sync copy, fewer than the
  // write_consistency_factor of 2: refused, and the copy stays in the set.
  cl.nodes[replicas[1]]->Kill();
  Fails(*via, 503, "PUT", "/collections/c/points?wait=true", {{"points", Points(300, 310)}}, "write_consistency_factor");
  CHECK(ShardsOf(*via, "c")[0]["in_sync"].size() == 2);

  // Back, both catch up from the primary's WAL (the write refused above included) and rejoin.
  cl.Start(replicas[0]);
  cl.Start(replicas[1]);
  CHECK(Eventually([&] { return AllInSync(*via); }, 20));
  Ok(*via, "PUT", "/collections/c/points?wait=true", {{"points", Points(310, 320)}});
  CopiesAgree(cl, *via);
  CHECK(Ok(*via, "POST", "/collections/c/points/count", {{"exact", true}})["count"] == 320);
}

// LATENTDB_FAULT_ROUNDS (default 1; `make cluster-test` runs more) kills the current primary of
// shard 0 that many times in a row, each time under fresh writers, and brings it back.
TEST_CASE("A primary killed under write load is replaced by its in-sync replica, and no acknowledged write is lost", "[cluster][replication]") {
  const char* env = std::getenv("LATENTDB_FAULT_ROUNDS");
  const int rounds = env ? std::max(1, std::atoi(env)) : 1;
  Cluster cl(3);
  auto one = cl.Client(1);
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "HNSW16"}, {"shard_number", 2}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 500)}});
  std::set<int> acked_before, attempted_before;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    const int victim = ShardsOf(*cl.Client(1), "c")[0]["primary"];  // node 1 may have restarted: a new client
    std::vector<int> others;
    for (int n = 1; n <= 3; ++n) {
      if (n != victim) others.push_back(n);
    }
    Writers writers;
    writers.Start(cl, others, 1000 + round * 10000000);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const auto killed_at = Clock::now();
    cl.nodes[victim]->Kill();
    // Failover: the replica takes over once the victim's 2 s lease has expired.
    auto survivor = cl.Client(others[0]);
    CHECK(Eventually([&] {
      auto r = survivor->Request("GET", "/collections/c");
      return r.ok() && r->status == 200 && json::parse(r->body)["result"]["cluster"]["shards"][0]["primary"] != victim;
    }, 20));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    writers.Stop();
    double failover = -1;
    // From the kill to the first acknowledged write sent after it (a batch spans both shards).
    for (const auto& b : writers.batches) {
      if (b.status == 200 && b.sent > killed_at && (failover < 0 || b.answered - killed_at < std::chrono::duration<double>(failover))) {
        failover = std::chrono::duration<double>(b.answered - killed_at).count();
      }
    }
    acked_before.insert(writers.acked.begin(), writers.acked.end());
    attempted_before.insert(writers.attempted.begin(), writers.attempted.end());
    INFO("acknowledged " << writers.acked.size() << " of " << writers.attempted.size() << " ids; failover " << failover << " s");
    WARN("round " << round << ": node " << victim << " killed; " << writers.acked.size() << " of "
                  << writers.attempted.size() << " points acknowledged; failover " << failover << " s");
    CHECK(failover > 0);
    CHECK(failover < 15);

    // Every acknowledged write is there, each once; nothing that was never sent.
    std::set<int> stored = StoredIds(*survivor);
    EveryAcknowledgedWriteOnce(stored, acked_before, attempted_before, 500);

    // The old primary comes back as a replica of its shard and follows the new primary.
    cl.Start(victim);
    CHECK(Eventually([&] { return AllInSync(*survivor); }, 30));
    CopiesAgree(cl, *survivor);
    CHECK(StoredIds(*survivor) == stored);
  }
}

TEST_CASE("A copy further behind than its primary's kept WAL is replaced by a checkpoint, then tailed", "[cluster][replication]") {
  // No WAL kept once flushed, and 1 MiB memtables (4 MiB of live WAL at most): the writes made
  // while a replica is away leave its primary's WAL before it returns.
  Cluster cl(3, {"--wal-retention", "0", "--memtable-mb", "1"});
  auto one = cl.Client(1);
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 1}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/index", {{"field_name", "group"}, {"field_schema", "integer"}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 500)}});
  json shard = ShardsOf(*one, "c")[0];
  const int primary = shard["primary"];
  const int away = shard["replicas"][0] == primary ? shard["replicas"][1].get<int>() : shard["replicas"][0].get<int>();
  auto writer = cl.Client(primary);
  cl.nodes[away]->Kill();
  // Batches small enough for a replica to apply within the replication timeout under TSan.
  for (int b = 500; b < 40500; b += 500) Ok(*writer, "PUT", "/collections/c/points?wait=true", {{"points", Points(b, b + 500)}});
  Ok(*writer, "POST", "/collections/c/points/delete?wait=true", {{"points", {0, 1, 2, 40000}}});
  CHECK(Counter(*writer, "latentdb_replication_checkpoints_sent_total") == 0);

  cl.Start(away);
  CHECK(Eventually([&] { return AllInSync(*writer); }, 60));
  CHECK(Counter(*writer, "latentdb_replication_checkpoints_sent_total") >= 1);
  CHECK(Counter(*writer, "latentdb_replication_checkpoint_bytes_sent_total") > 0);
  // Writes after the checkpoint reach it by the WAL again.
  Ok(*writer, "PUT", "/collections/c/points?wait=true", {{"points", Points(50000, 50010)}});
  CopiesAgree(cl, *writer);
  CHECK(Ok(*writer, "POST", "/collections/c/points/count", {{"exact", true}})["count"] == 40500 - 4 + 10);
  // The installed copy answers filtered searches (its payload index came with the checkpoint) as
  // its primary does.
  const std::string uid = Ok(*writer, "GET", "/collections/c")["cluster"]["uid"];
  auto direct = cl.Client(away);
  direct->SetHeader("x-latentdb-shard", uid + "/0");
  json body = {{"vector", Vector(7)}, {"limit", 5}, {"filter", {{"must", {{{"key", "group"}, {"match", {{"value", 2}}}}}}}}};
  CHECK(RankedWithPayloads(Ok(*direct, "POST", "/collections/c/points/search", body)) ==
        RankedWithPayloads(Ok(*writer, "POST", "/collections/c/points/search?consistency=primary", body)));
}

TEST_CASE("A primary paused past its lease is fenced: its writes are refused, and its copy follows the new primary", "[cluster][replication]") {
  Cluster cl(3);
  auto one = cl.Client(1);
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 1}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 100)}});
  json shard = ShardsOf(*one, "c")[0];
  const int paused = shard["primary"];
  const int other = shard["replicas"][0] == paused ? shard["replicas"][1].get<int>() : shard["replicas"][0].get<int>();
  auto witness = cl.Client(other);
  const auto epoch = shard["epoch"].get<int>();

  kill(cl.nodes[paused]->pid(), SIGSTOP);
  CHECK(Eventually([&] {
    auto r = witness->Request("GET", "/collections/c");
    return r.ok() && r->status == 200 && json::parse(r->body)["result"]["cluster"]["shards"][0]["epoch"] == epoch + 1;
  }, 20));
  Ok(*witness, "PUT", "/collections/c/points?wait=true", {{"points", Points(100, 150)}});
  kill(cl.nodes[paused]->pid(), SIGCONT);

  // Its own copy, addressed directly at once: no write is acknowledged by the old primary.
  auto direct = cl.Client(paused);
  direct->SetHeader("x-latentdb-shard", Ok(*witness, "GET", "/collections/c")["cluster"]["uid"].get<std::string>() + "/0");
  auto r = direct->Request("PUT", "/collections/c/points?wait=true", json{{"points", Points(900, 910)}}.dump());
  REQUIRE(r.ok());
  CHECK(r->status != 200);

  // It rejoins as the new primary's replica; the refused points are nowhere.
  CHECK(Eventually([&] { return AllInSync(*witness); }, 30));
  CopiesAgree(cl, *witness);
  std::set<int> stored = StoredIds(*witness);
  CHECK(stored.size() == 150);
  CHECK(stored.count(900) == 0);
}

namespace {

// The copies of collection `c` on the nodes' disks: (node, shard) pairs.
std::set<std::pair<int, int>> CopiesOnDisk(Cluster& cl, const std::string& uid) {
  std::set<std::pair<int, int>> out;
  for (const auto& [n, node] : cl.nodes) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(cl.dir.Sub("n" + std::to_string(n)) + "/shards/c." + uid, ec)) {
      const std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") == std::string::npos) out.insert({n, std::stoi(name)});
    }
  }
  return out;
}

// Whether no move is under way and every copy is in sync, as `c` reads them (false when it cannot tell).
bool Settled(client::HttpClient& c) {
  auto r = c.Request("GET", "/collections/c/cluster");
  if (!r.ok() || r->status != 200) return false;
  return json::parse(r->body)["result"]["shard_transfers"].empty() && AllInSync(c);
}

}  // namespace

TEST_CASE("Rebalance hands primaries back to a node that failed and returned, under writes, losing nothing", "[cluster][replication]") {
  Cluster cl(2);
  auto one = cl.Client(1);
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 4}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 2000)}});
  const std::string uid = Ok(*one, "GET", "/collections/c")["cluster"]["uid"];
  auto primaries = [&] {
    std::map<int, int> out;
    for (const auto& s : ShardsOf(*one, "c")) ++out[s["primary"].get<int>()];
    return out;
  };
  REQUIRE(primaries() == std::map<int, int>{{1, 2}, {2, 2}});
  // Node 2 dies: its shards fail over to node 1, which keeps every primary once node 2 is back.
  cl.nodes[2]->Kill();
  CHECK(Eventually([&] { return primaries() == std::map<int, int>{{1, 4}}; }, 30));
  cl.Start(2);
  CHECK(Eventually([&] { return AllInSync(*one); }, 60));
  std::map<int, int> epochs;
  for (const auto& s : ShardsOf(*one, "c")) epochs[s["shard"].get<int>()] = s["epoch"].get<int>();

  Writers writers;
  writers.Start(cl, {1, 2}, 100000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const json plan = Ok(*one, "POST", "/cluster/rebalance", json::object());
  INFO(plan.dump());
  REQUIRE(plan["shard_transfers"].size() == 2);
  for (const auto& t : plan["shard_transfers"]) {
    CHECK(t["handover"] == true);
    CHECK(t["from"] == 1);
    CHECK(t["to"] == 2);
  }
  CHECK(Eventually([&] { return Settled(*one); }, 60));
  CHECK(primaries() == std::map<int, int>{{1, 2}, {2, 2}});
  for (const auto& t : plan["shard_transfers"]) {
    const int shard = t["shard_id"];
    CHECK(ShardsOf(*one, "c")[shard]["epoch"].get<int>() == epochs[shard] + 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // writes to the new primaries
  writers.Stop();
  WARN("handovers under load: " << writers.acked.size() << " of " << writers.attempted.size() << " points acknowledged");
  CHECK(writers.acked.size() > 200);
  CHECK(Ok(*one, "POST", "/cluster/rebalance", json::object())["shard_transfers"].empty());

  // No copy moved; every acknowledged write is there once; the copies agree.
  CHECK(CopiesOnDisk(cl, uid).size() == 8);
  EveryAcknowledgedWriteOnce(StoredIds(*one), writers.acked, writers.attempted, 2000);
  CHECK(Eventually([&] { return AllInSync(*one); }, 30));
  CopiesAgree(cl, *one);
}

TEST_CASE("Shard copies move to a node that joins (rebalance, move_shard) under writes, losing and duplicating nothing", "[cluster][replication]") {
  Cluster cl(3);
  auto one = cl.Client(1);
  // 4 shards × 2 copies on 3 nodes: 3, 3 and 2 copies.
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 4}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 2000)}});
  const std::string uid = Ok(*one, "GET", "/collections/c")["cluster"]["uid"];
  cl.Start(4);
  CHECK(Eventually([&] { return Ok(*one, "GET", "/cluster")["peers"].contains("4"); }, 20));

  Writers writers;
  writers.Start(cl, {1, 2}, 100000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const json plan = Ok(*one, "POST", "/cluster/rebalance", json::object());
  INFO(plan.dump());
  REQUIRE(plan["shard_transfers"].size() == 2);  // to 2 copies on every node
  for (const auto& t : plan["shard_transfers"]) CHECK(t["to"] == 4);
  CHECK(Eventually([&] { return Settled(*one); }, 60));
  std::map<int, int> copies_per_node;
  for (const auto& s : ShardsOf(*one, "c")) {
    for (const auto& n : s["replicas"]) ++copies_per_node[n.get<int>()];
  }
  CHECK(copies_per_node == std::map<int, int>{{1, 2}, {2, 2}, {3, 2}, {4, 2}});
  // Once its copies are in sync, the new node can take primaries too: a second call hands roles
  // over until no node has two more than another, and a third has nothing left to do.
  const json handovers = Ok(*one, "POST", "/cluster/rebalance", json::object());
  INFO(handovers.dump());
  for (const auto& t : handovers["shard_transfers"]) CHECK(t["handover"] == true);
  CHECK(Eventually([&] { return Settled(*one); }, 60));
  for (const auto& t : handovers["shard_transfers"]) CHECK(ShardsOf(*one, "c")[t["shard_id"].get<int>()]["primary"] == t["to"]);
  CHECK(Ok(*one, "POST", "/cluster/rebalance", json::object())["shard_transfers"].empty());

  // Qdrant's move_shard, of a primary: its role goes with it (a new epoch).
  json shard0 = ShardsOf(*one, "c")[0];
  const int from = shard0["primary"];
  int to = 1;
  while (std::find(shard0["replicas"].begin(), shard0["replicas"].end(), json(to)) != shard0["replicas"].end()) ++to;
  Fails(*one, 400, "POST", "/collections/c/cluster",
        {{"move_shard", {{"shard_id", 0}, {"from_peer_id", from}, {"to_peer_id", 9}}}}, "not a live member");
  Ok(*one, "POST", "/collections/c/cluster", {{"move_shard", {{"shard_id", 0}, {"from_peer_id", from}, {"to_peer_id", to}}}});
  CHECK(Eventually([&] { return Settled(*one); }, 60));
  shard0 = ShardsOf(*one, "c")[0];
  CHECK(shard0["primary"] == to);
  CHECK(shard0["epoch"].get<int>() >= 2);
  writers.Stop();
  WARN("moves under load: " << writers.acked.size() << " of " << writers.attempted.size() << " points acknowledged");
  CHECK(writers.acked.size() > 500);  // 5,000 in a Release build; TSan's servers are slower

  // Every acknowledged write is there once; nothing that was never sent; the copies agree, and
  // the copies that moved away are gone from their old nodes' disks.
  std::set<int> stored = StoredIds(*one);
  EveryAcknowledgedWriteOnce(stored, writers.acked, writers.attempted, 2000);
  CopiesAgree(cl, *one);
  CHECK(Eventually([&] { return CopiesOnDisk(cl, uid).size() == 8; }, 20));
  // Lag per copy, from the primaries.
  const json info = Ok(*one, "GET", "/collections/c/cluster");
  for (const auto& copy : info["remote_shards"]) CHECK(copy.contains("lag"));
  // And in GET /cluster: every shard's copies, with their lag behind the primary (0 once settled).
  for (const auto& s : Ok(*one, "GET", "/cluster")["collections"]["c"]["shards"]) {
    INFO(s.dump());
    CHECK(s["lag"].size() == s["replicas"].size());
    CHECK(s["wal_sequence"].size() == s["replicas"].size());
  }

  // A single-copy collection moves too: its only copy catches the target up and hands over.
  Ok(*one, "PUT", "/collections/single", {{"dim", kDim}, {"index", "Flat"}});
  Ok(*one, "PUT", "/collections/single/points?wait=true", {{"points", Points(0, 300)}});
  const int at = Ok(*one, "GET", "/collections/single")["cluster"]["shards"][0]["primary"];
  const int dest = at == 4 ? 1 : 4;
  Ok(*one, "POST", "/collections/single/cluster",
     {{"move_shard", {{"shard_id", 0}, {"from_peer_id", at}, {"to_peer_id", dest}}}});
  CHECK(Eventually([&] {
    auto r = one->Request("GET", "/collections/single");
    if (!r.ok() || r->status != 200) return false;
    const json s = json::parse(r->body)["result"]["cluster"]["shards"][0];
    return s["primary"] == dest && s["replicas"].size() == 1;
  }, 30));
  // Writes refused while the shard maps catch up (503) are retried, as a client would.
  CHECK(Eventually([&] {
    auto r = one->Request("PUT", "/collections/single/points?wait=true", json{{"points", Points(300, 310)}}.dump());
    return r.ok() && r->status == 200;
  }, 10));
  CHECK(Ok(*one, "POST", "/collections/single/points/count", {{"exact", true}})["count"] == 310);
}

TEST_CASE("Under write load: a lagging replica, the loss of an etcd member, and a crash of every node lose no acknowledged write", "[cluster][replication]") {
  Cluster cl(3, {}, /*etcd_members=*/3);
  auto one = cl.Client(1);
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 2}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 500)}});
  Writers writers;
  writers.Start(cl, {1, 2, 3}, 100000);
  auto progresses = [&](int seconds) {
    const size_t before = writers.AckedCount();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    return writers.AckedCount() > before;
  };
  REQUIRE(progresses(2));

  // A lagging replica (the node that is no shard's primary): paused past its lease and the
  // replication timeout, then resumed. Writes go on without it, and it catches up.
  std::set<int> replica_only = {1, 2, 3};
  for (const auto& s : ShardsOf(*one, "c")) replica_only.erase(s["primary"].get<int>());
  REQUIRE(replica_only.size() == 1);
  const int lagging = *replica_only.begin();
  kill(cl.nodes[lagging]->pid(), SIGSTOP);
  CHECK(progresses(6));
  kill(cl.nodes[lagging]->pid(), SIGCONT);
  CHECK(Eventually([&] { return AllInSync(*one); }, 30));

  // One etcd member of three lost: a quorum remains, and writes go on.
  cl.etcd->Kill(0);
  CHECK(progresses(5));
  cl.etcd->Restart(0);
  CHECK(progresses(2));

  // Every node killed at once, then started again: the acknowledged writes are all there.
  for (auto& [n, node] : cl.nodes) node->Kill();
  writers.Stop();
  for (int n = 1; n <= 3; ++n) cl.Start(n);
  one = cl.Client(1);
  CHECK(Eventually([&] { return AllInSync(*one); }, 30));
  INFO(writers.acked.size() << " of " << writers.attempted.size() << " points acknowledged");
  WARN("faults under load: " << writers.acked.size() << " of " << writers.attempted.size() << " points acknowledged");
  std::set<int> stored = StoredIds(*one);
  EveryAcknowledgedWriteOnce(stored, writers.acked, writers.attempted, 500);
  CopiesAgree(cl, *one);
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(900000, 900010)}});
  CopiesAgree(cl, *one);
}

TEST_CASE("With every etcd member gone no write is acknowledged once the leases have lapsed, and the cluster takes writes again when etcd returns", "[cluster][replication]") {
  Cluster cl(3, {}, /*etcd_members=*/3);
  auto one = cl.Client(1);
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 2}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 500)}});
  const std::string uid = Ok(*one, "GET", "/collections/c")["cluster"]["uid"];

  for (int m = 0; m < 3; ++m) cl.etcd->Kill(m);
  std::this_thread::sleep_for(std::chrono::seconds(6));  // past the 2 s leases and the etcd client's timeouts
  // Through every node as a router, and to every copy of shard 0 directly: refused at once.
  std::set<int> refused;
  int next = 600;
  for (int n = 1; n <= 3; ++n) {
    for (bool direct : {false, true}) {
      auto c = cl.Client(n, std::chrono::seconds(10));
      if (direct) c->SetHeader("x-latentdb-shard", uid + "/0");
      const auto sent = Clock::now();
      auto r = c->Request("PUT", "/collections/c/points?wait=true", json{{"points", Points(next, next + 10)}}.dump());
      REQUIRE(r.ok());
      INFO("node " << n << (direct ? " (its copy of shard 0)" : " (routing)") << ": " << r->body);
      CHECK(r->status == 503);
      CHECK(r->body.find("lost its etcd lease") != std::string::npos);
      CHECK(Clock::now() - sent < std::chrono::seconds(1));
      for (int i = next; i < next + 10; ++i) refused.insert(i);
      next += 10;
    }
  }

  for (int m = 0; m < 3; ++m) cl.etcd->Restart(m, /*wait=*/false);
  for (int m = 0; m < 3; ++m) cl.etcd->WaitHealthy(m);
  CHECK(Eventually([&] {
    auto r = one->Request("PUT", "/collections/c/points?wait=true", json{{"points", Points(1000, 1010)}}.dump());
    return r.ok() && r->status == 200;
  }, 30));
  CHECK(Eventually([&] { return AllInSync(*one); }, 30));
  std::set<int> stored = StoredIds(*one);
  CHECK(stored.size() == 510);
  for (int id : refused) CHECK(stored.count(id) == 0);
  CopiesAgree(cl, *one);
}

TEST_CASE("A move whose target node dies is abandoned after a few leases, and the target's partial copy goes when it returns", "[cluster][replication]") {
  Cluster cl(3);
  auto one = cl.Client(1);
  Ok(*one, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 1}, {"replication_factor", 2}});
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(0, 500)}});
  const std::string uid = Ok(*one, "GET", "/collections/c")["cluster"]["uid"];
  cl.Start(4);
  CHECK(Eventually([&] { return Ok(*one, "GET", "/cluster")["peers"].contains("4"); }, 20));
  json shard = ShardsOf(*one, "c")[0];
  const int primary = shard["primary"];
  const int from = shard["replicas"][0] == primary ? shard["replicas"][1].get<int>() : shard["replicas"][0].get<int>();

  // The target stops answering just as the move begins (its lease still holds: the move is taken).
  kill(cl.nodes[4]->pid(), SIGSTOP);
  Ok(*one, "POST", "/collections/c/cluster", {{"move_shard", {{"shard_id", 0}, {"from_peer_id", from}, {"to_peer_id", 4}}}});
  CHECK(Ok(*one, "GET", "/collections/c/cluster")["shard_transfers"].size() == 1);
  // Abandoned after five 2 s leases: the placement is as before, and writes go on.
  CHECK(Eventually([&] {
    auto r = one->Request("GET", "/collections/c/cluster");
    return r.ok() && r->status == 200 && json::parse(r->body)["result"]["shard_transfers"].empty();
  }, 40));
  shard = ShardsOf(*one, "c")[0];
  CHECK(shard["replicas"].size() == 2);
  CHECK(std::find(shard["replicas"].begin(), shard["replicas"].end(), json(4)) == shard["replicas"].end());
  Ok(*one, "PUT", "/collections/c/points?wait=true", {{"points", Points(500, 510)}});

  // Back, the target holds no copy of the shard (whatever it had received is removed).
  kill(cl.nodes[4]->pid(), SIGCONT);
  CHECK(Eventually([&] {
    std::error_code ec;
    return !std::filesystem::exists(cl.dir.Sub("n4") + "/shards/c." + uid + "/0", ec);
  }, 30));
  CHECK(Eventually([&] { return AllInSync(*one); }, 20));
  CopiesAgree(cl, *one);
  CHECK(Ok(*one, "POST", "/collections/c/points/count", {{"exact", true}})["count"] == 510);
}
