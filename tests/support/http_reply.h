#pragma once
// Requests to a real server in tests, and checks of LatentDB's answer envelope
// ({"result": …, "status": "ok"} or {"status": {"error": "…"}}). Catch2 assertions: call them
// from a test case's thread.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "client/http_client.h"
#include "tests/support/error_code.h"

namespace latentdb::testing {

struct Reply {
  int status = 0;
  std::string content_type;
  std::string raw;
  nlohmann::json body;  // discarded when not JSON
};

inline Reply Send(::latentdb::client::HttpClient& c, const std::string& method, const std::string& target, const std::string& body,
                  const std::string& content_type = "application/json") {
  auto r = c.Request(method, target, body, content_type);
  INFO(method << " " << target << ": " << (r.ok() ? std::string("ok") : r.status().ToString()));
  REQUIRE(r.ok());
  return Reply{r->status, r->content_type, r->body, nlohmann::json::parse(r->body, nullptr, false)};
}

inline Reply SendJson(::latentdb::client::HttpClient& c, const std::string& method, const std::string& target,
                      const nlohmann::json& body = nullptr) {
  return Send(c, method, target, body.is_null() ? std::string() : body.dump());
}

// The "result" of a 200 JSON reply.
inline nlohmann::json Ok(const Reply& r) {
  INFO(r.status << " " << r.raw.substr(0, 600));
  REQUIRE(r.status == 200);
  REQUIRE(r.body.is_object());
  return r.body["result"];
}

inline nlohmann::json Ok(::latentdb::client::HttpClient& c, const std::string& method, const std::string& target,
                         const nlohmann::json& body = nullptr) {
  INFO(method << " " << target);
  return Ok(SendJson(c, method, target, body));
}

// An error reply with `code` whose message mentions `mention`.
inline void Fails(const Reply& r, int code, const std::string& mention = "") {
  INFO(r.status << " " << r.raw.substr(0, 600));
  CHECK(r.status == code);
  REQUIRE(r.body.is_object());
  REQUIRE(r.body["status"].is_object());
  CHECK(ErrorCodeMatches(r.status, r.body["status"]["code"]));
  if (!mention.empty()) CHECK(r.body["status"]["error"].get<std::string>().find(mention) != std::string::npos);
}

inline void Fails(::latentdb::client::HttpClient& c, int code, const std::string& method, const std::string& target,
                  const nlohmann::json& body = nullptr, const std::string& mention = "") {
  INFO(method << " " << target);
  Fails(SendJson(c, method, target, body), code, mention);
}

// The ids and scores of a list of scored points, scores to 4 decimals: two servers that hold the
// same points (shards and a single node) compute them alike, but summation order may differ in
// the last bits.
inline std::vector<std::pair<std::string, long>> Ranked(const nlohmann::json& points) {
  std::vector<std::pair<std::string, long>> out;
  for (const auto& p : points) out.emplace_back(p["id"].dump(), std::lround(p["score"].get<double>() * 1e4));
  return out;
}

}  // namespace latentdb::testing
