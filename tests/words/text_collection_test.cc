// Collections bound to a word model accept "text" in upserts and searches (issue 3, item 6).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>

#include "client/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::RunLatentdb;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;

namespace {
json Call(HttpClient& c, const std::string& method, const std::string& target, const json& body, int* status) {
  auto r = c.Request(method, target, body.is_null() ? "" : body.dump());
  REQUIRE(r.ok());
  *status = r->status;
  return json::parse(r->body);
}
}  // namespace

TEST_CASE("words: a collection with a word-model encoder stores and searches texts", "[words][http]") {
  TempDir tmp;
  std::string out;
  REQUIRE(RunLatentdb({"models", "import", std::string(LATENTDB_FIXTURES_DIR) + "/lee_fasttext.vec", "--name", "lee",
                       "--data-dir", tmp.Sub("data")},
                      &out) == 0);
  ServerProcess server(tmp.Sub("data"));
  HttpClient http("127.0.0.1", server.port());
  int status = 0;

  // The encoder must exist and match the dimension.
  Call(http, "PUT", "/collections/bad", json{{"dim", 10}, {"encoder", "nope"}}, &status);
  CHECK(status == 400);
  Call(http, "PUT", "/collections/bad", json{{"dim", 11}, {"encoder", "lee"}}, &status);
  CHECK(status == 400);
  Call(http, "PUT", "/collections/docs", json{{"dim", 10}, {"metric", "cosine"}, {"index", "Flat"}, {"encoder", "lee"}},
       &status);
  REQUIRE(status == 200);

  json points = json::array();
  const std::vector<std::string> texts = {"the government said on monday", "police arrested a man",
                                          "the cricket match in sydney", "bushfires burned near the city"};
  for (size_t i = 0; i < texts.size(); ++i) points.push_back({{"id", i}, {"text", texts[i]}, {"payload", {{"t", texts[i]}}}});
  Call(http, "PUT", "/collections/docs/points", json{{"points", points}}, &status);
  REQUIRE(status == 200);

  // The stored vector is the text's vector from the word endpoint (mean of unit word vectors).
  json stored = Call(http, "GET", "/collections/docs/points/2", nullptr, &status);
  REQUIRE(status == 200);
  json expected = Call(http, "POST", "/words/lee/vector", json{{"text", texts[2]}}, &status);
  REQUIRE(status == 200);
  const json& want = expected["result"].contains("vector") ? expected["result"]["vector"] : expected["result"];
  REQUIRE(want.is_array());
  REQUIRE(stored["result"]["vector"].size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(std::abs(stored["result"]["vector"][i].get<double>() - want[i].get<double>()) < 1e-5);
  }

  // Searching with a stored text finds it first, with cosine 1.
  for (size_t i = 0; i < texts.size(); ++i) {
    json hits = Call(http, "POST", "/collections/docs/search", json{{"text", texts[i]}, {"k", 2}}, &status);
    REQUIRE(status == 200);
    CHECK(hits["result"][0]["id"] == i);
    CHECK(hits["result"][0]["score"].get<double>() == Approx(1.0).margin(1e-5));
  }

  // Errors: only unknown words, both text and vector, text on a collection without an encoder.
  json unknown = Call(http, "POST", "/collections/docs/search", json{{"text", "zzqx qqzz"}}, &status);
  CHECK(status == 404);  // as the word endpoints: an unknown word of a model without subwords
  CHECK(unknown["status"]["error"].get<std::string>().find("model 'lee'") != std::string::npos);
  Call(http, "POST", "/collections/docs/search", json{{"text", "police"}, {"vector", std::vector<float>(10, 1.0f)}}, &status);
  CHECK(status == 400);
  Call(http, "PUT", "/collections/plain", json{{"dim", 10}}, &status);
  REQUIRE(status == 200);
  json err = Call(http, "PUT", "/collections/plain/points", json{{"points", {{{"id", 1}, {"text", "police"}}}}}, &status);
  CHECK(status == 400);
  CHECK(err["status"]["error"].get<std::string>().find("no encoder") != std::string::npos);
  json count = Call(http, "GET", "/collections/docs", nullptr, &status);
  CHECK(count["result"]["points_count"] == texts.size());
}
