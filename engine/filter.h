#pragma once
// Payload filters, in Qdrant's shape:
//   {"must":[C…], "should":[C…], "must_not":[C…]}
// where a condition C is one of
//   {"key":"color", "match":{"value":"red"}}          equality (string, integer, bool)
//   {"key":"color", "match":{"any":["red","blue"]}}   any-of
//   {"key":"price", "range":{"gt":1, "gte":…, "lt":…, "lte":…}}
//   {"has_id":[1, "a", …]}                            external ids
//   a nested filter {"must":…, "should":…, "must_not":…}
// Keys may be dotted paths ("meta.author"). When the payload value is an array, a condition holds
// if it holds for any element. `should` holds when at least one of its conditions does (an empty
// or absent `should` places no constraint).

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::engine {

class Filter {
 public:
  // Validates and compiles a filter; InvalidArgument describes the first problem found.
  // `depth` is how deep this filter sits inside another (filters nest at most 16 deep).
  static Result<std::shared_ptr<const Filter>> Parse(const nlohmann::json& spec, int depth = 0);

  // `payload` is the point's payload object (or null); `external_key` its encoded id.
  bool Matches(const nlohmann::json& payload, const std::string& external_key) const;

  struct Condition;
  ~Filter();

 private:
  Filter();
  std::vector<Condition> must_, should_, must_not_;
};

}  // namespace latentdb::engine
