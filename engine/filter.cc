#include "engine/filter.h"

#include <cmath>
#include <cstdint>
#include <unordered_set>

#include "engine/external_id.h"
#include "engine/filter_condition.h"

namespace latentdb::engine {

using nlohmann::json;

namespace {

constexpr int kMaxFilterDepth = 16;
constexpr int kUnordered = 2;

// Exact comparisons between the three number kinds nlohmann keeps. A double outside an integer
// type's range is beyond every value of it; inside, floor(d) converts exactly, and the fraction
// d - floor(d) decides ties.
int Sign(bool less, bool greater) { return less ? -1 : (greater ? 1 : 0); }

int CompareIntDouble(int64_t x, double y) {
  if (std::isnan(y)) return kUnordered;
  if (y < -9223372036854775808.0) return 1;
  if (y >= 9223372036854775808.0) return -1;
  const double t = std::floor(y);
  const auto ti = static_cast<int64_t>(t);
  if (x != ti) return Sign(x < ti, x > ti);
  return y > t ? -1 : 0;
}

int CompareUintDouble(uint64_t x, double y) {
  if (std::isnan(y)) return kUnordered;
  if (y < 0) return 1;
  if (y >= 18446744073709551616.0) return -1;
  const double t = std::floor(y);
  const auto tu = static_cast<uint64_t>(t);
  if (x != tu) return Sign(x < tu, x > tu);
  return y > t ? -1 : 0;
}

int CompareIntUint(int64_t x, uint64_t y) {
  if (x < 0) return -1;
  const auto xu = static_cast<uint64_t>(x);
  return Sign(xu < y, xu > y);
}

// Match values are strings, integers and bools; a number equals a number of any kind with the
// same value, never a string or bool.
bool ValueEquals(const json& stored, const json& want) {
  if (stored.is_number() && want.is_number()) return CompareJsonNumbers(stored, want) == 0;
  if (stored.is_number() || want.is_number()) return false;
  return stored == want;
}

}  // namespace

int CompareJsonNumbers(const json& a, const json& b) {
  if (!a.is_number() || !b.is_number()) return kUnordered;
  if (a.is_number_float() && b.is_number_float()) {
    const double x = a.get<double>(), y = b.get<double>();
    if (std::isnan(x) || std::isnan(y)) return kUnordered;
    return Sign(x < y, x > y);  // -0.0 == 0.0
  }
  auto flip = [](int c) { return c == kUnordered ? c : -c; };
  if (a.is_number_float()) return flip(CompareJsonNumbers(b, a));
  // a is an integer from here on.
  if (b.is_number_float()) {
    return a.is_number_unsigned() ? CompareUintDouble(a.get<uint64_t>(), b.get<double>())
                                  : CompareIntDouble(a.get<int64_t>(), b.get<double>());
  }
  if (a.is_number_unsigned() && b.is_number_unsigned()) {
    const uint64_t x = a.get<uint64_t>(), y = b.get<uint64_t>();
    return Sign(x < y, x > y);
  }
  if (!a.is_number_unsigned() && !b.is_number_unsigned()) {
    const int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
    return Sign(x < y, x > y);
  }
  if (a.is_number_unsigned()) return flip(CompareIntUint(b.get<int64_t>(), a.get<uint64_t>()));
  return CompareIntUint(a.get<int64_t>(), b.get<uint64_t>());
}

bool Filter::Condition::InRange(const json& v) const {
  auto cmp = [&](const json& bound) { return CompareJsonNumbers(v, bound); };
  if (!gt.is_null() && cmp(gt) != 1) return false;
  if (!gte.is_null()) {
    int c = cmp(gte);
    if (c != 0 && c != 1) return false;
  }
  if (!lt.is_null() && cmp(lt) != -1) return false;
  if (!lte.is_null()) {
    int c = cmp(lte);
    if (c != 0 && c != -1) return false;
  }
  return true;
}

bool Filter::Condition::TestScalar(const json& v) const {
  if (v.is_null()) return false;  // null is absence, also inside arrays
  switch (type) {
    case Type::kMatchValue:
    case Type::kMatchAny:
      for (const auto& want : values) {
        if (ValueEquals(v, want)) return true;
      }
      return false;
    case Type::kMatchExcept:
      if (v.is_object()) return false;
      for (const auto& unwanted : values) {
        if (ValueEquals(v, unwanted)) return false;
      }
      return true;
    case Type::kRange:
      return v.is_number() && InRange(v);
    default:
      return false;
  }
}

bool Filter::Condition::TestValue(const json& v) const {
  if (!v.is_array()) return TestScalar(v);
  for (const auto& element : v) {
    if (TestValue(element)) return true;
  }
  return false;
}

bool Filter::Condition::Test(const json& payload, const std::string& key) const {
  if (type == Type::kHasId) return ids.count(key) != 0;
  if (type == Type::kSubFilter) return filter->Matches(payload, key);
  std::vector<const json*> found;
  if (type == Type::kIsEmpty || type == Type::kIsNull) {
    // Qdrant's check_is_empty / check_is_null over every value the key reaches (the last one not
    // flattened): empty when each is null or [] (so also when there is none); null when one is.
    path.Collect(payload, &found, /*keep_null=*/true);
    for (const json* v : found) {
      const bool null = v->is_null();
      if (type == Type::kIsNull && null) return true;
      if (type == Type::kIsEmpty && !null && !(v->is_array() && v->empty())) return false;
    }
    return type == Type::kIsEmpty;
  }
  path.Collect(payload, &found);
  if (type == Type::kNested) {
    for (const json* v : found) {
      if (v->is_object() && filter->Matches(*v, key)) return true;
      if (v->is_array()) {
        for (const auto& element : *v) {
          if (element.is_object() && filter->Matches(element, key)) return true;
        }
      }
    }
    return false;
  }
  for (const json* v : found) {
    if (TestValue(*v)) return true;
  }
  return false;
}

Filter::Filter() = default;
Filter::~Filter() = default;

struct FilterParser {
  using Condition = Filter::Condition;
  using Type = Condition::Type;
  static constexpr const char* kSupported =
      "{\"key\":…, \"match\":…}, {\"key\":…, \"range\":…}, has_id, nested, is_empty, is_null, "
      "and sub-filters of must/should/must_not";

  static bool IsMatchScalar(const json& v) { return v.is_string() || v.is_number_integer() || v.is_boolean(); }

  static Status ParseValueList(const json& m, const char* name, Condition* cond) {
    if (!m[name].is_array()) return Status::InvalidArgument(std::string("match ") + name + " must be an array");
    for (const auto& v : m[name]) {
      if (!IsMatchScalar(v)) {
        return Status::InvalidArgument(std::string("match ") + name + " values must be strings, integers or bools");
      }
      cond->values.push_back(v);
    }
    return Status::Ok();
  }

  // {"has_id": [ids]}
  static Result<Condition> ParseHasId(const json& ids, bool in_nested) {
    if (in_nested) return Status::InvalidArgument("has_id is not supported inside a nested filter");
    if (!ids.is_array()) return Status::InvalidArgument("has_id must be an array of ids");
    Condition cond;
    cond.type = Type::kHasId;
    for (const auto& id : ids) {
      LDB_ASSIGN_OR_RETURN(ExternalId eid, ExternalId::FromJson(id));
      cond.ids.insert(eid.ToKey());
    }
    return cond;
  }

  // {"nested": {"key": "<array of objects>", "filter": {…}}}: the sub-filter runs on each element.
  static Result<Condition> ParseNested(const json& n, int depth) {
    if (!n.is_object() || !n.contains("key") || !n["key"].is_string() || !n.contains("filter")) {
      return Status::InvalidArgument("\"nested\" must be {\"key\": \"<array of objects>\", \"filter\": {…}}");
    }
    Condition cond;
    LDB_ASSIGN_OR_RETURN(cond.path, JsonPath::Parse(n["key"].get<std::string>()));
    LDB_ASSIGN_OR_RETURN(cond.filter, ParseFilter(n["filter"], depth + 1, /*in_nested=*/true));
    cond.type = Type::kNested;
    return cond;
  }

  // {"is_empty": {"key": …}} or {"is_null": {"key": …}}
  static Result<Condition> ParseIsEmptyOrNull(const std::string& name, const json& k) {
    if (!k.is_object() || !k.contains("key") || !k["key"].is_string() || k["key"].get_ref<const std::string&>().empty()) {
      return Status::InvalidArgument("\"" + name + "\" must be {\"key\": \"<non-empty path>\"}, got " + k.dump());
    }
    Condition cond;
    LDB_ASSIGN_OR_RETURN(cond.path, JsonPath::Parse(k["key"].get<std::string>()));
    cond.type = name == "is_empty" ? Type::kIsEmpty : Type::kIsNull;
    return cond;
  }

  // "match": {"value": v} | {"any": [v…]} | {"except": [v…]}
  static Status ParseMatch(const json& m, Condition* cond) {
    if (!m.is_object()) return Status::InvalidArgument("\"match\" must be an object");
    if (m.contains("value")) {
      if (!IsMatchScalar(m["value"])) {
        return Status::InvalidArgument("match value must be a string, integer or bool (use range for other numbers)");
      }
      cond->type = Type::kMatchValue;
      cond->values.push_back(m["value"]);
      return Status::Ok();
    }
    if (m.contains("any")) {
      cond->type = Type::kMatchAny;
      return ParseValueList(m, "any", cond);
    }
    if (m.contains("except")) {
      cond->type = Type::kMatchExcept;
      return ParseValueList(m, "except", cond);
    }
    return Status::InvalidArgument("\"match\" needs \"value\", \"any\" or \"except\"");
  }

  // "range": {"gt"|"gte"|"lt"|"lte": number, …}
  static Status ParseRange(const json& r, Condition* cond) {
    if (!r.is_object() || r.empty()) return Status::InvalidArgument("\"range\" must be an object with gt/gte/lt/lte");
    cond->type = Type::kRange;
    for (auto it = r.begin(); it != r.end(); ++it) {
      json* bound = it.key() == "gt" ? &cond->gt : it.key() == "gte" ? &cond->gte : it.key() == "lt" ? &cond->lt
                    : it.key() == "lte" ? &cond->lte : nullptr;
      if (bound == nullptr) return Status::InvalidArgument("unknown range bound '" + it.key() + "' (use gt, gte, lt, lte)");
      if (it.value().is_null()) continue;  // Qdrant's clients send absent bounds as null
      if (!it.value().is_number()) return Status::InvalidArgument("range bound '" + it.key() + "' must be a number");
      *bound = it.value();
    }
    return Status::Ok();
  }

  // {"key": path, "match"|"range": …}; anything else names what is not supported.
  static Result<Condition> ParseFieldCondition(const json& c) {
    if (!c.contains("key")) {
      if (c.empty()) return Status::InvalidArgument(std::string("empty filter condition {}; supported: ") + kSupported);
      return Status::InvalidArgument("unsupported condition '" + c.begin().key() + "'; supported: " + kSupported);
    }
    if (!c["key"].is_string() || c["key"].get_ref<const std::string&>().empty()) {
      return Status::InvalidArgument("filter condition needs a non-empty string \"key\": " + c.dump());
    }
    Condition cond;
    LDB_ASSIGN_OR_RETURN(cond.path, JsonPath::Parse(c["key"].get<std::string>()));
    if (c.contains("match")) {
      LDB_RETURN_IF_ERROR(ParseMatch(c["match"], &cond));
      return cond;
    }
    if (c.contains("range")) {
      LDB_RETURN_IF_ERROR(ParseRange(c["range"], &cond));
      return cond;
    }
    for (auto it = c.begin(); it != c.end(); ++it) {
      if (it.key() != "key") {
        return Status::InvalidArgument("unsupported condition '" + it.key() + "' (on key '" + c["key"].get<std::string>() +
                                       "'); supported: " + kSupported);
      }
    }
    return Status::InvalidArgument("filter condition on key '" + c["key"].get<std::string>() +
                                   "' needs \"match\" or \"range\"; supported: " + kSupported);
  }

  // One condition; which kind is decided by the first of these keys it has, in this order.
  static Result<Condition> ParseCondition(const json& c, int depth, bool in_nested) {
    if (!c.is_object()) return Status::InvalidArgument("filter condition must be an object, got " + c.dump());
    if (c.contains("has_id")) return ParseHasId(c["has_id"], in_nested);
    if (c.contains("must") || c.contains("should") || c.contains("must_not")) {
      Condition cond;
      LDB_ASSIGN_OR_RETURN(cond.filter, ParseFilter(c, depth, in_nested));
      cond.type = Type::kSubFilter;
      return cond;
    }
    if (c.contains("nested")) return ParseNested(c["nested"], depth);
    for (const char* name : {"is_empty", "is_null"}) {
      if (c.contains(name)) return ParseIsEmptyOrNull(name, c[name]);
    }
    return ParseFieldCondition(c);
  }

  static Status ParseList(const json& spec, const char* name, int depth, bool in_nested, std::vector<Condition>* out,
                          bool* present = nullptr) {
    if (!spec.contains(name) || spec[name].is_null()) return Status::Ok();
    if (present) *present = true;
    const json& list = spec[name];
    if (list.is_object()) {  // a single condition is accepted as a list of one
      LDB_ASSIGN_OR_RETURN(auto c, ParseCondition(list, depth + 1, in_nested));
      out->push_back(std::move(c));
      return Status::Ok();
    }
    if (!list.is_array()) return Status::InvalidArgument(std::string("filter \"") + name + "\" must be an array of conditions");
    for (const auto& c : list) {
      LDB_ASSIGN_OR_RETURN(auto cond, ParseCondition(c, depth + 1, in_nested));
      out->push_back(std::move(cond));
    }
    return Status::Ok();
  }

  static Result<std::shared_ptr<const Filter>> ParseFilter(const json& spec, int depth, bool in_nested) {
    if (depth > kMaxFilterDepth) return Status::InvalidArgument("filter is nested too deeply");
    if (!spec.is_object()) return Status::InvalidArgument("filter must be an object");
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      if (it.key() != "must" && it.key() != "should" && it.key() != "must_not") {
        return Status::InvalidArgument("unknown filter clause '" + it.key() + "' (use must, should, must_not)");
      }
    }
    std::shared_ptr<Filter> f(new Filter());
    LDB_RETURN_IF_ERROR(ParseList(spec, "must", depth, in_nested, &f->must_));
    LDB_RETURN_IF_ERROR(ParseList(spec, "should", depth, in_nested, &f->should_, &f->has_should_));
    LDB_RETURN_IF_ERROR(ParseList(spec, "must_not", depth, in_nested, &f->must_not_));
    return std::shared_ptr<const Filter>(std::move(f));
  }
};

Result<std::shared_ptr<const Filter>> Filter::Parse(const json& spec, int depth) {
  return FilterParser::ParseFilter(spec, depth, /*in_nested=*/false);
}

bool Filter::Matches(const json& payload, const std::string& key) const {
  return Evaluate([&](const Condition& c) { return c.Test(payload, key); });
}

}  // namespace latentdb::engine
