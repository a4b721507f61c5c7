// Issue 10, kind 9: one bad collection must never take the whole database down. A real
// `latentdb serve` is started on a data directory holding a collection whose stored data cannot be
// loaded, a collection whose stored index spec FAISS cannot survive (as an older version accepted
// it), and a collection whose index file is garbage; it must start, serve the healthy ones, report
// the broken one (listed red, 503 with the reason), and let it be dropped. The index specs that
// crashed the server from the API are refused with 400 and leave nothing behind.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/file_util.h"
#include "engine/database.h"
#include "client/http_client.h"
#include "storage/store.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
namespace engine = latentdb::engine;
namespace storage = latentdb::storage;

std::vector<float> Unit(size_t dim, size_t axis) {
  std::vector<float> v(dim, 0.0f);
  v[axis % dim] = 1.0f + static_cast<float>(axis / dim);
  return v;
}

json Call(HttpClient& client, const std::string& method, const std::string& target, int want, const json& body = nullptr) {
  auto r = client.Request(method, target, body.is_null() ? std::string() : body.dump());
  INFO(method << " " << target);
  REQUIRE(r.ok());
  INFO(r->body.substr(0, 1000));
  REQUIRE(r->status == want);
  return json::parse(r->body);
}

}  // namespace

TEST_CASE("the server starts and serves when a collection cannot be loaded", "[startup]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  uint32_t broken_cid = 0;
  std::string good_index_file;
  {
    engine::DatabaseOptions o;
    o.data_dir = data;
    o.persist_interval_seconds = 0;
    auto db = *engine::Database::Open(o);
    for (const std::string name : {"good", "broken"}) {
      engine::CollectionConfig c;
      c.dim = 4;
      c.metric = latentdb::index::Metric::kL2;
      c.index = "HNSW16";
      auto coll = *db->CreateCollection(name, c);
      std::vector<engine::PointInput> points;
      for (size_t i = 0; i < 40; ++i) points.push_back({engine::ExternalId(uint64_t{i}), Unit(4, i), json{{"i", i}}});
      REQUIRE(coll->Upsert(points).ok());
      REQUIRE(coll->PersistIndex(true).ok());
      if (name == "broken") broken_cid = coll->id();
      if (name == "good") good_index_file = data + "/indexes/" + std::to_string(coll->id()) + ".idx";
    }
    db->Close();
  }
  {
    auto store = *storage::Store::Open(data + "/store", storage::StoreOptions{});
    // A point whose internal id is beyond the collection's stored id counter: the id map cannot
    // be trusted, and the collection cannot be loaded. (A payload that is not JSON no longer
    // keeps a collection from loading: opening reads no payload, and only the reads of that
    // point fail — tests/engine/database_open_test.cc.)
    storage::PointBatch b;
    b.cid = broken_cid;
    b.next_iid = 1000;
    storage::PointBatch::Upsert u;
    u.iid = 1000;
    u.external_key = engine::ExternalId(uint64_t{1000}).ToKey();
    const std::vector<float> unit = Unit(4, 1);
    u.vector = unit;  // a view: `unit` outlives Apply
    u.payload_json = "{\"unterminated";
    b.upserts.push_back(u);
    REQUIRE(store->Apply(b).ok());
    // A spec accepted by an older version that crashes FAISS on the first upsert.
    auto rec = store->CreateCollection("legacy", json{{"dim", 4}, {"metric", "l2"}, {"index", "HNSW0"}}.dump());
    REQUIRE(rec.ok());
    b.cid = rec->id;
    b.next_iid = 1;
    b.upserts[0].iid = 0;
    b.upserts[0].external_key = engine::ExternalId(uint64_t{7}).ToKey();
    b.upserts[0].payload_json = "";
    REQUIRE(store->Apply(b).ok());
  }
  // The healthy collection's index file is garbage: rebuilt from the store.
  REQUIRE(latentdb::WriteFileAtomically(good_index_file, std::string(4096, '\xff')).ok());

  ServerProcess server(data);
  HttpClient client("127.0.0.1", server.port());

  json list = Call(client, "GET", "/collections", 200)["result"]["collections"];
  std::map<std::string, json> by_name;
  for (const auto& c : list) by_name[c["name"].get<std::string>()] = c;
  REQUIRE(by_name.size() == 3);
  CHECK(by_name["good"]["status"] == "green");
  CHECK(by_name["legacy"]["status"] == "yellow");
  CHECK(by_name["legacy"]["warning"].get<std::string>().find("no longer accepted") != std::string::npos);
  CHECK(by_name["broken"]["status"] == "red");
  CHECK(by_name["broken"]["error"].get<std::string>().find("id counter") != std::string::npos);

  // The broken one answers its error on every route.
  json err = Call(client, "GET", "/collections/broken", 503);
  CHECK(err["status"]["error"].get<std::string>().find("failed to load") != std::string::npos);
  Call(client, "POST", "/collections/broken/search", 503, {{"vector", Unit(4, 0)}, {"k", 1}});
  Call(client, "PUT", "/collections/broken/points", 503, {{"points", {{{"id", 1}, {"vector", Unit(4, 0)}}}}});

  // The others serve, reads and writes.
  for (size_t i = 0; i < 40; i += 5) {
    json hits = Call(client, "POST", "/collections/good/search", 200, {{"vector", Unit(4, i)}, {"k", 1}})["result"];
    REQUIRE(hits.size() == 1);
    CHECK(hits[0]["id"] == i);
  }
  CHECK(Call(client, "GET", "/collections/good", 200)["result"]["points_count"] == 40);
  json legacy_hit = Call(client, "POST", "/collections/legacy/search", 200, {{"vector", Unit(4, 1)}, {"k", 1}})["result"];
  REQUIRE(legacy_hit.size() == 1);
  CHECK(legacy_hit[0]["id"] == 7);
  Call(client, "PUT", "/collections/legacy/points", 200, {{"points", {{{"id", 8}, {"vector", Unit(4, 2)}}}}});

  // Dropping the broken one frees its name.
  Call(client, "DELETE", "/collections/broken", 200);
  Call(client, "GET", "/collections/broken", 404);
  Call(client, "PUT", "/collections/broken", 200, {{"dim", 4}});

  // The specs that crashed or hung the server from the API: 400 naming what is allowed, nothing
  // created, the server still up.
  for (const std::string spec : {"HNSW0", "HNSW1", "IVF0,Flat", "IVF4,PQ8x0", "IVF4,PQ8x4fs", "IVF4,PQ3", "OPQ4,IVF4,PQ4",
                                 "IDMap,Flat", "HNSW32,SQ8", "IVF99999999,Flat"}) {
    json e = Call(client, "PUT", "/collections/spec_test", 400, {{"dim", 8}, {"index", spec}});
    CHECK(e["status"]["error"].get<std::string>().find("Supported:") != std::string::npos);
    Call(client, "GET", "/collections/spec_test", 404);
  }
  CHECK(Call(client, "GET", "/healthz", 200)["result"]["healthy"] == true);

  // And it starts again just the same.
  server.Terminate();
  ServerProcess again(data);
  HttpClient client2("127.0.0.1", again.port());
  CHECK(Call(client2, "GET", "/collections/good", 200)["result"]["points_count"] == 40);
  CHECK(Call(client2, "GET", "/collections/legacy", 200)["result"]["points_count"] == 2);
}
