#pragma once
// The compiled form of one filter condition. Private to the engine: filter.cc evaluates it,
// filter_plan.cc bounds it with payload indexes. Users go through engine/filter.h.

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/filter.h"
#include "engine/json_path.h"

namespace latentdb::engine {

struct Filter::Condition {
  enum class Type { kMatchValue, kMatchAny, kMatchExcept, kRange, kHasId, kSubFilter, kNested, kIsEmpty, kIsNull } type;
  JsonPath path;
  std::vector<nlohmann::json> values;    // match value / any / except
  nlohmann::json gt, gte, lt, lte;       // range bounds (null = absent), compared exactly
  std::unordered_set<std::string> ids;   // has_id, as encoded external ids
  std::shared_ptr<const Filter> filter;  // kSubFilter, kNested

  // Whether the condition holds for a point (its payload, its encoded id).
  bool Test(const nlohmann::json& payload, const std::string& key) const;
  // One value found at the key (an array is tested element by element).
  bool TestValue(const nlohmann::json& v) const;
  bool TestScalar(const nlohmann::json& v) const;
  bool InRange(const nlohmann::json& v) const;
};

}  // namespace latentdb::engine
