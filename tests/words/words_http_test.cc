// Word endpoints over HTTP against a real `latentdb serve`: the model is imported offline first
// (`latentdb models import`), then the server serves it. Expected values are computed here.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

#include "client/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"
#include "tests/words/words_test_util.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::RunLatentdb;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
using namespace latentdb::testing::words;

namespace {

struct Reply {
  int status = 0;
  json body;
  std::string raw;
};

Reply Send(HttpClient& c, const std::string& method, const std::string& target, const json& body = nullptr) {
  auto r = c.Request(method, target, body.is_null() ? std::string() : body.dump());
  REQUIRE(r.ok());
  return Reply{r->status, json::parse(r->body, nullptr, false), r->body};
}

json Ok(HttpClient& c, const std::string& method, const std::string& target, const json& body = nullptr) {
  Reply r = Send(c, method, target, body);
  INFO(method << " " << target << " -> " << r.status << " " << r.raw.substr(0, 1000));
  REQUIRE(r.status == 200);
  return r.body["result"];
}

void Expect(HttpClient& c, int code, const std::string& method, const std::string& target, const json& body = nullptr,
            const std::string& mention = "") {
  Reply r = Send(c, method, target, body);
  INFO(method << " " << target << " -> " << r.status << " " << r.raw.substr(0, 1000));
  CHECK(r.status == code);
  REQUIRE(r.body.is_object());
  REQUIRE(r.body["status"].is_object());
  if (!mention.empty()) CHECK(r.body["status"]["error"].get<std::string>().find(mention) != std::string::npos);
}

void CheckRanking(const json& got, const std::vector<std::pair<std::string, double>>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(got[i]["word"] == want[i].first);
    CHECK(got[i]["score"].get<double>() == Approx(want[i].second).margin(1e-5));
  }
}

}  // namespace

TEST_CASE("words: word endpoints over HTTP", "[words][http]") {
  TempDir tmp;
  Vocab v = RandomVocab(200, 12, 11);
  WriteBinary(v, tmp.Sub("m.bin"));
  std::string out;
  REQUIRE(RunLatentdb({"models", "import", tmp.Sub("m.bin"), "--name", "m", "--data-dir", tmp.Sub("data")}, &out) == 0);
  // A broken model directory must not take the server down.
  REQUIRE(RunLatentdb({"models", "import", "/nonexistent/file.vec", "--name", "x", "--data-dir", tmp.Sub("data")}, &out) != 0);
  ServerProcess server(tmp.Sub("data"));
  HttpClient c("127.0.0.1", server.port());

  json models = Ok(c, "GET", "/models");
  REQUIRE(models.size() == 1);
  CHECK(models[0]["name"] == "m");
  CHECK(models[0]["vocab_size"] == 200);
  CHECK(Ok(c, "GET", "/models/m")["dim"] == 12);
  Expect(c, 404, "GET", "/models/nomodel", nullptr, "nomodel");

  // neighbors = gensim most_similar(word)
  CheckRanking(Ok(c, "GET", "/words/m/w5/neighbors?k=7"), GensimAnalogy(v, {"w5"}, {}, 7, false));
  CHECK(Ok(c, "GET", "/words/m/w5/neighbors").size() == 10);
  // A word with a non-ASCII letter, percent-encoded in the path.
  CheckRanking(Ok(c, "GET", "/words/m/w7%C3%A9/neighbors?k=3"), GensimAnalogy(v, {"w7é"}, {}, 3, false));
  Expect(c, 404, "GET", "/words/m/nosuchword/neighbors", nullptr, "nosuchword");
  Expect(c, 404, "GET", "/words/nomodel/w5/neighbors", nullptr, "nomodel");
  Expect(c, 400, "GET", "/words/m/%FF%FE/neighbors", nullptr, "UTF-8");  // not a 500
  Expect(c, 400, "GET", "/words/bad.name/w5/neighbors");
  Expect(c, 400, "GET", "/words/m/w5/neighbors?k=0");
  Expect(c, 400, "GET", "/words/m/w5/neighbors?k=10001");
  Expect(c, 400, "GET", "/words/m/w5/neighbors?k=abc");

  // similarity
  json s = Ok(c, "GET", "/words/m/similarity?a=w3&b=w4");
  CHECK(s["similarity"].get<double>() == Approx(Dot(Unit(v.vectors[3]), Unit(v.vectors[4]))).margin(1e-6));
  Expect(c, 404, "GET", "/words/m/similarity?a=w3&b=zzz", nullptr, "zzz");
  Expect(c, 400, "GET", "/words/m/similarity?a=w3");

  // analogy
  CheckRanking(Ok(c, "POST", "/words/m/analogy", {{"positive", {"w1", "w2"}}, {"negative", {"w3"}}, {"k", 5}}),
               GensimAnalogy(v, {"w1", "w2"}, {"w3"}, 5, false));
  CheckRanking(Ok(c, "POST", "/words/m/analogy",
                  {{"positive", {"w1", "w2"}}, {"negative", {"w3"}}, {"k", 5}, {"method", "3cosmul"}}),
               GensimAnalogy(v, {"w1", "w2"}, {"w3"}, 5, true));
  json restricted = Ok(c, "POST", "/words/m/analogy", {{"positive", {"w1", "w2"}}, {"negative", {"w3"}}, {"restrict_vocab", 20}});
  for (const auto& h : restricted) CHECK(v.Index(h["word"].get<std::string>()) < 20);
  Expect(c, 400, "POST", "/words/m/analogy", {{"positive", json::array()}, {"negative", json::array()}});
  Expect(c, 400, "POST", "/words/m/analogy", {{"positive", {"w1"}}, {"k", 0}});
  Expect(c, 400, "POST", "/words/m/analogy", {{"positive", {"w1"}}, {"method", "3cosfoo"}});
  Expect(c, 400, "POST", "/words/m/analogy", {{"positive", "w1"}});
  Expect(c, 404, "POST", "/words/m/analogy", {{"positive", {"w1", "unknownw"}}}, "unknownw");
  Expect(c, 404, "POST", "/words/nomodel/analogy", {{"positive", {"w1"}}}, "nomodel");

  // odd-one-out = gensim doesnt_match
  std::vector<std::string> words = {"w10", "w20", "w30", "w40", "w50"};
  json odd = Ok(c, "POST", "/words/m/odd-one-out", {{"words", words}});
  CHECK(odd["word"] == GensimOddOneOut(v, words));
  Expect(c, 400, "POST", "/words/m/odd-one-out", {{"words", json::array()}});
  Expect(c, 400, "POST", "/words/m/odd-one-out", json::object());
  Expect(c, 404, "POST", "/words/m/odd-one-out", {{"words", {"w1", "missingw"}}}, "missingw");

  // vector: words, and a text's mean of unit vectors
  json vecs = Ok(c, "POST", "/words/m/vector", {{"words", {"w1", "w2"}}});
  REQUIRE(vecs.size() == 2);
  for (size_t d = 0; d < v.dim; ++d) CHECK(vecs[1]["vector"][d].get<double>() == Approx(v.vectors[2][d]));
  json tv = Ok(c, "POST", "/words/m/vector", {{"text", "w1 w2! nope"}});
  CHECK(tv["unknown"] == json({"!", "nope"}));
  for (size_t d = 0; d < v.dim; ++d) {
    double want = (Unit(v.vectors[1])[d] + Unit(v.vectors[2])[d]) / 2;
    CHECK(tv["vector"][d].get<double>() == Approx(want).margin(1e-6));
  }
  Expect(c, 400, "POST", "/words/m/vector", {{"words", json::array()}});
  Expect(c, 400, "POST", "/words/m/vector", json::object());
  Expect(c, 400, "POST", "/words/m/vector", {{"text", 5}});
  Expect(c, 404, "POST", "/words/m/vector", {{"words", {"qqq"}}}, "qqq");
  Expect(c, 404, "POST", "/words/m/vector", {{"text", "only unknown words"}});

  // The word model is an ordinary collection too.
  json info = Ok(c, "GET", "/collections/m");
  CHECK(info.dump().find("cosine") != std::string::npos);
}

TEST_CASE("words: fastText models answer OOV words over HTTP with subword vectors", "[words][http]") {
  std::string bin = std::string(LATENTDB_FIXTURES_DIR) + "/lee_fasttext_new.bin";
  TempDir tmp;
  std::string out;
  int rc = RunLatentdb({"models", "import", bin, "--name", "lee", "--data-dir", tmp.Sub("data")}, &out);
  INFO(out);
  REQUIRE(rc == 0);
  // The old format is refused with a clear message, and nothing is registered.
  REQUIRE(RunLatentdb({"models", "import", std::string(LATENTDB_FIXTURES_DIR) + "/lee_fasttext.bin", "--name", "old",
                       "--data-dir", tmp.Sub("data")},
                      &out) == 1);
  CHECK(out.find("not a fastText model in the current format") != std::string::npos);
  // models delete removes the model and its collection.
  REQUIRE(RunLatentdb({"models", "import", std::string(LATENTDB_FIXTURES_DIR) + "/lee_fasttext.vec", "--name", "gone",
                       "--data-dir", tmp.Sub("data")},
                      &out) == 0);
  REQUIRE(RunLatentdb({"models", "delete", "gone", "--data-dir", tmp.Sub("data")}, &out) == 0);
  CHECK(RunLatentdb({"models", "delete", "gone", "--data-dir", tmp.Sub("data")}, &out) == 1);
  CHECK(out.find("'gone' does not exist") != std::string::npos);
  // A model whose model.bin got damaged after import: reported for itself, the rest serves.
  REQUIRE(RunLatentdb({"models", "import", std::string(LATENTDB_FIXTURES_DIR) + "/crime-and-punishment.bin", "--name",
                       "broken", "--data-dir", tmp.Sub("data")},
                      &out) == 0);
  { std::ofstream(tmp.Sub("data/models/broken/model.bin"), std::ios::trunc) << "garbage"; }
  ServerProcess server(tmp.Sub("data"));
  HttpClient c("127.0.0.1", server.port());
  CHECK(Ok(c, "GET", "/models").size() == 2);
  Reply broken = Send(c, "GET", "/words/broken/the/neighbors");
  CHECK(broken.status >= 400);
  CHECK(broken.raw.find("broken") != std::string::npos);
  json vec = Ok(c, "POST", "/words/lee/vector", {{"words", {"government", "governmentalistic"}}});
  CHECK(vec[0]["oov"] == false);
  CHECK(vec[1]["oov"] == true);
  CHECK(Ok(c, "GET", "/words/lee/governmentalistic/neighbors?k=4").size() == 4);
  json sim = Ok(c, "GET", "/words/lee/similarity?a=government&b=governmentalistic");
  CHECK(sim["similarity"].get<double>() > -1.0);
  CHECK(Ok(c, "POST", "/words/lee/analogy", {{"positive", {"governmentalistic", "australia"}}, {"k", 3}}).size() == 3);
}
