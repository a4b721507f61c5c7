#include "http/cluster/sharded_latent.h"

#include <algorithm>

#include "engine/external_id.h"

namespace latentdb::http::cluster_routing {

using nlohmann::json;

namespace {

constexpr const char* kEndpoints[] = {"from", "to"};

bool IsIdEndpoint(const json& v) { return !v.is_null() && !v.is_array(); }

// Whether hit `a` is nearer than hit `b` (either may be null: none found on that shard).
bool Nearer(const json& a, const json& b, bool ascending) {
  if (!a.is_object() || !a.contains("score")) return false;
  if (!b.is_object() || !b.contains("score")) return true;
  const double sa = a["score"].get<double>(), sb = b["score"].get<double>();
  return ascending ? sa < sb : sa > sb;
}

}  // namespace

json InterpolationIdEndpoints(const json& body) {
  json ids = json::array();
  for (const char* key : kEndpoints) {
    if (body.is_object() && body.contains(key) && IsIdEndpoint(body[key])) ids.push_back(body[key]);
  }
  return ids;
}

Result<json> InterpolationWithVectors(const json& body, const std::map<std::string, json>& vectors, const std::string& collection) {
  json out = body;
  for (const char* key : kEndpoints) {
    if (!out.contains(key) || !IsIdEndpoint(out[key])) continue;
    auto id = engine::ExternalId::FromJson(out[key]);
    auto it = id.ok() ? vectors.find(id->ToKey()) : vectors.end();
    if (it == vectors.end()) return Status::NotFound("point " + out[key].dump() + " does not exist in collection '" + collection + "'");
    out[key] = it->second;
  }
  return out;
}

json MergeNearest(const std::vector<json>& answers, const std::string& list_key, bool ascending) {
  if (answers.empty()) return json();
  json out = answers[0];
  if (!out.is_object() || !out.contains(list_key) || !out[list_key].is_array()) return out;
  json& items = out[list_key];
  for (size_t i = 0; i < items.size(); ++i) {
    json best = items[i].value("nearest", json());
    for (size_t s = 1; s < answers.size(); ++s) {
      const json& other = answers[s];
      if (!other.is_object() || !other.contains(list_key) || !other[list_key].is_array() || i >= other[list_key].size()) continue;
      const json candidate = other[list_key][i].value("nearest", json());
      if (Nearer(candidate, best, ascending)) best = candidate;
    }
    items[i]["nearest"] = std::move(best);
  }
  return out;
}

json SamplePoints(const json& answer, uint64_t seed) {
  json points = json::array();
  const json samples = answer.is_object() ? answer.value("samples", json::array()) : json::array();
  for (size_t i = 0; i < samples.size(); ++i) {
    points.push_back({{"id", "sample-" + std::to_string(seed) + "-" + std::to_string(i)},
                      {"vector", samples[i].value("vector", json::array())},
                      {"payload", {{"generated", true}, {"seed", seed}, {"sample", i}}}});
  }
  return points;
}

json MergeAnomalies(const std::vector<json>& answers, size_t k) {
  std::vector<json> points;
  uint64_t scored = 0;
  for (const auto& a : answers) {
    if (!a.is_object()) continue;
    scored += a.value("scored", uint64_t{0});
    for (const auto& p : a.value("points", json::array())) points.push_back(p);
  }
  std::stable_sort(points.begin(), points.end(), [](const json& a, const json& b) {
    return a.value("neg_elbo", 0.0) > b.value("neg_elbo", 0.0);
  });
  if (points.size() > k) points.resize(k);
  return {{"points", points}, {"scored", scored}};
}

}  // namespace latentdb::http::cluster_routing
