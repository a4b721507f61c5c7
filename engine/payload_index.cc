#include "engine/payload_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/coding.h"
#include "engine/filter.h"
#include "engine/filter_condition.h"

namespace latentdb::engine {

using nlohmann::json;

namespace {

constexpr char kKeywordTag = 'k', kBoolTag = 'b', kNumberTag = 'n', kOtherTag = 'o';
constexpr double kInf = std::numeric_limits<double>::infinity();

// A double's bytes, big-endian, transformed so that they sort as the numbers do (negative numbers
// with every bit flipped, the others with the sign bit flipped); -0.0 is stored as 0.0.
void PutOrderedDouble(std::string* out, double d) {
  if (d == 0) d = 0;
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  bits = (bits >> 63) ? ~bits : bits ^ (uint64_t{1} << 63);
  PutFixed64BE(out, bits);
}

double GetOrderedDouble(const char* p) {
  uint64_t bits = DecodeFixed64BE(p);
  bits = (bits >> 63) ? bits ^ (uint64_t{1} << 63) : ~bits;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// A JSON number as the double index keys use. Rounding to the nearest double is monotonic, so a
// range [lo, hi] over exact values maps into [double(lo), double(hi)]: lookups stay supersets.
double AsDouble(const json& v);

// Whether the JSON number is exactly a double (every float is; an integer beyond 2^53 may not be).
bool ExactDouble(const json& v) {
  const double d = AsDouble(v);
  return std::isfinite(d) && CompareJsonNumbers(json(d), v) == 0;
}

double AsDouble(const json& v) {
  if (v.is_number_unsigned()) return static_cast<double>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<double>(v.get<int64_t>());
  return v.get<double>();
}

template <typename Visit>
void ForEachScalar(const json& v, Visit&& visit) {
  if (v.is_array()) {
    for (const auto& element : v) ForEachScalar(element, visit);
  } else if (!v.is_null()) {
    visit(v);
  }
}

}  // namespace

Result<PayloadSchema> ParsePayloadSchema(const json& field_schema) {
  const json* name = &field_schema;
  if (field_schema.is_object()) {
    auto it = field_schema.find("type");
    if (it == field_schema.end()) return Status::InvalidArgument("field_schema object needs a \"type\"");
    name = &*it;
    // Qdrant's other parameters: hints that change no answer are accepted (lookup and range:
    // integer indexes always serve both; is_tenant and is_principal tune Qdrant's storage
    // layout); on_disk: true is refused (the index is held in RAM); anything else is unknown.
    for (auto p = field_schema.begin(); p != field_schema.end(); ++p) {
      const std::string& key = p.key();
      if (key == "type") continue;
      const bool hint = key == "lookup" || key == "range" || key == "is_tenant" || key == "is_principal" || key == "on_disk";
      if (!hint) return Status::InvalidArgument("unknown field_schema parameter '" + key + "'");
      if (!p->is_boolean() && !p->is_null()) return Status::InvalidArgument("field_schema." + key + " must be a boolean");
      if (key == "on_disk" && p->is_boolean() && p->get<bool>()) {
        return Status::InvalidArgument("field_schema.on_disk: true is not supported: payload indexes are held in RAM");
      }
    }
  }
  if (name->is_string()) {
    const auto& s = name->get_ref<const std::string&>();
    if (s == "keyword") return PayloadSchema::kKeyword;
    if (s == "integer") return PayloadSchema::kInteger;
    if (s == "float") return PayloadSchema::kFloat;
    if (s == "bool") return PayloadSchema::kBool;
  }
  return Status::InvalidArgument("field_schema must be one of keyword, integer, float, bool (or {\"type\": …}), got " +
                                 field_schema.dump() + "; geo, text, datetime and uuid indexes are not supported");
}

const char* PayloadSchemaName(PayloadSchema schema) {
  switch (schema) {
    case PayloadSchema::kKeyword: return "keyword";
    case PayloadSchema::kInteger: return "integer";
    case PayloadSchema::kFloat: return "float";
    case PayloadSchema::kBool: return "bool";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// NumericPostings

void NumericPostings::Add(double value, uint64_t iid) {
  if (value == 0) value = 0;
  if (removed_.erase({value, iid})) return;  // it is still in sorted_
  added_.emplace(value, iid);
  MergeIfLarge();
}

void NumericPostings::Remove(double value, uint64_t iid) {
  if (value == 0) value = 0;
  const Pair p{value, iid};
  if (added_.erase(p)) return;
  removed_.insert(p);
  MergeIfLarge();
}

void NumericColumn::Add(uint64_t iid, double value) {
  if (value == 0) value = 0;
  if (single_.size() <= iid) single_.resize(std::max<size_t>(iid + 1, single_.size() * 3 / 2), std::nan(""));
  auto several = several_.find(iid);
  if (several != several_.end()) {
    several->second.push_back(value);
  } else if (std::isnan(single_[iid])) {
    single_[iid] = value;
  } else {
    several_[iid] = {single_[iid], value};
    single_[iid] = std::nan("");
  }
}

void NumericColumn::Remove(uint64_t iid, double value) {
  if (value == 0) value = 0;
  auto several = several_.find(iid);
  if (several != several_.end()) {
    auto& values = several->second;
    auto it = std::find(values.begin(), values.end(), value);
    if (it != values.end()) values.erase(it);
    if (values.size() == 1) {
      single_[iid] = values[0];
      several_.erase(several);
    }
  } else if (iid < single_.size()) {
    single_[iid] = std::nan("");
  }
}

bool NumericColumn::AnyIn(uint64_t iid, double lo, double hi) const {
  if (iid < single_.size() && !std::isnan(single_[iid])) return lo <= single_[iid] && single_[iid] <= hi;
  auto several = several_.find(iid);
  if (several == several_.end()) return false;
  for (double v : several->second) {
    if (lo <= v && v <= hi) return true;
  }
  return false;
}

void NumericPostings::MergeIfLarge() {
  // Merging costs O(n): doing it when the tail reaches n/8 keeps a write O(1) amortized.
  const size_t limit = std::max<size_t>(4096, sorted_.size() / 8);
  if (added_.size() + removed_.size() <= limit) return;
  std::vector<Pair> merged;
  merged.reserve(sorted_.size() + added_.size() - removed_.size());
  auto a = sorted_.begin();
  auto b = added_.begin();
  while (a != sorted_.end() || b != added_.end()) {
    if (b == added_.end() || (a != sorted_.end() && *a < *b)) {
      if (!removed_.count(*a)) merged.push_back(*a);
      ++a;
    } else {
      merged.push_back(*b++);
    }
  }
  sorted_ = std::move(merged);
  added_.clear();
  removed_.clear();
}

template <typename Visit>
void NumericPostings::ForEachIn(double lo, double hi, Visit&& visit) const {
  if (lo > hi) return;
  auto first = std::lower_bound(sorted_.begin(), sorted_.end(), Pair{lo, 0});
  auto last = std::upper_bound(sorted_.begin(), sorted_.end(), Pair{hi, std::numeric_limits<uint64_t>::max()});
  const bool any_removed = !removed_.empty();
  for (auto it = first; it != last; ++it) {
    if (!any_removed || !removed_.count(*it)) visit(it->second);
  }
  for (auto it = added_.lower_bound(Pair{lo, 0}); it != added_.end() && it->first <= hi; ++it) visit(it->second);
}

size_t NumericPostings::Collect(double lo, double hi, PointSet* out) const {
  size_t n = 0;
  ForEachIn(lo, hi, [&](uint64_t iid) {
    out->add(iid);
    ++n;
  });
  return n;
}

size_t NumericPostings::Count(double lo, double hi) const {
  if (lo > hi) return 0;
  // O(log n) in sorted_, plus the tail's pairs in range (the tail is at most max(4096, n/8)).
  auto first = std::lower_bound(sorted_.begin(), sorted_.end(), Pair{lo, 0});
  auto last = std::upper_bound(sorted_.begin(), sorted_.end(), Pair{hi, std::numeric_limits<uint64_t>::max()});
  size_t n = static_cast<size_t>(last - first);
  for (auto it = added_.lower_bound(Pair{lo, 0}); it != added_.end() && it->first <= hi; ++it) ++n;
  for (auto it = removed_.lower_bound(Pair{lo, 0}); it != removed_.end() && it->first <= hi; ++it) --n;
  return n;
}

// ---------------------------------------------------------------------------------------------
// FieldIndex

FieldIndex::FieldIndex(uint32_t number, JsonPath path, PayloadSchema schema)
    : number_(number), path_(std::move(path)), schema_(schema) {}

std::string FieldIndex::EntryPrefix(uint32_t number) {
  std::string p;
  PutFixed32BE(&p, number);
  return p;
}

std::vector<std::string> FieldIndex::EntriesOf(uint64_t iid, const json& payload) const {
  std::vector<std::string> out;
  if (!payload.is_object()) return out;
  std::vector<const json*> found;
  path_.Collect(payload, &found);
  const std::string prefix = EntryPrefix(number_);
  auto add = [&](char tag, std::string_view value) {
    std::string e = prefix;
    e.push_back(tag);
    e.append(value);
    PutFixed64BE(&e, iid);
    out.push_back(std::move(e));
  };
  for (const json* v : found) {
    ForEachScalar(*v, [&](const json& s) {
      switch (schema_) {
        case PayloadSchema::kKeyword:
          if (s.is_string()) add(kKeywordTag, s.get_ref<const std::string&>());
          return;
        case PayloadSchema::kBool:
          if (s.is_boolean()) add(kBoolTag, s.get<bool>() ? "\1" : std::string_view("\0", 1));
          return;
        case PayloadSchema::kInteger:
        case PayloadSchema::kFloat:
          if (!s.is_number()) return;
          // 'n' holds numbers the index answers exactly; the rest (a float in an integer index,
          // an integer beyond 2^53) is "other": always a candidate, checked by the filter.
          if ((schema_ == PayloadSchema::kInteger && s.is_number_float()) || !ExactDouble(s)) {
            add(kOtherTag, {});
          } else {
            std::string d;
            PutOrderedDouble(&d, AsDouble(s));
            add(kNumberTag, d);
          }
          return;
      }
    });
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void FieldIndex::Apply(uint64_t iid, std::string_view entry, bool add) {
  // entry = number(4) + tag + value + iid(8), checked by the callers.
  const std::string_view value = entry.substr(4, entry.size() - 12);
  if (value[0] == kNumberTag) {
    const double d = GetOrderedDouble(value.data() + 1);
    if (add) {
      numbers_.Add(d, iid);
      number_column_.Add(iid, d);
    } else {
      numbers_.Remove(d, iid);
      number_column_.Remove(iid, d);
    }
    return;
  }
  auto it = terms_.find(std::string(value));
  if (add) {
    if (it == terms_.end()) it = terms_.emplace(std::string(value), PointSet()).first;
    it->second.add(iid);
  } else if (it != terms_.end()) {
    it->second.remove(iid);
    if (it->second.isEmpty()) terms_.erase(it);
  }
}

void FieldIndex::Update(uint64_t iid, const std::vector<std::string>& before, const std::vector<std::string>& after) {
  // Both sorted: remove what is only in `before`, add what is only in `after`.
  auto b = before.begin(), a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && *b < *a)) {
      Apply(iid, *b++, false);
    } else if (b == before.end() || *a < *b) {
      Apply(iid, *a++, true);
    } else {
      ++a, ++b;
    }
  }
  if (after.empty()) {
    indexed_.remove(iid);
  } else {
    indexed_.add(iid);
  }
}

Status FieldIndex::AddStoredEntry(std::string_view entry) {
  LDB_RETURN_IF_ERROR(CheckStoredEntry(entry));
  const uint64_t iid = DecodeFixed64BE(entry.data() + entry.size() - 8);
  Apply(iid, entry, true);
  indexed_.add(iid);
  return Status::Ok();
}

Status FieldIndex::RemoveStoredEntry(std::string_view entry) {
  LDB_RETURN_IF_ERROR(CheckStoredEntry(entry));
  Apply(DecodeFixed64BE(entry.data() + entry.size() - 8), entry, false);
  return Status::Ok();
}

Status FieldIndex::CheckStoredEntry(std::string_view entry) const {
  bool ok = entry.size() >= 13 && DecodeFixed32BE(entry.data()) == number_;
  if (ok) {
    const char tag = entry[4];
    const size_t value_size = entry.size() - 13;
    ok = (tag == kKeywordTag && schema_ == PayloadSchema::kKeyword) ||
         (tag == kBoolTag && schema_ == PayloadSchema::kBool && value_size == 1) ||
         (tag == kNumberTag && (schema_ == PayloadSchema::kInteger || schema_ == PayloadSchema::kFloat) &&
          value_size == 8) ||
         (tag == kOtherTag && (schema_ == PayloadSchema::kInteger || schema_ == PayloadSchema::kFloat) &&
          value_size == 0);
  }
  if (!ok) return Status::Corruption("payload index entry of field '" + field_name() + "' is malformed");
  return Status::Ok();
}

namespace {

// The doubles [lo, hi] that hold every value satisfying the condition's bounds. A bound that is
// exactly a double keeps its strictness (v > d is v >= the next double after d, since the
// postings hold doubles only); another one is widened to inclusive, and `exact` becomes false.
std::pair<double, double> DoubleRange(const Filter::Condition& c, bool* exact) {
  double lo = -kInf, hi = kInf;
  auto bound = [&](const json& b, bool lower, bool strict) {
    if (b.is_null()) return;
    double d = AsDouble(b);
    if (!ExactDouble(b)) {
      *exact = false;
    } else if (strict) {
      d = std::nextafter(d, lower ? kInf : -kInf);
    }
    if (lower) {
      lo = std::max(lo, d);
    } else {
      hi = std::min(hi, d);
    }
  };
  bound(c.gt, true, true);
  bound(c.gte, true, false);
  bound(c.lt, false, true);
  bound(c.lte, false, false);
  return {lo, hi};
}

bool AllValues(const Filter::Condition& c, bool (json::*is)() const noexcept) {
  return std::all_of(c.values.begin(), c.values.end(), [&](const json& v) { return (v.*is)(); });
}

}  // namespace

template <typename Term, typename Range>
bool FieldIndex::ForEachPlacedPart(const Filter::Condition& c, bool* exact, bool* numeric_condition, Term&& term,
                                   Range&& range) const {
  using Type = Filter::Condition::Type;
  *exact = true;
  *numeric_condition = false;
  const bool numeric = schema_ == PayloadSchema::kInteger || schema_ == PayloadSchema::kFloat;
  if (c.type == Type::kMatchValue || c.type == Type::kMatchAny) {
    if (schema_ == PayloadSchema::kKeyword && AllValues(c, &json::is_string)) {
      for (const auto& v : c.values) term(kKeywordTag + v.get<std::string>());
      return true;
    }
    if (schema_ == PayloadSchema::kBool && AllValues(c, &json::is_boolean)) {
      for (const auto& v : c.values) term(std::string(1, kBoolTag) + (v.get<bool>() ? '\1' : '\0'));
      return true;
    }
    if (!numeric || !AllValues(c, &json::is_number_integer)) return false;
    for (const auto& v : c.values) {
      if (!ExactDouble(v)) *exact = false;
      range(AsDouble(v), AsDouble(v));
    }
  } else if (c.type == Type::kRange && numeric) {
    auto [lo, hi] = DoubleRange(c, exact);
    range(lo, hi);
  } else {
    return false;
  }
  *numeric_condition = true;
  return true;
}

template <typename Term, typename Range>
bool FieldIndex::ForEachPart(const Filter::Condition& c, bool* exact, Term&& term, Range&& range) const {
  bool numeric = false;
  if (!ForEachPlacedPart(c, exact, &numeric, term, range)) return false;
  // Numbers the index could not place are candidates of every numeric condition.
  if (numeric && terms_.count(std::string(1, kOtherTag))) {
    term(std::string(1, kOtherTag));
    *exact = false;
  }
  return true;
}

std::optional<bool> FieldIndex::TestPoint(const Filter::Condition& c, uint64_t iid) const {
  bool exact = true, numeric = false, in = false;
  const bool answered = ForEachPlacedPart(
      c, &exact, &numeric,
      [&](const std::string& key) {
        auto it = terms_.find(key);
        in = in || (it != terms_.end() && it->second.contains(iid));
      },
      [&](double lo, double hi) { in = in || number_column_.AnyIn(iid, lo, hi); });
  if (!answered) return std::nullopt;
  // The placed values hold a superset of the matches (bounds that are not exact doubles are
  // widened): outside them, only a number the index could not place may still match.
  bool unplaced = false;
  if (numeric) {
    auto other = terms_.find(std::string(1, kOtherTag));
    unplaced = other != terms_.end() && other->second.contains(iid);
  }
  if (!in) return unplaced ? std::nullopt : std::optional<bool>(false);
  return exact ? std::optional<bool>(true) : std::nullopt;
}

std::optional<size_t> FieldIndex::Estimate(const Filter::Condition& c) const {
  size_t n = 0;
  bool exact = true;
  const bool answered = ForEachPart(
      c, &exact,
      [&](const std::string& key) {
        auto it = terms_.find(key);
        if (it != terms_.end()) n += static_cast<size_t>(it->second.cardinality());
      },
      [&](double lo, double hi) { n += numbers_.Count(lo, hi); });
  return answered ? std::optional<size_t>(n) : std::nullopt;
}

PointSet FieldIndex::Lookup(const Filter::Condition& c, bool* exact) const {
  PointSet out;
  ForEachPart(
      c, exact,
      [&](const std::string& key) {
        auto it = terms_.find(key);
        if (it != terms_.end()) out |= it->second;
      },
      [&](double lo, double hi) { numbers_.Collect(lo, hi, &out); });
  return out;
}

// ---------------------------------------------------------------------------------------------
// PayloadIndexSet

const FieldIndex* PayloadIndexSet::Find(const std::string& field_name) const {
  auto it = ready_.find(field_name);
  return it == ready_.end() ? nullptr : it->second;
}

void PayloadIndexSet::SetReady(const std::string& field_name, const FieldIndex* index) { ready_[field_name] = index; }

void PayloadIndexSet::Remove(const std::string& field_name) { ready_.erase(field_name); }

}  // namespace latentdb::engine
