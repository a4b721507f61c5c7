// Filter planning: bounding a filter's matches with payload indexes (see filter.h).
#include <optional>

#include "engine/filter.h"
#include "engine/filter_condition.h"
#include "engine/payload_index.h"

namespace latentdb::engine {

namespace {

std::optional<size_t> EstimateCondition(const Filter::Condition& c, const PayloadIndexSet& indexes) {
  using Type = Filter::Condition::Type;
  if (c.type == Type::kSubFilter) return c.filter->EstimateMatches(indexes);
  if (c.type != Type::kMatchValue && c.type != Type::kMatchAny && c.type != Type::kRange) return std::nullopt;
  const FieldIndex* index = indexes.Find(c.path.text());
  return index ? index->Estimate(c) : std::nullopt;
}

// Only for a condition EstimateCondition bounded.
PointSet LookupCondition(const Filter::Condition& c, const PayloadIndexSet& indexes) {
  if (c.type == Filter::Condition::Type::kSubFilter) return *c.filter->CandidatePoints(indexes);
  return indexes.Find(c.path.text())->Lookup(c);
}

}  // namespace

// The plan both methods share: the smallest bounded `must` condition, or all of `should`.
struct FilterPlanner {
  const Filter& f;
  const PayloadIndexSet& indexes;
  std::optional<size_t> estimate;
  const Filter::Condition* best_must = nullptr;  // null: `should` is the bound

  void Plan() {
    for (const auto& c : f.must_) {
      auto e = EstimateCondition(c, indexes);
      if (e && (!estimate || *e < *estimate)) {
        estimate = e;
        best_must = &c;
      }
    }
    if (!f.has_should_) return;
    size_t sum = 0;
    for (const auto& c : f.should_) {
      auto e = EstimateCondition(c, indexes);
      if (!e) return;
      sum += *e;
    }
    if (!estimate || sum < *estimate) {
      estimate = sum;
      best_must = nullptr;
    }
  }
};

std::optional<size_t> Filter::EstimateMatches(const PayloadIndexSet& indexes) const {
  FilterPlanner planner{*this, indexes, std::nullopt};
  planner.Plan();
  return planner.estimate;
}

std::optional<PointSet> Filter::CandidatePoints(const PayloadIndexSet& indexes) const {
  FilterPlanner planner{*this, indexes, std::nullopt};
  planner.Plan();
  if (!planner.estimate) return std::nullopt;
  if (planner.best_must) return LookupCondition(*planner.best_must, indexes);
  PointSet out;
  for (const auto& c : should_) out |= LookupCondition(c, indexes);
  return out;
}

}  // namespace latentdb::engine
