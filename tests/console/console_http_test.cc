// The web console: a real server answers GET /console with the self-contained page (its map
// canvas, the API routes it calls, nothing loaded from elsewhere).
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "client/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using latentdb::client::HttpClient;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;

TEST_CASE("GET /console serves the self-contained console page", "[console]") {
  TempDir dir;
  ServerProcess server(dir.path());
  HttpClient client("127.0.0.1", server.port());

  auto r = client.Request("GET", "/console");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->content_type.starts_with("text/html"));
  const std::string& page = r->body;
  CHECK(page.starts_with("<!doctype html>"));
  CHECK(page.find("<canvas id=\"map\"") != std::string::npos);
  CHECK(page.find("</html>") != std::string::npos);
  // The routes the page drives.
  for (const char* route : {"'/collections'", "'/models'", "/map?n=", "/points/scroll", "/points/decode", "/search",
                            "/neighbors?k=10", "/sample`", "/interpolate`", "/directions`", "/edit`"}) {
    INFO(route);
    CHECK(page.find(route) != std::string::npos);
  }
  // No external resource: no absolute URL, no src/href to another origin.
  CHECK(page.find("http://") == std::string::npos);
  CHECK(page.find("https://") == std::string::npos);
  CHECK_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']//)")));

  // Static: the same bytes every time, whatever the data directory holds.
  auto again = client.Request("GET", "/console");
  REQUIRE(again.ok());
  CHECK(again->body == page);

  auto post = client.Request("POST", "/console", "{}");
  REQUIRE(post.ok());
  CHECK(post->status == 405);

  // The icon a browser asks for beside the page: no content, and no 404 in its console.
  auto icon = client.Request("GET", "/favicon.ico");
  REQUIRE(icon.ok());
  CHECK(icon->status == 204);
  CHECK(icon->body.empty());
}

TEST_CASE("The console's data routes answer JSON the page can read", "[console]") {
  TempDir dir;
  ServerProcess server(dir.path());
  HttpClient client("127.0.0.1", server.port());
  REQUIRE(client.Request("PUT", "/collections/shapes", R"({"dim":3,"metric":"l2","index":"Flat"})")->status == 200);
  REQUIRE(client.Request("PUT", "/collections/shapes/points", R"({"points":[
    {"id":1,"vector":[0,0,1],"payload":{"label":"a"}},
    {"id":2,"vector":[0,1,0],"payload":{"label":"b"}},
    {"id":3,"vector":[1,0,0],"payload":{"label":"a"}}]})")->status == 200);

  auto list = client.Request("GET", "/collections");
  REQUIRE(list.ok());
  CHECK(list->body.find("\"shapes\"") != std::string::npos);
  CHECK(list->body.find("\"points_count\":3") != std::string::npos);

  // What the page plots: {"points":[{"id","x","y","label"}…], "basis":{"mean","axes"}}.
  auto map = client.Request("GET", "/collections/shapes/map?n=5000&field=label");
  REQUIRE(map.ok());
  REQUIRE(map->status == 200);
  for (const char* key : {"\"points\"", "\"x\"", "\"y\"", "\"label\":\"a\"", "\"id\":2", "\"basis\"", "\"mean\"", "\"axes\""}) {
    INFO(key);
    CHECK(map->body.find(key) != std::string::npos);
  }
  auto missing = client.Request("GET", "/collections/nope/map?n=10");
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
  CHECK(missing->body.find("\"error\"") != std::string::npos);  // the page shows this message
}
