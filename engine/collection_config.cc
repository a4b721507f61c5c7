#include "engine/collection_config.h"

#include <algorithm>
#include <cstdio>

#include "index/distance.h"

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
// Only the keys in `known`; the message names the object.
Status OnlyKeys(const json& obj, std::initializer_list<const char*> known, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return it.key() == k; })) {
      return Status::InvalidArgument("unknown setting '" + it.key() + "' in " + where);
    }
  }
  return Status::Ok();
}

// always_ram: whether the codes are held in RAM (see CollectionConfig::codes_on_disk).
Status ParseAlwaysRam(const json& obj, const std::string& where, CollectionConfig* c) {
  if (!obj.contains("always_ram") || obj["always_ram"].is_null()) return Status::Ok();
  if (!obj["always_ram"].is_boolean()) return Status::InvalidArgument("\"" + where + ".always_ram\" must be a boolean");
  c->always_ram = obj["always_ram"].get<bool>();
  return Status::Ok();
}

Status ParseQuantization(const json& j, CollectionConfig* c) {
  if (j.contains("datatype") && !j["datatype"].is_null()) {
    const json& t = j["datatype"];
    if (t == "float16") {
      c->quantization = index::Quantization::kFloat16;
    } else if (t != "float32") {
      return Status::InvalidArgument("\"datatype\" must be \"float32\" or \"float16\" (uint8 vectors are not supported)");
    }
  }
  if (!j.contains("quantization_config") || j["quantization_config"].is_null()) return Status::Ok();
  const json& q = j["quantization_config"];
  if (!q.is_object() || q.size() != 1) {
    return Status::InvalidArgument("\"quantization_config\" must be {\"scalar\": {...}} or {\"binary\": {...}}");
  }
  if (c->quantization == index::Quantization::kFloat16) {
    return Status::InvalidArgument("\"datatype\": \"float16\" already sets how the index holds vectors; "
                                   "use it or a quantization_config, not both");
  }
  if (q.contains("product")) {
    return Status::InvalidArgument("product quantization is not supported as a quantization_config; use an IVF "
                                   "index spec with PQ (\"index\": \"IVF256,PQ16\")");
  }
  if (q.contains("scalar")) {
    const json& sc = q["scalar"];
    if (!sc.is_object()) return Status::InvalidArgument("\"quantization_config.scalar\" must be an object");
    LDB_RETURN_IF_ERROR(OnlyKeys(sc, {"type", "quantile", "always_ram"}, "quantization_config.scalar"));
    if (sc.value("type", json()) != "int8") {
      return Status::InvalidArgument("\"quantization_config.scalar.type\" must be \"int8\"");
    }
    if (sc.contains("quantile") && !sc["quantile"].is_null()) {
      const json& v = sc["quantile"];
      if (!v.is_number() || !(v.get<double>() >= 0.5 && v.get<double>() <= 1.0)) {
        return Status::InvalidArgument("\"quantization_config.scalar.quantile\" must be a number from 0.5 to 1");
      }
      c->quantile = v.get<float>();
      if (!(c->quantile > 0.5f)) c->quantile = 0.5f + 1e-6f;  // 0.5 itself would cut every value
    }
    LDB_RETURN_IF_ERROR(ParseAlwaysRam(sc, "quantization_config.scalar", c));
    c->quantization = index::Quantization::kInt8;
    return Status::Ok();
  }
  if (q.contains("binary")) {
    const json& b = q["binary"];
    if (!b.is_object()) return Status::InvalidArgument("\"quantization_config.binary\" must be an object");
    LDB_RETURN_IF_ERROR(OnlyKeys(b, {"always_ram"}, "quantization_config.binary"));
    LDB_RETURN_IF_ERROR(ParseAlwaysRam(b, "quantization_config.binary", c));
    c->quantization = index::Quantization::kBinary;
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown quantization '" + q.begin().key() + "': use \"scalar\" or \"binary\"");
}

}  // namespace

Result<CollectionConfig> CollectionConfig::FromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("collection config must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const char* known[] = {"dim", "metric", "index", "hnsw_ef_construction", "encoder", "quantization_config",
                                  "datatype", "on_disk"};
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
  LDB_RETURN_IF_ERROR(ParseQuantization(j, &c));
  if (j.contains("on_disk") && !j["on_disk"].is_null()) {
    if (!j["on_disk"].is_boolean()) return Status::InvalidArgument("\"on_disk\" must be a boolean");
    c.on_disk = j["on_disk"].get<bool>();
    if (*c.on_disk && c.quantization == index::Quantization::kNone) {
      return Status::InvalidArgument("\"on_disk\": true needs a quantization (\"quantization_config\" or \"datatype\": "
                                     "\"float16\"): the codes go to disk and the exact vectors are read from the store; "
                                     "without one the graph walks float vectors that are held in RAM");
    }
  }
  return c;
}

json CollectionConfig::ToJson() const {
  json j = {{"dim", dim}, {"metric", index::MetricName(metric)}, {"index", index},
            {"hnsw_ef_construction", hnsw_ef_construction}};
  j["encoder"] = encoder ? json(*encoder) : json(nullptr);
  j["datatype"] = quantization == index::Quantization::kFloat16 ? "float16" : "float32";
  switch (quantization) {
    case index::Quantization::kInt8:
      j["quantization_config"] = {{"scalar", {{"type", "int8"}, {"quantile", quantile}, {"always_ram", !codes_on_disk()}}}};
      break;
    case index::Quantization::kBinary: j["quantization_config"] = {{"binary", {{"always_ram", !codes_on_disk()}}}}; break;
    default: j["quantization_config"] = nullptr;
  }
  j["on_disk"] = codes_on_disk();
  return j;
}

index::IndexSpec CollectionConfig::ToIndexSpec(const std::string& index_path) const {
  index::IndexSpec s;
  s.dim = dim;
  s.metric = metric;
  s.factory = index;
  s.hnsw_ef_construction = hnsw_ef_construction;
  s.quantization = quantization;
  s.quantile = quantile;
  if (codes_on_disk()) s.codes_file_prefix = index_path;
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

std::optional<std::string> VectorProblem(const CollectionConfig& config, const std::string& name,
                                         std::span<const float> v) {
  if (v.size() != config.dim) {
    return "has dimension " + std::to_string(v.size()) + ", collection '" + name + "' expects " + std::to_string(config.dim);
  }
  if (index::FirstNonFinite(v.data(), v.size()) != v.size()) return "contains NaN or Inf";
  // Cosine vectors are normalized (in double) before any kernel sees them; l2 and ip vectors are
  // used as given, so their size must keep every distance and product finite in float.
  if (config.metric != index::Metric::kCosine) {
    const double norm = index::L2Norm(v.data(), v.size());
    if (norm > index::kMaxVectorNorm) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3g", norm);
      return std::string("has norm ") + buf + ", above 1e18, the largest an " + index::MetricName(config.metric) +
             " collection can score without overflowing float";
    }
  }
  return std::nullopt;
}

}  // namespace latentdb::engine
