#include "engine/filter.h"

#include <optional>
#include <unordered_set>

#include "engine/external_id.h"

namespace latentdb::engine {

using nlohmann::json;

struct Filter::Condition {
  enum class Type { kMatchValue, kMatchAny, kRange, kHasId, kNested } type;
  std::vector<std::string> path;
  std::vector<json> values;  // match value / any-of
  std::optional<double> gt, gte, lt, lte;
  std::unordered_set<std::string> ids;
  std::shared_ptr<const Filter> nested;

  static bool ScalarEquals(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) {
      if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
      if (a.is_number_unsigned() && b.is_number_unsigned()) return a.get<uint64_t>() == b.get<uint64_t>();
      return a.get<int64_t>() == b.get<int64_t>();
    }
    return a == b;
  }

  bool TestScalar(const json& v) const {
    switch (type) {
      case Type::kMatchValue:
      case Type::kMatchAny:
        for (const auto& want : values) {
          if (ScalarEquals(v, want)) return true;
        }
        return false;
      case Type::kRange: {
        if (!v.is_number()) return false;
        double x = v.get<double>();
        if (gt && !(x > *gt)) return false;
        if (gte && !(x >= *gte)) return false;
        if (lt && !(x < *lt)) return false;
        if (lte && !(x <= *lte)) return false;
        return true;
      }
      default:
        return false;
    }
  }

  bool Test(const json& payload, const std::string& key) const {
    if (type == Type::kHasId) return ids.count(key) != 0;
    if (type == Type::kNested) return nested->Matches(payload, key);
    const json* node = &payload;
    for (const auto& part : path) {
      if (!node->is_object()) return false;
      auto it = node->find(part);
      if (it == node->end()) return false;
      node = &*it;
    }
    if (node->is_array()) {
      for (const auto& element : *node) {
        if (TestScalar(element)) return true;
      }
      return false;
    }
    return TestScalar(*node);
  }
};

Filter::Filter() = default;
Filter::~Filter() = default;

namespace {

constexpr int kMaxFilterDepth = 16;

Status ParseFilterInto(const json& spec, int depth, std::vector<Filter::Condition>* must,
                       std::vector<Filter::Condition>* should, std::vector<Filter::Condition>* must_not);

bool IsMatchScalar(const json& v) { return v.is_string() || v.is_number_integer() || v.is_boolean(); }

Result<Filter::Condition> ParseCondition(const json& c, int depth) {
  using Type = Filter::Condition::Type;
  if (!c.is_object()) return Status::InvalidArgument("filter condition must be an object, got " + c.dump());
  Filter::Condition cond;
  if (c.contains("has_id")) {
    const json& ids = c["has_id"];
    if (!ids.is_array()) return Status::InvalidArgument("has_id must be an array of ids");
    cond.type = Type::kHasId;
    for (const auto& id : ids) {
      LDB_ASSIGN_OR_RETURN(ExternalId eid, ExternalId::FromJson(id));
      cond.ids.insert(eid.ToKey());
    }
    return cond;
  }
  if (c.contains("must") || c.contains("should") || c.contains("must_not")) {
    auto parsed = Filter::Parse(c, depth);
    if (!parsed.ok()) return parsed.status();
    cond.type = Type::kNested;
    cond.nested = *parsed;
    return cond;
  }
  if (!c.contains("key") || !c["key"].is_string() || c["key"].get_ref<const std::string&>().empty()) {
    return Status::InvalidArgument("filter condition needs a non-empty string \"key\": " + c.dump());
  }
  const std::string& key = c["key"].get_ref<const std::string&>();
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    cond.path.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (c.contains("match")) {
    const json& m = c["match"];
    if (!m.is_object()) return Status::InvalidArgument("\"match\" must be an object");
    if (m.contains("value")) {
      if (!IsMatchScalar(m["value"])) return Status::InvalidArgument("match value must be a string, integer or bool");
      cond.type = Type::kMatchValue;
      cond.values.push_back(m["value"]);
    } else if (m.contains("any")) {
      if (!m["any"].is_array()) return Status::InvalidArgument("match any must be an array");
      cond.type = Type::kMatchAny;
      for (const auto& v : m["any"]) {
        if (!IsMatchScalar(v)) return Status::InvalidArgument("match any values must be strings, integers or bools");
        cond.values.push_back(v);
      }
    } else {
      return Status::InvalidArgument("\"match\" needs \"value\" or \"any\"");
    }
    return cond;
  }
  if (c.contains("range")) {
    const json& r = c["range"];
    if (!r.is_object() || r.empty()) return Status::InvalidArgument("\"range\" must be an object with gt/gte/lt/lte");
    cond.type = Type::kRange;
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (!it.value().is_number()) return Status::InvalidArgument("range bound '" + it.key() + "' must be a number");
      double v = it.value().get<double>();
      if (it.key() == "gt") cond.gt = v;
      else if (it.key() == "gte") cond.gte = v;
      else if (it.key() == "lt") cond.lt = v;
      else if (it.key() == "lte") cond.lte = v;
      else return Status::InvalidArgument("unknown range bound '" + it.key() + "' (use gt, gte, lt, lte)");
    }
    return cond;
  }
  return Status::InvalidArgument("filter condition needs \"match\", \"range\", \"has_id\" or a nested filter: " + c.dump());
}

Status ParseList(const json& spec, const char* name, int depth, std::vector<Filter::Condition>* out) {
  if (!spec.contains(name)) return Status::Ok();
  const json& list = spec[name];
  if (list.is_object()) {  // a single condition is accepted as a list of one
    LDB_ASSIGN_OR_RETURN(auto c, ParseCondition(list, depth + 1));
    out->push_back(std::move(c));
    return Status::Ok();
  }
  if (!list.is_array()) return Status::InvalidArgument(std::string("filter \"") + name + "\" must be an array of conditions");
  for (const auto& c : list) {
    LDB_ASSIGN_OR_RETURN(auto cond, ParseCondition(c, depth + 1));
    out->push_back(std::move(cond));
  }
  return Status::Ok();
}

Status ParseFilterInto(const json& spec, int depth, std::vector<Filter::Condition>* must,
                       std::vector<Filter::Condition>* should, std::vector<Filter::Condition>* must_not) {
  if (depth > kMaxFilterDepth) return Status::InvalidArgument("filter is nested too deeply");
  if (!spec.is_object()) return Status::InvalidArgument("filter must be an object");
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (it.key() != "must" && it.key() != "should" && it.key() != "must_not") {
      return Status::InvalidArgument("unknown filter clause '" + it.key() + "' (use must, should, must_not)");
    }
  }
  LDB_RETURN_IF_ERROR(ParseList(spec, "must", depth, must));
  LDB_RETURN_IF_ERROR(ParseList(spec, "should", depth, should));
  LDB_RETURN_IF_ERROR(ParseList(spec, "must_not", depth, must_not));
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const Filter>> Filter::Parse(const json& spec, int depth) {
  std::shared_ptr<Filter> f(new Filter());
  LDB_RETURN_IF_ERROR(ParseFilterInto(spec, depth, &f->must_, &f->should_, &f->must_not_));
  return std::shared_ptr<const Filter>(f);
}

bool Filter::Matches(const json& payload, const std::string& key) const {
  for (const auto& c : must_) {
    if (!c.Test(payload, key)) return false;
  }
  for (const auto& c : must_not_) {
    if (c.Test(payload, key)) return false;
  }
  if (should_.empty()) return true;
  for (const auto& c : should_) {
    if (c.Test(payload, key)) return true;
  }
  return false;
}

}  // namespace latentdb::engine
