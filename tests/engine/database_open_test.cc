// Issue 10, kind 9 (second half): a collection that fails to load never keeps the database from
// opening. Broken catalog entries, points and vectors are written straight into the store (as a
// crash, a bug of an older version or a hand edit would leave them); the database must open, serve
// the healthy collections, report the broken ones, and let them be dropped. Index files that cannot
// be used are rebuilt from the store.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <random>

#include <rocksdb/db.h>

#include "common/file_util.h"
#include "engine/database.h"
#include "storage/store.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::engine;
using latentdb::testing::TempDir;
using nlohmann::json;

namespace {

DatabaseOptions Options(const TempDir& dir) {
  DatabaseOptions o;
  o.data_dir = dir.Sub("data");
  o.persist_interval_seconds = 0;
  return o;
}

CollectionConfig Config(size_t dim, const std::string& index) {
  CollectionConfig c;
  c.dim = dim;
  c.metric = index::Metric::kL2;
  c.index = index;
  return c;
}

std::vector<PointInput> Points(size_t n, size_t dim, uint64_t first_id = 0) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  std::vector<PointInput> out;
  for (size_t i = 0; i < n; ++i) {
    PointInput p;
    p.id = ExternalId(first_id + i);
    for (size_t d = 0; d < dim; ++d) p.vector.push_back(g(rng));
    p.payload = json{{"i", first_id + i}};
    out.push_back(std::move(p));
  }
  return out;
}

// The point's own vector finds it first.
void CheckServes(Collection& c, const std::vector<PointInput>& points) {
  REQUIRE(c.size() == points.size());
  for (size_t i = 0; i < points.size(); i += std::max<size_t>(1, points.size() / 20)) {
    SearchQuery q;
    q.vector = points[i].vector;
    q.k = 1;
    auto hits = c.Search(q);
    REQUIRE(hits.ok());
    REQUIRE(hits->size() == 1);
    CHECK((*hits)[0].id == points[i].id);
  }
}

// Adds one point record to collection `cid` straight through the store.
void RawUpsert(storage::Store& store, uint32_t cid, uint64_t iid, std::vector<float> vector, std::string payload) {
  storage::PointBatch b;
  b.cid = cid;
  b.next_iid = iid + 1;
  storage::PointBatch::Upsert u;
  u.iid = iid;
  u.external_key = ExternalId(uint64_t{900000 + iid}).ToKey();
  u.vector = vector;  // a view: `vector` outlives Apply
  u.payload_json = std::move(payload);
  b.upserts.push_back(std::move(u));
  REQUIRE(store.Apply(b).ok());
}

}  // namespace

TEST_CASE("collections that fail to load are reported, the others serve", "[engine][open]") {
  TempDir dir;
  const auto opts = Options(dir);
  const auto good_points = Points(300, 8);
  uint32_t payload_cid = 0, vector_cid = 0;
  {
    auto db = *Database::Open(opts);
    auto good = *db->CreateCollection("good", Config(8, "HNSW16"));
    REQUIRE(good->Upsert(good_points).ok());
    auto flat = *db->CreateCollection("flat", Config(8, "Flat"));
    REQUIRE(flat->Upsert(good_points).ok());
    auto bad_payload = *db->CreateCollection("bad_payload", Config(8, "Flat"));
    REQUIRE(bad_payload->Upsert(Points(5, 8)).ok());
    payload_cid = bad_payload->id();
    auto bad_vector = *db->CreateCollection("bad_vector", Config(8, "HNSW16"));
    REQUIRE(bad_vector->Upsert(Points(5, 8)).ok());
    vector_cid = bad_vector->id();
    db->Close();
  }
  {
    auto store = *storage::Store::Open(opts.data_dir + "/store", storage::StoreOptions{});
    REQUIRE(store->CreateCollection("bad_json", "{\"dim\": 8, \"metric\":").ok());
    REQUIRE(store->CreateCollection("bad_config", json{{"dim", 1000000}}.dump()).ok());
    REQUIRE(store->CreateCollection("unknown_key", json{{"dim", 8}, {"colour", "red"}}.dump()).ok());
    RawUpsert(*store, payload_cid, 100, std::vector<float>(8, 1.0f), "{\"broken\": ");
    RawUpsert(*store, vector_cid, 100, std::vector<float>(3, 1.0f), "");
    // Specs an older version accepted and FAISS cannot survive: served with an exact index.
    for (const std::string spec : {"HNSW0", "IVF0,Flat", "IVF4,PQ8x0", "HNSW1", "IVF4,PQ8x4fs"}) {
      auto rec = store->CreateCollection("old_" + std::to_string(std::hash<std::string>()(spec) % 100000),
                                         json{{"dim", 8}, {"metric", "l2"}, {"index", spec}}.dump());
      REQUIRE(rec.ok());
      for (uint64_t i = 0; i < 20; ++i) {
        std::vector<float> v(8, 0.0f);
        v[i % 8] = static_cast<float>(i + 1);
        RawUpsert(*store, rec->id, i, v, "");
      }
    }
  }

  {
    // A catalog entry too short to hold its collection id, written with RocksDB itself.
    rocksdb::Options o;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {{rocksdb::kDefaultColumnFamilyName, o}};
    for (const char* f : {"catalog", "vectors", "points", "ids", "changelog", "meta", "payload_index"}) families.emplace_back(f, o);
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(o, opts.data_dir + "/store", families, &handles, &raw).ok());
    REQUIRE(raw->Put(rocksdb::WriteOptions(), handles[1], "truncated", "\x01").ok());
    for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }

  auto db = Database::Open(opts);
  REQUIRE(db.ok());
  CheckServes(**(*db)->GetCollection("good"), good_points);
  CheckServes(**(*db)->GetCollection("flat"), good_points);

  auto failed = (*db)->FailedCollections();
  std::map<std::string, Status> by_name;
  for (const auto& f : failed) by_name[f.name] = f.error;
  CHECK(by_name.size() == 5);
  for (const std::string name : {"bad_json", "bad_config", "unknown_key", "bad_vector", "truncated"}) {
    INFO(name);
    REQUIRE(by_name.count(name));
    auto got = (*db)->GetCollection(name);
    CHECK(got.status().code() == StatusCode::kUnavailable);
    CHECK(got.status().message().find("failed to load") != std::string::npos);
  }
  CHECK(by_name["bad_json"].message().find("not JSON") != std::string::npos);
  CHECK(by_name["bad_config"].message().find("dim") != std::string::npos);
  // Opening reads no payload: a damaged one is found by the reads that need it (Corruption), the
  // collection's other points serve, and the damaged point can be deleted.
  {
    auto bad_payload = (*db)->GetCollection("bad_payload");
    REQUIRE(bad_payload.ok());
    CHECK((*bad_payload)->size() == 6);
    auto broken = (*bad_payload)->Get(ExternalId(uint64_t{900100}), false);
    CHECK(broken.status().code() == StatusCode::kCorruption);
    CHECK((*bad_payload)->Get(ExternalId(uint64_t{0}), false).ok());
    SearchQuery q;
    q.vector = std::vector<float>(8, 1.0f);
    q.k = 6;
    CHECK((*bad_payload)->Search(q).status().code() == StatusCode::kCorruption);
    q.with_payload = false;
    CHECK((*bad_payload)->Search(q).ok());
    CHECK(*(*bad_payload)->Delete({ExternalId(uint64_t{900100})}) == 1);
    q.with_payload = true;
    CHECK((*bad_payload)->Search(q).ok());
  }
  CHECK(by_name["bad_vector"].code() == StatusCode::kCorruption);

  // Old specs: open, degraded to exact search, and say so.
  size_t old = 0;
  for (const auto& c : (*db)->ListCollections()) {
    if (c->name().rfind("old_", 0) != 0) continue;
    ++old;
    auto info = c->Info();
    CHECK(info.points == 20);
    CHECK(info.index.kind == "flat");
    CHECK(info.warning.find("no longer accepted") != std::string::npos);
    SearchQuery q;
    q.vector = std::vector<float>(8, 0.0f);
    (*q.vector)[3] = 4.0f;
    q.k = 1;
    auto hits = c->Search(q);
    REQUIRE(hits.ok());
    REQUIRE(hits->size() == 1);
    CHECK((*hits)[0].id == ExternalId(uint64_t{900003}));
    REQUIRE(c->Upsert(Points(3, 8, 5000)).ok());  // writes work too
    CHECK(c->size() == 23);
  }
  CHECK(old == 5);

  // A failed collection's name stays taken until it is dropped; then it is free.
  CHECK((*db)->CreateCollection("bad_payload", Config(8, "Flat")).status().code() == StatusCode::kAlreadyExists);
  REQUIRE((*db)->DropCollection("bad_payload").ok());
  CHECK((*db)->GetCollection("bad_payload").status().code() == StatusCode::kNotFound);
  auto fresh = (*db)->CreateCollection("bad_payload", Config(8, "Flat"));
  REQUIRE(fresh.ok());
  CHECK((*fresh)->size() == 0);
  REQUIRE((*db)->DropCollection("bad_json").ok());
  REQUIRE((*db)->DropCollection("truncated").ok());
  CHECK((*db)->FailedCollections().size() == 3);
  (*db)->Close();

  // And the next open agrees.
  auto again = Database::Open(opts);
  REQUIRE(again.ok());
  CHECK((*again)->FailedCollections().size() == 3);
  CHECK((*again)->GetCollection("bad_payload").ok());
  CHECK((*again)->GetCollection("bad_json").status().code() == StatusCode::kNotFound);
}

TEST_CASE("an index file that cannot be used is rebuilt from the store", "[engine][open][persist]") {
  const auto points = Points(500, 8);
  struct Damage {
    std::string name;
    std::function<std::string(const std::string&)> apply;
  };
  const std::vector<Damage> damages = {
      {"random bytes", [](const std::string& f) { return std::string(f.size(), '\x5a'); }},
      {"truncated", [](const std::string& f) { return f.substr(0, f.size() / 2); }},
      {"empty", [](const std::string&) { return std::string(); }},
      {"one byte flipped", [](const std::string& f) {
         std::string g = f;
         g[g.size() / 3] ^= 0x40;
         return g;
       }},
      {"header only", [](const std::string& f) { return f.substr(0, 16); }},
  };
  for (const std::string spec : {"HNSW16", "IVF4,Flat", "IVF4,PQ4"}) {
    for (const auto& damage : damages) {
      SECTION(spec + " / " + damage.name) {
        TempDir dir;
        const auto opts = Options(dir);
        std::string path;
        {
          auto db = *Database::Open(opts);
          auto c = *db->CreateCollection("c", Config(8, spec));
          REQUIRE(c->Upsert(points).ok());
          REQUIRE(c->PersistIndex(true).ok());
          path = opts.data_dir + "/indexes/" + std::to_string(c->id()) + ".idx";
          REQUIRE(PathExists(path));
          db->Close();
        }
        REQUIRE(WriteFileAtomically(path, damage.apply(*ReadWholeFile(path))).ok());
        auto db = Database::Open(opts);
        REQUIRE(db.ok());
        CHECK((*db)->FailedCollections().empty());
        auto c = (*db)->GetCollection("c");
        REQUIRE(c.ok());
        if (spec == "HNSW16") {
          CheckServes(**c, points);
        } else {
          CHECK((*c)->size() == points.size());
        }
      }
    }
  }
}
