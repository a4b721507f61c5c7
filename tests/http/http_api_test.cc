// HTTP API tests: each test case starts a real `latentdb serve` process and talks to it over a
// loopback socket with client::HttpClient. Every expected value (distances, filter matches, analogy
// rankings, counts) is computed here, independently of the server, usually by brute force.

#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.h"
#include "tests/support/error_code.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;

using Vec = std::vector<float>;

// ---------------------------------------------------------------------------------------------
// Talking to the server

struct Reply {
  int status = 0;
  std::string raw;
  std::string content_type;
  json body;  // the parsed body; `discarded` when it is not JSON
};

Reply SendRaw(HttpClient& client, const std::string& method, const std::string& target, const std::string& body) {
  auto r = client.Request(method, target, body);
  INFO(method << " " << target << ": " << (r.ok() ? std::string("ok") : r.status().ToString()));
  REQUIRE(r.ok());
  Reply out;
  out.status = r->status;
  out.raw = r->body;
  out.content_type = r->content_type;
  out.body = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  return out;
}

// Sends `body` as JSON (nothing when it is null).
Reply Send(HttpClient& client, const std::string& method, const std::string& target, const json& body = nullptr) {
  return SendRaw(client, method, target, body.is_null() ? std::string() : body.dump());
}

// Sends a request that must succeed; returns the "result" of the envelope.
json Ok(HttpClient& client, const std::string& method, const std::string& target, const json& body = nullptr) {
  Reply r = Send(client, method, target, body);
  INFO(method << " " << target << " -> " << r.status << " " << r.raw.substr(0, 2000));
  REQUIRE(r.status == 200);
  REQUIRE(r.body.is_object());
  CHECK(r.body["status"] == "ok");
  CHECK(r.body["time"].is_number());
  return r.body["result"];
}

// Checks an error reply: the code, and the {"status":{"error":"…","code":"…"}} envelope.
void ExpectError(const Reply& r, int code, const std::string& what = "") {
  INFO(what << " -> " << r.status << " " << r.raw.substr(0, 2000));
  CHECK(r.status == code);
  REQUIRE(r.body.is_object());
  REQUIRE(r.body.contains("status"));
  REQUIRE(r.body["status"].is_object());
  CHECK(r.body["status"]["error"].is_string());
  CHECK(!r.body["status"]["error"].get<std::string>().empty());
  CHECK(latentdb::testing::ErrorCodeMatches(r.status, r.body["status"]["code"]));
}

void ExpectError(HttpClient& client, const std::string& method, const std::string& target, const json& body, int code) {
  ExpectError(Send(client, method, target, body), code, method + " " + target + " " + body.dump().substr(0, 300));
}

// A server on a fresh data directory, and a client for it.
struct TestServer {
  explicit TestServer(std::vector<std::string> args = {})
      : process(dir.path(), std::move(args)), client("127.0.0.1", process.port()) {}
  TempDir dir;
  ServerProcess process;
  HttpClient client;
};

json CreateCollection(HttpClient& client, const std::string& name, size_t dim, const std::string& metric,
                      const std::string& index) {
  return Ok(client, "PUT", "/collections/" + name, {{"dim", dim}, {"metric", metric}, {"index", index}});
}

json PointJson(const json& id, const Vec& v, const json& payload = json::object()) {
  return {{"id", id}, {"vector", v}, {"payload", payload}};
}

void Upsert(HttpClient& client, const std::string& collection, const json& points) {
  REQUIRE(points.is_array());
  json r = Ok(client, "PUT", "/collections/" + collection + "/points", {{"points", points}});
  CHECK(r["upserted"] == points.size());
  CHECK(r["status"] == "completed");
}
// Upsert(client, c, {PointJson(…), …}). (A braced list of one json would copy it, not wrap it.)
void Upsert(HttpClient& client, const std::string& collection, std::initializer_list<json> points) {
  Upsert(client, collection, json(std::vector<json>(points)));
}

size_t PointsCount(HttpClient& client, const std::string& collection) {
  return Ok(client, "GET", "/collections/" + collection)["points_count"].get<size_t>();
}

// Every point of a collection, via scroll: id (as JSON text) -> record.
std::map<std::string, json> ScrollAll(HttpClient& client, const std::string& collection, const json& filter = nullptr,
                                      size_t page = 37) {
  std::map<std::string, json> all;
  json offset = nullptr;
  for (int pages = 0; pages < 100000; ++pages) {
    json body = {{"limit", page}, {"with_vector", true}};
    if (!offset.is_null()) body["offset"] = offset;
    if (!filter.is_null()) body["filter"] = filter;
    json r = Ok(client, "POST", "/collections/" + collection + "/points/scroll", body);
    REQUIRE(r["points"].size() <= page);
    for (const auto& p : r["points"]) {
      bool fresh = all.emplace(p["id"].dump(), p).second;
      INFO("scroll returned " << p["id"].dump() << " twice");
      CHECK(fresh);
    }
    offset = r["next_page_offset"];
    if (offset.is_null()) return all;
    REQUIRE(r["points"].size() == page);  // only full pages have a successor
  }
  FAIL("scroll did not terminate");
  return all;
}

// The value of one Prometheus series ("name{labels}"), or -1 when absent.
double MetricValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Independent expectations

std::vector<Vec> RandomVectors(size_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<Vec> out(n, Vec(dim));
  for (auto& v : out) {
    for (auto& x : v) x = normal(rng);
  }
  return out;
}

enum class Metric { kL2, kIp, kCosine };

double Dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}
double Norm(const Vec& a) { return std::sqrt(Dot(a, a)); }

// The score the API reports: Euclidean distance, inner product, or cosine similarity.
double Score(Metric m, const Vec& a, const Vec& b) {
  switch (m) {
    case Metric::kL2: {
      double s = 0;
      for (size_t i = 0; i < a.size(); ++i) s += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
      return std::sqrt(s);
    }
    case Metric::kIp: return Dot(a, b);
    case Metric::kCosine: return Dot(a, b) / (Norm(a) * Norm(b));
  }
  return 0;
}

bool Better(Metric m, double a, double b) { return m == Metric::kL2 ? a < b : a > b; }

struct Expected {
  json id;
  double score;
};

// The exact answer to a query: the best k, and the true score of every candidate, so that hits
// can be checked rank by rank while tolerating exact ties.
struct Ranking {
  std::vector<Expected> top;            // best first, at most k
  std::map<std::string, double> score;  // every candidate: id (JSON text) -> score
};

Ranking Rank(std::vector<Expected> all, size_t k, const std::function<bool(double, double)>& better) {
  Ranking r;
  for (const auto& e : all) r.score[e.id.dump()] = e.score;
  std::sort(all.begin(), all.end(), [&](const Expected& a, const Expected& b) { return better(a.score, b.score); });
  if (all.size() > k) all.resize(k);
  r.top = std::move(all);
  return r;
}

// Exact top-k over base[i] with id ids[i] among those `allowed`.
Ranking BruteForce(Metric m, const std::vector<Vec>& base, const std::vector<json>& ids, const Vec& q, size_t k,
                   const std::function<bool(size_t)>& allowed = nullptr) {
  std::vector<Expected> all;
  for (size_t i = 0; i < base.size(); ++i) {
    if (!allowed || allowed(i)) all.push_back({ids[i], Score(m, q, base[i])});
  }
  return Rank(std::move(all), k, [m](double a, double b) { return Better(m, a, b); });
}

std::vector<json> IntIds(size_t n) {
  std::vector<json> ids;
  for (size_t i = 0; i < n; ++i) ids.emplace_back(i);
  return ids;
}

// Hits must be candidates, distinct, carry their true score, and have the score of the exact
// answer at every rank (the same ids, except where two candidates tie).
void CheckHits(const json& hits, const Ranking& truth, double tolerance = 1e-4) {
  REQUIRE(hits.is_array());
  REQUIRE(hits.size() == truth.top.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < truth.top.size(); ++i) {
    const std::string key = hits[i]["id"].dump();
    INFO("rank " << i << ": got " << hits[i].dump().substr(0, 200) << ", expected id " << truth.top[i].id.dump()
                 << " with score " << truth.top[i].score);
    CHECK(seen.insert(key).second);
    auto it = truth.score.find(key);
    REQUIRE(it != truth.score.end());  // not a candidate at all (filtered out, deleted, or excluded)
    CHECK(hits[i]["score"].get<double>() == Approx(it->second).epsilon(tolerance).margin(tolerance));
    CHECK(it->second == Approx(truth.top[i].score).epsilon(tolerance).margin(tolerance));
  }
}

json SearchBody(const Vec& q, size_t k) { return {{"vector", q}, {"k", k}}; }

json Search(HttpClient& client, const std::string& collection, const json& body) {
  return Ok(client, "POST", "/collections/" + collection + "/search", body);
}

Vec VectorOf(const json& j) { return j.get<Vec>(); }

// prefix + number. (Not `"s" + std::to_string(n)`: GCC 12 warns falsely on it, -Wrestrict.)
std::string Name(std::string prefix, size_t n) {
  prefix += std::to_string(n);
  return prefix;
}

// ---------------------------------------------------------------------------------------------
// Analogy expectations

struct Word {
  std::string id;
  Vec v;
};

Vec Unit(const Vec& v) {
  Vec out(v.size());
  const double n = Norm(v);
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] / n);
  return out;
}

// gensim's most_similar (3CosAdd) and most_similar_cosmul (3CosMul), computed in double.
Ranking ExpectedAnalogy(const std::vector<Word>& words, const std::vector<Vec>& positive,
                        const std::vector<Vec>& negative, const std::set<std::string>& excluded, bool cosmul,
                        size_t k) {
  const size_t dim = words[0].v.size();
  std::vector<double> target(dim, 0.0);
  for (const auto& p : positive) {
    Vec u = Unit(p);
    for (size_t i = 0; i < dim; ++i) target[i] += u[i];
  }
  for (const auto& m : negative) {
    Vec u = Unit(m);
    for (size_t i = 0; i < dim; ++i) target[i] -= u[i];
  }
  double tn = 0;
  for (double x : target) tn += x * x;
  tn = std::sqrt(tn);  // the mean's 1/count cancels in the normalization
  std::vector<Expected> all;
  for (const auto& w : words) {
    if (excluded.count(w.id)) continue;
    const double wn = Norm(w.v);
    double score;
    if (!cosmul) {
      double d = 0;
      for (size_t i = 0; i < dim; ++i) d += w.v[i] / wn * target[i] / tn;
      score = d;
    } else {
      double num = 1, den = 1;
      for (const auto& p : positive) num *= (1 + Dot(w.v, p) / (wn * Norm(p))) / 2;
      for (const auto& m : negative) den *= (1 + Dot(w.v, m) / (wn * Norm(m))) / 2;
      score = num / (den + 1e-6);
    }
    all.push_back({w.id, score});
  }
  return Rank(std::move(all), k, [](double a, double b) { return a > b; });
}

// ---------------------------------------------------------------------------------------------
// Authentication

// One request per route, with a body where the route wants one.
struct RouteCall {
  std::string method, target;
  json body;
};

std::vector<RouteCall> EveryRoute() {
  const Vec v = {1, 2, 3};
  return {
      {"GET", "/healthz", nullptr},
      {"GET", "/readyz", nullptr},
      {"GET", "/metrics", nullptr},
      {"GET", "/collections", nullptr},
      {"PUT", "/collections/k", {{"dim", 3}, {"metric", "l2"}, {"index", "Flat"}}},
      {"GET", "/collections/k", nullptr},
      {"PUT", "/collections/k/points", {{"points", {PointJson(1, v), PointJson(2, {3, 2, 1}), PointJson(3, {1, 1, 1})}}}},
      {"GET", "/collections/k/points/1", nullptr},
      {"POST", "/collections/k/points/scroll", {{"limit", 2}}},
      {"POST", "/collections/k/search", SearchBody(v, 2)},
      {"POST", "/collections/k/search/batch", {{"searches", {SearchBody(v, 1)}}}},
      {"POST", "/collections/k/analogy", {{"positive", {1, 2}}, {"negative", {3}}}},
      {"POST", "/collections/k/points/delete", {{"ids", {2}}}},
      {"DELETE", "/collections/k", nullptr},
  };
}

void CheckApiKey(uint16_t port, const std::string& key) {
  HttpClient anonymous("127.0.0.1", port);
  HttpClient wrong("127.0.0.1", port);
  wrong.SetHeader("api-key", key + "x");
  HttpClient wrong_bearer("127.0.0.1", port);
  wrong_bearer.SetHeader("Authorization", "Bearer " + key.substr(1));
  HttpClient not_bearer("127.0.0.1", port);
  not_bearer.SetHeader("Authorization", "Basic " + key);
  HttpClient by_header("127.0.0.1", port);
  by_header.SetHeader("api-key", key);
  HttpClient by_bearer("127.0.0.1", port);
  by_bearer.SetHeader("Authorization", "Bearer " + key);

  // Public without the key, as Qdrant's health probes, root and web UI are: GET and HEAD of the
  // probes, of / (title and version), of the console page and its favicon, and of the OpenAPI
  // document. Every other route, and every other method on those, is 401.
  const std::set<std::string> kPublic = {"GET /healthz", "GET /readyz"};
  const auto routes = EveryRoute();
  for (auto* client : {&anonymous, &wrong, &wrong_bearer, &not_bearer}) {
    for (const auto& r : routes) {
      if (kPublic.count(r.method + " " + r.target)) continue;
      ExpectError(*client, r.method, r.target, r.body, 401);
    }
    ExpectError(*client, "GET", "/no/such/route", nullptr, 401);
    ExpectError(*client, "GET", "/healthz/", nullptr, 401);
    ExpectError(*client, "GET", "/consolex", nullptr, 401);
    ExpectError(*client, "DELETE", "/healthz", nullptr, 401);
    ExpectError(*client, "POST", "/console", json::object(), 401);
    ExpectError(*client, "POST", "/openapi.json", json::object(), 401);
    ExpectError(*client, "GET", "/openapi.jsonx", nullptr, 401);
    for (const char* open : {"/", "/openapi.json"}) {
      auto r = client->Request("GET", open);
      REQUIRE(r.ok());
      CHECK(r->status == 200);
      CHECK(json::parse(r->body, nullptr, false).is_object());
    }
    CHECK(Ok(*client, "GET", "/healthz")["healthy"] == true);
    CHECK(Ok(*client, "GET", "/readyz?verbose=1")["ready"] == true);
    auto console = client->Request("GET", "/console");
    REQUIRE(console.ok());
    CHECK(console->status == 200);
    CHECK(console->content_type.rfind("text/html", 0) == 0);
    auto favicon = client->Request("GET", "/favicon.ico");
    REQUIRE(favicon.ok());
    CHECK(favicon->status == 204);
  }
  // A refused request with a large body gets its 401 too (the server answers before reading it).
  json big = {{"points", {PointJson(1, {1, 2, 3}, {{"blob", std::string(2u << 20, 'b')}})}}};
  ExpectError(anonymous, "PUT", "/collections/k/points", big, 401);
  // Nothing was created by the refused requests.
  CHECK(Ok(by_header, "GET", "/collections")["collections"].empty());
  for (auto* client : {&by_header, &by_bearer}) {
    for (const auto& r : routes) {
      Reply reply = Send(*client, r.method, r.target, r.body);
      INFO(r.method << " " << r.target << " -> " << reply.raw.substr(0, 500));
      CHECK(reply.status == 200);
    }
  }
}

}  // namespace

// =============================================================================================
// System routes

TEST_CASE("GET /healthz, /readyz and /metrics", "[http][system]") {
  TestServer s;
  CHECK(Ok(s.client, "GET", "/healthz")["healthy"] == true);
  json ready = Ok(s.client, "GET", "/readyz");
  CHECK(ready["ready"] == true);
  CHECK(ready["collections"] == 0);

  CreateCollection(s.client, "c", 4, "l2", "Flat");
  CreateCollection(s.client, "d", 4, "l2", "Flat");
  CHECK(Ok(s.client, "GET", "/readyz")["collections"] == 2);
  auto vecs = RandomVectors(7, 4, 1);
  json points = json::array();
  for (size_t i = 0; i < vecs.size(); ++i) points.push_back(PointJson(i, vecs[i]));
  Upsert(s.client, "c", points);
  Ok(s.client, "POST", "/collections/c/points/delete", {{"ids", {0, 1}}});
  const int searches = 3;
  for (int i = 0; i < searches; ++i) Search(s.client, "c", SearchBody(vecs[i], 2));
  ExpectError(s.client, "POST", "/collections/missing/search", SearchBody(vecs[0], 2), 404);
  ExpectError(s.client, "GET", "/no/such/route", nullptr, 404);

  Reply m = Send(s.client, "GET", "/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.content_type.rfind("text/plain", 0) == 0);
  INFO(m.raw);
  const std::string search_route = "route=\"/collections/{collection}/search\"";
  CHECK(MetricValue(m.raw, "latentdb_http_requests_total{method=\"POST\"," + search_route + ",code=\"200\"}") == searches);
  CHECK(MetricValue(m.raw, "latentdb_http_requests_total{method=\"POST\"," + search_route + ",code=\"404\"}") == 1);
  CHECK(MetricValue(m.raw, "latentdb_http_requests_total{method=\"GET\",route=\"unmatched\",code=\"404\"}") == 1);
  CHECK(MetricValue(m.raw, "latentdb_http_request_duration_seconds_count{method=\"POST\"," + search_route + "}") ==
        searches + 1);
  CHECK(MetricValue(m.raw, "latentdb_http_request_duration_seconds_bucket{method=\"POST\"," + search_route +
                               ",le=\"+Inf\"}") == searches + 1);
  CHECK(MetricValue(m.raw, "latentdb_collection_points{collection=\"c\"}") == 5);
  CHECK(MetricValue(m.raw, "latentdb_collection_points{collection=\"d\"}") == 0);
  // Labels carry route patterns, never user-chosen names.
  CHECK(m.raw.find("/collections/c/") == std::string::npos);
  CHECK(m.raw.find("/collections/missing") == std::string::npos);

  Upsert(s.client, "c", {PointJson(100, vecs[0]), PointJson(101, vecs[1])});
  m = Send(s.client, "GET", "/metrics");
  CHECK(MetricValue(m.raw, "latentdb_collection_points{collection=\"c\"}") == 7);
  CHECK(MetricValue(m.raw, "latentdb_http_requests_total{method=\"GET\",route=\"/metrics\",code=\"200\"}") == 1);
}

// =============================================================================================
// Collections

TEST_CASE("collections: create, list, get, delete", "[http][collections]") {
  TestServer s;
  std::set<std::string> names;
  const std::vector<std::pair<std::string, std::string>> indexes = {
      {"Flat", "flat"}, {"HNSW32", "hnsw"}, {"IVF16,Flat", "ivf"}};
  for (const std::string metric : {"l2", "ip", "cosine"}) {
    for (size_t i = 0; i < indexes.size(); ++i) {
      const std::string name = "c_" + metric + Name("_", i);
      json info = CreateCollection(s.client, name, 8 + i, metric, indexes[i].first);
      CHECK(info["name"] == name);
      CHECK(info["config"]["dim"] == 8 + i);
      CHECK(info["config"]["metric"] == metric);
      CHECK(info["config"]["index"] == indexes[i].first);
      CHECK(info["points_count"] == 0);
      CHECK(info["index"]["kind"] == indexes[i].second);
      CHECK(info["index"]["live"] == 0);
      CHECK(info["index"]["trained"] == (indexes[i].second != "ivf"));
      names.insert(name);
    }
  }

  SECTION("the default index is HNSW32") {
    json info = Ok(s.client, "PUT", "/collections/dflt", {{"dim", 3}, {"metric", "l2"}});
    CHECK(info["config"]["index"] == "HNSW32");
    CHECK(info["index"]["kind"] == "hnsw");
    CHECK(Ok(s.client, "GET", "/collections/dflt")["config"]["index"] == "HNSW32");
  }

  SECTION("creating an existing collection is a conflict and changes nothing") {
    ExpectError(s.client, "PUT", "/collections/c_l2_0", {{"dim", 8}, {"metric", "l2"}, {"index", "Flat"}}, 409);
    ExpectError(s.client, "PUT", "/collections/c_l2_0", {{"dim", 99}, {"metric", "ip"}, {"index", "HNSW32"}}, 409);
    json info = Ok(s.client, "GET", "/collections/c_l2_0");
    CHECK(info["config"]["dim"] == 8);
    CHECK(info["config"]["metric"] == "l2");
    CHECK(info["config"]["index"] == "Flat");
  }

  SECTION("list, get with points, delete") {
    json list = Ok(s.client, "GET", "/collections")["collections"];
    std::set<std::string> listed;
    for (const auto& c : list) listed.insert(c["name"].get<std::string>());
    CHECK(listed == names);

    auto vecs = RandomVectors(3, 9, 2);
    Upsert(s.client, "c_ip_1", {PointJson(1, vecs[0]), PointJson(2, vecs[1]), PointJson("x", vecs[2])});
    json info = Ok(s.client, "GET", "/collections/c_ip_1");
    CHECK(info["points_count"] == 3);
    CHECK(info["index"]["live"] == 3);
    CHECK(info["index"]["kind"] == "hnsw");
    CHECK(info["config"]["dim"] == 9);

    CHECK(Ok(s.client, "DELETE", "/collections/c_ip_1") == true);
    ExpectError(s.client, "GET", "/collections/c_ip_1", nullptr, 404);
    CHECK(Ok(s.client, "DELETE", "/collections/c_ip_1") == false);  // as Qdrant: nothing was deleted
    ExpectError(s.client, "GET", "/collections/c_ip_1/points/1", nullptr, 404);
    ExpectError(s.client, "PUT", "/collections/c_ip_1/points", {{"points", {PointJson(1, vecs[0])}}}, 404);
    listed.clear();
    list = Ok(s.client, "GET", "/collections")["collections"];
    for (const auto& c : list) listed.insert(c["name"].get<std::string>());
    names.erase("c_ip_1");
    CHECK(listed == names);

    // A collection created again under the same name starts empty.
    CreateCollection(s.client, "c_ip_1", 9, "ip", "HNSW32");
    CHECK(PointsCount(s.client, "c_ip_1") == 0);
    ExpectError(s.client, "GET", "/collections/c_ip_1/points/1", nullptr, 404);
    CHECK(Ok(s.client, "POST", "/collections/c_ip_1/points/scroll", json::object())["points"].empty());
  }
}

TEST_CASE("collections: bad settings and bad names are rejected with 400", "[http][collections][errors]") {
  TestServer s;
  const std::vector<json> bad_bodies = {
      json::object(),
      {{"dim", 0}},
      {{"dim", -3}},
      {{"dim", "8"}},
      {{"dim", 1.5}},
      {{"dim", 65537}},
      {{"dim", nullptr}},
      {{"dim", 4}, {"metric", "hamming"}},
      {{"dim", 4}, {"metric", 1}},
      {{"dim", 4}, {"metric", "L2 "}},
      {{"dim", 4}, {"index", "NotAnIndex"}},
      {{"dim", 4}, {"index", "IDMap,Flat"}},
      {{"dim", 4}, {"index", ""}},
      {{"dim", 4}, {"index", 32}},
      {{"dim", 4}, {"colour", "red"}},
      {{"dim", 4}, {"metric", "l2"}, {"index", "Flat"}, {"extra", true}},
      json::array({4}),
      "dim=4",
  };
  for (const auto& body : bad_bodies) ExpectError(s.client, "PUT", "/collections/x", body, 400);
  ExpectError(SendRaw(s.client, "PUT", "/collections/x", "{\"dim\": 4"), 400, "truncated JSON");
  ExpectError(SendRaw(s.client, "PUT", "/collections/x", ""), 400, "empty body");
  ExpectError(s.client, "GET", "/collections/x", nullptr, 404);

  const json good = {{"dim", 4}, {"metric", "l2"}, {"index", "Flat"}};
  // "%2e%2e" and "a%20b" reach the server as ".." and "a b" after percent-decoding.
  const std::vector<std::string> bad_names = {"a%20b", "..",     "%2e%2e", ".", "bad.name", "a%2e", "%C3%A9t%C3%A9",
                                              "x%00y", std::string(65, 'a')};
  for (const std::string& name : bad_names) {
    ExpectError(s.client, "PUT", "/collections/" + name, good, 400);
    ExpectError(s.client, "GET", "/collections/" + name, nullptr, 400);
    ExpectError(s.client, "DELETE", "/collections/" + name, nullptr, 400);
    ExpectError(s.client, "POST", "/collections/" + name + "/search", SearchBody({1, 2, 3, 4}, 1), 400);
  }
  // An escaped slash is decoded before routing, so it never reaches a collection name.
  Reply slash = Send(s.client, "PUT", "/collections/a%2Fb", good);
  CHECK(slash.status >= 400);
  CHECK(slash.status < 500);
  CHECK(Ok(s.client, "GET", "/collections")["collections"].empty());

  // The limits themselves are allowed.
  const std::string longest(64, 'z');
  CHECK(Ok(s.client, "PUT", "/collections/" + longest, good)["name"] == longest);
  CHECK(Ok(s.client, "PUT", "/collections/A-b_9", good)["name"] == "A-b_9");
  CHECK(Ok(s.client, "PUT", "/collections/big", {{"dim", 65536}, {"metric", "ip"}, {"index", "Flat"}})["config"]["dim"] ==
        65536);
  CHECK(Ok(s.client, "GET", "/collections")["collections"].size() == 3);
}

// =============================================================================================
// Points

TEST_CASE("points: upsert, get, replace, delete, scroll", "[http][points]") {
  TestServer s;
  const size_t dim = 4;
  CreateCollection(s.client, "p", dim, "l2", "Flat");

  // The model of what the collection should hold: id (JSON text) -> (id, vector, payload).
  struct Stored {
    json id;
    Vec vector;
    json payload;
  };
  std::map<std::string, Stored> model;
  auto put = [&](const json& id, const Vec& v, const json& payload) { model[id.dump()] = {id, v, payload}; };

  auto vecs = RandomVectors(80, dim, 3);
  json batch = json::array();
  for (size_t i = 0; i < 50; ++i) {
    json payload = {{"n", i}, {"parity", i % 2 == 0 ? "even" : "odd"}};
    batch.push_back(PointJson(i, vecs[i], payload));
    put(i, vecs[i], payload);
  }
  for (size_t i = 0; i < 10; ++i) {
    const std::string id = Name("s", i);
    json payload = {{"n", 100 + i}, {"kind", "str"}};
    batch.push_back(PointJson(id, vecs[50 + i], payload));
    put(id, vecs[50 + i], payload);
  }
  Upsert(s.client, "p", batch);
  CHECK(PointsCount(s.client, "p") == model.size());

  auto check_point = [&](const std::string& path_id, const Stored& want) {
    json got = Ok(s.client, "GET", "/collections/p/points/" + path_id);
    CHECK(got["id"] == want.id);
    CHECK(VectorOf(got["vector"]) == want.vector);
    CHECK(got["payload"] == want.payload);
  };

  SECTION("get by integer and string id") {
    check_point("7", model[json(7).dump()]);
    check_point("0", model[json(0).dump()]);
    check_point("s3", model[json("s3").dump()]);
    json no_vector = Ok(s.client, "GET", "/collections/p/points/7?with_vector=false");
    CHECK(no_vector["id"] == 7);
    CHECK_FALSE(no_vector.contains("vector"));
    CHECK(no_vector["payload"]["n"] == 7);
    ExpectError(s.client, "GET", "/collections/p/points/999", nullptr, 404);
    ExpectError(s.client, "GET", "/collections/p/points/s10", nullptr, 404);
    ExpectError(s.client, "GET", "/collections/missing/points/7", nullptr, 404);
  }

  SECTION("a repeated id replaces the point") {
    Vec fresh = {10.f, -10.f, 10.f, -10.f};
    Upsert(s.client, "p", {PointJson(7, fresh, {{"replaced", true}})});
    put(7, fresh, {{"replaced", true}});
    CHECK(PointsCount(s.client, "p") == model.size());
    CHECK(Ok(s.client, "GET", "/collections/p")["index"]["live"] == model.size());
    check_point("7", model[json(7).dump()]);
    json hits = Search(s.client, "p", SearchBody(fresh, 1));
    REQUIRE(hits.size() == 1);
    CHECK(hits[0]["id"] == 7);
    CHECK(hits[0]["score"].get<double>() == Approx(0).margin(1e-5));
    CHECK(hits[0]["payload"] == json{{"replaced", true}});
    // The old vector no longer leads to point 7.
    json old = Search(s.client, "p", SearchBody(vecs[7], model.size()));
    for (const auto& h : old) {
      if (h["id"] == 7) CHECK(h["score"].get<double>() == Approx(Score(Metric::kL2, vecs[7], fresh)).epsilon(1e-4));
    }

    // The same id twice in one batch: the later one wins, one point is added.
    Upsert(s.client, "p", {PointJson("dup", vecs[60], {{"v", 1}}), PointJson("dup", vecs[61], {{"v", 2}})});
    put("dup", vecs[61], {{"v", 2}});
    CHECK(PointsCount(s.client, "p") == model.size());
    check_point("dup", model[json("dup").dump()]);
    CHECK(Search(s.client, "p", SearchBody(vecs[60], 1))[0]["score"].get<double>() > 1e-3);  // v1 is gone
  }

  SECTION("delete by ids and by filter") {
    json r = Ok(s.client, "POST", "/collections/p/points/delete", {{"ids", {1, 2, "s0", 12345, "nope"}}});
    CHECK(r["deleted"] == 3);
    CHECK(r["status"] == "completed");
    for (const json& id : {json(1), json(2), json("s0")}) model.erase(id.dump());
    CHECK(PointsCount(s.client, "p") == model.size());
    ExpectError(s.client, "GET", "/collections/p/points/1", nullptr, 404);
    ExpectError(s.client, "GET", "/collections/p/points/s0", nullptr, 404);
    check_point("3", model[json(3).dump()]);
    // Deleting again deletes nothing.
    CHECK(Ok(s.client, "POST", "/collections/p/points/delete", {{"ids", {1, 2}}})["deleted"] == 0);

    const json odd = {{"must", {{{"key", "parity"}, {"match", {{"value", "odd"}}}}}}};
    size_t expected = 0;
    for (auto it = model.begin(); it != model.end();) {
      if (it->second.payload.value("parity", "") == "odd") {
        ++expected;
        it = model.erase(it);
      } else {
        ++it;
      }
    }
    REQUIRE(expected == 24);
    CHECK(Ok(s.client, "POST", "/collections/p/points/delete", {{"filter", odd}})["deleted"] == expected);
    CHECK(PointsCount(s.client, "p") == model.size());
    CHECK(Ok(s.client, "GET", "/collections/p")["index"]["live"] == model.size());
    ExpectError(s.client, "GET", "/collections/p/points/9", nullptr, 404);
    // Deleted points are gone from search too.
    for (const auto& h : Search(s.client, "p", SearchBody(vecs[9], 100))) CHECK(model.count(h["id"].dump()) == 1);

    ExpectError(s.client, "POST", "/collections/p/points/delete", json::object(), 400);
    ExpectError(s.client, "POST", "/collections/p/points/delete", {{"ids", {3}}, {"filter", odd}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/delete", {{"ids", "3"}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/delete", {{"ids", {-1}}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/delete", {{"ids", {""}}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/delete", {{"filter", "odd"}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/delete", {{"filter", {{"nope", json::array()}}}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/delete", json::array({1}), 400);
    CHECK(PointsCount(s.client, "p") == model.size());
  }

  SECTION("scroll pages through everything exactly once") {
    Ok(s.client, "POST", "/collections/p/points/delete", {{"ids", {5, "s5"}}});
    model.erase(json(5).dump());
    model.erase(json("s5").dump());
    for (size_t page : {1u, 7u, 10u, 58u, 59u, 1000u}) {
      auto all = ScrollAll(s.client, "p", nullptr, page);
      REQUIRE(all.size() == model.size());
      for (const auto& [key, want] : model) {
        INFO("point " << key);
        REQUIRE(all.count(key) == 1);
        CHECK(all[key]["id"] == want.id);
        CHECK(VectorOf(all[key]["vector"]) == want.vector);
        CHECK(all[key]["payload"] == want.payload);
      }
    }
    const json strings = {{"must", {{{"key", "kind"}, {"match", {{"value", "str"}}}}}}};
    auto filtered = ScrollAll(s.client, "p", strings, 4);
    std::set<std::string> want;
    for (const auto& [key, p] : model) {
      if (p.payload.value("kind", "") == "str") want.insert(key);
    }
    std::set<std::string> got;
    for (const auto& [key, p] : filtered) got.insert(key);
    CHECK(want.size() == 9);
    CHECK(got == want);

    // Defaults: no body means limit 10 with payloads and without vectors.
    json first = Ok(s.client, "POST", "/collections/p/points/scroll");
    CHECK(first["points"].size() == 10);
    CHECK(first["points"][0].contains("payload"));
    CHECK_FALSE(first["points"][0].contains("vector"));
    CHECK_FALSE(first["next_page_offset"].is_null());

    ExpectError(s.client, "POST", "/collections/p/points/scroll", {{"limit", 0}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/scroll", {{"limit", -1}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/scroll", {{"limit", "5"}}, 400);
    // An offset is a position in id order (Qdrant): a deleted one starts at the next id, no 404.
    CHECK(Ok(s.client, "POST", "/collections/p/points/scroll", {{"offset", 5}, {"limit", 1}})["points"][0]["id"] == 6);
    ExpectError(s.client, "POST", "/collections/p/points/scroll", {{"offset", 1.5}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/scroll", {{"filter", {{"must", 3}}}}, 400);
    ExpectError(s.client, "POST", "/collections/p/points/scroll", json::array(), 400);
    ExpectError(s.client, "POST", "/collections/missing/points/scroll", json::object(), 404);
  }
}

// =============================================================================================
// Search

TEST_CASE("search: Flat scores are exact Euclidean distances, inner products and cosines", "[http][search]") {
  TestServer s;
  const size_t dim = 12, n = 300, k = 10;
  auto base = RandomVectors(n, dim, 4);
  auto queries = RandomVectors(6, dim, 5);
  const auto ids = IntIds(n);
  const std::vector<std::pair<std::string, Metric>> metrics = {
      {"l2", Metric::kL2}, {"ip", Metric::kIp}, {"cosine", Metric::kCosine}};
  for (const auto& [metric_name, metric] : metrics) {
    DYNAMIC_SECTION("metric " << metric_name) {
      const std::string name = "flat_" + metric_name;
      CreateCollection(s.client, name, dim, metric_name, "Flat");
      // Two batches, so that search spans several upserts.
      for (size_t start : {size_t{0}, n / 2}) {
        json points = json::array();
        for (size_t i = start; i < start + n / 2; ++i) points.push_back(PointJson(i, base[i], {{"i", i}}));
        Upsert(s.client, name, points);
      }
      for (const auto& q : queries) {
        json hits = Search(s.client, name, SearchBody(q, k));
        CheckHits(hits, BruteForce(metric, base, ids, q, k));
        for (size_t i = 1; i < hits.size(); ++i) {
          double prev = hits[i - 1]["score"], cur = hits[i]["score"];
          CHECK_FALSE(Better(metric, cur, prev));
        }
        for (const auto& h : hits) CHECK(h["payload"]["i"] == h["id"]);
      }
      // A stored vector is its own nearest neighbour under l2 and cosine.
      if (metric != Metric::kIp) {
        json self = Search(s.client, name, SearchBody(base[42], 1));
        CHECK(self[0]["id"] == 42);
        CHECK(self[0]["score"].get<double>() == Approx(metric == Metric::kL2 ? 0.0 : 1.0).margin(1e-5));
      }
      // k larger than the collection returns everything, ordered.
      CheckHits(Search(s.client, name, SearchBody(queries[0], 1000)), BruteForce(metric, base, ids, queries[0], 1000));
    }
  }
}

TEST_CASE("search: by id, with_payload, with_vector and params", "[http][search]") {
  TestServer s;
  const size_t dim = 8, n = 500;
  auto base = RandomVectors(n, dim, 6);
  auto queries = RandomVectors(10, dim, 7);
  const auto ids = IntIds(n);
  for (const std::string index : {"Flat", "HNSW32"}) {
    const std::string name = index == "Flat" ? "flat" : "hnsw";
    CreateCollection(s.client, name, dim, "l2", index);
    json points = json::array();
    for (size_t i = 0; i < n; ++i) points.push_back(PointJson(i, base[i], {{"i", i}, {"tag", Name("t", i % 3)}}));
    Upsert(s.client, name, points);
  }

  SECTION("search by id excludes the point itself") {
    for (size_t self : {0u, 17u, 499u}) {
      auto expected = BruteForce(Metric::kL2, base, ids, base[self], 5, [&](size_t i) { return i != self; });
      CheckHits(Search(s.client, "flat", {{"id", self}, {"k", 5}}), expected);
      CheckHits(Search(s.client, "hnsw", {{"id", self}, {"k", 5}, {"params", {{"exact", true}}}}), expected);
      json approx = Search(s.client, "hnsw", {{"id", self}, {"k", 5}});
      CHECK(approx.size() == 5);
      for (const auto& h : approx) CHECK(h["id"] != self);
      // By id with a filter: the filter and the self-exclusion both apply.
      const std::string tag = Name("t", self % 3);
      json filtered = Search(s.client, "flat", {{"id", self}, {"k", 4},
                                                {"filter", {{"must", {{{"key", "tag"}, {"match", {{"value", tag}}}}}}}}});
      CheckHits(filtered, BruteForce(Metric::kL2, base, ids, base[self], 4,
                                     [&](size_t i) { return i != self && i % 3 == self % 3; }));
    }
    ExpectError(s.client, "POST", "/collections/flat/search", {{"id", 100000}, {"k", 5}}, 404);
    ExpectError(s.client, "POST", "/collections/flat/search", {{"id", "nope"}, {"k", 5}}, 404);
  }

  SECTION("with_payload and with_vector") {
    json plain = Search(s.client, "flat", SearchBody(queries[0], 3));
    REQUIRE(plain.size() == 3);
    for (const auto& h : plain) {
      CHECK(h["payload"]["i"] == h["id"]);
      CHECK_FALSE(h.contains("vector"));
    }
    json bare = Search(s.client, "flat", {{"vector", queries[0]}, {"k", 3}, {"with_payload", false}});
    REQUIRE(bare.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(bare[i]["id"] == plain[i]["id"]);
      CHECK_FALSE(bare[i].contains("payload"));
    }
    json full = Search(s.client, "hnsw", {{"vector", queries[1]}, {"k", 4}, {"with_vector", true}});
    REQUIRE(full.size() == 4);
    for (const auto& h : full) {
      CHECK(VectorOf(h["vector"]) == base[h["id"].get<size_t>()]);
      CHECK(h["score"].get<double>() == Approx(Score(Metric::kL2, queries[1], base[h["id"].get<size_t>()])).epsilon(1e-4));
    }
    // "limit" is accepted for Qdrant clients; k defaults to 10.
    CHECK(Search(s.client, "flat", {{"vector", queries[0]}, {"limit", 3}}).size() == 3);
    CHECK(Search(s.client, "flat", {{"vector", queries[0]}}).size() == 10);
  }

  SECTION("params: exact search on HNSW equals brute force; ef raises recall") {
    size_t found = 0, total = 0;
    for (const auto& q : queries) {
      auto expected = BruteForce(Metric::kL2, base, ids, q, 10);
      CheckHits(Search(s.client, "hnsw", {{"vector", q}, {"k", 10}, {"params", {{"exact", true}}}}), expected);
      json hits = Search(s.client, "hnsw", {{"vector", q}, {"k", 10}, {"params", {{"ef", 300}}}});
      REQUIRE(hits.size() == 10);
      std::set<size_t> truth;
      for (const auto& e : expected.top) truth.insert(e.id.get<size_t>());
      for (const auto& h : hits) {
        found += truth.count(h["id"].get<size_t>());
        CHECK(h["score"].get<double>() == Approx(Score(Metric::kL2, q, base[h["id"].get<size_t>()])).epsilon(1e-4));
      }
      total += 10;
      CHECK(Search(s.client, "hnsw", {{"vector", q}, {"k", 10}, {"params", {{"ef", 16}}}}).size() == 10);
    }
    // 500 points and a beam of 300: HNSW must be (nearly) exact.
    CHECK(static_cast<double>(found) / static_cast<double>(total) >= 0.98);
  }

  SECTION("bad search requests") {
    const std::vector<json> bad = {
        {{"k", 3}},
        {{"vector", queries[0]}, {"id", 1}},
        {{"vector", queries[0]}, {"k", 0}},
        {{"vector", queries[0]}, {"k", -2}},
        {{"vector", queries[0]}, {"k", 10001}},
        {{"vector", queries[0]}, {"k", "3"}},
        {{"vector", queries[0]}, {"with_payload", "no"}},
        {{"vector", queries[0]}, {"with_vector", 1}},
        {{"vector", queries[0]}, {"params", json::array()}},
        {{"vector", queries[0]}, {"params", {{"ef", 0}}}},
        {{"vector", queries[0]}, {"params", {{"exact", "yes"}}}},
        {{"vector", queries[0]}, {"filter", {{"must", {{{"key", "tag"}}}}}}},
        {{"vector", queries[0]}, {"filter", {{"must", {{{"key", "i"}, {"range", {{"gt", "1"}}}}}}}}},
        {{"vector", queries[0]}, {"filter", {{"must", {{{"key", "i"}, {"range", {{"above", 1}}}}}}}}},
        {{"vector", queries[0]}, {"filter", {{"must", {{{"key", "i"}, {"match", {{"value", 1.5}}}}}}}}},
        {{"vector", queries[0]}, {"filter", {{"must", {{{"key", "i"}, {"match", {{"any", 1}}}}}}}}},
        {{"vector", queries[0]}, {"filter", {{"mustnt", json::array()}}}},
        {{"vector", Vec(dim - 1, 0.5f)}},
        {{"vector", "0.5"}},
        {{"id", -1}},
        {{"id", ""}},
        json::array(),
    };
    for (const auto& body : bad) {
      ExpectError(s.client, "POST", "/collections/flat/search", body, 400);
      ExpectError(s.client, "POST", "/collections/hnsw/search", body, 400);
    }
  }
}

TEST_CASE("search: filters with must, should, must_not, match value, match any and range", "[http][search][filter]") {
  TestServer s;
  const size_t dim = 6, n = 400, k = 15;
  auto base = RandomVectors(n, dim, 8);
  auto queries = RandomVectors(3, dim, 9);
  const auto ids = IntIds(n);
  const std::vector<std::string> colors = {"red", "green", "blue", "black"};
  auto color = [&](size_t i) { return colors[i % 4]; };
  auto price = [](size_t i) { return static_cast<int>((i * 37) % 100); };
  auto author = [](size_t i) { return Name("a", i % 7); };
  auto tags = [](size_t i) { return std::vector<std::string>{Name("t", i % 3), Name("u", i % 5)}; };
  CreateCollection(s.client, "f", dim, "l2", "Flat");
  CreateCollection(s.client, "h", dim, "l2", "HNSW32");
  json points = json::array();
  for (size_t i = 0; i < n; ++i) {
    points.push_back(PointJson(i, base[i],
                               {{"color", color(i)}, {"price", price(i)}, {"tags", tags(i)},
                                {"meta", {{"author", author(i)}}}, {"on_sale", i % 6 == 0}}));
  }
  Upsert(s.client, "f", points);
  Upsert(s.client, "h", points);

  auto cond_match = [](const std::string& key, const json& value) {
    return json{{"key", key}, {"match", {{"value", value}}}};
  };
  auto has_tag = [&](size_t i, const std::string& t) {
    auto ts = tags(i);
    return std::find(ts.begin(), ts.end(), t) != ts.end();
  };
  struct Case {
    std::string what;
    json filter;
    std::function<bool(size_t)> pred;
  };
  const std::vector<Case> cases = {
      {"must match value", {{"must", {cond_match("color", "red")}}}, [&](size_t i) { return color(i) == "red"; }},
      {"must_not match value", {{"must_not", {cond_match("color", "green")}}}, [&](size_t i) { return color(i) != "green"; }},
      {"match bool", {{"must", {cond_match("on_sale", true)}}}, [](size_t i) { return i % 6 == 0; }},
      {"match integer", {{"must", {cond_match("price", 74)}}}, [&](size_t i) { return price(i) == 74; }},
      {"match any", {{"must", {{{"key", "color"}, {"match", {{"any", {"red", "blue"}}}}}}}},
       [&](size_t i) { return color(i) == "red" || color(i) == "blue"; }},
      {"match on an array payload", {{"must", {cond_match("tags", "u3")}}}, [&](size_t i) { return has_tag(i, "u3"); }},
      {"dotted key", {{"must", {cond_match("meta.author", "a3")}}}, [&](size_t i) { return author(i) == "a3"; }},
      {"range gt/lte", {{"must", {{{"key", "price"}, {"range", {{"gt", 10}, {"lte", 20}}}}}}},
       [&](size_t i) { return price(i) > 10 && price(i) <= 20; }},
      {"range gte/lt", {{"must", {{{"key", "price"}, {"range", {{"gte", 90}, {"lt", 95.5}}}}}}},
       [&](size_t i) { return price(i) >= 90 && price(i) < 95.5; }},
      {"should", {{"should", {cond_match("color", "black"), cond_match("meta.author", "a0")}}},
       [&](size_t i) { return color(i) == "black" || author(i) == "a0"; }},
      {"must + should + must_not",
       {{"must", {{{"key", "price"}, {"range", {{"lt", 60}}}}}},
        {"should", {cond_match("color", "red"), cond_match("color", "blue")}},
        {"must_not", {{{"key", "tags"}, {"match", {{"any", {"t0"}}}}}}}},
       [&](size_t i) { return price(i) < 60 && (color(i) == "red" || color(i) == "blue") && !has_tag(i, "t0"); }},
      {"nested filter", {{"must", {{{"should", {cond_match("color", "red"), cond_match("on_sale", true)}}}}},
                         {"must_not", {cond_match("meta.author", "a1")}}},
       [&](size_t i) { return (color(i) == "red" || i % 6 == 0) && author(i) != "a1"; }},
      {"has_id", {{"must", {{{"has_id", {3, 30, 300, 3000}}}}}}, [](size_t i) { return i == 3 || i == 30 || i == 300; }},
      {"missing key", {{"must", {cond_match("nope", "x")}}}, [](size_t) { return false; }},
      {"empty filter", json::object(), [](size_t) { return true; }},
  };
  for (const auto& c : cases) {
    size_t matching = 0;
    for (size_t i = 0; i < n; ++i) matching += c.pred(i) ? 1 : 0;
    for (const auto& q : queries) {
      INFO(c.what << " (" << matching << " points match)");
      auto expected = BruteForce(Metric::kL2, base, ids, q, k, c.pred);
      json body = {{"vector", q}, {"k", k}, {"filter", c.filter}};
      CheckHits(Search(s.client, "f", body), expected);
      body["params"] = {{"exact", true}};
      CheckHits(Search(s.client, "h", body), expected);
      body.erase("params");
      json approx = Search(s.client, "h", body);
      CHECK(approx.size() == std::min(k, matching));
      for (const auto& h : approx) CHECK(c.pred(h["id"].get<size_t>()));
    }
  }
}

TEST_CASE("search: a selective filter on HNSW still returns k results", "[http][search][filter]") {
  TestServer s;
  const size_t dim = 16, n = 2000, k = 10;
  auto base = RandomVectors(n, dim, 10);
  auto queries = RandomVectors(8, dim, 11);
  const auto ids = IntIds(n);
  auto rare = [](size_t i) { return i % 100 == 37; };  // 20 of 2000 points
  CreateCollection(s.client, "h", dim, "l2", "HNSW32");
  for (size_t start = 0; start < n; start += 500) {
    json points = json::array();
    for (size_t i = start; i < start + 500; ++i) {
      points.push_back(PointJson(i, base[i], {{"group", rare(i) ? "rare" : "common"}}));
    }
    Upsert(s.client, "h", points);
  }
  const json filter = {{"must", {{{"key", "group"}, {"match", {{"value", "rare"}}}}}}};
  for (const auto& q : queries) {
    json hits = Search(s.client, "h", {{"vector", q}, {"k", k}, {"filter", filter}});
    REQUIRE(hits.size() == k);
    std::set<size_t> seen;
    for (size_t i = 0; i < hits.size(); ++i) {
      size_t id = hits[i]["id"];
      CHECK(rare(id));
      CHECK(hits[i]["payload"]["group"] == "rare");
      CHECK(seen.insert(id).second);
      CHECK(hits[i]["score"].get<double>() == Approx(Score(Metric::kL2, q, base[id])).epsilon(1e-4));
      if (i > 0) CHECK(hits[i]["score"].get<double>() >= hits[i - 1]["score"].get<double>());
    }
    CheckHits(Search(s.client, "h", {{"vector", q}, {"k", k}, {"filter", filter}, {"params", {{"exact", true}}}}),
              BruteForce(Metric::kL2, base, ids, q, k, rare));
    // Asking for more than match: exactly the matching points, nothing else.
    json all = Search(s.client, "h", {{"vector", q}, {"k", 50}, {"filter", filter}});
    CHECK(all.size() == 20);
    for (const auto& h : all) CHECK(rare(h["id"].get<size_t>()));
  }
}

TEST_CASE("search: an IVF collection trains and searches with nprobe", "[http][search]") {
  TestServer s;
  const size_t dim = 8, n = 1200;
  auto base = RandomVectors(n, dim, 12);
  auto queries = RandomVectors(4, dim, 13);
  const auto ids = IntIds(n);
  CreateCollection(s.client, "ivf", dim, "l2", "IVF16,Flat");
  json points = json::array();
  for (size_t i = 0; i < 500; ++i) points.push_back(PointJson(i, base[i]));
  Upsert(s.client, "ivf", points);
  json info = Ok(s.client, "GET", "/collections/ivf");
  CHECK(info["index"]["trained"] == false);
  const std::vector<Vec> first(base.begin(), base.begin() + 500);
  CheckHits(Search(s.client, "ivf", SearchBody(queries[0], 10)), BruteForce(Metric::kL2, first, ids, queries[0], 10));

  points = json::array();
  for (size_t i = 500; i < n; ++i) points.push_back(PointJson(i, base[i]));
  Upsert(s.client, "ivf", points);
  info = Ok(s.client, "GET", "/collections/ivf");
  CHECK(info["index"]["trained"] == true);
  CHECK(info["index"]["live"] == n);
  for (const auto& q : queries) {
    // Probing all 16 lists is exhaustive.
    CheckHits(Search(s.client, "ivf", {{"vector", q}, {"k", 10}, {"params", {{"nprobe", 16}}}}),
              BruteForce(Metric::kL2, base, ids, q, 10));
    CheckHits(Search(s.client, "ivf", {{"vector", q}, {"k", 10}, {"params", {{"exact", true}}}}),
              BruteForce(Metric::kL2, base, ids, q, 10));
    json one = Search(s.client, "ivf", {{"vector", q}, {"k", 10}, {"params", {{"nprobe", 1}}}});
    CHECK(one.size() == 10);
    for (const auto& h : one) {
      CHECK(h["score"].get<double>() == Approx(Score(Metric::kL2, q, base[h["id"].get<size_t>()])).epsilon(1e-4));
    }
  }
}

TEST_CASE("search/batch runs several searches", "[http][search]") {
  TestServer s;
  const size_t dim = 5, n = 120;
  auto base = RandomVectors(n, dim, 14);
  auto queries = RandomVectors(3, dim, 15);
  const auto ids = IntIds(n);
  CreateCollection(s.client, "b", dim, "cosine", "Flat");
  json points = json::array();
  for (size_t i = 0; i < n; ++i) points.push_back(PointJson(i, base[i], {{"even", i % 2 == 0}}));
  Upsert(s.client, "b", points);

  const json even = {{"must", {{{"key", "even"}, {"match", {{"value", true}}}}}}};
  json searches = {SearchBody(queries[0], 3),
                   {{"id", 11}, {"k", 2}},
                   {{"vector", queries[1]}, {"k", 4}, {"filter", even}, {"with_payload", false}},
                   SearchBody(queries[2], 1)};
  json r = Ok(s.client, "POST", "/collections/b/search/batch", {{"searches", searches}});
  REQUIRE(r.size() == 4);
  CheckHits(r[0], BruteForce(Metric::kCosine, base, ids, queries[0], 3));
  CheckHits(r[1], BruteForce(Metric::kCosine, base, ids, base[11], 2, [](size_t i) { return i != 11; }));
  CheckHits(r[2], BruteForce(Metric::kCosine, base, ids, queries[1], 4, [](size_t i) { return i % 2 == 0; }));
  for (const auto& h : r[2]) CHECK_FALSE(h.contains("payload"));
  CheckHits(r[3], BruteForce(Metric::kCosine, base, ids, queries[2], 1));
  // Each entry equals the single search.
  for (size_t i = 0; i < searches.size(); ++i) CHECK(r[i] == Search(s.client, "b", searches[i]));

  CHECK(Ok(s.client, "POST", "/collections/b/search/batch", {{"searches", json::array()}}).empty());
  Reply bad = Send(s.client, "POST", "/collections/b/search/batch",
                   {{"searches", {SearchBody(queries[0], 3), SearchBody(Vec(dim + 1, 1.0f), 3)}}});
  ExpectError(bad, 400);
  CHECK(bad.body["status"]["error"].get<std::string>().find("searches[1]") != std::string::npos);
  ExpectError(s.client, "POST", "/collections/b/search/batch", json::object(), 400);
  ExpectError(s.client, "POST", "/collections/b/search/batch", {{"searches", SearchBody(queries[0], 3)}}, 400);
  ExpectError(s.client, "POST", "/collections/b/search/batch", {{"searches", {{{"id", 9999}}}}}, 404);
  json too_many = json::array();
  for (int i = 0; i < 1025; ++i) too_many.push_back(SearchBody(queries[0], 1));
  ExpectError(s.client, "POST", "/collections/b/search/batch", {{"searches", too_many}}, 413);
  ExpectError(s.client, "POST", "/collections/nope/search/batch", {{"searches", json::array()}}, 404);
}

// =============================================================================================
// Analogy

TEST_CASE("analogy: 3CosAdd and 3CosMul as gensim computes them", "[http][analogy]") {
  TestServer s;
  // Axes: royalty, maleness, femaleness, fruitiness. Lengths differ on purpose: inputs must be
  // unit-normalized before they are combined.
  const std::vector<Word> words = {
      {"king", {0.9f, 0.8f, 0.1f, 0.05f}},      {"queen", {1.7f, 0.2f, 1.6f, 0.2f}},
      {"man", {0.4f, 1.8f, 0.1f, 0.2f}},        {"woman", {0.15f, 0.1f, 0.9f, 0.05f}},
      {"prince", {0.7f, 0.7f, 0.2f, 0.3f}},     {"princess", {0.6f, 0.1f, 0.7f, 0.35f}},
      {"apple", {0.05f, 0.1f, 0.1f, 0.95f}},    {"car", {-0.3f, 0.5f, -0.2f, 0.4f}},
      {"girl", {0.05f, 0.05f, 2.5f, 0.3f}},     {"throne", {3.0f, 0.3f, 0.4f, -0.1f}},
  };
  auto vec = [&](const std::string& id) {
    for (const auto& w : words) {
      if (w.id == id) return w.v;
    }
    FAIL("no word " << id);
    return Vec();
  };
  CreateCollection(s.client, "w", 4, "l2", "HNSW32");  // analogy is cosine whatever the metric
  json points = json::array();
  for (const auto& w : words) points.push_back(PointJson(w.id, w.v, {{"word", w.id}}));
  Upsert(s.client, "w", points);

  for (const bool cosmul : {false, true}) {
    DYNAMIC_SECTION((cosmul ? "3cosmul" : "3cosadd")) {
      const std::string method = cosmul ? "3cosmul" : "3cosadd";
      // king - man + woman
      auto expected = ExpectedAnalogy(words, {vec("king"), vec("woman")}, {vec("man")}, {"king", "woman", "man"}, cosmul, 5);
      REQUIRE(expected.top[0].id == "queen");  // the hand-made space works as intended
      json hits = Ok(s.client, "POST", "/collections/w/analogy",
                     {{"positive", {"king", "woman"}}, {"negative", {"man"}}, {"method", method}, {"k", 5}});
      CheckHits(hits, expected, 1e-5);
      CHECK(hits[0]["payload"]["word"] == "queen");

      // More terms than the usual three, and k beyond the candidates (10 words - 4 inputs).
      expected = ExpectedAnalogy(words, {vec("prince"), vec("girl"), vec("throne")}, {vec("man")},
                                 {"prince", "girl", "throne", "man"}, cosmul, 100);
      REQUIRE(expected.top.size() == 6);
      CheckHits(Ok(s.client, "POST", "/collections/w/analogy",
                   {{"positive", {"prince", "girl", "throne"}}, {"negative", {"man"}}, {"method", method}, {"k", 100}}),
                expected, 1e-5);

      // Positive only: nearest by cosine, the input excluded.
      expected = ExpectedAnalogy(words, {vec("apple")}, {}, {"apple"}, cosmul, 3);
      CheckHits(Ok(s.client, "POST", "/collections/w/analogy", {{"positive", {"apple"}}, {"method", method}, {"k", 3}}),
                expected, 1e-5);

      // A raw vector as a term is not excluded from the results.
      Vec scaled_king = vec("king");
      for (auto& x : scaled_king) x *= 3;
      expected = ExpectedAnalogy(words, {scaled_king, vec("woman")}, {vec("man")}, {"woman", "man"}, cosmul, 4);
      CheckHits(Ok(s.client, "POST", "/collections/w/analogy",
                   {{"positive", {scaled_king, "woman"}}, {"negative", {"man"}}, {"method", method}, {"k", 4},
                    {"with_payload", false}}),
                expected, 1e-5);
    }
  }

  SECTION("3cosadd is the default method") {
    CHECK(Ok(s.client, "POST", "/collections/w/analogy", {{"positive", {"king", "woman"}}, {"negative", {"man"}}, {"k", 3}}) ==
          Ok(s.client, "POST", "/collections/w/analogy",
             {{"positive", {"king", "woman"}}, {"negative", {"man"}}, {"k", 3}, {"method", "3cosadd"}}));
  }

  SECTION("bad analogy requests") {
    ExpectError(s.client, "POST", "/collections/w/analogy", {{"positive", json::array()}}, 400);
    // As gensim: negative terms alone rank by the mean of their negated unit vectors (most_similar);
    // most_similar_cosmul needs a positive term, and no term at all is refused.
    const json negative_only = Ok(s.client, "POST", "/collections/w/analogy", {{"negative", {"man"}}, {"k", 100}});
    REQUIRE(!negative_only.empty());
    for (size_t i = 1; i < negative_only.size(); ++i) CHECK(negative_only[i - 1]["score"] >= negative_only[i]["score"]);
    for (const auto& hit : negative_only) CHECK(hit["id"] != "man");
    ExpectError(s.client, "POST", "/collections/w/analogy", {{"negative", {"man"}}, {"method", "3cosmul"}}, 400);
    ExpectError(s.client, "POST", "/collections/w/analogy", json::object(), 400);
    ExpectError(s.client, "POST", "/collections/w/analogy", {{"positive", "king"}}, 400);
    ExpectError(s.client, "POST", "/collections/w/analogy", {{"positive", {"king"}}, {"method", "3cosdiv"}}, 400);
    ExpectError(s.client, "POST", "/collections/w/analogy", {{"positive", {"king"}}, {"k", 0}}, 400);
    ExpectError(s.client, "POST", "/collections/w/analogy", {{"positive", {Vec{1, 2, 3}}}}, 400);
    ExpectError(s.client, "POST", "/collections/w/analogy", {{"positive", {"king", "emperor"}}}, 404);
    ExpectError(s.client, "POST", "/collections/nope/analogy", {{"positive", {"king"}}}, 404);
  }
}

// =============================================================================================
// Errors

TEST_CASE("errors: bad bodies, bad vectors, unknown things, wrong methods", "[http][errors]") {
  TestServer s;
  const size_t dim = 4;
  CreateCollection(s.client, "e", dim, "l2", "HNSW32");
  const Vec v1 = {1, 2, 3, 4}, v2 = {5, 6, 7, 8};
  Upsert(s.client, "e", {PointJson(1, v1, {{"orig", true}})});
  auto unchanged = [&] {
    CHECK(PointsCount(s.client, "e") == 1);
    json p = Ok(s.client, "GET", "/collections/e/points/1");
    CHECK(VectorOf(p["vector"]) == v1);
    CHECK(p["payload"] == json{{"orig", true}});
    ExpectError(s.client, "GET", "/collections/e/points/2", nullptr, 404);
    CHECK(Ok(s.client, "GET", "/collections/e")["index"]["live"] == 1);
  };

  SECTION("malformed and over-deep JSON") {
    for (const std::string body : {"{\"points\": [", "not json", "{\"points\": [{\"id\": 1,}]}", "{'points': []}",
                                   "{\"points\": []} trailing", "\xff\xfe"}) {
      ExpectError(SendRaw(s.client, "PUT", "/collections/e/points", body), 400, body);
      ExpectError(SendRaw(s.client, "POST", "/collections/e/search", body), 400, body);
    }
    ExpectError(SendRaw(s.client, "PUT", "/collections/e/points", ""), 400, "empty body");
    ExpectError(SendRaw(s.client, "POST", "/collections/e/search", ""), 400, "empty body");

    // 65 levels of nesting are refused, 64 are fine. The body holds 4 levels before the payload.
    auto nested_payload = [](int levels) {
      std::string p;
      for (int i = 0; i < levels; ++i) p += "{\"a\":";
      p += "1";
      for (int i = 0; i < levels; ++i) p += "}";
      return p;
    };
    auto body_with_depth = [&](int depth) {
      return "{\"points\":[{\"id\":2,\"vector\":[5,6,7,8],\"payload\":{\"deep\":" + nested_payload(depth - 4) + "}}]}";
    };
    Reply deep = SendRaw(s.client, "PUT", "/collections/e/points", body_with_depth(65));
    ExpectError(deep, 400, "65 levels");
    CHECK(deep.body["status"]["error"].get<std::string>().find("64") != std::string::npos);
    ExpectError(SendRaw(s.client, "POST", "/collections/e/search", std::string(100000, '[') + std::string(100000, ']')),
                400, "100000 levels");
    unchanged();
    json r = json::parse(SendRaw(s.client, "PUT", "/collections/e/points", body_with_depth(64)).raw);
    REQUIRE(r["status"] == "ok");
    json p = Ok(s.client, "GET", "/collections/e/points/2");
    CHECK(p["payload"]["deep"] == json::parse(nested_payload(60)));
    // Brackets inside strings do not count as nesting.
    Upsert(s.client, "e", {PointJson(3, v2, {{"text", std::string(200, '[')}})});
    CHECK(Ok(s.client, "GET", "/collections/e/points/3")["payload"]["text"] == std::string(200, '['));
  }

  SECTION("bad vectors and ids are refused, and a refused batch changes nothing") {
    auto bad_batch = [&](const std::string& last_point) {
      // A valid replacement of 1 and a valid new point 2, then a bad one: none may be applied.
      return "{\"points\":[{\"id\":1,\"vector\":[5,6,7,8],\"payload\":{\"orig\":false}},"
             "{\"id\":2,\"vector\":[1,1,1,1]}," + last_point + "]}";
    };
    const std::vector<std::string> bad_points = {
        R"({"id":3,"vector":[1,2,3]})",             // wrong dimension
        R"({"id":3,"vector":[1,2,3,4,5]})",         // wrong dimension
        R"({"id":3,"vector":[]})",                  // wrong dimension
        R"({"id":3,"vector":[1,2,1e999,4]})",       // inf (JSON cannot carry NaN)
        R"({"id":3,"vector":[1,2,-1e999,4]})",      // -inf
        R"({"id":3,"vector":[1,2,1e300,4]})",       // finite as a double, inf as a float
        R"({"id":3,"vector":[1,"2",3,4]})",         // not a number
        R"({"id":3,"vector":[1,null,3,4]})",        // not a number
        R"({"id":3,"vector":[1,[2],3,4]})",         // not a number
        R"({"id":3,"vector":{"a":1}})",             // not an array
        R"({"id":3})",                              // no vector
        R"({"vector":[1,2,3,4]})",                  // no id
        R"({"id":-3,"vector":[1,2,3,4]})",          // negative id
        R"({"id":3.5,"vector":[1,2,3,4]})",         // fractional id
        R"({"id":"","vector":[1,2,3,4]})",          // empty id
        R"({"id":true,"vector":[1,2,3,4]})",        // bool id
        R"({"id":3,"vector":[1,2,3,4],"payload":[1]})",  // payload not an object
        R"({"id":3,"vector":[1,2,3,4],"payload":"x"})",  // payload not an object
        R"(17)",                                    // not an object
    };
    for (const auto& bad : bad_points) {
      Reply r = SendRaw(s.client, "PUT", "/collections/e/points", bad_batch(bad));
      ExpectError(r, 400, bad);
      unchanged();
    }
    const std::string long_id = "{\"id\":\"" + std::string(513, 'x') + "\",\"vector\":[1,2,3,4]}";
    ExpectError(SendRaw(s.client, "PUT", "/collections/e/points", bad_batch(long_id)), 400, "513-byte id");
    for (const json& body : {json::object(), json{{"points", json::array()}}, json{{"points", 3}}, json{{"pts", json::array()}}}) {
      ExpectError(s.client, "PUT", "/collections/e/points", body, 400);
    }
    unchanged();

    // The same checks guard search.
    ExpectError(SendRaw(s.client, "POST", "/collections/e/search", R"({"vector":[1,2,3],"k":1})"), 400, "search dim");
    ExpectError(SendRaw(s.client, "POST", "/collections/e/search", R"({"vector":[1,2,1e999,4],"k":1})"), 400, "search inf");
    ExpectError(SendRaw(s.client, "POST", "/collections/e/search", R"({"vector":[1,2,"x",4],"k":1})"), 400, "search str");

    // A 512-byte id is fine.
    const std::string id512(512, 'y');
    Upsert(s.client, "e", {PointJson(id512, v2)});
    CHECK(Ok(s.client, "GET", "/collections/e/points/" + id512)["id"] == id512);
  }

  SECTION("unknown collections, unknown routes, wrong methods") {
    const json point = {{"points", {PointJson(1, v1)}}};
    ExpectError(s.client, "PUT", "/collections/nope/points", point, 404);
    ExpectError(s.client, "GET", "/collections/nope", nullptr, 404);
    ExpectError(s.client, "GET", "/collections/nope/points/1", nullptr, 404);
    ExpectError(s.client, "POST", "/collections/nope/points/delete", {{"ids", {1}}}, 404);
    ExpectError(s.client, "POST", "/collections/nope/points/scroll", json::object(), 404);
    ExpectError(s.client, "POST", "/collections/nope/search", SearchBody(v1, 1), 404);
    ExpectError(s.client, "POST", "/collections/nope/analogy", {{"positive", {1}}}, 404);
    CHECK(Ok(s.client, "DELETE", "/collections/nope") == false);

    ExpectError(s.client, "GET", "/nope", nullptr, 404);
    ExpectError(s.client, "GET", "/nope", nullptr, 404);
    ExpectError(s.client, "GET", "/collections/e/nope", nullptr, 404);
    ExpectError(s.client, "POST", "/collections/e/points/scroll/more", json::object(), 404);
    ExpectError(s.client, "GET", "/collections/", nullptr, 404);
    ExpectError(s.client, "GET", "/healthz/x", nullptr, 404);

    ExpectError(s.client, "DELETE", "/healthz", nullptr, 405);
    ExpectError(s.client, "POST", "/metrics", json::object(), 405);
    ExpectError(s.client, "POST", "/collections", json::object(), 405);
    ExpectError(s.client, "POST", "/collections/e", json::object(), 405);
    ExpectError(s.client, "PATCH", "/collections/e", json::object(), 405);
    ExpectError(s.client, "GET", "/collections/e/search", nullptr, 405);
    ExpectError(s.client, "PUT", "/collections/e/search", SearchBody(v1, 1), 405);
    ExpectError(s.client, "GET", "/collections/e/points", nullptr, 405);
    ExpectError(s.client, "DELETE", "/collections/e/points/1", nullptr, 405);
    ExpectError(s.client, "GET", "/collections/e/analogy", nullptr, 405);
    ExpectError(SendRaw(s.client, "GET", "/collections/e/points/%zz", ""), 400, "bad percent-escape");
    unchanged();
  }
}

TEST_CASE("errors: a body over --body-limit-mb is refused with 413", "[http][errors]") {
  TestServer s({"--body-limit-mb", "1"});
  CreateCollection(s.client, "big", 4, "l2", "Flat");
  std::string payload(2u << 20, 'x');
  json body = {{"points", {PointJson(1, {1, 2, 3, 4}, {{"blob", payload}})}}};
  ExpectError(Send(s.client, "PUT", "/collections/big/points", body), 413, "2 MB body");
  // The server is fine afterwards, and nothing was stored.
  HttpClient fresh("127.0.0.1", s.process.port());
  CHECK(PointsCount(fresh, "big") == 0);
  // A body just under the limit is accepted.
  body["points"][0]["payload"]["blob"] = std::string((1u << 20) - 200, 'y');
  REQUIRE(body.dump().size() < (1u << 20));
  Upsert(fresh, "big", body["points"]);
  CHECK(PointsCount(fresh, "big") == 1);
  // Also on a connection that was already in use (keep-alive).
  ExpectError(Send(fresh, "POST", "/collections/big/search", {{"vector", {1, 2, 3, 4}}, {"pad", payload}}), 413,
              "2 MB search");
  CHECK(PointsCount(fresh, "big") == 1);
}

// =============================================================================================
// Authentication

TEST_CASE("API key: every route but the health probes, the root, the console page and the OpenAPI document needs it, as api-key or Bearer", "[http][auth]") {
  SECTION("--api-key") {
    TestServer s({"--api-key", "secret"});
    CheckApiKey(s.process.port(), "secret");
  }
  SECTION("LATENTDB_API_KEY in the environment") {
    // The child inherits the environment at fork.
    REQUIRE(setenv("LATENTDB_API_KEY", "from-env", 1) == 0);
    std::optional<TestServer> s;
    try {
      s.emplace();
    } catch (...) {
      unsetenv("LATENTDB_API_KEY");
      throw;
    }
    unsetenv("LATENTDB_API_KEY");
    CheckApiKey(s->process.port(), "from-env");
  }
}

// =============================================================================================
// Process-level behaviour

TEST_CASE("a second server on the same data directory fails fast", "[http][process]") {
  TestServer s;
  CreateCollection(s.client, "c", 2, "l2", "Flat");
  std::string output;
  auto start = std::chrono::steady_clock::now();
  int code = latentdb::testing::RunLatentdb({"serve", "--data-dir", s.dir.path(), "--port", "0"}, &output);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(output);
  CHECK(code != 0);
  CHECK(output.find("LOCK.latentdb") != std::string::npos);
  CHECK(output.find("listening on") == std::string::npos);
  CHECK(secs < 10);
  // The first server is unharmed.
  CHECK(Ok(s.client, "GET", "/healthz")["healthy"] == true);
  CHECK(Ok(s.client, "GET", "/collections")["collections"].size() == 1);
}

TEST_CASE("points, payloads and search results survive a clean restart", "[http][process]") {
  TempDir dir;
  const size_t dim = 10, n = 1200;  // enough for the IVF index to be trained before it is saved
  auto base = RandomVectors(n, dim, 16);
  auto queries = RandomVectors(5, dim, 17);
  const json filter = {{"must_not", {{{"key", "bucket"}, {"match", {{"value", 1}}}}}}};
  const std::vector<std::pair<std::string, std::string>> collections = {
      {"hnsw_cos", "HNSW32"}, {"flat_l2", "Flat"}, {"ivf_ip", "IVF16,Flat"}};
  const std::map<std::string, std::string> metric = {{"hnsw_cos", "cosine"}, {"flat_l2", "l2"}, {"ivf_ip", "ip"}};

  // Everything observable about the data: all points, collection info, and search results.
  auto snapshot = [&](HttpClient& client) {
    json snap = json::object();
    for (const auto& [name, index] : collections) {
      json info = Ok(client, "GET", "/collections/" + name);
      snap[name]["points_count"] = info["points_count"];
      snap[name]["live"] = info["index"]["live"];
      snap[name]["config"] = info["config"];
      snap[name]["trained"] = info["index"]["trained"];
      json points = json::object();
      for (const auto& [key, p] : ScrollAll(client, name)) points[key] = p;
      snap[name]["points"] = points;
      json results = json::array();
      for (const auto& q : queries) {
        results.push_back(Search(client, name, {{"vector", q}, {"k", 10}, {"with_vector", true}}));
        results.push_back(Search(client, name, {{"vector", q}, {"k", 7}, {"filter", filter}}));
        results.push_back(Search(client, name, {{"id", 5}, {"k", 3}}));
      }
      snap[name]["results"] = results;
    }
    return snap;
  };

  json before;
  {
    ServerProcess server(dir.path());
    HttpClient client("127.0.0.1", server.port());
    for (const auto& [name, index] : collections) {
      CreateCollection(client, name, dim, metric.at(name), index);
      for (size_t start = 0; start < n; start += 300) {
        json points = json::array();
        for (size_t i = start; i < start + 300; ++i) {
          points.push_back(PointJson(i, base[i], {{"bucket", i % 3}, {"name", Name("p", i)}}));
        }
        Upsert(client, name, points);
      }
      Ok(client, "POST", "/collections/" + name + "/points/delete", {{"ids", {10, 11, 12}}});
      Upsert(client, name, {PointJson(20, base[0], {{"bucket", 7}}), PointJson("extra", base[1], {{"s", "x"}})});
    }
    before = snapshot(client);
    CHECK(before["ivf_ip"]["points_count"] == n - 3 + 1);
    CHECK(before["ivf_ip"]["trained"] == true);
    int status = server.Terminate();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  {
    ServerProcess server(dir.path());
    HttpClient client("127.0.0.1", server.port());
    json after = snapshot(client);
    for (const auto& [name, index] : collections) {
      INFO("collection " << name);
      CHECK(after[name]["points_count"] == before[name]["points_count"]);
      CHECK(after[name]["live"] == before[name]["points_count"]);
      CHECK(after[name]["config"] == before[name]["config"]);
      CHECK(after[name]["trained"] == before[name]["trained"]);
      CHECK(after[name]["points"] == before[name]["points"]);
      CHECK(after[name]["results"] == before[name]["results"]);
    }
    // Write more after the restart, restart again: both generations are there.
    for (const auto& [name, index] : collections) Upsert(client, name, {PointJson(100000, base[2], {{"gen", 2}})});
    CHECK(WEXITSTATUS(server.Terminate()) == 0);
  }
  {
    ServerProcess server(dir.path());
    HttpClient client("127.0.0.1", server.port());
    for (const auto& [name, index] : collections) {
      CHECK(PointsCount(client, name) == before[name]["points_count"].get<size_t>() + 1);
      CHECK(Ok(client, "GET", "/collections/" + name + "/points/100000")["payload"]["gen"] == 2);
      CHECK(Ok(client, "GET", "/collections/" + name + "/points/5")["payload"] == before[name]["points"]["5"]["payload"]);
      ExpectError(client, "GET", "/collections/" + name + "/points/11", nullptr, 404);
    }
  }
}

TEST_CASE("concurrent searches while another client upserts", "[http][concurrency]") {
  TestServer s;
  const size_t dim = 16, initial = 1000, batches = 30, batch_size = 20, readers = 4;
  auto base = RandomVectors(initial + batches * batch_size, dim, 18);
  CreateCollection(s.client, "cc", dim, "l2", "HNSW32");
  json points = json::array();
  for (size_t i = 0; i < initial; ++i) points.push_back(PointJson(i, base[i], {{"w", i % 2}}));
  Upsert(s.client, "cc", points);

  // Catch2 assertions are not thread-safe: threads count, the main thread checks.
  std::atomic<bool> writer_done{false};
  std::atomic<size_t> failures{0}, searches{0}, short_results{0}, writes{0};
  std::vector<std::string> first_error(readers + 1);
  const uint16_t port = s.process.port();
  std::vector<std::thread> threads;
  for (size_t t = 0; t < readers; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client("127.0.0.1", port);
      auto queries = RandomVectors(50, dim, 100 + static_cast<uint32_t>(t));
      size_t i = 0;
      while (!writer_done.load() || i < 20) {
        json body = {{"vector", queries[i % queries.size()]}, {"k", 10}};
        if (i % 3 == 1) body["filter"] = {{"must", {{{"key", "w"}, {"match", {{"value", 1}}}}}}};
        if (i % 5 == 2) body = {{"id", (i * 7) % initial}, {"k", 10}};
        auto r = client.Request("POST", "/collections/cc/search", body.dump());
        ++i;
        ++searches;
        if (!r.ok() || r->status != 200) {
          if (failures++ == 0) first_error[t] = r.ok() ? r->body : r.status().ToString();
          continue;
        }
        json hits = json::parse(r->body)["result"];
        if (hits.size() != 10) ++short_results;
      }
    });
  }
  threads.emplace_back([&] {
    HttpClient client("127.0.0.1", port);
    for (size_t b = 0; b < batches; ++b) {
      json batch = json::array();
      for (size_t i = 0; i < batch_size; ++i) {
        size_t id = initial + b * batch_size + i;
        batch.push_back(PointJson(id, base[id], {{"w", id % 2}}));
      }
      // Every third batch also rewrites existing points.
      if (b % 3 == 0) batch.push_back(PointJson(b, base[b], {{"w", b % 2}, {"rewritten", true}}));
      auto r = client.Request("PUT", "/collections/cc/points", json{{"points", batch}}.dump());
      if (!r.ok() || r->status != 200) {
        if (failures++ == 0) first_error[readers] = r.ok() ? r->body : r.status().ToString();
      } else {
        ++writes;
      }
    }
    writer_done = true;
  });
  for (auto& t : threads) t.join();

  std::string errors;
  for (const auto& e : first_error) errors += e;
  INFO(errors);
  CHECK(failures == 0);
  CHECK(short_results == 0);
  CHECK(writes == batches);
  CHECK(searches >= readers * 20);
  const size_t total = initial + batches * batch_size;
  json info = Ok(s.client, "GET", "/collections/cc");
  CHECK(info["points_count"] == total);
  CHECK(info["index"]["live"] == total);
  // Every point written during the searches is findable by its own vector.
  for (size_t id = initial; id < total; id += 37) {
    json hits = Search(s.client, "cc", {{"vector", base[id]}, {"k", 1}, {"params", {{"exact", true}}}});
    CHECK(hits[0]["id"] == id);
  }
  CHECK(Ok(s.client, "GET", "/collections/cc/points/3")["payload"]["rewritten"] == true);
}

// Issue 10, kind 2: tiny, huge and zero vectors never produce a null (NaN/Inf) score.
TEST_CASE("search scores are numbers for tiny, huge and zero vectors", "[http][normalize]") {
  TestServer s;
  CreateCollection(s.client, "cos", 4, "cosine", "HNSW16");
  Upsert(s.client, "cos", {PointJson(1, {1e-40f, 0, 0, 0}), PointJson(2, {1e30f, 0, 0, 0}), PointJson(3, {0, 0, 0, 0}),
                           PointJson(4, {0, 1, 0, 0})});
  for (const Vec& q : {Vec{1e-40f, 0, 0, 0}, Vec{1, 0, 0, 0}, Vec{0, 0, 0, 0}, Vec{3e38f, 3e38f, 0, 0}}) {
    json hits = Search(s.client, "cos", {{"vector", q}, {"k", 4}});
    REQUIRE(hits.size() == 4);
    for (const auto& h : hits) {
      INFO(h.dump());
      REQUIRE(h["score"].is_number());
      if (q[0] == 0) CHECK(h["score"].get<double>() == 0);  // a zero query: cosine 0 with everything
      if (q[0] == 1 && h["id"] == 1) CHECK(h["score"].get<double>() == Approx(1).epsilon(1e-5));
      if (h["id"] == 3) CHECK(h["score"].get<double>() == 0);  // a zero point scores 0
    }
  }
  // l2: a vector whose distances would overflow float is refused (400) and nothing is stored.
  CreateCollection(s.client, "l2", 4, "l2", "Flat");
  ExpectError(s.client, "PUT", "/collections/l2/points", {{"points", {PointJson(1, {1e30f, 0, 0, 0})}}}, 400);
  CHECK(PointsCount(s.client, "l2") == 0);
}

// Issue 10, kinds 3, 5, 6, 7 over HTTP: exact numbers, array paths, empty should, stable scroll.
TEST_CASE("filters and scroll pagination over HTTP", "[http][filter][scroll]") {
  TestServer s;
  CreateCollection(s.client, "c", 2, "l2", "Flat");
  json points = json::array();
  for (int i = 0; i < 10; ++i) points.push_back(PointJson(i, {float(i), 0}, {{"n", i}}));
  points.push_back(PointJson(100, {1, 1}, json::parse(R"({"n": 18446744073709551615,
      "items": [{"color": "red", "size": 1}, {"color": "blue", "size": 2}]})")));
  points.push_back(PointJson(101, {1, 1}, json::parse(R"({"n": -1})")));
  Upsert(s.client, "c", points);
  auto ids = [&](const json& filter) {
    std::set<std::string> out;
    for (const auto& [id, p] : ScrollAll(s.client, "c", filter)) out.insert(id);
    return out;
  };
  CHECK(ids(json::parse(R"({"must":[{"key":"n","match":{"value":-1}}]})")) == std::set<std::string>{"101"});
  CHECK(ids(json::parse(R"({"must":[{"key":"items[].color","match":{"value":"blue"}}]})")) == std::set<std::string>{"100"});
  CHECK(ids(json::parse(R"({"must":[{"nested":{"key":"items","filter":{"must":[
      {"key":"color","match":{"value":"red"}},{"key":"size","match":{"value":2}}]}}}]})")).empty());
  CHECK(ids(json::parse(R"({"should":[]})")).empty());
  CHECK(ids(json::parse(R"({"must":[]})")).size() == 12);
  // The offset point is deleted, then re-inserted, between pages: no 404, nothing skipped.
  for (const bool reinsert : {false, true}) {
    Upsert(s.client, "c", {PointJson(3, {3, 0}, {{"n", 3}})});
    json page = Ok(s.client, "POST", "/collections/c/points/scroll", {{"limit", 3}});
    REQUIRE(page["next_page_offset"] == 3);
    Ok(s.client, "POST", "/collections/c/points/delete", {{"ids", {3}}});
    if (reinsert) Upsert(s.client, "c", {PointJson(3, {3, 0}, {{"n", 3}})});
    json rest = Ok(s.client, "POST", "/collections/c/points/scroll", {{"limit", 100}, {"offset", 3}});
    std::vector<json> got;
    for (const auto& p : rest["points"]) got.push_back(p["id"]);
    if (reinsert) {
      CHECK(json(got) == json::parse("[3, 4, 5, 6, 7, 8, 9, 100, 101]"));
    } else {
      CHECK(json(got) == json::parse("[4, 5, 6, 7, 8, 9, 100, 101]"));
    }
  }
}
