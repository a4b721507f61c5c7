// The shard map: routing and placement as pure functions, and the fenced transitions of shard
// records against a real etcd (a stale view changes nothing).
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "cluster/membership.h"
#include "cluster/rebalance.h"
#include "cluster/shard_map.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::cluster;
using latentdb::testing::EtcdCluster;
using latentdb::testing::TempDir;

TEST_CASE("ShardOf is fixed and spreads ids evenly", "[cluster]") {
  // Fixed values: a change of the hash would move every stored point to another shard.
  CHECK(ShardOf("", 1) == 0);
  CHECK(ShardOf("anything", 1) == 0);
  const uint32_t a = ShardOf("point-1", 8);
  CHECK(a == ShardOf("point-1", 8));
  std::map<uint32_t, int> counts;
  const int n = 80000;
  for (int i = 0; i < n; ++i) {
    std::string id(8, '\0');
    for (int b = 0; b < 8; ++b) id[b] = static_cast<char>((static_cast<uint64_t>(i) >> (56 - 8 * b)) & 0xff);
    const uint32_t s = ShardOf(id, 8);
    REQUIRE(s < 8);
    ++counts[s];
  }
  REQUIRE(counts.size() == 8);
  for (const auto& [shard, count] : counts) {
    INFO("shard " << shard);
    CHECK(count > n / 8 * 0.95);  // sequential ids spread within 5 %
    CHECK(count < n / 8 * 1.05);
  }
}

TEST_CASE("PlaceShard puts copies on distinct nodes, evenly, and moves little when a node joins", "[cluster]") {
  auto placed = PlaceShard("c", 0, {3, 1, 2, 2}, 2);
  REQUIRE(placed.ok());
  REQUIRE(placed->size() == 2);
  CHECK((*placed)[0] != (*placed)[1]);
  CHECK(*PlaceShard("c", 0, {1, 2, 3}, 2) == *placed);  // order of the live list does not matter
  CHECK(PlaceShard("c", 0, {1, 2}, 3).status().code() == StatusCode::kInvalidArgument);
  CHECK(PlaceShard("c", 0, {1, 2}, 0).status().code() == StatusCode::kInvalidArgument);

  // 300 shards over 3 nodes: each node holds about a third of the primaries.
  std::map<uint64_t, int> primaries;
  int moved = 0;
  for (uint32_t s = 0; s < 300; ++s) {
    auto three = PlaceShard("c", s, {1, 2, 3}, 1);
    ++primaries[(*three)[0]];
    // A fourth node takes about a quarter of the shards; the rest stay where they were.
    auto four = PlaceShard("c", s, {1, 2, 3, 4}, 1);
    if ((*four)[0] != (*three)[0]) {
      CHECK((*four)[0] == 4);
      ++moved;
    }
  }
  for (const auto& [node, count] : primaries) CHECK((count > 70 && count < 130));
  CHECK(moved > 50);
  CHECK(moved < 100);
}

namespace {

struct Fixture {
  TempDir dir;
  EtcdCluster etcd{dir.path()};
  std::shared_ptr<EtcdClient> client;
  ShardMap map;
  Fixture() : client(latentdb::testing::ClientFor(etcd)), map(client, "/t") {}
};

ClusterCollection Collection(const std::string& name, uint32_t shards, uint32_t rf, uint32_t wcf = 1) {
  ClusterCollection c;
  c.name = name;
  c.config = {{"dim", 4}, {"metric", "cosine"}};
  c.shard_number = shards;
  c.replication_factor = rf;
  c.write_consistency_factor = wcf;
  return c;
}

}  // namespace

TEST_CASE("PlaceShards balances primaries and copies over the live nodes", "[cluster]") {
  for (uint32_t nodes = 1; nodes <= 5; ++nodes) {
    std::vector<uint64_t> live;
    for (uint64_t n = 1; n <= nodes; ++n) live.push_back(n * 7);
    for (uint32_t shards : {1u, 2u, 3u, 7u, 16u}) {
      for (uint32_t rf = 1; rf <= std::min(nodes, 3u); ++rf) {
        INFO(nodes << " nodes, " << shards << " shards, replication factor " << rf);
        auto placed = cluster::PlaceShards("c" + std::to_string(shards), shards, live, rf);
        REQUIRE(placed.ok());
        REQUIRE(placed->size() == shards);
        std::map<uint64_t, uint32_t> primaries, copies;
        for (const auto& copies_of_shard : *placed) {
          REQUIRE(copies_of_shard.size() == rf);
          CHECK(std::set<uint64_t>(copies_of_shard.begin(), copies_of_shard.end()).size() == rf);  // distinct nodes
          ++primaries[copies_of_shard.front()];
          for (uint64_t n : copies_of_shard) ++copies[n];
        }
        // Primaries differ by at most one between nodes (a node with none counts as 0).
        uint32_t most = 0, least = shards;
        for (uint64_t n : live) {
          most = std::max(most, primaries[n]);
          least = std::min(least, primaries[n]);
        }
        CHECK(most - least <= 1);
        uint32_t most_copies = 0, least_copies = shards * rf;
        for (uint64_t n : live) {
          most_copies = std::max(most_copies, copies[n]);
          least_copies = std::min(least_copies, copies[n]);
        }
        CHECK(most_copies - least_copies <= rf);
        // A fixed function of its inputs.
        CHECK(*cluster::PlaceShards("c" + std::to_string(shards), shards, live, rf) == *placed);
      }
    }
  }
  CHECK_FALSE(cluster::PlaceShards("c", 2, {1, 2}, 3).ok());
  CHECK_FALSE(cluster::PlaceShards("c", 2, {1, 2}, 0).ok());
}

TEST_CASE("Collections are created with their shard records in one transaction", "[cluster]") {
  Fixture f;
  REQUIRE(f.map.CreateCollection(Collection("c", 4, 2), {1, 2, 3}).ok());
  CHECK(f.map.CreateCollection(Collection("c", 1, 1), {1, 2, 3}).code() == StatusCode::kAlreadyExists);
  auto c = f.map.GetCollection("c");
  REQUIRE(c.ok());
  CHECK(c->shard_number == 4);
  CHECK(c->config["dim"] == 4);
  auto shards = f.map.Shards("c");
  REQUIRE(shards.ok());
  REQUIRE(shards->size() == 4);
  for (uint32_t s = 0; s < 4; ++s) {
    const ShardRecord& r = (*shards)[s];
    CHECK(r.shard == s);
    CHECK(r.epoch == 1);
    CHECK(r.replicas.size() == 2);
    CHECK(r.primary == r.replicas[0]);
    CHECK(r.in_sync == r.replicas);
    CHECK(r.mod_revision > 0);
  }
  // Refusals change nothing.
  CHECK(f.map.CreateCollection(Collection("d", 2, 4), {1, 2, 3}).code() == StatusCode::kInvalidArgument);
  CHECK(f.map.CreateCollection(Collection("d", 0, 1), {1, 2, 3}).code() == StatusCode::kInvalidArgument);
  CHECK(f.map.CreateCollection(Collection("d", 2, 2, 3), {1, 2, 3}).code() == StatusCode::kInvalidArgument);
  CHECK(f.map.CreateCollection(Collection("a/b", 2, 2), {1, 2, 3}).code() == StatusCode::kInvalidArgument);
  CHECK(f.map.GetCollection("d").status().code() == StatusCode::kNotFound);
  auto all = f.map.ListCollections();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);

  REQUIRE(f.map.DeleteCollection("c").ok());
  CHECK(f.map.DeleteCollection("c").code() == StatusCode::kNotFound);
  CHECK(f.map.Shards("c").status().code() == StatusCode::kNotFound);
  REQUIRE(f.map.CreateCollection(Collection("c", 1, 1), {1}).ok());  // the name is free again
}

TEST_CASE("A stale primary cannot drop a copy from the in-sync set", "[cluster]") {
  Fixture f;
  REQUIRE(f.map.CreateCollection(Collection("c", 1, 3), {1, 2, 3}).ok());
  const ShardRecord seen = (*f.map.Shards("c"))[0];
  const uint64_t primary = seen.primary;
  std::vector<uint64_t> others;
  for (uint64_t n : seen.replicas)
    if (n != primary) others.push_back(n);

  // The primary drops a silent copy under its epoch.
  auto dropped = f.map.RemoveFromInSync(seen, others[0], 1);
  REQUIRE(dropped.ok());
  CHECK_FALSE(dropped->InSync(others[0]));
  CHECK(dropped->epoch == 1);
  // The same change from the old view fails: someone else changed the record meanwhile.
  auto stale = f.map.RemoveFromInSync(seen, others[1], 1);
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().code() == StatusCode::kConflict);
  CHECK((*f.map.Shards("c"))[0].InSync(others[1]));

  // The primary never drops itself, nor below write_consistency_factor.
  CHECK(f.map.RemoveFromInSync(*dropped, primary, 1).status().code() == StatusCode::kConflict);
  CHECK(f.map.RemoveFromInSync(*dropped, others[1], 2).status().code() == StatusCode::kConflict);

  // The copy catches up and comes back.
  auto back = f.map.AddToInSync(*dropped, others[0]);
  REQUIRE(back.ok());
  CHECK(back->InSync(others[0]));
  CHECK(f.map.AddToInSync(*back, 99).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Promotion needs an in-sync candidate and a primary whose lease is gone, and fences the old epoch",
          "[cluster]") {
  Fixture f;
  REQUIRE(f.map.CreateCollection(Collection("c", 1, 3), {1, 2, 3}).ok());
  ShardRecord seen = (*f.map.Shards("c"))[0];
  const uint64_t old_primary = seen.primary;
  std::vector<uint64_t> others;
  for (uint64_t n : seen.replicas)
    if (n != old_primary) others.push_back(n);

  // The old primary is alive: its node key exists under a lease.
  auto lease = f.client->GrantLease(2);
  REQUIRE(lease.ok());
  const std::string node_key = Membership::NodesPrefix("/t") + std::to_string(old_primary);
  REQUIRE(f.client->Put(node_key, "{}", *lease).ok());
  CHECK(f.map.Promote(seen, others[0], 10).status().code() == StatusCode::kConflict);
  CHECK((*f.map.Shards("c"))[0].primary == old_primary);

  // Its lease expires: now a replica may take over.
  REQUIRE(f.client->RevokeLease(*lease).ok());
  auto promoted = f.map.Promote(seen, others[0], 10);
  REQUIRE(promoted.ok());
  CHECK(promoted->primary == others[0]);
  CHECK(promoted->epoch == 2);
  CHECK(promoted->epoch_start_seq == 10);
  CHECK_FALSE(promoted->InSync(old_primary));

  // The other replica, racing from the same view, loses.
  CHECK(f.map.Promote(seen, others[1], 12).status().code() == StatusCode::kConflict);
  // The old primary, resumed with its epoch-1 view, can neither drop a copy nor take over again.
  CHECK(f.map.RemoveFromInSync(seen, others[0], 1).status().code() == StatusCode::kConflict);
  CHECK(f.map.RemoveFromInSync(seen, others[1], 1).status().code() == StatusCode::kConflict);
  const ShardRecord now = (*f.map.Shards("c"))[0];
  CHECK(now.primary == others[0]);
  CHECK(now.epoch == 2);
  CHECK(now.InSync(others[1]));

  // A copy out of sync may not be promoted, even when the primary is gone.
  auto without = f.map.RemoveFromInSync(now, others[1], 1);
  REQUIRE(without.ok());
  CHECK(f.map.Promote(*without, others[1], 20).status().code() == StatusCode::kConflict);
}

TEST_CASE("A move places its target out of sync, and ends with the source gone, the primary's role handed over", "[cluster]") {
  Fixture f;
  REQUIRE(f.map.CreateCollection(Collection("c", 1, 2), {1, 2}).ok());
  const ShardRecord seen = (*f.map.Shards("c"))[0];
  const uint64_t primary = seen.primary, replica = seen.replicas[0] == primary ? seen.replicas[1] : seen.replicas[0];

  CHECK(f.map.StartTransfer(seen, 7, 3).status().code() == StatusCode::kInvalidArgument);        // no copy on 7
  CHECK(f.map.StartTransfer(seen, primary, replica).status().code() == StatusCode::kInvalidArgument);  // 2 has one
  auto moving = f.map.StartTransfer(seen, primary, 3);
  REQUIRE(moving.ok());
  CHECK(moving->Places(3));
  CHECK_FALSE(moving->InSync(3));
  REQUIRE(moving->transfers.size() == 1);
  CHECK(moving->transfers[0] == ShardTransfer{primary, 3});
  CHECK(f.map.StartTransfer(*moving, replica, 4).status().code() == StatusCode::kConflict);  // one at a time
  CHECK(f.map.StartTransfer(seen, replica, 4).status().code() == StatusCode::kConflict);     // stale view
  // The record as etcd holds it reads back the same (the transfers field round-trips).
  const ShardRecord stored = (*f.map.Shards("c"))[0];
  CHECK(stored.transfers == moving->transfers);
  CHECK(stored.replicas == moving->replicas);

  // Not before the target is in sync.
  CHECK(f.map.FinishTransfer(*moving, 3, 50).status().code() == StatusCode::kInvalidArgument);
  auto caught_up = f.map.AddToInSync(*moving, 3);
  REQUIRE(caught_up.ok());
  auto done = f.map.FinishTransfer(*caught_up, 3, 50);
  REQUIRE(done.ok());
  CHECK(done->primary == 3);
  CHECK(done->epoch == seen.epoch + 1);
  CHECK(done->epoch_start_seq == 50);
  CHECK_FALSE(done->Places(primary));
  CHECK_FALSE(done->InSync(primary));
  CHECK(done->transfers.empty());
  CHECK(done->replicas.size() == 2);

  // A move of a replica keeps the primary; an aborted move leaves the placement as it was.
  auto again = f.map.StartTransfer(*done, replica, 5);
  REQUIRE(again.ok());
  CHECK(f.map.AbortTransfer(*again, 6).status().code() == StatusCode::kInvalidArgument);
  auto aborted = f.map.AbortTransfer(*again, 5);
  REQUIRE(aborted.ok());
  CHECK(aborted->replicas == done->replicas);
  CHECK(aborted->transfers.empty());
  CHECK(aborted->primary == 3);
}

TEST_CASE("A handover moves only the primary's role, to an in-sync copy, and leaves the old primary placed", "[cluster]") {
  Fixture f;
  REQUIRE(f.map.CreateCollection(Collection("c", 1, 3), {1, 2, 3, 4}).ok());
  const ShardRecord seen = (*f.map.Shards("c"))[0];
  const uint64_t primary = seen.primary;
  const uint64_t replica = seen.in_sync[0] == primary ? seen.in_sync[1] : seen.in_sync[0];
  uint64_t outside = 1;
  while (seen.Places(outside)) ++outside;

  CHECK(f.map.StartHandover(seen, primary).status().code() == StatusCode::kInvalidArgument);  // the primary already
  CHECK(f.map.StartHandover(seen, outside).status().code() == StatusCode::kInvalidArgument);  // no copy there
  auto handing = f.map.StartHandover(seen, replica);
  REQUIRE(handing.ok());
  REQUIRE(handing->transfers.size() == 1);
  CHECK(handing->transfers[0] == ShardTransfer{primary, replica, true});
  CHECK(handing->replicas == seen.replicas);  // nothing placed
  CHECK((*f.map.Shards("c"))[0].transfers == handing->transfers);  // "handover" round-trips through etcd
  CHECK(f.map.StartHandover(*handing, replica).status().code() == StatusCode::kConflict);
  CHECK(f.map.StartTransfer(*handing, primary, outside).status().code() == StatusCode::kConflict);

  auto done = f.map.FinishTransfer(*handing, replica, 77);
  REQUIRE(done.ok());
  CHECK(done->primary == replica);
  CHECK(done->epoch == seen.epoch + 1);
  CHECK(done->epoch_start_seq == 77);
  CHECK(done->Places(primary));        // still placed: demoted, caught up by the new primary
  CHECK_FALSE(done->InSync(primary));  // until then out of the in-sync set
  CHECK(done->replicas == seen.replicas);
  CHECK(done->transfers.empty());

  // Abandoned: the record only ends, every copy stays. A handover to a copy that became primary
  // another way (a failover) can be ended too.
  REQUIRE(done->in_sync.size() == 2);
  const uint64_t third = done->in_sync[0] == replica ? done->in_sync[1] : done->in_sync[0];
  auto again = f.map.StartHandover(*done, third);
  REQUIRE(again.ok());
  auto aborted = f.map.AbortTransfer(*again, third);
  REQUIRE(aborted.ok());
  CHECK(aborted->replicas == done->replicas);
  CHECK(aborted->in_sync == done->in_sync);
  CHECK(aborted->primary == replica);
  CHECK(aborted->transfers.empty());
}

TEST_CASE("PlanRebalance hands primaries over to in-sync replicas when a failover piled them on one node", "[cluster]") {
  auto record = [](uint32_t s, uint64_t primary, std::vector<uint64_t> replicas) {
    ShardRecord r;
    r.collection = "c";
    r.shard = s;
    r.primary = primary;
    r.replicas = replicas;
    r.in_sync = replicas;
    return r;
  };
  // 4 shards × 2 copies on nodes 1 and 2, every primary on node 1 (node 2 came back).
  std::vector<ShardRecord> shards = {record(0, 1, {1, 2}), record(1, 1, {2, 1}), record(2, 1, {1, 2}), record(3, 1, {2, 1})};
  auto plan = PlanRebalance(shards, {1, 2});
  REQUIRE(plan.size() == 2);
  for (const auto& m : plan) {
    CHECK(m.handover);
    CHECK(m.from == 1);
    CHECK(m.to == 2);
  }
  CHECK(plan[0].shard == 0);
  CHECK(plan[1].shard == 1);
  // Only to in-sync copies on live nodes: node 2 behind on every shard, or gone, takes none.
  auto behind = shards;
  for (auto& s : behind) s.in_sync = {1};
  CHECK(PlanRebalance(behind, {1, 2}).empty());
  CHECK(PlanRebalance(shards, {1}).empty());
  // 3 nodes, 6 shards, primaries 4 / 1 / 1: one handover to the node with the fewest that can take it.
  std::vector<ShardRecord> three = {record(0, 1, {1, 2}), record(1, 1, {1, 3}), record(2, 1, {1, 2}),
                                    record(3, 1, {1, 3}), record(4, 2, {2, 3}), record(5, 3, {3, 2})};
  auto spread = PlanRebalance(three, {1, 2, 3});
  std::map<uint64_t, int> primaries{{1, 4}, {2, 1}, {3, 1}};
  for (const auto& m : spread) {
    CHECK(m.handover);
    --primaries[m.from];
    ++primaries[m.to];
  }
  CHECK(primaries == std::map<uint64_t, int>{{1, 2}, {2, 2}, {3, 2}});
  // Copies move first; a shard planned to move is not handed over in the same plan.
  std::vector<ShardRecord> with_new = {record(0, 1, {1, 2}), record(1, 1, {1, 2}), record(2, 1, {1, 2}), record(3, 1, {1, 2})};
  auto both = PlanRebalance(with_new, {1, 2, 3});
  std::set<uint32_t> moved;
  for (const auto& m : both) {
    if (!m.handover) moved.insert(m.shard);
    else CHECK_FALSE(moved.count(m.shard));
  }
  CHECK(moved.size() == 2);
}

TEST_CASE("PlanRebalance evens out copies per live node, replicas first, and leaves balanced placements alone", "[cluster]") {
  auto record = [](const std::string& c, uint32_t s, uint64_t primary, std::vector<uint64_t> replicas) {
    ShardRecord r;
    r.collection = c;
    r.shard = s;
    r.primary = primary;
    r.replicas = replicas;
    r.in_sync = replicas;
    return r;
  };
  // 4 shards × 2 copies on nodes 1–3 (3, 3, 2), node 4 new.
  std::vector<ShardRecord> shards = {record("c", 0, 1, {1, 2}), record("c", 1, 2, {2, 3}), record("c", 2, 3, {3, 1}),
                                     record("c", 3, 1, {1, 2})};
  auto moves = PlanRebalance(shards, {1, 2, 3, 4});
  REQUIRE(moves.size() == 2);
  std::map<uint64_t, int> load{{1, 3}, {2, 3}, {3, 2}, {4, 0}};
  for (const auto& m : moves) {
    CHECK(m.to == 4);
    const auto& rec = shards[m.shard];
    CHECK(rec.Places(m.from));
    CHECK(rec.primary != m.from);  // a replica could move each time
    --load[m.from];
    ++load[m.to];
  }
  CHECK(moves[0].shard != moves[1].shard);
  for (const auto& [node, n] : load) CHECK(n == 2);
  // Balanced: nothing to do. A node that is not live neither gives nor takes.
  CHECK(PlanRebalance(shards, {1, 2, 3}).empty());
  CHECK(PlanRebalance(shards, {1}).empty());
  // A shard already moving is left alone.
  for (auto& s : shards) s.transfers.push_back({s.replicas[0], 9});
  CHECK(PlanRebalance(shards, {1, 2, 3, 4}).empty());
}
