#include "http/cluster/sharded_directions.h"

#include <algorithm>

#include "http/cluster/shard_merge.h"

namespace latentdb::http::cluster_routing {

using nlohmann::json;

json BothSetsFilter(const json& from, const json& to) { return json{{"must", json::array({from, to})}}; }

Result<latent::Rows> SampleRows(const std::vector<json>& answers) {
  latent::Rows rows;
  for (const auto& answer : answers) {
    if (!answer.is_object() || !answer.contains("points") || !answer["points"].is_array()) {
      return Status::Internal("a shard answered a sample without points");
    }
    for (const auto& p : answer["points"]) {
      if (!p.is_object() || !p.contains("vector") || !p["vector"].is_array()) {
        return Status::InvalidArgument("a shard's sampled point has no vector");
      }
      std::vector<float> row;
      row.reserve(p["vector"].size());
      for (const auto& x : p["vector"]) {
        if (!x.is_number()) return Status::InvalidArgument("a shard's sampled point has a malformed vector");
        row.push_back(x.get<float>());
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

json MergeSamples(const std::vector<json>& answers, uint64_t matched) {
  std::vector<const json*> points;
  for (const auto& a : answers) {
    if (a.is_object() && a.contains("points") && a["points"].is_array()) {
      for (const auto& p : a["points"]) points.push_back(&p);
    }
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const json* x, const json* y) { return IdBefore((*x)["id"], (*y)["id"]); });
  json out = json::array();
  for (const json* p : points) out.push_back(*p);
  return json{{"points", std::move(out)}, {"matched", matched}};
}

json MergeEdits(const std::vector<json>& answers, size_t k, bool ascending) {
  if (answers.empty()) return json::object();
  json merged = answers[0];
  if (!merged.is_object() || !merged.contains("steps") || !merged["steps"].is_array()) return merged;
  json& steps = merged["steps"];
  for (size_t i = 0; i < steps.size(); ++i) {
    std::vector<json> lists;
    for (const auto& a : answers) {
      if (!a.is_object() || !a.contains("steps") || !a["steps"].is_array() || a["steps"].size() <= i) continue;
      const json& step = a["steps"][i];
      if (step.is_object() && step.contains("neighbors")) lists.push_back(step["neighbors"]);
    }
    steps[i]["neighbors"] = MergeScored(lists, 0, k, ascending);
  }
  return merged;
}

}  // namespace latentdb::http::cluster_routing
