#include "http/cluster/sharded_analogy.h"

#include <algorithm>
#include <set>

#include "engine/external_id.h"
#include "http/cluster/shard_merge.h"

namespace latentdb::http::cluster_routing {

using nlohmann::json;

namespace {

constexpr const char* kTermKeys[] = {"positive", "negative"};

// The ExternalId key of an id term, or "" for a vector term (or a term that is no id).
std::string TermKey(const json& term) {
  if (term.is_array()) return "";
  auto id = engine::ExternalId::FromJson(term);
  return id.ok() ? id->ToKey() : "";
}

size_t RequestedK(const json& body) {
  // A valid body's k (ParseAnalogy checked it): a positive integer.
  return body.contains("k") && body["k"].is_number_integer() && body["k"].get<int64_t>() > 0 ? body["k"].get<size_t>() : 10;
}

}  // namespace

Result<json> AnalogyIdTerms(const json& body) {
  if (body.contains("restrict_vocab")) {
    return Status::InvalidArgument(
        "\"restrict_vocab\" (the first N points in insertion order) has no meaning on a sharded collection: each "
        "shard has its own insertion order; use a filter instead");
  }
  json ids = json::array();
  for (const char* key : kTermKeys) {
    if (!body.contains(key) || !body[key].is_array()) continue;
    for (const auto& term : body[key]) {
      if (!term.is_array()) ids.push_back(term);
    }
  }
  return ids;
}

Result<json> ShardAnalogyBody(const json& body, const std::map<std::string, json>& vectors, const std::string& collection,
                              size_t max_k) {
  json out = body;
  size_t id_terms = 0;
  for (const char* key : kTermKeys) {
    if (!out.contains(key) || !out[key].is_array()) continue;
    for (auto& term : out[key]) {
      if (term.is_array()) continue;
      auto it = vectors.find(TermKey(term));
      if (it == vectors.end()) {
        return Status::NotFound("point " + term.dump() + " does not exist in collection '" + collection + "'");
      }
      term = it->second;
      ++id_terms;
    }
  }
  out["k"] = std::min(max_k, RequestedK(body) + id_terms);
  return out;
}

json MergeAnalogy(const std::vector<json>& answers, const json& body) {
  std::set<std::string> terms;
  for (const char* key : kTermKeys) {
    if (!body.contains(key) || !body[key].is_array()) continue;
    for (const auto& term : body[key]) {
      if (std::string k = TermKey(term); !k.empty()) terms.insert(k);
    }
  }
  std::vector<json> lists;
  for (const auto& answer : answers) {
    const json& hits = answer.is_object() && answer.contains("hits") ? answer["hits"] : answer;
    json kept = json::array();
    if (hits.is_array()) {
      for (const auto& hit : hits) {
        if (!hit.contains("id") || !terms.count(TermKey(hit["id"]))) kept.push_back(hit);
      }
    }
    lists.push_back(std::move(kept));
  }
  json merged = MergeScored(lists, 0, RequestedK(body), /*ascending=*/false);
  if (!answers.empty() && answers[0].is_object() && answers[0].contains("hits")) {
    json out = answers[0];
    out["hits"] = std::move(merged);
    return out;
  }
  return merged;
}

}  // namespace latentdb::http::cluster_routing
