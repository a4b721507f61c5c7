#include "engine/collection_config.h"

namespace latentdb::engine {

using nlohmann::json;

namespace {
// True for JSON integers >= 0, whether parsed from text (unsigned) or built in C++ (signed).
bool IsCount(const json& v, uint64_t min, uint64_t max) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned()) return v.get<uint64_t>() >= min && v.get<uint64_t>() <= max;
  int64_t x = v.get<int64_t>();
  return x >= 0 && static_cast<uint64_t>(x) >= min && static_cast<uint64_t>(x) <= max;
}
}  // namespace

Result<CollectionConfig> CollectionConfig::FromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("collection config must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const char* known[] = {"dim", "metric", "index", "hnsw_ef_construction", "encoder"};
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) return Status::InvalidArgument("unknown collection setting '" + it.key() + "'");
  }
  CollectionConfig c;
  if (!j.contains("dim") || !IsCount(j["dim"], 1, 65536)) {
    return Status::InvalidArgument("\"dim\" must be an integer between 1 and 65536");
  }
  c.dim = j["dim"].get<size_t>();
  if (j.contains("metric")) {
    if (!j["metric"].is_string()) return Status::InvalidArgument("\"metric\" must be a string");
    LDB_ASSIGN_OR_RETURN(c.metric, index::ParseMetric(j["metric"].get<std::string>()));
  }
  if (j.contains("index")) {
    if (!j["index"].is_string() || j["index"].get_ref<const std::string&>().empty() ||
        j["index"].get_ref<const std::string&>().size() > 128) {
      return Status::InvalidArgument("\"index\" must be a FAISS factory string such as \"HNSW32\"");
    }
    c.index = j["index"].get<std::string>();
  }
  if (j.contains("hnsw_ef_construction")) {
    if (!IsCount(j["hnsw_ef_construction"], 16, 2048)) {
      return Status::InvalidArgument("\"hnsw_ef_construction\" must be an integer between 16 and 2048");
    }
    c.hnsw_ef_construction = j["hnsw_ef_construction"].get<int>();
  }
  if (j.contains("encoder") && !j["encoder"].is_null()) {
    if (!j["encoder"].is_string()) return Status::InvalidArgument("\"encoder\" must be a model name");
    c.encoder = j["encoder"].get<std::string>();
  }
  return c;
}

json CollectionConfig::ToJson() const {
  json j = {{"dim", dim}, {"metric", index::MetricName(metric)}, {"index", index},
            {"hnsw_ef_construction", hnsw_ef_construction}};
  j["encoder"] = encoder ? json(*encoder) : json(nullptr);
  return j;
}

index::IndexSpec CollectionConfig::ToIndexSpec() const {
  index::IndexSpec s;
  s.dim = dim;
  s.metric = metric;
  s.factory = index;
  s.hnsw_ef_construction = hnsw_ef_construction;
  return s;
}

Status ValidateName(const std::string& what, const std::string& name) {
  const Status bad = Status::InvalidArgument(what + " name must be 1 to 64 characters of [A-Za-z0-9_-]");
  if (name.empty() || name.size() > 64) return bad;
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    if (!ok) return bad;
  }
  return Status::Ok();
}

Status ValidateCollectionName(const std::string& name) { return ValidateName("collection", name); }

}  // namespace latentdb::engine
