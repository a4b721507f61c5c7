// Replica databases (engine/database.h, "replication"): a replica that applies its primary's WAL
// batches holds, in memory as on disk, what the primary holds — collections created, dropped and
// created again, points upserted, overwritten and deleted, payloads rewritten, payload indexes
// built, changed and dropped, attachments — and answers searches, filters, counts and scrolls
// as the primary does, at every step, also when the primary's index saves trim the changelog
// between two shipments. It takes no write of its own; promoted, it takes writes.
#include <catch2/catch.hpp>

#include <random>

#include "engine/collection.h"
#include "engine/filter.h"
#include "storage/store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using namespace latentdb;
using engine::ExternalId;
using nlohmann::json;
using latentdb::testing::RandomPoints;
using latentdb::testing::TempDir;

namespace {

std::unique_ptr<engine::Database> Open(const std::string& dir, bool replica) {
  engine::DatabaseOptions o;
  o.data_dir = dir;
  o.persist_interval_seconds = 0;
  o.replica = replica;
  o.wal_retention_seconds = 3600;
  auto db = engine::Database::Open(o);
  REQUIRE(db.ok());
  return std::move(db).value();
}

// Ships every batch the replica lacks; returns how many.
size_t Ship(engine::Database& primary, engine::Database& replica) {
  size_t shipped = 0;
  for (;;) {
    auto batches = primary.WalSince(replica.WalSequence() + 1, 64 << 10);
    INFO(batches.status().ToString() << " from " << replica.WalSequence() + 1 << " of " << primary.WalSequence());
    REQUIRE(batches.ok());
    if (batches->empty()) return shipped;
    Status s = replica.ApplyReplicated(*batches);
    INFO(s.ToString());
    REQUIRE(s.ok());
    shipped += batches->size();
  }
}

std::shared_ptr<const engine::Filter> FilterOf(const json& spec) {
  auto f = engine::Filter::Parse(spec);
  REQUIRE(f.ok());
  return *f;
}

// What a reader sees of a collection: points in id order with payloads and vectors, a few
// searches (plain and filtered), counts by filter, payload index states.
std::string View(engine::Database& db, const std::string& name) {
  auto c = db.GetCollection(name);
  if (!c.ok()) return "absent: " + c.status().ToString();
  std::string out;
  auto page = (*c)->Scroll(10000, std::nullopt, nullptr, true, true);
  INFO(page.status().ToString());
  REQUIRE(page.ok());
  for (const auto& p : page->points) {
    out += p.id.ToString() + " " + p.payload.dump() + " " + std::to_string(p.vector ? (*p.vector)[0] : -99) + "\n";
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  const auto dim = (*c)->config().dim;
  for (int q = 0; q < 4; ++q) {
    engine::SearchQuery query;
    query.vector = std::vector<float>(dim);
    for (auto& x : *query.vector) x = u(rng);
    query.k = 5;
    if (q % 2) query.filter = FilterOf({{"must", {{{"key", "group"}, {"match", {{"value", q}}}}}}});
    auto hits = (*c)->Search(query);
    REQUIRE(hits.ok());
    for (const auto& h : *hits) out += "hit " + h.id.ToString() + " ";
    out += "\n";
  }
  for (int g = 0; g < 5; ++g) {
    auto filter = FilterOf({{"must", {{{"key", "group"}, {"match", {{"value", g}}}}}}});
    auto n = (*c)->Count(filter.get());
    REQUIRE(n.ok());
    out += "count " + std::to_string(*n) + " ";
  }
  for (const auto& index : (*c)->PayloadIndexes()) {
    out += "\nindex " + index.field_name + " " + index.status + " " + std::to_string(index.points);
  }
  auto dirs = (*c)->ListAttachments("direction");
  REQUIRE(dirs.ok());
  for (const auto& a : *dirs) out += "\nattachment " + a.name + " " + a.value.dump();
  out += "\nsize " + std::to_string((*c)->size());
  return out;
}

// An HNSW collection "c" of 8-d l2 vectors on `db`.
std::shared_ptr<engine::Collection> CreateC(engine::Database& db) {
  auto config = engine::CollectionConfig::FromJson({{"dim", 8}, {"metric", "l2"}, {"index", "HNSW16"}});
  REQUIRE(config.ok());
  auto c = db.CreateCollection("c", *config);
  REQUIRE(c.ok());
  return *c;
}

}  // namespace

TEST_CASE("a replica follows its primary's collections, points, payload indexes and attachments", "[replica]") {
  TempDir dir;
  auto primary = Open(dir.path() + "/p", false);
  auto replica = Open(dir.path() + "/r", true);
  auto config = engine::CollectionConfig::FromJson({{"dim", 8}, {"metric", "l2"}, {"index", "HNSW16"}});
  REQUIRE(config.ok());
  auto c = Result<std::shared_ptr<engine::Collection>>(CreateC(*primary));
  Ship(*primary, *replica);
  CHECK(View(*replica, "c") == View(*primary, "c"));

  REQUIRE((*c)->Upsert(RandomPoints(300, 8, 1, 1)).ok());
  Ship(*primary, *replica);
  CHECK(View(*replica, "c") == View(*primary, "c"));

  // A payload index built in the background by the primary, its entries shipped in chunks.
  REQUIRE((*c)->CreatePayloadIndex("group", engine::PayloadSchema::kInteger, /*wait=*/true).ok());
  Ship(*primary, *replica);
  CHECK(View(*replica, "c") == View(*primary, "c"));

  // Overwrites (same ids, new vectors and groups), deletes, payload rewrites; an index save on the
  // primary trims the changelog between two shipments.
  REQUIRE((*c)->Upsert(RandomPoints(100, 8, 250, 2, {{"group", 9}})).ok());
  REQUIRE((*c)->Delete({ExternalId(uint64_t{3}), ExternalId(uint64_t{4}), ExternalId(uint64_t{999})}).ok());
  REQUIRE((*c)->PersistIndex(false).ok());
  engine::PointSelector some;
  some.ids = {ExternalId(uint64_t{10}), ExternalId(uint64_t{11})};
  engine::PayloadUpdate clear;
  clear.kind = engine::PayloadUpdateKind::kClear;
  REQUIRE((*c)->UpdatePayload(some, clear).ok());
  engine::PointSelector by_filter;
  by_filter.filter = FilterOf({{"must", {{{"key", "group"}, {"match", {{"value", 2}}}}}}});
  engine::PayloadUpdate set;
  set.payload = {{"group", 4}, {"moved", true}};
  REQUIRE((*c)->UpdatePayload(by_filter, set).ok());
  REQUIRE((*c)->DeleteMatching(*FilterOf({{"must", {{{"key", "group"}, {"match", {{"value", 1}}}}}}})).ok());
  REQUIRE((*c)->PutAttachment("direction", "up", json{{"v", {1, 2}}}).ok());
  Ship(*primary, *replica);
  CHECK(View(*replica, "c") == View(*primary, "c"));

  // The index dropped, a keyword one made; the collection dropped and made again (another cid).
  REQUIRE((*c)->DeletePayloadIndex("group").ok());
  REQUIRE((*c)->CreatePayloadIndex("name", engine::PayloadSchema::kKeyword, true).ok());
  Ship(*primary, *replica);
  CHECK(View(*replica, "c") == View(*primary, "c"));
  REQUIRE(primary->DropCollection("c").ok());
  auto again = primary->CreateCollection("c", *config);
  REQUIRE(again.ok());
  REQUIRE((*again)->Upsert(RandomPoints(50, 8, 1000, 3)).ok());
  auto other = primary->CreateCollection("other", *config);
  REQUIRE(other.ok());
  Ship(*primary, *replica);
  CHECK(View(*replica, "c") == View(*primary, "c"));
  CHECK(View(*replica, "other") == View(*primary, "other"));
  CHECK(replica->WalSequence() == primary->WalSequence());

  SECTION("a replica takes no write of its own") {
    auto rc = replica->GetCollection("c");
    REQUIRE(rc.ok());
    CHECK((*rc)->Upsert(RandomPoints(1, 8, 5000, 4)).code() == StatusCode::kUnavailable);
    CHECK((*rc)->Delete({ExternalId(uint64_t{1000})}).status().code() == StatusCode::kUnavailable);
    CHECK((*rc)->PutAttachment("direction", "x", json::object()).status().code() == StatusCode::kUnavailable);
    CHECK((*rc)->CreatePayloadIndex("group", engine::PayloadSchema::kInteger, false).status().code() ==
          StatusCode::kUnavailable);
    CHECK(replica->CreateCollection("new", *config).status().code() == StatusCode::kUnavailable);
    CHECK(replica->DropCollection("c").code() == StatusCode::kUnavailable);
    CHECK(replica->WalSequence() == primary->WalSequence());
    // Batches out of order change nothing.
    auto batches = primary->WalSince(1, 1 << 20);
    REQUIRE(batches.ok());
    CHECK(replica->ApplyReplicated({batches->front()}).code() == StatusCode::kInvalidArgument);
    CHECK(View(*replica, "c") == View(*primary, "c"));
  }

  SECTION("a replica reopened rebuilds from its store, and a promoted one takes writes") {
    const std::string before = View(*primary, "c");
    replica.reset();
    replica = Open(dir.path() + "/r", true);
    CHECK(View(*replica, "c") == before);
    REQUIRE(replica->Promote().ok());
    CHECK_FALSE(replica->replica());
    auto rc = replica->GetCollection("c");
    REQUIRE(rc.ok());
    REQUIRE((*rc)->Upsert(RandomPoints(5, 8, 7000, 5)).ok());
    CHECK((*rc)->size() == 55);
    CHECK(replica->ApplyReplicated({}).code() == StatusCode::kConflict);
  }
}

TEST_CASE("after a failover the old primary, reopened as a replica, follows the new one", "[replica]") {
  TempDir dir;
  auto primary = Open(dir.path() + "/p", false);
  auto replica = Open(dir.path() + "/r", true);
  auto c = CreateC(*primary);
  REQUIRE(c->Upsert(RandomPoints(200, 8, 1, 1)).ok());
  // Saved now, so that closing it writes nothing more (as a primary killed right after its last
  // shipment; one with unshipped batches would be reset and copied whole instead).
  REQUIRE(c->PersistIndex(false).ok());
  Ship(*primary, *replica);
  // The replica takes over; the old primary comes back as a replica of it.
  REQUIRE(replica->Promote().ok());
  primary.reset();
  primary = Open(dir.path() + "/p", true);
  auto rc = replica->GetCollection("c");
  REQUIRE(rc.ok());
  REQUIRE((*rc)->Upsert(RandomPoints(300, 8, 1000, 2)).ok());
  REQUIRE((*rc)->PersistIndex(false).ok());
  REQUIRE((*rc)->Upsert(RandomPoints(10, 8, 5000, 3)).ok());
  Ship(*replica, *primary);
  CHECK(View(*primary, "c") == View(*replica, "c"));
  CHECK((*primary->GetCollection("c"))->size() == 510);
}
