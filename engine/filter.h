#pragma once
// Payload filters, in Qdrant's shape:
//   {"must":[C…], "should":[C…], "must_not":[C…]}
// where a condition C is one of
//   {"key":"color", "match":{"value":"red"}}           equality (string, integer, bool)
//   {"key":"color", "match":{"any":["red","blue"]}}    any-of
//   {"key":"color", "match":{"except":["red"]}}        none-of (a value outside the list)
//   {"key":"price", "range":{"gt":1, "gte":…, "lt":…, "lte":…}}
//   {"has_id":[1, "a", …]}                             external ids
//   {"nested":{"key":"items", "filter":{…}}}           one element of an array of objects
//   {"is_empty":{"key":"tags"}}                        missing, null or [] (see below)
//   {"is_null":{"key":"tags"}}                         explicitly null (see below)
//   a filter {"must":…, "should":…, "must_not":…}      (sub-expression)
//
// Keys (Qdrant's JSON path syntax): segments separated by dots; "a.b" reads field b of object a.
// A segment may be followed by [] (every element of an array: "items[].color") or [N] (element
// N); a segment containing dots or brackets is written in double quotes: `"a.b".c`.
// Arrays on the path are flattened: when `items` is an array of objects, "items.color" reads the
// color of every element, exactly like "items[].color" (Qdrant 1.x reads nothing there; LatentDB
// keeps the older Qdrant / MongoDB reading, which is what users write). A condition on a key holds
// when it holds for ANY value found at the key; a value that is an array is tested element by
// element. A key that is absent or null holds no value: match, any, except and range fail there.
//
// `nested` tests its filter against each element of the array at `key` (a single object counts as
// an array of one) and holds when ONE element satisfies all of it: {"nested":{"key":"items",
// "filter":{"must":[color = red, size = 1]}}} needs a red item of size 1, where the flat
// conditions "items[].color = red" and "items[].size = 1" may be met by two different items.
// Keys inside are relative to the element; has_id is refused there (as Qdrant).
//
// Numbers compare by their exact mathematical value across JSON's three kinds (signed integer,
// unsigned integer, floating point), in match, any, except and range: 18446744073709551615 and -1
// differ, 2^53 + 1 differs from the double 2^53, 3 equals 3.0, -0.0 equals 0. Match values must be
// strings, integers or bools (as Qdrant; use range for floating point).
//
// Empty and absent lists, as Qdrant evaluates them (lib/segment/src/payload_storage/
// query_checker.rs: must = all(), should = any(), must_not = none()):
//   must: []          holds for every point (no condition to fail); same as absent
//   should: []        holds for NO point (none of zero conditions holds); absent: no constraint
//   must_not: []      holds for every point; same as absent
//   match.any: []     holds for no point (no value to equal)
//   match.except: []  holds for every point that has a (non-null) value at the key
//   has_id: []        holds for no point
//   {} (no clauses)   holds for every point; a clause given as null counts as absent
//
// is_empty and is_null follow Qdrant (lib/segment/src/payload_storage/query_checker.rs,
// check_is_empty / check_is_null) over the values the key reaches, arrays on the path flattened
// as above but the value at the end taken whole:
//   is_empty  holds when every value reached is null or [] — so also when the key is missing, or
//             a path through an array reaches no value ({"a":[]} for "a[].b"); {} and "" are not empty
//   is_null   holds when one value reached is null: {"a":null}, and {"a":[{"b":1},{"b":null}]}
//             for "a[].b" or "a.b"; not a missing key, not [] and not [null] (an array, not null)
// Both work inside `nested` (keys relative to the element). Any other condition (min_should,
// values_count, geo_*, has_vector, …) is refused with "unsupported condition 'X'; supported: …".

#include <nlohmann/json.hpp>
#include <roaring/roaring64map.hh>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::engine {

using PointSet = Roaring64Map;  // a set of internal point ids (CRoaring)
class PayloadIndexSet;

class Filter {
 public:
  // Validates and compiles a filter; InvalidArgument describes the first problem found.
  // `depth` is how deep this filter sits inside another (filters nest at most 16 deep).
  static Result<std::shared_ptr<const Filter>> Parse(const nlohmann::json& spec, int depth = 0);

  // `payload` is the point's payload object (or null); `external_key` its encoded id.
  bool Matches(const nlohmann::json& payload, const std::string& external_key) const;

  // --- planning with payload indexes (engine/filter_plan.cc, engine/payload_index.h) ---
  // An upper bound of the number of matching points read from the indexes — the most selective
  // indexed `must` condition, or the sum over `should` when every alternative is indexed — or
  // nullopt when no index bounds this filter. Cheap: no set is built. `bitmap_lookup`, when given,
  // says whether CandidatePoints would only unite stored bitmaps (keyword and bool indexes), so
  // that building the set costs little however many points match.
  std::optional<size_t> EstimateMatches(const PayloadIndexSet& indexes, bool* bitmap_lookup = nullptr) const;
  // A superset of the matching points, from the same conditions; nullopt exactly when
  // EstimateMatches is. Every candidate has to pass Matches() unless `*exact` (when given) comes
  // back true: the indexes then answered the whole filter exactly — a filter of one `must`
  // condition (or only `should` conditions) that every index involved places exactly
  // (FieldIndex::Lookup).
  std::optional<PointSet> CandidatePoints(const PayloadIndexSet& indexes, bool* exact = nullptr) const;

  // Whether the point passes, reading as little as possible: a condition a ready payload index
  // answers for one point (FieldIndex::TestPoint: bitmap membership, the point's numbers) is
  // answered from it, and the payload is read (once, through `point`) only for the others. Same
  // answer as Matches() on the point's payload.
  bool MatchesPoint(class PointView& point, const PayloadIndexSet& indexes) const;

  struct Condition;
  ~Filter();

 private:
  friend struct FilterParser;
  friend struct FilterPlanner;
  // must = all, must_not = none, should = any (when given), with `holds(condition)` deciding one
  // condition: the one evaluation Matches and MatchesPoint share.
  template <typename Holds>
  bool Evaluate(Holds&& holds) const {
    for (const auto& c : must_) {
      if (!holds(c)) return false;
    }
    for (const auto& c : must_not_) {
      if (holds(c)) return false;
    }
    if (!has_should_) return true;  // absent: no constraint. Present and empty: nothing holds (Qdrant)
    for (const auto& c : should_) {
      if (holds(c)) return true;
    }
    return false;
  }
  Filter();
  std::vector<Condition> must_, should_, must_not_;
  bool has_should_ = false;  // `should` given (even empty): at least one of should_ must hold
};

// A point as Filter::MatchesPoint sees it: its internal id, its encoded external id, and its
// payload, loaded on first need through `load` (nullopt: it could not be read; the point then
// passes no condition that needs it, and the loader keeps the error for its caller).
class PointView {
 public:
  using Loader = std::function<std::optional<nlohmann::json>(uint64_t iid)>;
  PointView(uint64_t iid, std::string key, const Loader& load) : iid_(iid), key_(std::move(key)), load_(load) {}
  uint64_t iid() const { return iid_; }
  const std::string& key() const { return key_; }
  const nlohmann::json* payload() {
    if (!loaded_) {
      payload_ = load_(iid_);
      loaded_ = true;
    }
    return payload_ ? &*payload_ : nullptr;
  }

 private:
  uint64_t iid_;
  std::string key_;
  const Loader& load_;
  bool loaded_ = false;
  std::optional<nlohmann::json> payload_;
};

// Three-way comparison of two JSON numbers by their exact values: -1, 0 or 1, or 2 when either is
// not a number (or is NaN). Exposed for the tests.
int CompareJsonNumbers(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace latentdb::engine
