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
    json payload = {{"generated", true}, {"seed", seed}, {"sample", i}};
    // A class-conditional GAN's samples carry their class (latent::StoreSamples's payload).
    if (samples[i].contains("label")) payload.update({{"label", samples[i]["label"]}, {"class", samples[i].value("class", json())}});
    points.push_back({{"id", "sample-" + std::to_string(seed) + "-" + std::to_string(i)},
                      {"vector", samples[i].value("vector", json::array())},
                      {"payload", std::move(payload)}});
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

std::vector<size_t> MapShares(const std::vector<uint64_t>& counts, size_t n) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  std::vector<size_t> shares(counts.size(), 0);
  if (total <= n) {
    for (size_t s = 0; s < counts.size(); ++s) shares[s] = static_cast<size_t>(counts[s]);
    return shares;
  }
  // Hamilton's method: the floors of the exact shares, then one more to the largest remainders.
  std::vector<std::pair<double, size_t>> remainders;
  size_t given = 0;
  for (size_t s = 0; s < counts.size(); ++s) {
    const double exact = static_cast<double>(n) * static_cast<double>(counts[s]) / static_cast<double>(total);
    shares[s] = static_cast<size_t>(exact);
    given += shares[s];
    remainders.emplace_back(exact - static_cast<double>(shares[s]), s);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; given < n && i < remainders.size(); ++i) {
    const size_t s = remainders[i].second;
    if (shares[s] < counts[s]) {
      ++shares[s];
      ++given;
    }
  }
  return shares;
}

Result<MapSample> GatherMapSample(const std::vector<json>& answers) {
  MapSample sample;
  for (const auto& answer : answers) {
    if (!answer.is_object() || !answer.contains("points") || !answer["points"].is_array()) {
      return Status::InvalidArgument("a shard's map answer has no \"points\"");
    }
    for (const auto& p : answer["points"]) {
      auto id = engine::ExternalId::FromJson(p.value("id", json()));
      if (!id.ok()) return id.status().WithContext("a shard's map point");
      const json vector = p.value("vector", json());
      if (!vector.is_array()) return Status::InvalidArgument("a shard's map point has no vector");
      latent::MapPoint point;
      point.id = std::move(*id);
      if (p.contains("label")) point.label = p["label"];
      std::vector<float> row;
      row.reserve(vector.size());
      for (const auto& x : vector) {
        if (!x.is_number()) return Status::InvalidArgument("a shard's map point has a vector that is not numbers");
        row.push_back(x.get<float>());
      }
      sample.points.push_back(std::move(point));
      sample.rows.push_back(std::move(row));
    }
  }
  return sample;
}

}  // namespace latentdb::http::cluster_routing
