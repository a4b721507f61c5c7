// Payload indexes over HTTP, on a real server process: Qdrant's PUT /collections/{c}/index and
// DELETE /collections/{c}/index/{field}, the payload_schema of the collection info, the plan in a
// search's "debug" answer, every refusal (4xx, nothing changed), and indexes across a kill -9.
#include <catch2/catch.hpp>

#include <memory>
#include <set>

#include "client/http_client.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb::testing;
using latentdb::client::HttpClient;
using nlohmann::json;

namespace {

json Points(int n) {
  const char* colors[] = {"red", "green", "blue"};
  json points = json::array();
  for (int i = 0; i < n; ++i) {
    points.push_back({{"id", i}, {"vector", {i * 0.01, (i % 7) * 1.0}},
                      {"payload", {{"color", colors[i % 3]}, {"n", i % 100}, {"path", {{"to", json::array({{{"leaf", i % 10 == 0}}})}}}}}});
  }
  return points;
}

std::set<int> Ids(const json& hits) {
  std::set<int> out;
  for (const auto& h : hits) out.insert(h["id"].get<int>());
  return out;
}

}  // namespace

TEST_CASE("payload indexes over HTTP: create, list, plan, drop, refuse", "[http][payload_index]") {
  TempDir dir;
  auto server = std::make_unique<ServerProcess>(dir.path());
  HttpClient client("127.0.0.1", server->port());
  Ok(client, "PUT", "/collections/c", {{"dim", 2}, {"metric", "l2"}, {"index", "HNSW16"}});
  Ok(client, "PUT", "/collections/c/points", {{"points", Points(3000)}});

  json done = Ok(client, "PUT", "/collections/c/index?wait=true", {{"field_name", "n"}, {"field_schema", "integer"}});
  CHECK(done == json{{"operation_id", 0}, {"status", "completed"}});
  Ok(client, "PUT", "/collections/c/index?wait=true", {{"field_name", "color"}, {"field_schema", {{"type", "keyword"}}}});
  // A key with brackets and dots travels percent-encoded in the DELETE path below.
  Ok(client, "PUT", "/collections/c/index?wait=true", {{"field_name", "path.to[].leaf"}, {"field_schema", "bool"}});
  json schema = Ok(client, "GET", "/collections/c")["payload_schema"];
  CHECK(schema["n"] == json{{"data_type", "integer"}, {"points", 3000}, {"status", "ready"}});
  CHECK(schema["color"]["data_type"] == "keyword");
  CHECK(schema["path.to[].leaf"]["points"] == 3000);

  json filter = {{"must", {{{"key", "n"}, {"match", {{"value", 7}}}}}}};
  json answer = Ok(client, "POST", "/collections/c/search", {{"vector", {1, 1}}, {"limit", 100}, {"filter", filter}, {"debug", true}});
  CHECK(answer["debug"]["plan"] == "indexed_scan");
  CHECK(answer["debug"]["estimated_matches"] == 30);
  CHECK(answer["points"].size() == 30);
  // Without "debug" the answer is the plain list, as Qdrant's.
  json plain = Ok(client, "POST", "/collections/c/search", {{"vector", {1, 1}}, {"limit", 100}, {"filter", filter}});
  REQUIRE(plain.is_array());
  CHECK(Ids(plain) == Ids(answer["points"]));
  json leaf = Ok(client, "POST", "/collections/c/search",
                 {{"vector", {1, 1}}, {"limit", 1000}, {"debug", true},
                  {"filter", {{"must", {{{"key", "path.to[].leaf"}, {"match", {{"value", true}}}}}}}}});
  CHECK(leaf["debug"]["plan"] == "indexed_scan");
  CHECK(leaf["points"].size() == 300);

  // Refusals: 4xx, and the schema is as it was.
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_schema", "keyword"}}, "field_name");
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_name", "a"}}, "field_schema");
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_name", "a"}, {"field_schema", "geo"}}, "not supported");
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_name", "a..b"}, {"field_schema", "keyword"}}, "empty segment");
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_name", 5}, {"field_schema", "keyword"}}, "field_name");
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_name", "a"}, {"field_schema", "keyword"}, {"x", 1}}, "unknown field");
  Fails(client, 400, "PUT", "/collections/c/index", json::array(), "");
  // Qdrant's schema parameters: hints accepted, on_disk: true and unknown ones refused.
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_name", "a"}, {"field_schema", {{"type", "keyword"}, {"on_disk", true}}}}, "on_disk");
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_name", "a"}, {"field_schema", {{"type", "keyword"}, {"tokenizer", "word"}}}}, "unknown");
  Fails(client, 400, "PUT", "/collections/c/index", {{"field_name", "a"}, {"field_schema", {{"type", "integer"}, {"lookup", "yes"}}}}, "boolean");
  Fails(client, 400, "PUT", "/collections/c/index?wait=maybe", {{"field_name", "a"}, {"field_schema", "keyword"}}, "wait");
  Fails(client, 404, "PUT", "/collections/nope/index", {{"field_name", "a"}, {"field_schema", "keyword"}});
  Fails(client, 404, "DELETE", "/collections/c/index/absent", nullptr, "no payload index");
  Fails(client, 404, "DELETE", "/collections/nope/index/n");
  Fails(client, 400, "POST", "/collections/c/search", {{"vector", {1, 1}}, {"debug", "yes"}}, "debug");
  CHECK(Ok(client, "GET", "/collections/c")["payload_schema"] == schema);
  Ok(client, "PUT", "/collections/c/index?wait=true",
     {{"field_name", "n"}, {"field_schema", {{"type", "integer"}, {"lookup", true}, {"range", true}, {"is_principal", false}, {"on_disk", false}}}});

  Ok(client, "DELETE", "/collections/c/index/path.to%5B%5D.leaf");
  Ok(client, "DELETE", "/collections/c/index/color?wait=true");
  schema = Ok(client, "GET", "/collections/c")["payload_schema"];
  CHECK(schema.size() == 1);
  CHECK(schema.contains("n"));

  // Acknowledged, built in the background, then used; kept across a kill -9.
  json ack = Ok(client, "PUT", "/collections/c/index", {{"field_name", "color"}, {"field_schema", "keyword"}});
  CHECK(ack["status"] == "acknowledged");
  Ok(client, "PUT", "/collections/c/index?wait=true", {{"field_name", "color"}, {"field_schema", "keyword"}});
  Ok(client, "PUT", "/collections/c/points", {{"points", {{{"id", 5000}, {"vector", {0, 0}}, {"payload", {{"color", "violet"}}}}}}});
  server->Kill();
  server = std::make_unique<ServerProcess>(dir.path());
  HttpClient again("127.0.0.1", server->port());
  schema = Ok(again, "GET", "/collections/c")["payload_schema"];
  CHECK(schema["color"] == json{{"data_type", "keyword"}, {"points", 3001}, {"status", "ready"}});
  json violet = Ok(again, "POST", "/collections/c/search",
                   {{"vector", {1, 1}}, {"debug", true}, {"filter", {{"must", {{{"key", "color"}, {"match", {{"value", "violet"}}}}}}}}});
  CHECK(violet["debug"]["plan"] == "indexed_scan");
  CHECK(Ids(violet["points"]) == std::set<int>{5000});
}
