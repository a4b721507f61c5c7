// Qdrant's routes on a real server process (issue 14; the official client's answers are checked by
// tests/qdrant): every kind of bad input to them answers 4xx and changes nothing; payload writes
// keep the payload indexes right and survive kill -9; a literal path segment wins over a
// parameter ("points/payload" is not a point id).
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "client/http_client.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb::testing;
using latentdb::client::HttpClient;
using nlohmann::json;

namespace {

json Points(int n) {
  json points = json::array();
  for (int i = 0; i < n; ++i) {
    points.push_back({{"id", i}, {"vector", {1.0 + i, 0.5 * i, 1.0}}, {"payload", {{"color", i % 2 ? "red" : "blue"}, {"n", i}}}});
  }
  return points;
}

json Everything(HttpClient& client, const std::string& c) {
  return Ok(client, "POST", "/collections/" + c + "/points/scroll", {{"limit", 1000}, {"with_vector", true}});
}

size_t CountMatching(HttpClient& client, const std::string& c, const json& filter) {
  return Ok(client, "POST", "/collections/" + c + "/points/count", {{"filter", filter}})["count"].get<size_t>();
}

json ColorIs(const std::string& color) { return {{"must", {{{"key", "color"}, {"match", {{"value", color}}}}}}}; }

}  // namespace

TEST_CASE("Qdrant routes: bad input answers 4xx and changes nothing", "[http][qdrant]") {
  TempDir dir;
  ServerProcess server(dir.path());
  HttpClient client("127.0.0.1", server.port());
  CHECK(Ok(client, "PUT", "/collections/q", {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}}) == true);
  Ok(client, "PUT", "/collections/q/points?wait=true", {{"points", Points(20)}});
  const json before = Everything(client, "q");

  SECTION("collection bodies LatentDB cannot honour create nothing") {
    const std::vector<json> refused = {
        {{"vectors", {{"size", 3}, {"distance", "Manhattan"}}}},
        {{"vectors", {{"size", 3}}}},
        {{"vectors", {{"image", {{"size", 3}, {"distance", "Cosine"}}}}}},  // named vectors
        {{"vectors", {{"size", 3}, {"distance", "Cosine"}, {"multivector_config", json::object()}}}},
        {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}, {"shard_number", 2}},
        {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}, {"sparse_vectors", json::object()}},
        {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}, {"hnsw_config", {{"m", 1}}}},
        {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}, {"hnsw_config", {{"on_disk", true}}}},
        {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}, {"hnsw_config", "fast"}},
        {{"vectors", {{"size", 0}, {"distance", "Cosine"}}}},
        {{"vectors", "3"}},
    };
    for (const auto& body : refused) {
      INFO(body.dump());
      Fails(client, 400, "PUT", "/collections/made", body);
      CHECK(Ok(client, "GET", "/collections/made/exists") == json{{"exists", false}});
    }
    // A collection of that name already there: 409, and it is unchanged.
    Fails(client, 409, "PUT", "/collections/q", {{"vectors", {{"size", 8}, {"distance", "Dot"}}}});
    CHECK(Ok(client, "GET", "/collections/q")["config"]["params"]["vectors"] == json{{"size", 3}, {"distance", "Cosine"}, {"on_disk", false}});
  }

  SECTION("payload writes: bad bodies and missing points") {
    const std::vector<std::pair<std::string, json>> refused = {
        {"/points/payload", {{"points", {1}}, {"payload", "red"}}},
        {"/points/payload", {{"points", {1}}}},
        {"/points/payload", {{"payload", {{"a", 1}}}}},                                   // no selector
        {"/points/payload", {{"points", {1}}, {"filter", ColorIs("red")}, {"payload", {{"a", 1}}}}},  // both
        {"/points/payload", {{"points", {1}}, {"payload", {{"a", 1}}}, {"key", "nested.path"}}},
        {"/points/payload", {{"points", "1"}, {"payload", {{"a", 1}}}}},
        {"/points/payload", {{"points", {1.5}}, {"payload", {{"a", 1}}}}},
        {"/points/payload", {{"filter", {{"must", "x"}}}, {"payload", {{"a", 1}}}}},
        {"/points/payload/delete", {{"points", {1}}, {"keys", "color"}}},
        {"/points/payload/delete", {{"points", {1}}, {"keys", {1}}}},
        {"/points/payload/clear", json::object()},
    };
    for (const auto& [path, body] : refused) {
      INFO(path << " " << body.dump());
      Fails(client, 400, "POST", "/collections/q" + path, body);
    }
    Fails(client, 400, "PUT", "/collections/q/points/payload", {{"points", {1}}, {"payload", json::array()}});
    Fails(client, 400, "POST", "/collections/q/points/payload", json::array());
    // One missing id among existing ones: 404 naming it, and none of them changes (Qdrant's answer).
    Fails(client, 404, "POST", "/collections/q/points/payload", {{"points", {1, 2, 999}}, {"payload", {{"a", 1}}}}, "999");
    Fails(client, 404, "POST", "/collections/q/points/payload/clear", {{"points", {"nope"}}}, "nope");
    Fails(client, 404, "POST", "/collections/nope/points/payload", {{"points", {1}}, {"payload", {{"a", 1}}}});
    CHECK(Everything(client, "q") == before);
  }

  SECTION("queries: unsupported kinds and bad values") {
    // (path, body as JSON text)
    const std::vector<std::pair<std::string, const char*>> refused = {
        {"/points/query", R"({})"},                                        // no query
        {"/points/query", R"({"query": [1, 2]})"},                          // wrong dimension
        {"/points/query", R"({"query": {"discover": {}}})"},
        {"/points/query", R"({"query": {"fusion": "rrf"}})"},
        {"/points/query", R"({"query": [1, 2, 3], "prefetch": [{"query": [1, 2, 3]}]})"},
        {"/points/query", R"({"query": [1, 2, 3], "using": "image"})"},
        {"/points/query", R"({"query": [1, 2, 3], "lookup_from": {"collection": "q"}})"},
        {"/points/query", R"({"query": [1, 2, 3], "limit": 0})"},
        {"/points/query", R"({"query": [1, 2, 3], "limit": 10000, "offset": 5})"},
        {"/points/query", R"({"query": [1, 2, 3], "with_payload": 3})"},
        {"/points/query", R"({"query": [1, 2, 3], "with_vector": ["image"]})"},
        {"/points/query", R"({"query": [1, 2, 3], "score_threshold": "high"})"},
        {"/points/query", R"({"query": [1, 2, 3], "params": {"hnsw_ef": -1}})"},
        {"/points/query", R"({"query": {"recommend": {"positive": []}}})"},
        {"/points/query", R"({"query": {"recommend": {"positive": [1], "strategy": "best_score"}}})"},
        {"/points/query", R"({"query": {"recommend": {"positive": [[1, 2]]}}})"},
        {"/points/query", R"({"query": true})"},
        {"/points/search", R"({"limit": 3})"},
        {"/points/search", R"({"vector": {"name": "image", "vector": [1, 2, 3]}})"},
        {"/points/search", R"({"vector": [1, 2, "x"]})"},
        {"/points/recommend", R"({"negative": [1]})"},
        {"/points/search/batch", R"({"searches": [{"vector": [1, 2, 3]}, {"vector": [1]}]})"},
        {"/points/query/batch", R"({"searches": "all"})"},
        {"/points/count", R"({"exact": "yes"})"},
        {"/points/count", R"({"filter": {"should": 1}})"},
    };
    for (const auto& [path, text] : refused) {
      INFO(path << " " << text);
      Fails(client, 400, "POST", "/collections/q" + path, json::parse(text));
    }
    json many = json::array();
    for (int i = 0; i < 1025; ++i) many.push_back(i % 20);
    Fails(client, 413, "POST", "/collections/q/points/recommend", {{"positive", many}});
    Fails(client, 404, "POST", "/collections/q/points/query", json::parse(R"({"query": 999})"));
    Fails(client, 404, "POST", "/collections/q/points/query", json::parse(R"({"query": {"recommend": {"positive": [999]}}})"));
    Fails(client, 404, "POST", "/collections/nope/points/query", json::parse(R"({"query": [1, 2, 3]})"));
    CHECK(Everything(client, "q") == before);
  }

  SECTION("a batch answers in order and fails whole, naming the search") {
    json r = Ok(client, "POST", "/collections/q/points/query/batch",
                json::parse(R"({"searches": [{"query": [1, 0, 0], "limit": 1}, {"query": 3, "limit": 2}]})"));
    REQUIRE(r.size() == 2);
    CHECK(r[0]["points"].size() == 1);
    CHECK(r[1]["points"].size() == 2);
    Fails(client, 400, "POST", "/collections/q/points/query/batch",
          json::parse(R"({"searches": [{"query": [1, 0, 0]}, {"query": [1]}]})"), "searches[1]");
  }
}

TEST_CASE("Qdrant payload writes keep payload indexes right and survive kill -9", "[http][qdrant]") {
  TempDir dir;
  auto server = std::make_unique<ServerProcess>(dir.path());
  auto client = std::make_unique<HttpClient>("127.0.0.1", server->port());
  Ok(*client, "PUT", "/collections/q", {{"vectors", {{"size", 3}, {"distance", "Euclid"}}}});
  Ok(*client, "PUT", "/collections/q/points", {{"points", Points(40)}});
  Ok(*client, "PUT", "/collections/q/index?wait=true", {{"field_name", "color"}, {"field_schema", "keyword"}});
  REQUIRE(CountMatching(*client, "q", ColorIs("red")) == 20);

  // set by filter (through the index), overwrite by ids, delete keys, clear.
  Ok(*client, "POST", "/collections/q/points/payload", {{"filter", ColorIs("red")}, {"payload", {{"color", "green"}}}});
  Ok(*client, "PUT", "/collections/q/points/payload", {{"points", {0, 2}}, {"payload", {{"color", "red"}}}});
  Ok(*client, "POST", "/collections/q/points/payload/delete", {{"points", {4}}, {"keys", {"color"}}});
  Ok(*client, "POST", "/collections/q/points/payload/clear", {{"points", {6}}});
  auto check = [](HttpClient& c) {
    CHECK(CountMatching(c, "q", ColorIs("green")) == 20);
    CHECK(CountMatching(c, "q", ColorIs("red")) == 2);
    CHECK(CountMatching(c, "q", ColorIs("blue")) == 20 - 2 - 2);
    CHECK(Ok(c, "GET", "/collections/q/points/0")["payload"] == json{{"color", "red"}});
    CHECK(Ok(c, "GET", "/collections/q/points/4")["payload"] == json{{"n", 4}});
    CHECK(Ok(c, "GET", "/collections/q/points/6")["payload"] == json::object());
    // The indexed plan and a scan agree: the search by the index finds exactly the red points.
    json hits = Ok(c, "POST", "/collections/q/points/search", {{"vector", {0, 0, 0}}, {"limit", 40}, {"filter", ColorIs("red")}});
    CHECK(hits.size() == 2);
    // Vectors are untouched by payload writes.
    CHECK(Ok(c, "GET", "/collections/q/points/3")["vector"] == json{4.0, 1.5, 1.0});
  };
  check(*client);
  server->Kill();
  server = std::make_unique<ServerProcess>(dir.path());
  client = std::make_unique<HttpClient>("127.0.0.1", server->port());
  check(*client);
}

TEST_CASE("a literal path segment wins over a parameter, whatever the registration order", "[http][qdrant]") {
  TempDir dir;
  ServerProcess server(dir.path());
  HttpClient client("127.0.0.1", server.port());
  Ok(client, "PUT", "/collections/q", {{"dim", 3}, {"metric", "l2"}});
  Ok(client, "PUT", "/collections/q/points", {{"points", Points(3)}});
  // PUT …/points/payload is Qdrant's overwrite, not an upsert of point "payload" (images.cc's
  // PUT …/points/{id}); GET …/points/payload is still a point lookup (there is no such GET route).
  Ok(client, "PUT", "/collections/q/points/payload", {{"points", {1}}, {"payload", {{"x", 1}}}});
  CHECK(Ok(client, "GET", "/collections/q/points/1")["payload"] == json{{"x", 1}});
  Fails(client, 404, "GET", "/collections/q/points/payload");
  CHECK(Ok(client, "POST", "/collections/q/points/count")["count"] == 3);
  // LatentDB's own create answers the collection's info, Qdrant's answers true.
  CHECK(Ok(client, "PUT", "/collections/own", {{"dim", 2}})["name"] == "own");
  CHECK(Ok(client, "GET", "/collections/own/exists") == json{{"exists", true}});
  Fails(client, 400, "GET", "/collections/bad%20name/exists");
  json root = json::parse(Send(client, "GET", "/", "").raw);
  CHECK(root["version"].get<std::string>().rfind("1.", 0) == 0);
  CHECK(root["title"].is_string());
}
