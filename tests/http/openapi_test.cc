// The OpenAPI document (http/openapi/openapi.json, served at GET /openapi.json) against the routes
// the server registers: every route is described with its method, nothing is described that is not
// a route, and every operation states its success answer and the errors it can give. (Its validity
// as OpenAPI 3 is checked by a maintained validator in tests/clients.)
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "http/api.h"
#include "http/openapi/openapi.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using nlohmann::json;

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"};

}  // namespace

TEST_CASE("the OpenAPI document describes exactly the registered routes", "[http][openapi]") {
  latentdb::testing::TempDir dir;
  auto db = latentdb::testing::OpenTestDatabase(dir.path());
  latentdb::http::Api api(db.get());
  const json doc = json::parse(latentdb::http::openapi::Document(), nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
  REQUIRE(doc["paths"].is_object());

  std::set<std::string> routes;
  for (const auto& [method, pattern] : api.Routes()) {
    routes.insert(Lower(method) + " " + pattern);
    INFO(method << " " << pattern << " is a route the document does not describe");
    CHECK((doc["paths"].contains(pattern) && doc["paths"][pattern].contains(Lower(method))));
  }
  std::set<std::string> ids;
  for (auto path = doc["paths"].begin(); path != doc["paths"].end(); ++path) {
    for (auto op = path.value().begin(); op != path.value().end(); ++op) {
      if (!kMethods.count(op.key())) continue;  // "parameters" and other path-level fields
      const std::string what = op.key() + " " + path.key();
      INFO(what);
      CHECK(routes.count(what) == 1);  // described but not served
      const json& o = op.value();
      REQUIRE(o.contains("operationId"));
      CHECK(ids.insert(o["operationId"].get<std::string>()).second);
      REQUIRE(o.contains("responses"));
      bool success = false, error = false;
      for (auto r = o["responses"].begin(); r != o["responses"].end(); ++r) {
        success |= r.key()[0] == '2';
        error |= r.key()[0] == '4' || r.key()[0] == '5';
      }
      CHECK(success);
      // Only the static answers (probes, root, console, favicon, metrics, this document) have no error.
      if (path.key().find('{') != std::string::npos || op.key() != "get") CHECK(error);
    }
  }
}

TEST_CASE("GET /openapi.json answers the document as it is", "[http][openapi]") {
  latentdb::testing::TempDir dir;
  auto db = latentdb::testing::OpenTestDatabase(dir.path());
  latentdb::http::Api api(db.get());
  latentdb::http::HttpRequest req;
  req.method = "GET";
  req.path = "/openapi.json";
  const auto r = api.Handle(req);
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == latentdb::http::openapi::Document());
}
