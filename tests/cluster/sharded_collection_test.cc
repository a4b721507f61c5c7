// Sharded collections on a cluster of real `latentdb serve --cluster` processes and a real etcd:
// every node answers every request, and the answers are those of a single node holding every
// point (a reference server loaded with the same points in the same run), for writes by id and by
// filter, searches with offsets and filters (both score orders), counts, scrolls and retrievals.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <set>

#include "client/http_client.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::testing;
using nlohmann::json;

namespace {

constexpr int kDim = 8;
constexpr int kPoints = 600;

// Points 0…399 with integer ids and "p400"…"p599" with string ids (both id kinds are routed),
// clustered vectors, a payload with an integer and a keyword field.
json PointsChunk(int begin, int end) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 1.f);
  json points = json::array();
  for (int i = 0; i < kPoints; ++i) {
    json vec = json::array();
    for (int d = 0; d < kDim; ++d) vec.push_back((i % 4 == d % 4 ? 3.f : 0.f) + noise(rng));
    if (i < begin || i >= end) continue;
    json id = i < 400 ? json(i) : json("p" + std::to_string(i));
    points.push_back({{"id", id}, {"vector", vec}, {"payload", {{"group", i % 5}, {"tag", "t" + std::to_string(i % 3)}}}});
  }
  return points;
}

json Query(int seed) {
  std::mt19937 rng(1000 + seed);
  std::normal_distribution<float> noise(0.f, 1.f);
  json v = json::array();
  for (int d = 0; d < kDim; ++d) v.push_back(noise(rng) + (d % 4 == seed % 4 ? 2.f : 0.f));
  return v;
}

}  // namespace

TEST_CASE("A sharded collection answers on every node as one node holding every point", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.Sub("etcd"));
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  for (int n = 1; n <= 3; ++n) nodes.push_back(std::make_unique<ServerProcess>(dir.Sub("n" + std::to_string(n)), ServeClusterArgs(etcd, n)));
  ServerProcess reference(dir.Sub("reference"));
  std::vector<std::unique_ptr<client::HttpClient>> at;
  for (auto& n : nodes) at.push_back(std::make_unique<client::HttpClient>("127.0.0.1", n->port()));
  client::HttpClient one("127.0.0.1", reference.port());

  // Two collections, one per score order: cosine through Qdrant's API, l2 through LatentDB's.
  CHECK(Ok(*at[0], "PUT", "/collections/cos", {{"vectors", {{"size", kDim}, {"distance", "Cosine"}}}, {"shard_number", 3},
                                                {"hnsw_config", {{"m", 16}, {"ef_construct", 64}}}}) == true);
  CHECK(Ok(one, "PUT", "/collections/cos", {{"vectors", {{"size", kDim}, {"distance", "Cosine"}}},
                                            {"hnsw_config", {{"m", 16}, {"ef_construct", 64}}}}) == true);
  json created = Ok(*at[1], "PUT", "/collections/l2", {{"dim", kDim}, {"metric", "l2"}, {"index", "Flat"}, {"shard_number", 4}});
  CHECK(created["config"]["params"]["shard_number"] == 4);
  Ok(one, "PUT", "/collections/l2", {{"dim", kDim}, {"metric", "l2"}, {"index", "Flat"}});
  Fails(*at[2], 409, "PUT", "/collections/l2", {{"dim", kDim}, {"shard_number", 2}});
  Fails(*at[2], 400, "PUT", "/collections/r2", {{"dim", kDim}, {"replication_factor", 2}, {"write_consistency_factor", 3}},
        "write_consistency_factor");
  Fails(*at[2], 400, "PUT", "/collections/bad", {{"dim", kDim}, {"shard_number", 0}}, "shard_number");
  // A config every shard refuses leaves nothing behind: the name is free again.
  Fails(*at[2], 400, "PUT", "/collections/bad", {{"dim", -3}, {"shard_number", 3}});
  Fails(*at[0], 404, "GET", "/collections/bad");
  Ok(*at[0], "PUT", "/collections/bad", {{"dim", kDim}, {"shard_number", 2}});
  CHECK(Ok(*at[1], "DELETE", "/collections/bad") == true);

  // Writes through every node in turn.
  for (const char* c : {"cos", "l2"}) {
    for (int b = 0; b < kPoints; b += 100) {
      json chunk = {{"points", PointsChunk(b, b + 100)}};
      CHECK(Ok(*at[(b / 100) % 3], "PUT", std::string("/collections/") + c + "/points", chunk)["upserted"] == 100);
      Ok(one, "PUT", std::string("/collections/") + c + "/points", chunk);
    }
  }
  // A request with one malformed point stores none of its points on any shard.
  json bad = {{"points", PointsChunk(0, 3)}};
  bad["points"][0]["id"] = 100000;
  bad["points"][2]["vector"] = json::array({1, 2});
  Fails(*at[0], 400, "PUT", "/collections/l2/points", bad, "point 2 has dimension 2");
  Fails(*at[0], 404, "GET", "/collections/l2/points/100000");

  for (auto& node : at) {
    json info = Ok(*node, "GET", "/collections/l2");
    CHECK(info["points_count"] == kPoints);
    REQUIRE(info["cluster"]["shards"].size() == 4);
    size_t sum = 0;
    for (const auto& s : info["cluster"]["shards"]) {
      CHECK(s["points_count"].get<size_t>() > kPoints / 8);  // the hash spreads the ids
      sum += s["points_count"].get<size_t>();
    }
    CHECK(sum == kPoints);
  }
  // Where the shards are: Qdrant's collection cluster info on every node, and GET /cluster.
  size_t local_points = 0, local_shards = 0;
  for (int n = 0; n < 3; ++n) {
    json ci = Ok(*at[n], "GET", "/collections/l2/cluster");
    CHECK(ci["peer_id"] == n + 1);
    CHECK(ci["shard_count"] == 4);
    CHECK(ci["local_shards"].size() + ci["remote_shards"].size() == 4);
    CHECK(ci["shard_transfers"].empty());
    for (const auto& s : ci["local_shards"]) {
      CHECK(s["state"] == "Active");
      local_points += s["points_count"].get<size_t>();
      ++local_shards;
    }
  }
  CHECK(local_shards == 4);  // each shard is local to exactly one node
  CHECK(local_points == kPoints);
  json status = Ok(*at[1], "GET", "/cluster");
  REQUIRE(status["collections"]["l2"]["shards"].size() == 4);
  CHECK(status["collections"]["l2"]["shard_number"] == 4);
  CHECK(status["collections"]["cos"]["shards"][0]["epoch"] == 1);
  // A node's own collection: one local shard.
  json own = Ok(one, "GET", "/collections/cos/cluster");
  CHECK(own["shard_count"] == 1);
  CHECK(own["local_shards"][0]["points_count"] == kPoints);

  json listed = Ok(*at[2], "GET", "/collections")["collections"];
  std::set<std::string> names;
  for (const auto& c : listed) names.insert(c["name"].get<std::string>());
  CHECK(names == std::set<std::string>{"cos", "l2"});

  SECTION("searches, counts, scrolls and retrievals are a single node's") {
    for (int q = 0; q < 12; ++q) {
      json filter = {{"must", {{{"key", "group"}, {"match", {{"any", {0, 2, 3}}}}}}}};
      json search = {{"vector", Query(q)}, {"limit", 10}, {"offset", q % 3 * 4}, {"with_payload", true}};
      if (q % 2) search["filter"] = filter;
      auto& node = *at[q % 3];
      CHECK(Ranked(Ok(node, "POST", "/collections/cos/points/search", search)) ==
            Ranked(Ok(one, "POST", "/collections/cos/points/search", search)));
      json native = {{"vector", Query(q)}, {"k", 7}};
      if (q % 2) native["filter"] = filter;
      json got = Ok(node, "POST", "/collections/l2/search", native);
      CHECK(Ranked(got) == Ranked(Ok(one, "POST", "/collections/l2/search", native)));
      REQUIRE(got.size() == 7);
      CHECK(got[0]["score"].get<double>() <= got[6]["score"].get<double>());  // distances: ascending
    }
    // A search by a stored point (LatentDB's "id"): its vector from its shard, itself left out.
    for (json id : {json(17), json("p555")}) {
      json by_id = {{"id", id}, {"k", 6}, {"with_payload", true}};
      CHECK(Ranked(Ok(*at[0], "POST", "/collections/l2/search", by_id)) == Ranked(Ok(one, "POST", "/collections/l2/search", by_id)));
    }
    Fails(*at[0], 404, "POST", "/collections/l2/search", {{"id", 123456}}, "point 123456 does not exist");
    json batch = {{"searches", {{{"vector", Query(1)}, {"limit", 3}}, {{"vector", Query(2)}, {"limit", 5}, {"offset", 2}}}}};
    json got = Ok(*at[1], "POST", "/collections/cos/points/search/batch", batch);
    json want = Ok(one, "POST", "/collections/cos/points/search/batch", batch);
    REQUIRE(got.size() == 2);
    CHECK(Ranked(got[0]) == Ranked(want[0]));
    CHECK(Ranked(got[1]) == Ranked(want[1]));

    json count = {{"filter", {{"must", {{{"key", "tag"}, {"match", {{"value", "t1"}}}}}}}}, {"exact", true}};
    CHECK(Ok(*at[2], "POST", "/collections/cos/points/count", count) == Ok(one, "POST", "/collections/cos/points/count", count));

    // A scroll in pages of 7 through the node: every point once, in a single node's order.
    for (bool filtered : {false, true}) {
      json body = {{"limit", 7}, {"with_payload", false}};
      if (filtered) body["filter"] = {{"must", {{{"key", "group"}, {"range", {{"gte", 3}}}}}}};
      std::vector<json> got_ids, want_ids;
      for (auto* ids : {&got_ids, &want_ids}) {
        json b = body;
        for (;;) {
          json page = Ok(ids == &got_ids ? *at[2] : one, "POST", "/collections/l2/points/scroll", b);
          for (const auto& p : page["points"]) ids->push_back(p["id"]);
          if (page["next_page_offset"].is_null()) break;
          b["offset"] = page["next_page_offset"];
        }
      }
      CHECK(got_ids.size() == (filtered ? kPoints * 2 / 5 : kPoints));
      CHECK(got_ids == want_ids);
    }

    json ids = {{"ids", {"p450", 3, 99999, 250, "p450", "nope", 0}}, {"with_payload", true}, {"with_vector", true}};
    CHECK(Ok(*at[0], "POST", "/collections/l2/points", ids) == Ok(one, "POST", "/collections/l2/points", ids));
    for (auto& node : at) CHECK(Ok(*node, "GET", "/collections/l2/points/p512") == Ok(one, "GET", "/collections/l2/points/p512"));
    Fails(*at[1], 404, "GET", "/collections/l2/points/77777");
    // Qdrant's recommendation and universal query with examples named by id (read from their
    // shards, left out of the answer) or given as vectors.
    json recommend_query = json::object();
    recommend_query["recommend"] = {{"positive", {3}}, {"negative", {"p401"}}};
    json group_two = json::parse(R"({"must": [{"key": "group", "match": {"value": 2}}]})");
    std::vector<std::pair<std::string, json>> named;
    named.emplace_back("/points/recommend", json{{"positive", {1, "p402"}}, {"negative", {7}}, {"limit", 5}, {"with_payload", true}});
    named.emplace_back("/points/recommend", json{{"positive", {Query(3), 250}}, {"limit", 4}, {"offset", 2}});
    named.emplace_back("/points/query", json{{"query", 42}, {"limit", 5}});
    named.emplace_back("/points/query", json{{"query", {{"nearest", "p500"}}}, {"limit", 3}, {"with_payload", true}});
    named.emplace_back("/points/query", json{{"query", recommend_query}, {"limit", 6}});
    named.emplace_back("/points/query", json{{"query", Query(5)}, {"limit", 5}, {"filter", group_two}});
    for (const auto& [route, body] : named) {
      INFO(route << " " << body.dump());
      json got = Ok(*at[2], "POST", "/collections/cos" + route, body);
      json want = Ok(one, "POST", "/collections/cos" + route, body);
      if (got.is_object()) {
        got = got["points"];
        want = want["points"];
      }
      CHECK(Ranked(got) == Ranked(want));
    }
    json batch_query = {{"searches", {{{"query", 11}, {"limit", 3}}, {{"query", Query(1)}, {"limit", 2}}}}};
    json got_batch = Ok(*at[0], "POST", "/collections/cos/points/query/batch", batch_query);
    json want_batch = Ok(one, "POST", "/collections/cos/points/query/batch", batch_query);
    REQUIRE(got_batch.size() == 2);
    CHECK(Ranked(got_batch[0]["points"]) == Ranked(want_batch[0]["points"]));
    CHECK(Ranked(got_batch[1]["points"]) == Ranked(want_batch[1]["points"]));
    Fails(*at[1], 404, "POST", "/collections/cos/points/recommend", {{"positive", {99999}}}, "99999");
    // Analogies: the id terms' vectors come from their shards, every shard ranks, the terms' own
    // points are left out of the merged hits — as one node answers.
    const json analogies[] = {
        {{"positive", {1, "p450"}}, {"negative", {2}}},
        {{"positive", {1, "p450"}}, {"negative", {2}}, {"method", "3cosmul"}, {"k", 7}},
        {{"positive", {Query(3), 5}}, {"negative", {Query(4)}}, {"k", 4}, {"with_payload", false}},
        {{"negative", {"p500"}}, {"k", 3}},
        {{"positive", {10, 11}}, {"filter", {{"must", {{{"key", "group"}, {"match", {{"value", 2}}}}}}}}},
    };
    for (const auto& body : analogies) {
      INFO(body.dump());
      for (auto& node : at) CHECK(Ranked(Ok(*node, "POST", "/collections/cos/analogy", body)) == Ranked(Ok(one, "POST", "/collections/cos/analogy", body)));
    }
    json first = Ok(*at[2], "POST", "/collections/cos/analogy", analogies[0]);
    CHECK(first[0].contains("payload"));
    Fails(*at[1], 404, "POST", "/collections/cos/analogy", {{"positive", {1, 99999}}}, "point 99999 does not exist");
    Fails(*at[1], 400, "POST", "/collections/cos/analogy", {{"positive", {1}}, {"method", "cos"}}, "3cosadd");
    Fails(*at[1], 400, "POST", "/collections/cos/analogy", {{"positive", {1}}, {"restrict_vocab", 100}}, "insertion order");
  }

  SECTION("deletes by ids and by filter, payload writes, payload indexes") {
    json by_ids = {{"points", {1, 2, "p401", 99999}}};
    CHECK(Ok(*at[0], "POST", "/collections/l2/points/delete", by_ids)["deleted"] ==
          Ok(one, "POST", "/collections/l2/points/delete", by_ids)["deleted"]);
    json by_filter = {{"filter", {{"must", {{{"key", "group"}, {"match", {{"value", 4}}}}}}}}};
    json deleted = Ok(*at[1], "POST", "/collections/l2/points/delete", by_filter);
    CHECK(deleted["deleted"] == Ok(one, "POST", "/collections/l2/points/delete", by_filter)["deleted"]);
    CHECK(deleted["deleted"].get<int>() > 100);
    json set = {{"payload", {{"seen", true}}}, {"points", {3, 5, "p402"}}};
    Ok(*at[2], "POST", "/collections/l2/points/payload", set);
    Ok(one, "POST", "/collections/l2/points/payload", set);
    Ok(*at[2], "PUT", "/collections/l2/index?wait=true", {{"field_name", "seen"}, {"field_schema", "bool"}});
    Ok(one, "PUT", "/collections/l2/index?wait=true", {{"field_name", "seen"}, {"field_schema", "bool"}});
    json seen = {{"filter", {{"must", {{{"key", "seen"}, {"match", {{"value", true}}}}}}}}, {"exact", true}};
    CHECK(Ok(*at[0], "POST", "/collections/l2/points/count", seen)["count"] == 3);
    json with_index = Ok(*at[0], "GET", "/collections/l2");
    INFO(with_index.dump());
    CHECK(with_index["payload_schema"]["seen"]["points"] == 3);
    json all = {{"exact", true}};
    CHECK(Ok(*at[0], "POST", "/collections/l2/points/count", all) == Ok(one, "POST", "/collections/l2/points/count", all));
  }

  SECTION("a shard's part names its copy with a uid and a collection name that stay inside shards/") {
    const std::string uid = Ok(*at[0], "GET", "/collections/l2")["cluster"]["uid"];
    for (const std::string& header : {std::string("../../x/0"), std::string("..%2F/0"), uid.substr(0, 8) + "/0",
                                      uid + "/x", uid + "/", std::string("/0"), uid.substr(0, 15) + "./0"}) {
      INFO(header);
      client::HttpClient raw("127.0.0.1", nodes[0]->port());
      raw.SetHeader("x-latentdb-shard", header);
      Fails(Send(raw, "PUT", "/collections/escape", json{{"dim", 2}}.dump()), 400, "x-latentdb-shard");
    }
    client::HttpClient raw("127.0.0.1", nodes[0]->port());
    raw.SetHeader("x-latentdb-shard", uid + "/0");
    Fails(Send(raw, "PUT", "/collections/..%2F..%2Fescape", json{{"dim", 2}}.dump()), 400, "collection name");
    Fails(Send(raw, "PUT", "/collections/a%2Fb", json{{"dim", 2}}.dump()), 400, "collection name");
    for (int n = 1; n <= 3; ++n) {
      for (const auto& e : std::filesystem::directory_iterator(dir.Sub("n" + std::to_string(n)) + "/shards")) {
        const std::string name = e.path().filename().string();
        INFO(name);  // no copy of "bad" (refused, then dropped) nor of "escape"
        CHECK((name.rfind("l2.", 0) == 0 || name.rfind("cos.", 0) == 0));
      }
    }
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/escape"));
    CHECK_FALSE(std::filesystem::exists(dir.Sub("n1") + "/escape"));
  }

  SECTION("dropping a collection removes every copy") {
    CHECK(Ok(*at[2], "DELETE", "/collections/l2") == true);
    for (auto& node : at) Fails(*node, 404, "GET", "/collections/l2");
    CHECK(Ok(*at[0], "DELETE", "/collections/l2") == false);
    for (int n = 1; n <= 3; ++n) {
      for (const auto& e : std::filesystem::directory_iterator(dir.Sub("n" + std::to_string(n)) + "/shards")) {
        CHECK(e.path().filename().string().rfind("l2.", 0) != 0);
      }
    }
  }
}

TEST_CASE("Shard copies survive kill -9, and copies dropped while their node was down are removed at its start", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.Sub("etcd"));
  auto one = std::make_unique<ServerProcess>(dir.Sub("n1"), ServeClusterArgs(etcd, 1));
  auto two = std::make_unique<ServerProcess>(dir.Sub("n2"), ServeClusterArgs(etcd, 2));
  client::HttpClient first("127.0.0.1", one->port());
  Ok(first, "PUT", "/collections/c", {{"dim", kDim}, {"index", "Flat"}, {"shard_number", 4}});
  Ok(first, "PUT", "/collections/gone", {{"dim", kDim}, {"shard_number", 4}});
  Ok(first, "PUT", "/collections/c/points", {{"points", PointsChunk(0, kPoints)}});
  json info = Ok(first, "GET", "/collections/c");
  bool two_holds_one = false;
  for (const auto& s : info["cluster"]["shards"]) two_holds_one |= s["primary"] == 2;
  REQUIRE(two_holds_one);  // rendezvous placement over 2 nodes puts some of 4 shards on each

  two->Kill();
  // Its shards cannot answer: an error naming the shard, not a partial answer.
  CHECK(Eventually([&] { return SendJson(first, "POST", "/collections/c/points/count", json::object()).status == 503; }, 8));
  Fails(first, 503, "POST", "/collections/c/points/search", {{"vector", Query(0)}, {"limit", 3}}, "of collection 'c'");

  // Restarted, it serves its copies again: nothing acknowledged was lost.
  two = std::make_unique<ServerProcess>(dir.Sub("n2"), ServeClusterArgs(etcd, 2));
  CHECK(Eventually([&] { return SendJson(first, "POST", "/collections/c/points/count", json::object()).status == 200; }, 8));
  CHECK(Ok(first, "POST", "/collections/c/points/count", {{"exact", true}})["count"] == kPoints);

  // Node 2 is down while "gone" is dropped: its copies go when it starts again.
  CHECK(two->Terminate() == 0);
  CHECK(Ok(first, "DELETE", "/collections/gone") == true);
  two = std::make_unique<ServerProcess>(dir.Sub("n2"), ServeClusterArgs(etcd, 2));
  for (const auto& e : std::filesystem::directory_iterator(dir.Sub("n2") + "/shards")) {
    CHECK(e.path().filename().string().rfind("gone.", 0) != 0);
  }
  CHECK(Ok(first, "POST", "/collections/c/points/count", {{"exact", true}})["count"] == kPoints);
}
