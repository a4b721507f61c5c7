// Issue 10, HTTP side, against a real `latentdb serve` on a loopback socket:
//  - ids in URLs (kind 4): Qdrant's path rule, and body forms that name any id with its JSON type;
//  - what one request may cost (kind 10): JSON bodies bounded while parsed, answers bounded
//    before a search runs, metric labels bounded, long work off the I/O threads;
//  - small ones (kind 13): chunked request bodies, one payload rule in every answer.
// Requests the HttpClient cannot make (invented methods, chunked bodies) go over a raw socket.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/database.h"
#include "http/api.h"
#include "client/http_client.h"
#include "http/server.h"
#include "tests/support/http_reply.h"
#include "tests/support/loopback_socket.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::Fails;
using latentdb::testing::Ok;
using latentdb::testing::Reply;
using latentdb::testing::Send;
using latentdb::testing::SendJson;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
using Clock = std::chrono::steady_clock;

struct TestServer {
  explicit TestServer(std::vector<std::string> args = {})
      : process(dir.path(), std::move(args)), client("127.0.0.1", process.port()) {}
  TempDir dir;
  ServerProcess process;
  HttpClient client;
};

// One request written as raw bytes on a fresh connection (it should say "Connection: close");
// reads until the server closes. The status code and the body (Content-Length framed).
struct RawReply {
  int status = 0;
  std::string body;
};
RawReply RawExchange(uint16_t port, const std::string& request) {
  int fd = latentdb::testing::ConnectLoopback(port, 30);
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) and stop reading early
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  RawReply out;
  INFO(in.substr(0, 500));
  REQUIRE(in.rfind("HTTP/1.1 ", 0) == 0);
  out.status = std::stoi(in.substr(9, 3));
  size_t end = in.find("\r\n\r\n");
  if (end != std::string::npos) out.body = in.substr(end + 4);
  return out;
}

// An upsert body written as text (a json tree of it would cost the test what the server saves):
// ids 0…n-1, each with the vector of `dim` copies of `value` (e.g. "0.5").
std::string UpsertBody(int n, int dim, const std::string& value) {
  std::string vector = "[";
  for (int i = 0; i < dim; ++i) vector += (i ? "," : "") + value;
  vector += "]";
  std::string body = "{\"points\":[";
  for (int i = 0; i < n; ++i) {
    if (i) body += ',';
    body += "{\"id\":" + std::to_string(i) + ",\"vector\":" + vector + "}";
  }
  return body + "]}";
}

// A chunked body: `body` cut into chunks of `chunk` bytes.
std::string Chunked(const std::string& body, size_t chunk) {
  std::string out;
  char size[32];
  for (size_t at = 0; at < body.size(); at += chunk) {
    const size_t n = std::min(chunk, body.size() - at);
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    out += size;
    out += body.substr(at, n);
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

// Peak resident memory of a process (VmHWM), in bytes.
size_t PeakRss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

std::vector<float> Unit(size_t dim, size_t hot) {
  std::vector<float> v(dim, 0.0f);
  v[hot % dim] = 1.0f;
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Kind 4: ids in URLs

TEST_CASE("ids: a path segment of digits is an integer id, body forms name string ids of digits", "[http][ids]") {
  TestServer s;
  Ok(s.client, "PUT", "/collections/c", {{"dim", 2}, {"metric", "l2"}, {"index", "Flat"}});
  const std::string uuid = "550E8400-e29b-41d4-A716-446655440000";  // mixed case on purpose
  Ok(s.client, "PUT", "/collections/c/points",
     {{"points",
       {{{"id", "1990"}, {"vector", {1, 0}}, {"payload", {{"kind", "string"}}}},
        {{"id", 1990}, {"vector", {0, 1}}, {"payload", {{"kind", "integer"}}}},
        {{"id", "1"}, {"vector", {1, 1}}, {"payload", {{"kind", "string one"}}}},
        {{"id", uuid}, {"vector", {2, 2}}, {"payload", {{"kind", "uuid"}}}}}}});

  // Qdrant's path rule: digits are an unsigned integer id.
  json got = Ok(s.client, "GET", "/collections/c/points/1990");
  CHECK(got["id"] == 1990);
  CHECK(got["payload"]["kind"] == "integer");
  // A UUID is the string as sent, case kept.
  got = Ok(s.client, "GET", "/collections/c/points/" + uuid);
  CHECK(got["id"] == uuid);
  CHECK(got["payload"]["kind"] == "uuid");
  // Over 2^64 - 1 is an error, not silently a string id.
  Fails(SendJson(s.client, "GET", "/collections/c/points/18446744073709551616"), 400, "2^64");
  Fails(SendJson(s.client, "GET", "/collections/c/points/99999999999999999999999999"), 400);
  Fails(SendJson(s.client, "GET", "/collections/c/points/18446744073709551615"), 404);  // the largest id: absent
  // Query booleans are true or false, nothing else.
  CHECK_FALSE(Ok(s.client, "GET", "/collections/c/points/1990?with_vector=false").contains("vector"));
  CHECK(Ok(s.client, "GET", "/collections/c/points/1990?with_vector=true").contains("vector"));
  Fails(SendJson(s.client, "GET", "/collections/c/points/1990?with_vector=no"), 400, "with_vector");

  // Retrieval by ids in a body, as Qdrant: found points in the order asked, missing ids skipped.
  json found = Ok(s.client, "POST", "/collections/c/points", {{"ids", {"1990", 1990, "missing", 5, "1", "1990"}}});
  REQUIRE(found.is_array());
  REQUIRE(found.size() == 3);
  CHECK(found[0]["id"] == "1990");
  CHECK(found[0]["payload"]["kind"] == "string");
  CHECK_FALSE(found[0].contains("vector"));  // Qdrant's default: with_vector false
  CHECK(found[1]["id"] == 1990);
  CHECK(found[2]["id"] == "1");
  found = Ok(s.client, "POST", "/collections/c/points", {{"ids", {"1990"}}, {"with_vector", true}, {"with_payload", false}});
  REQUIRE(found.size() == 1);
  CHECK(found[0]["vector"] == json({1.0, 0.0}));
  CHECK_FALSE(found[0].contains("payload"));
  Fails(SendJson(s.client, "POST", "/collections/c/points", json{{"ids", 5}}), 400);
  Fails(SendJson(s.client, "POST", "/collections/c/points", json{{"ids", {-1}}}), 400);
  Fails(SendJson(s.client, "POST", "/collections/c/points", json{{"ids", {"1"}}, {"with_vector", "yes"}}), 400);
  Fails(SendJson(s.client, "POST", "/collections/c/points", json::object()), 400);
  Fails(SendJson(s.client, "POST", "/collections/missing/points", json{{"ids", {1}}}), 404);

  // Deleting the string id leaves the integer one.
  Ok(s.client, "POST", "/collections/c/points/delete", {{"ids", {"1990"}}});
  found = Ok(s.client, "POST", "/collections/c/points", {{"ids", {"1990", 1990}}});
  REQUIRE(found.size() == 1);
  CHECK(found[0]["id"] == 1990);
}

// ---------------------------------------------------------------------------------------------
// Kind 10: the cost of one request

TEST_CASE("limits: a 60 MB upsert is refused with 413 while it is parsed, without gigabytes of memory",
          "[http][limits]") {
  TestServer s;
  Ok(s.client, "PUT", "/collections/big", {{"dim", 250}, {"metric", "l2"}, {"index", "Flat"}});
  // 60,000 points of 250 numbers "0.5": 15 million values in 60 MB, under the body limit (64 MB)
  // and the points limit (65,536), over the values limit (8,388,608).
  const std::string body = UpsertBody(60000, 250, "0.5");
  REQUIRE(body.size() > (58u << 20));
  REQUIRE(body.size() < (64u << 20));
  const size_t before = PeakRss(s.process.pid());
  Reply r = Send(s.client, "PUT", "/collections/big/points", body);
  Fails(r, 413, "values");
  // Refused while parsed: the server's peak memory grew far less than the ~1.2 GB a whole parse
  // of 15 million values takes (a bound on memory, not on time: timings are for bench/).
  const size_t after = PeakRss(s.process.pid());
  INFO("peak RSS before " << (before >> 20) << " MiB, after " << (after >> 20) << " MiB");
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // (Sanitizer builds keep shadow memory beside every allocation, TSan's several times the heap:
  // the bound is the normal build's.)
  CHECK(after - before < (800u << 20));
#endif
  CHECK(Ok(s.client, "GET", "/collections/big")["points_count"] == 0);  // nothing stored
  // A batch under the limits still goes in.
  json points = json::array();
  for (int i = 0; i < 100; ++i) points.push_back({{"id", i}, {"vector", std::vector<float>(250, 0.5f)}});
  CHECK(Ok(s.client, "PUT", "/collections/big/points", {{"points", points}})["upserted"] == 100);
}

TEST_CASE("limits: a search's answer is bounded before it runs (k, searches, with_vector)", "[http][limits]") {
  TestServer s;
  const size_t dim = 1024;
  Ok(s.client, "PUT", "/collections/wide", {{"dim", dim}, {"metric", "cosine"}, {"index", "Flat"}});
  json points = json::array();
  for (size_t i = 0; i < 50; ++i) points.push_back({{"id", i}, {"vector", Unit(dim, i)}});
  Ok(s.client, "PUT", "/collections/wide/points", {{"points", points}});
  const json query = Unit(dim, 3);

  // The issue's request: 64 searches of k = 10,000 with vectors of 1,024-d.
  json searches = json::array();
  for (int i = 0; i < 64; ++i) searches.push_back({{"vector", query}, {"k", 10000}, {"with_vector", true}});
  Fails(SendJson(s.client, "POST", "/collections/wide/search/batch", {{"searches", searches}}), 413);
  // Without vectors, 640,000 hits are still over the 100,000 points an answer may carry.
  for (auto& q : searches) q["with_vector"] = false;
  Fails(SendJson(s.client, "POST", "/collections/wide/search/batch", {{"searches", searches}}), 413, "points");
  // One search: 10,000 × 1,024 vector components are over 4,194,304.
  Fails(SendJson(s.client, "POST", "/collections/wide/search", {{"vector", query}, {"k", 10000}, {"with_vector", true}}),
        413, "with_vector");
  Fails(SendJson(s.client, "POST", "/collections/wide/search", {{"vector", query}, {"limit", 10001}}), 400);
  // A scroll of 10,000 with vectors likewise; retrieval of ids too.
  Fails(SendJson(s.client, "POST", "/collections/wide/points/scroll", {{"limit", 10000}, {"with_vector", true}}), 413);
  // Within the bounds everything answers.
  json hits = Ok(s.client, "POST", "/collections/wide/search", {{"vector", query}, {"k", 4000}, {"with_vector", true}});
  CHECK(hits.size() == 50);
  CHECK(hits[0]["id"] == 3);
  json batch = Ok(s.client, "POST", "/collections/wide/search/batch",
                  {{"searches", {{{"vector", query}, {"k", 5}}, {{"id", 7}, {"k", 5}, {"with_vector", true}}}}});
  REQUIRE(batch.size() == 2);
  REQUIRE(batch[1].size() == 5);
  CHECK(batch[1][0]["vector"].size() == dim);
  CHECK(Ok(s.client, "GET", "/healthz")["healthy"] == true);
}

TEST_CASE("limits: /metrics keeps one label for every invented HTTP method", "[http][limits][metrics]") {
  TestServer s;
  for (int i = 0; i < 40; ++i) {
    RawReply r = RawExchange(s.process.port(), "FOO" + std::to_string(i) +
                                                   " /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(r.status == 405);
  }
  RawReply r = RawExchange(s.process.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("FOO") == std::string::npos);
  CHECK(r.body.find("latentdb_http_requests_total{method=\"other\",route=\"/healthz\",code=\"405\"} 40") !=
        std::string::npos);
  // Unknown paths share the "unmatched" route label.
  for (int i = 0; i < 5; ++i) {
    CHECK(RawExchange(s.process.port(), "GET /no/such/path/" + std::to_string(i) +
                                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
              .status == 404);
  }
  r = RawExchange(s.process.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(r.body.find("/no/such") == std::string::npos);
  CHECK(r.body.find("route=\"unmatched\",code=\"404\"} 5") != std::string::npos);
}

// A database in `dir` for an in-process server (no background index saves).
std::unique_ptr<latentdb::engine::Database> OpenDatabase(TempDir& dir) {
  latentdb::engine::DatabaseOptions o;
  o.data_dir = dir.Sub("data");
  o.persist_interval_seconds = 0;
  auto db = latentdb::engine::Database::Open(o);
  REQUIRE(db.ok());
  return std::move(db).value();
}

TEST_CASE("workers: which requests leave the I/O threads", "[http][limits][workers]") {
  TempDir dir;
  auto db = OpenDatabase(dir);
  latentdb::http::Api api(db.get());
  auto request = [](std::string method, std::string path, std::string body = "", std::string type = "") {
    latentdb::http::HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    if (!type.empty()) r.headers["content-type"] = type;
    return r;
  };
  // Light: health, metrics, reads of single points, plain vector searches, plain scrolls.
  CHECK_FALSE(api.NeedsWorker(request("GET", "/healthz")));
  CHECK_FALSE(api.NeedsWorker(request("GET", "/metrics")));
  CHECK_FALSE(api.NeedsWorker(request("GET", "/collections/c/points/7")));
  CHECK_FALSE(api.NeedsWorker(request("POST", "/collections/c/points", R"({"ids":[1]})")));
  CHECK_FALSE(api.NeedsWorker(request("POST", "/collections/c/search", R"({"vector":[1,2],"k":3})")));
  CHECK_FALSE(api.NeedsWorker(request("POST", "/collections/c/points/scroll", R"({"limit":3})")));
  CHECK_FALSE(api.NeedsWorker(request("GET", "/no/such/route")));
  // Long: images, texts, models, writes, scans.
  CHECK(api.NeedsWorker(request("POST", "/collections/c/search", R"({"image":"iVBOR","k":3})")));
  CHECK(api.NeedsWorker(request("POST", "/collections/c/search", R"({"text":"a shirt"})")));
  CHECK(api.NeedsWorker(request("POST", "/collections/c/search", "\x89PNG", "image/png")));
  CHECK(api.NeedsWorker(request("POST", "/collections/c/search/batch", R"({"searches":[]})")));
  CHECK(api.NeedsWorker(request("POST", "/collections/c/points/scroll", R"({"filter":{"must":[]}})")));
  CHECK(api.NeedsWorker(request("PUT", "/collections/c/points", R"({"points":[]})")));
  CHECK(api.NeedsWorker(request("PUT", "/collections/c/points/7", "GIF89a", "image/gif")));
  CHECK(api.NeedsWorker(request("POST", "/collections/c/points/decode", R"({"id":"1990"})")));
  CHECK(api.NeedsWorker(request("GET", "/collections/c/points/7/decode")));
  CHECK(api.NeedsWorker(request("POST", "/encode", "{}")));
  CHECK(api.NeedsWorker(request("POST", "/collections/c/analogy", "{}")));
  CHECK(api.NeedsWorker(request("GET", "/collections/c/map")));
  CHECK(api.NeedsWorker(request("GET", "/collections/c/anomalies")));
  CHECK(api.NeedsWorker(request("POST", "/words/m/analogy", "{}")));
  CHECK(api.NeedsWorker(request("PUT", "/collections/c", "{}")));
}

TEST_CASE("workers: long requests beyond the pending bound get 503 at once, light ones still answer",
          "[http][limits][workers]") {
  TempDir dir;
  auto db = OpenDatabase(dir);
  latentdb::http::Api api(db.get());
  latentdb::http::ServerOptions so;
  so.port = 0;
  so.threads = 1;
  so.workers = 1;
  so.max_pending_requests = 1;  // one long request at a time, none waiting
  latentdb::http::Server server(so, &api);
  REQUIRE(server.Start().ok());
  HttpClient c("127.0.0.1", server.port());
  Ok(c, "PUT", "/collections/q", {{"dim", 128}, {"metric", "l2"}, {"index", "Flat"}});
  const std::string body = UpsertBody(60000, 128, "0.25");
  std::atomic<bool> done{false};
  int first_status = 0;
  std::thread writer([&] {
    HttpClient w("127.0.0.1", server.port());
    auto r = w.Request("PUT", "/collections/q/points", body);
    first_status = r.ok() ? r->status : -1;
    done = true;
  });
  int busy = 0, light = 0;
  while (!done) {
    Reply r = SendJson(c, "POST", "/collections/q/points/delete", json{{"ids", {123456}}});
    if (r.status == 503) {
      ++busy;
      CHECK(r.body["status"]["error"].get<std::string>().find("busy") != std::string::npos);
    } else {
      CHECK(r.status == 200);
    }
    if (SendJson(c, "GET", "/healthz").status == 200) ++light;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  writer.join();
  CHECK(first_status == 200);
  INFO(busy << " busy answers, " << light << " health answers");
  CHECK(busy >= 1);
  CHECK(light >= 1);
  // Once the long request is done, the next one is admitted.
  CHECK(Ok(c, "POST", "/collections/q/points/delete", {{"ids", {1}}})["deleted"] == 1);
  server.Stop();
}

TEST_CASE("limits: a long request on one connection does not delay /healthz on another", "[http][limits][workers]") {
  // One I/O thread: before the worker pool, every request on it waited for the long one.
  TestServer s({"--threads", "1"});
  Ok(s.client, "PUT", "/collections/slow", {{"dim", 128}, {"metric", "l2"}, {"index", "Flat"}});
  // The long request: upserts of 40,000 points (5 million values: under the limits) in a loop.
  const std::string body = UpsertBody(40000, 128, "0.25");
  std::atomic<bool> done{false};
  std::atomic<int> upserts{0};
  double slowest_upsert = 0;
  std::thread writer([&] {
    HttpClient c("127.0.0.1", s.process.port());
    auto until = Clock::now() + std::chrono::seconds(4);
    while (Clock::now() < until) {
      auto t0 = Clock::now();
      auto r = c.Request("PUT", "/collections/slow/points", body);
      slowest_upsert = std::max(slowest_upsert, std::chrono::duration<double>(Clock::now() - t0).count());
      if (!r.ok() || r->status != 200) break;
      ++upserts;
    }
    done = true;
  });
  HttpClient probe("127.0.0.1", s.process.port());
  double slowest_health = 0;
  int probes = 0;
  while (!done) {
    auto t0 = Clock::now();
    auto r = probe.Request("GET", "/healthz");
    slowest_health = std::max(slowest_health, std::chrono::duration<double>(Clock::now() - t0).count());
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    ++probes;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  writer.join();
  INFO(upserts << " upserts, slowest " << slowest_upsert << " s; " << probes << " health probes, slowest "
               << slowest_health << " s");
  REQUIRE(upserts >= 1);
  // The probe never waits for a whole upsert: it is answered from the I/O thread meanwhile.
  CHECK(slowest_health < std::max(0.25, slowest_upsert / 2));
}

// ---------------------------------------------------------------------------------------------
// Kind 13: small ones

TEST_CASE("chunked request bodies are read, under the body limit", "[http][chunked]") {
  TestServer s({"--body-limit-mb", "1"});
  Ok(s.client, "PUT", "/collections/c", {{"dim", 2}, {"metric", "l2"}, {"index", "Flat"}});
  const std::string body = json{{"points", {{{"id", 1}, {"vector", {1, 2}}}, {{"id", "two"}, {"vector", {3, 4}}}}}}.dump();
  // As `curl -T -` sends it: chunked, with Expect: 100-continue.
  for (bool expect : {false, true}) {
    RawReply r = RawExchange(s.process.port(), std::string("PUT /collections/c/points HTTP/1.1\r\nHost: x\r\n") +
                                                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n" +
                                                   (expect ? "Expect: 100-continue\r\n" : "") +
                                                   "Connection: close\r\n\r\n" + Chunked(body, 7));
    INFO(r.body);
    if (expect) {
      // "100 Continue" comes first; the final answer follows it.
      CHECK(r.status == 100);
      CHECK(r.body.rfind("HTTP/1.1 200", 0) == 0);
    } else {
      CHECK(r.status == 200);
    }
    CHECK(r.body.find("\"upserted\":2") != std::string::npos);
  }
  // Chunk extensions and a trailer field are part of the syntax (RFC 9112 §7.1).
  RawReply ext = RawExchange(s.process.port(),
                             "PUT /collections/c/points HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                             "Connection: close\r\n\r\n5;name=value\r\n{\"poi\r\n"
                             "1f\r\nnts\":[{\"id\":3,\"vector\":[5,6]}]}\r\n0\r\nX-Trailer: 1\r\n\r\n");
  INFO(ext.body);
  CHECK(ext.status == 200);
  CHECK(Ok(s.client, "GET", "/collections/c")["points_count"] == 3);
  // Over the limit (1 MiB) in chunks: 413, nothing stored.
  std::string big = "{\"points\":[";
  for (int i = 0; i < 60000; ++i) big += (i ? "," : "") + std::string("{\"id\":") + std::to_string(i + 10) + ",\"vector\":[1,2]}";
  big += "]}";
  REQUIRE(big.size() > (1u << 20));
  RawReply r = RawExchange(s.process.port(), "PUT /collections/c/points HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                             "chunked\r\nConnection: close\r\n\r\n" + Chunked(big, 65536));
  CHECK(r.status == 413);
  CHECK(Ok(s.client, "GET", "/collections/c")["points_count"] == 3);
}

TEST_CASE("payloads: search, batch, scroll, retrieval and GET answer the same payload", "[http][payload]") {
  TestServer s;
  Ok(s.client, "PUT", "/collections/c", {{"dim", 2}, {"metric", "l2"}, {"index", "Flat"}});
  Ok(s.client, "PUT", "/collections/c/points",
     {{"points", {{{"id", 1}, {"vector", {0, 0}}}, {{"id", 2}, {"vector", {1, 1}}, {"payload", nullptr}},
                  {{"id", 3}, {"vector", {2, 2}}, {"payload", {{"a", 1}}}}}}});
  auto payloads = [](const json& points) {
    std::map<int, json> out;
    for (const auto& p : points) out[p["id"].get<int>()] = p.contains("payload") ? p["payload"] : json("absent");
    return out;
  };
  const std::map<int, json> want = {{1, json::object()}, {2, json::object()}, {3, {{"a", 1}}}};
  CHECK(payloads(Ok(s.client, "POST", "/collections/c/search", {{"vector", {0, 0}}, {"k", 3}})) == want);
  CHECK(payloads(Ok(s.client, "POST", "/collections/c/search/batch", {{"searches", {{{"vector", {0, 0}}, {"k", 3}}}}})[0]) ==
        want);
  CHECK(payloads(Ok(s.client, "POST", "/collections/c/points/scroll", json::object())["points"]) == want);
  CHECK(payloads(Ok(s.client, "POST", "/collections/c/points", {{"ids", {1, 2, 3}}})) == want);
  for (int id : {1, 2, 3}) CHECK(Ok(s.client, "GET", "/collections/c/points/" + std::to_string(id))["payload"] == want.at(id));
  // Not asked for: absent everywhere.
  const std::map<int, json> absent = {{1, "absent"}, {2, "absent"}, {3, "absent"}};
  CHECK(payloads(Ok(s.client, "POST", "/collections/c/search", {{"vector", {0, 0}}, {"k", 3}, {"with_payload", false}})) ==
        absent);
  CHECK(payloads(Ok(s.client, "POST", "/collections/c/points/scroll", {{"with_payload", false}})["points"]) == absent);
  CHECK(payloads(Ok(s.client, "POST", "/collections/c/points", {{"ids", {1, 2, 3}}, {"with_payload", false}})) == absent);
}

// Points, vector components and payload bytes: an answer is bounded in all three. A 1 kB batch
// over ten points with 5 MB payloads once answered 1.6 GB (and left the server at 7 GB of RSS).
TEST_CASE("limits: the payload bytes of one answer are bounded, in every route that returns payloads",
          "[http][limits][payload]") {
  TestServer s({"--body-limit-mb", "8"});
  Ok(s.client, "PUT", "/collections/fat", {{"dim", 2}, {"metric", "l2"}, {"index", "Flat"}});
  const std::string five_mb(5u << 20, 'x');
  for (int i = 0; i < 14; ++i) {  // 70 MB of payloads in all, over the 64 MiB an answer may carry
    Ok(s.client, "PUT", "/collections/fat/points",
       {{"points", {{{"id", i}, {"vector", {i, 0}}, {"payload", {{"s", five_mb}}}}}}});
  }
  json searches = json::array();
  for (int i = 0; i < 32; ++i) searches.push_back({{"vector", {0, 0}}, {"k", 10}});
  Fails(SendJson(s.client, "POST", "/collections/fat/search/batch", {{"searches", searches}}), 413, "with_payload");
  Fails(SendJson(s.client, "POST", "/collections/fat/search", {{"vector", {0, 0}}, {"k", 14}}), 413, "MiB");
  Fails(SendJson(s.client, "POST", "/collections/fat/points/scroll", {{"limit", 14}}), 413, "MiB");
  json all_ids = json::array();
  for (int i = 0; i < 14; ++i) all_ids.push_back(i);
  Fails(SendJson(s.client, "POST", "/collections/fat/points", {{"ids", all_ids}}), 413, "MiB");
  Fails(SendJson(s.client, "POST", "/collections/fat/analogy", {{"positive", {1}}, {"k", 13}}), 413, "MiB");
  // Without payloads, or fewer points, the same requests answer.
  CHECK(Ok(s.client, "POST", "/collections/fat/search/batch",
           {{"searches", {{{"vector", {0, 0}}, {"k", 14}, {"with_payload", false}}}}})[0].size() == 14);
  CHECK(Ok(s.client, "POST", "/collections/fat/points/scroll", {{"limit", 14}, {"with_payload", false}})["points"].size() ==
        14);
  json few = Ok(s.client, "POST", "/collections/fat/points/scroll", {{"limit", 3}});
  REQUIRE(few["points"].size() == 3);
  CHECK(few["points"][0]["payload"]["s"].get_ref<const std::string&>().size() == five_mb.size());
  CHECK(Ok(s.client, "GET", "/healthz")["healthy"] == true);
}

TEST_CASE("limits: a delete by ids names at most as many ids as an upsert", "[http][limits]") {
  TestServer s;
  Ok(s.client, "PUT", "/collections/c", {{"dim", 2}, {"metric", "l2"}, {"index", "Flat"}});
  Ok(s.client, "PUT", "/collections/c/points", {{"points", {{{"id", 1}, {"vector", {1, 2}}}}}});
  json ids = json::array();
  for (int i = 0; i < 65537; ++i) ids.push_back(i);
  Fails(SendJson(s.client, "POST", "/collections/c/points/delete", {{"ids", ids}}), 413, "65536");
  CHECK(Ok(s.client, "GET", "/collections/c")["points_count"] == 1);
  ids.erase(ids.begin() + 2, ids.end());  // ids 0 and 1: one exists
  CHECK(Ok(s.client, "POST", "/collections/c/points/delete", {{"ids", ids}})["deleted"] == 1);
}

TEST_CASE("transfer codings other than chunked get 501 and store nothing", "[http][chunked]") {
  TestServer s;
  Ok(s.client, "PUT", "/collections/c", {{"dim", 2}, {"metric", "l2"}, {"index", "Flat"}});
  const std::string body = json{{"points", {{{"id", 1}, {"vector", {1, 2}}}}}}.dump();
  for (const std::string te : {"gzip, chunked", "deflate,chunked", "identity, chunked", "x-custom, chunked"}) {
    RawReply r = RawExchange(s.process.port(), "PUT /collections/c/points HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                                                   "\r\nConnection: close\r\n\r\n" + Chunked(body, 7));
    INFO(te << ": " << r.body);
    CHECK(r.status == 501);
  }
  CHECK(Ok(s.client, "GET", "/collections/c")["points_count"] == 0);
  // Plain chunked, in any case and with spaces, is read.
  RawReply ok = RawExchange(s.process.port(), "PUT /collections/c/points HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  Chunked \r\n"
                                              "Connection: close\r\n\r\n" + Chunked(body, 7));
  INFO(ok.body);
  CHECK(ok.status == 200);
  CHECK(Ok(s.client, "GET", "/collections/c")["points_count"] == 1);
}
