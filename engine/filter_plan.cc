// Filter planning: bounding a filter's matches with payload indexes (see filter.h).
#include <optional>

#include "engine/filter.h"
#include "engine/filter_condition.h"
#include "engine/payload_index.h"

namespace latentdb::engine {

namespace {

std::optional<size_t> EstimateCondition(const Filter::Condition& c, const PayloadIndexSet& indexes, bool* bitmaps) {
  using Type = Filter::Condition::Type;
  if (c.type == Type::kSubFilter) return c.filter->EstimateMatches(indexes, bitmaps);
  if (c.type != Type::kMatchValue && c.type != Type::kMatchAny && c.type != Type::kRange) return std::nullopt;
  const FieldIndex* index = indexes.Find(c.path.text());
  if (!index) return std::nullopt;
  *bitmaps = index->LookupUnitesBitmaps();
  return index->Estimate(c);
}

// Only for a condition EstimateCondition bounded.
PointSet LookupCondition(const Filter::Condition& c, const PayloadIndexSet& indexes, bool* exact) {
  if (c.type == Filter::Condition::Type::kSubFilter) return *c.filter->CandidatePoints(indexes, exact);
  return indexes.Find(c.path.text())->Lookup(c, exact);
}

}  // namespace

// The plan both methods share: the smallest bounded `must` condition, or all of `should`.
struct FilterPlanner {
  const Filter& f;
  const PayloadIndexSet& indexes;
  std::optional<size_t> estimate;
  const Filter::Condition* best_must = nullptr;  // null: `should` is the bound
  bool bitmaps = false;                          // the chosen conditions only unite bitmaps

  void Plan() {
    for (const auto& c : f.must_) {
      bool b = false;
      auto e = EstimateCondition(c, indexes, &b);
      if (e && (!estimate || *e < *estimate)) {
        estimate = e;
        best_must = &c;
        bitmaps = b;
      }
    }
    if (!f.has_should_) return;
    size_t sum = 0;
    bool all_bitmaps = true;
    for (const auto& c : f.should_) {
      bool b = false;
      auto e = EstimateCondition(c, indexes, &b);
      if (!e) return;
      sum += *e;
      all_bitmaps = all_bitmaps && b;
    }
    if (!estimate || sum < *estimate) {
      estimate = sum;
      best_must = nullptr;
      bitmaps = all_bitmaps;
    }
  }
};

std::optional<size_t> Filter::EstimateMatches(const PayloadIndexSet& indexes, bool* bitmap_lookup) const {
  FilterPlanner planner{*this, indexes, std::nullopt};
  planner.Plan();
  if (bitmap_lookup) *bitmap_lookup = planner.bitmaps;
  return planner.estimate;
}

std::optional<PointSet> Filter::CandidatePoints(const PayloadIndexSet& indexes, bool* exact) const {
  FilterPlanner planner{*this, indexes, std::nullopt};
  planner.Plan();
  if (!planner.estimate) return std::nullopt;
  bool all_exact = true;
  PointSet out;
  if (planner.best_must) {
    out = LookupCondition(*planner.best_must, indexes, &all_exact);
    // The other conditions are left to Matches(): exact only when there are none.
    all_exact = all_exact && must_.size() == 1 && !has_should_ && must_not_.empty();
  } else {
    for (const auto& c : should_) {
      bool e = true;
      out |= LookupCondition(c, indexes, &e);
      all_exact = all_exact && e;
    }
    all_exact = all_exact && must_.empty() && must_not_.empty();
  }
  if (exact) *exact = all_exact;
  return out;
}

namespace {

bool TestConditionOnPoint(const Filter::Condition& c, PointView& point, const PayloadIndexSet& indexes) {
  using Type = Filter::Condition::Type;
  if (c.type == Type::kSubFilter) return c.filter->MatchesPoint(point, indexes);
  if (c.type == Type::kHasId) return c.ids.count(point.key()) != 0;
  if (c.type == Type::kMatchValue || c.type == Type::kMatchAny || c.type == Type::kRange) {
    if (const FieldIndex* index = indexes.Find(c.path.text())) {
      if (auto known = index->TestPoint(c, point.iid())) return *known;
    }
  }
  const nlohmann::json* payload = point.payload();
  return payload && c.Test(*payload, point.key());
}

}  // namespace

bool Filter::MatchesPoint(PointView& point, const PayloadIndexSet& indexes) const {
  return Evaluate([&](const Condition& c) { return TestConditionOnPoint(c, point, indexes); });
}

}  // namespace latentdb::engine
