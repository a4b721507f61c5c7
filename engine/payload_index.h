#pragma once
// Payload indexes: for one payload field of a collection, which points hold which values — the
// structure Qdrant calls a payload index (PUT /collections/{c}/index with field_name and
// field_schema keyword / integer / float / bool).
//
// An index only ever narrows a filter down: FieldIndex::Lookup returns a SUPERSET of the points a
// condition holds for, and the caller still tests each candidate with Filter::Matches. So a
// search answered through an index returns exactly what the unindexed filter returns, whatever
// values the points hold (a float in an integer field, a number in a keyword field, arrays).
//
// What each schema indexes (the values a key reaches, arrays flattened as filters read them) and
// which conditions it answers (written on exactly the index's field_name):
//   keyword  strings                         match value / any with string values
//   bool     true / false                    match value / any with bool values
//   integer  integers; floats (and integers  match value / any with integer values, range
//            beyond 2^53) in an "other" set
//   float    every number (integers beyond   match value / any with integer values, range
//            2^53 in "other")
// match except, is_empty, is_null, nested and has_id are not answered by indexes (the filter
// still evaluates them on the candidates).
//
// Storage: an index is a set of entries, one per (point, distinct value), each a key
//   field number (4, big-endian) + value key + iid (8, big-endian)
// with value key 'k' + UTF-8 bytes (keyword), 'b' + 0|1 (bool), 'n' + 8 bytes (a number that is
// exactly a double, as bytes that sort in numeric order), 'o' (a number the index does not place:
// always a candidate). The collection writes entries in the same RocksDB batch as their points
// (storage::PointBatch::index_puts), so they are as durable and atomic as the points, and reads
// them back at open: no payload is read to open an index.
//
// Memory: keyword, bool and "other" values map to roaring bitmaps of iids (CRoaring, Debian's
// libroaring-dev); numbers are a sorted array of (value, iid) pairs, 16 bytes each, plus an ordered
// set of recent additions and a set of recent removals, merged into the array when they grow past
// 1/8 of it (an LSM in miniature): a range query is two binary searches, a write O(log n)
// amortized.
//
// Thread-safety: none inside; the collection's lock guards its indexes (shared for lookups,
// exclusive for updates).

#include <nlohmann/json.hpp>
#include <roaring/roaring64map.hh>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/result.h"
#include "engine/filter.h"
#include "engine/json_path.h"

namespace latentdb::engine {

using PointSet = Roaring64Map;  // internal ids

enum class PayloadSchema { kKeyword, kInteger, kFloat, kBool };

// Qdrant's field_schema: a name ("keyword") or an object with a "type" ({"type": "keyword"}).
// InvalidArgument naming the supported types otherwise.
Result<PayloadSchema> ParsePayloadSchema(const nlohmann::json& field_schema);
const char* PayloadSchemaName(PayloadSchema schema);

// (value, iid) pairs kept sorted for range queries; see the file comment.
class NumericPostings {
 public:
  void Add(double value, uint64_t iid);
  // The pair must be present.
  void Remove(double value, uint64_t iid);
  // Adds to `out` every iid with a value in [lo, hi]; returns how many pairs were in range.
  size_t Collect(double lo, double hi, PointSet* out) const;
  size_t Count(double lo, double hi) const;
  size_t size() const { return sorted_.size() + added_.size() - removed_.size(); }

 private:
  using Pair = std::pair<double, uint64_t>;
  template <typename Visit>
  void ForEachIn(double lo, double hi, Visit&& visit) const;
  void MergeIfLarge();

  std::vector<Pair> sorted_;
  std::set<Pair> added_;                         // not in sorted_
  // Still in sorted_, no longer present. Ordered, so that Count subtracts the removals in a range
  // without walking the range's part of sorted_.
  std::set<Pair> removed_;
};

// The numbers of each point, by iid, for testing one point against a range (FieldIndex::TestPoint):
// a dense array of one value per iid (NaN: none, or several) and a map for the points with several.
class NumericColumn {
 public:
  void Add(uint64_t iid, double value);
  // The value must be present.
  void Remove(uint64_t iid, double value);
  // Whether the point has a value in [lo, hi].
  bool AnyIn(uint64_t iid, double lo, double hi) const;

 private:
  std::vector<double> single_;
  std::unordered_map<uint64_t, std::vector<double>> several_;
};

// The index of one field.
class FieldIndex {
 public:
  // `number` is the field's number inside its collection (the first 4 bytes of its entry keys).
  FieldIndex(uint32_t number, JsonPath path, PayloadSchema schema);

  uint32_t number() const { return number_; }
  const JsonPath& path() const { return path_; }
  const std::string& field_name() const { return path_.text(); }
  PayloadSchema schema() const { return schema_; }

  // The entry keys of one point (see the file comment), sorted and without duplicates; empty when
  // the payload holds no value this index keeps.
  std::vector<std::string> EntriesOf(uint64_t iid, const nlohmann::json& payload) const;
  // Replaces a point's entries (`before` as the index holds them, `after` new), both as EntriesOf
  // gives them.
  void Update(uint64_t iid, const std::vector<std::string>& before, const std::vector<std::string>& after);
  // Adds one stored entry (read back at open); Corruption when it is not one of this index's.
  Status AddStoredEntry(std::string_view entry);
  // Removes one stored entry (a replica applying its primary's log); Corruption as AddStoredEntry.
  // The point still counts as indexed: SetUnindexed says when it has no entry left.
  Status RemoveStoredEntry(std::string_view entry);
  void SetUnindexed(uint64_t iid) { indexed_.remove(iid); }

  // An upper bound of the points `condition` holds for, or nullopt when this index cannot answer
  // that kind of condition (see the file comment). Cheap: no bitmap is built.
  std::optional<size_t> Estimate(const Filter::Condition& condition) const;
  // A superset of the points `condition` holds for; only when Estimate() has a value. `exact`
  // says whether it is exactly those points (no value the index could not place, such as a float
  // in an integer index or an integer beyond 2^53, and bounds that are doubles).
  PointSet Lookup(const Filter::Condition& condition, bool* exact) const;
  // Whether `condition` holds for the point `iid`, from this index alone: true or false when the
  // index knows, nullopt when it cannot tell (a condition it does not answer, a number it could not
  // place, bounds that are not exact doubles) and the payload has to. Costs a bitmap membership
  // test per wanted value, or a look at the point's numbers: no payload is read.
  std::optional<bool> TestPoint(const Filter::Condition& condition, uint64_t iid) const;

  // Whether Lookup() only unites stored bitmaps (keyword and bool indexes: cheap whatever the
  // count), rather than collecting every matching number one by one (integer and float).
  bool LookupUnitesBitmaps() const { return schema_ == PayloadSchema::kKeyword || schema_ == PayloadSchema::kBool; }

  // Points with at least one indexed value.
  size_t points() const { return static_cast<size_t>(indexed_.cardinality()); }

  // The prefix of every entry of field `number`.
  static std::string EntryPrefix(uint32_t number);

 private:
  Status CheckStoredEntry(std::string_view entry) const;
  void Apply(uint64_t iid, std::string_view entry, bool add);
  // The parts of this index that hold every point `c` holds for: `term(key)` for each stored
  // bitmap, `range(lo, hi)` for each span of numbers. False (nothing visited) when this index
  // cannot answer that kind of condition; `exact` as Lookup's. Estimate and Lookup share it, so
  // that they always describe the same set.
  template <typename Term, typename Range>
  bool ForEachPart(const Filter::Condition& c, bool* exact, Term&& term, Range&& range) const;
  // ForEachPart without the numbers the index could not place; `numeric` says whether the
  // condition is one that those numbers could satisfy.
  template <typename Term, typename Range>
  bool ForEachPlacedPart(const Filter::Condition& c, bool* exact, bool* numeric, Term&& term, Range&& range) const;

  const uint32_t number_;
  const JsonPath path_;
  const PayloadSchema schema_;
  std::unordered_map<std::string, PointSet> terms_;  // value key ('k…', 'b…', 'o') -> iids
  NumericPostings numbers_;                          // 'n' entries, by value
  NumericColumn number_column_;                      // 'n' entries, by iid
  PointSet indexed_;
};

// The payload indexes of one collection, by field name (as written in filters).
class PayloadIndexSet {
 public:
  // The index a filter key uses, or nullptr (also while it is being built).
  const FieldIndex* Find(const std::string& field_name) const;
  bool empty() const { return ready_.empty(); }
  void SetReady(const std::string& field_name, const FieldIndex* index);
  void Remove(const std::string& field_name);

 private:
  std::map<std::string, const FieldIndex*> ready_;
};

}  // namespace latentdb::engine
