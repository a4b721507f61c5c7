#include "http/codec.h"

#include <set>

#include "common/base64.h"
#include "index/index_spec.h"

#include "images/image.h"

namespace latentdb::http {

using nlohmann::json;
using engine::ExternalId;

Result<std::vector<float>> ParseVector(const json& j, const std::string& what) {
  if (!j.is_array()) return Status::InvalidArgument(what + " must be an array of numbers");
  std::vector<float> v;
  v.reserve(j.size());
  for (const auto& x : j) {
    if (!x.is_number()) return Status::InvalidArgument(what + " must contain only numbers");
    v.push_back(x.get<float>());
  }
  return v;
}

Result<size_t> ParseCount(const json& body, const char* key, size_t fallback, size_t min, size_t max) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  const json& v = body[key];
  if (!v.is_number_unsigned() || v.get<uint64_t>() < min || v.get<uint64_t>() > max) {
    return Status::InvalidArgument(std::string("\"") + key + "\" must be an integer between " + std::to_string(min) +
                                   " and " + std::to_string(max));
  }
  return v.get<size_t>();
}

Result<std::shared_ptr<const engine::Filter>> ParseOptionalFilter(const json& body) {
  if (!body.is_object() || !body.contains("filter") || body["filter"].is_null()) {
    return std::shared_ptr<const engine::Filter>();
  }
  return engine::Filter::Parse(body["filter"]);
}

namespace {

// The one input of a point or a search: exactly one of "vector", "text", "image" (null counts as
// absent); nullopt when there is none. `where` names the item in messages ("points[3]", or ""
// for a search).
Result<std::optional<inference::Input>> ParseInput(const json& item, const std::string& where) {
  auto fail = [&](const std::string& message) {
    const Status s = Status::InvalidArgument(message);
    return where.empty() ? s : s.WithContext(where);
  };
  const bool has_vector = item.contains("vector") && !item["vector"].is_null();
  const bool has_text = item.contains("text") && !item["text"].is_null();
  const bool has_image = item.contains("image") && !item["image"].is_null();
  if (has_text && has_image) return fail("give only one of \"vector\", \"text\" or \"image\"");
  if (has_vector && (has_text || has_image)) {
    return fail(std::string("give either ") + (has_text ? "\"text\"" : "\"image\"") + " or \"vector\", not both");
  }
  if (has_vector) {
    LDB_ASSIGN_OR_RETURN(auto v, ParseVector(item["vector"], where.empty() ? "\"vector\"" : where + ".vector"));
    return std::optional<inference::Input>(inference::Input::Vector(std::move(v)));
  }
  if (has_text) {
    if (!item["text"].is_string()) return fail("\"text\" must be a string");
    return std::optional<inference::Input>(inference::Input::Text(item["text"].get<std::string>()));
  }
  if (has_image) return std::optional<inference::Input>(ParseImageField(item["image"]));
  return std::optional<inference::Input>();
}

}  // namespace

Result<LatentSource> ParseLatentSource(const json& value, const std::string& what) {
  LatentSource out;
  if (value.is_array()) {
    LDB_ASSIGN_OR_RETURN(auto v, ParseVector(value, "\"" + what + "\""));
    out.input = inference::Input::Vector(std::move(v));
  } else if (value.is_object()) {
    LDB_ASSIGN_OR_RETURN(out.input, ParseInput(value, what));
    if (!out.input) {
      return Status::InvalidArgument("\"" + what + "\" as an object needs one of \"vector\", \"text\" or \"image\"");
    }
  } else if (value.is_null()) {
    return Status::InvalidArgument("missing \"" + what + "\": a point id, a vector, {\"text\": …} or {\"image\": base64}");
  } else {
    auto id = ExternalId::FromJson(value);
    if (!id.ok()) return id.status().WithContext(what);
    out.id = std::move(id).value();
  }
  return out;
}

inference::Input ParseImageField(const json& value) {
  if (!value.is_string()) return inference::Input::BadImage(Status::InvalidArgument("\"image\" must be a base64 string"));
  auto bytes = Base64Decode(value.get_ref<const std::string&>());
  if (!bytes.ok()) return inference::Input::BadImage(bytes.status());
  return inference::Input::Image(std::move(bytes).value());
}

namespace {
// Qdrant's column form {"batch": {"ids": […], "vectors": […], "payloads": […]}} as the row form
// {"points": [{"id", "vector", "payload"}, …]}, its values moved, not copied.
Result<json> BatchAsPoints(json batch) {
  if (!batch.is_object() || !batch.contains("ids") || !batch["ids"].is_array() || !batch.contains("vectors") ||
      !batch["vectors"].is_array()) {
    return Status::InvalidArgument("\"batch\" must be {\"ids\":[…], \"vectors\":[…], \"payloads\":[…]}");
  }
  json& ids = batch["ids"];
  json& vectors = batch["vectors"];
  json* payloads = batch.contains("payloads") && !batch["payloads"].is_null() ? &batch["payloads"] : nullptr;
  if (vectors.size() != ids.size() || (payloads && (!payloads->is_array() || payloads->size() != ids.size()))) {
    return Status::InvalidArgument("\"batch\": \"ids\", \"vectors\" and \"payloads\" must be arrays of the same length");
  }
  if (ids.size() > kMaxPointsPerRequest) {
    return Status::PayloadTooLarge("at most " + std::to_string(kMaxPointsPerRequest) + " points per request");
  }
  json points = json::array();
  for (size_t i = 0; i < ids.size(); ++i) {
    json p = json::object();
    p["id"] = std::move(ids[i]);
    p["vector"] = std::move(vectors[i]);
    if (payloads) p["payload"] = std::move((*payloads)[i]);
    points.push_back(std::move(p));
  }
  return json{{"points", std::move(points)}};
}
}  // namespace

Result<std::vector<inference::PointRequest>> ParsePoints(json body) {
  if (body.is_object() && body.contains("batch") && !body.contains("points")) {
    LDB_ASSIGN_OR_RETURN(body, BatchAsPoints(std::move(body["batch"])));
  }
  if (!body.is_object() || !body.contains("points") || !body["points"].is_array()) {
    return Status::InvalidArgument("body must be {\"points\":[{\"id\":…, \"vector\":[…], \"payload\":{…}}, …]}");
  }
  const json& arr = body["points"];
  if (arr.empty()) return Status::InvalidArgument("\"points\" is empty");
  if (arr.size() > kMaxPointsPerRequest) {
    return Status::PayloadTooLarge("at most " + std::to_string(kMaxPointsPerRequest) + " points per request");
  }
  std::vector<inference::PointRequest> out;
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& p = arr[i];
    const std::string where = "points[" + std::to_string(i) + "]";
    if (!p.is_object()) return Status::InvalidArgument(where + " must be an object");
    if (!p.contains("id")) return Status::InvalidArgument(where + " has no \"id\"");
    inference::PointRequest in;
    auto id = ExternalId::FromJson(p["id"]);
    if (!id.ok()) return id.status().WithContext(where);
    in.id = *id;
    LDB_ASSIGN_OR_RETURN(auto input, ParseInput(p, where));
    if (!input) return Status::InvalidArgument(where + " has no \"vector\"");
    in.input = std::move(*input);
    if (p.contains("payload")) {
      if (!p["payload"].is_object() && !p["payload"].is_null()) {
        return Status::InvalidArgument(where + ".payload must be an object");
      }
      in.payload = p["payload"];
    }
    out.push_back(std::move(in));
  }
  return out;
}

Result<std::vector<ExternalId>> ParseIdList(const json& ids) {
  if (!ids.is_array()) return Status::InvalidArgument("\"ids\" must be an array");
  std::vector<ExternalId> out;
  for (const auto& j : ids) {
    LDB_ASSIGN_OR_RETURN(auto id, ExternalId::FromJson(j));
    out.push_back(std::move(id));
  }
  return out;
}

Result<SearchRequest> ParseSearch(const json& body) {
  if (!body.is_object()) return Status::InvalidArgument("search body must be a JSON object");
  SearchRequest request;
  engine::SearchQuery& q = request.query;
  LDB_ASSIGN_OR_RETURN(auto input, ParseInput(body, ""));
  const bool has_id = body.contains("id") && !body["id"].is_null();
  if (input.has_value() == has_id) {
    return Status::InvalidArgument("search needs exactly one of \"vector\", \"id\", \"text\" or \"image\"");
  }
  if (has_id) {
    LDB_ASSIGN_OR_RETURN(auto id, ExternalId::FromJson(body["id"]));
    q.id = std::move(id);
  } else if (input->kind == inference::Input::Kind::kVector) {
    q.vector = std::move(input->vector);
  } else {
    request.input = std::move(input);
  }
  if (body.contains("debug")) {
    if (!body["debug"].is_boolean()) return Status::InvalidArgument("\"debug\" must be a boolean");
    request.debug = body["debug"].get<bool>();
  }
  const char* k_key = body.contains("k") ? "k" : "limit";  // Qdrant clients say "limit"
  LDB_ASSIGN_OR_RETURN(q.k, ParseCount(body, k_key, 10, 1, engine::kMaxK));
  if (body.contains("with_payload")) {
    if (!body["with_payload"].is_boolean()) return Status::InvalidArgument("\"with_payload\" must be a boolean");
    q.with_payload = body["with_payload"].get<bool>();
  }
  if (body.contains("with_vector")) {
    if (!body["with_vector"].is_boolean()) return Status::InvalidArgument("\"with_vector\" must be a boolean");
    q.with_vector = body["with_vector"].get<bool>();
  }
  LDB_RETURN_IF_ERROR(ParseSearchFilterAndParams(body, &q));
  return request;
}

Status ParseSearchFilterAndParams(const json& body, engine::SearchQuery* query) {
  engine::SearchQuery& q = *query;
  LDB_ASSIGN_OR_RETURN(q.filter, ParseOptionalFilter(body));
  if (body.contains("params") && !body["params"].is_null()) {
    const json& p = body["params"];
    if (!p.is_object()) return Status::InvalidArgument("\"params\" must be an object");
    // "hnsw_ef" is Qdrant's name of the beam width.
    if (p.contains("ef") && p.contains("hnsw_ef")) return Status::InvalidArgument("give \"params.ef\" or \"params.hnsw_ef\", not both");
    LDB_ASSIGN_OR_RETURN(q.params.ef, ParseCount(p, p.contains("hnsw_ef") ? "hnsw_ef" : "ef", 0, 1, 100000));
    LDB_ASSIGN_OR_RETURN(q.params.nprobe, ParseCount(p, "nprobe", 0, 1, 1 << 20));
    if (p.contains("exact")) {
      if (!p["exact"].is_boolean()) return Status::InvalidArgument("\"params.exact\" must be a boolean");
      q.params.exact = p["exact"].get<bool>();
    }
    if (p.contains("quantization") && !p["quantization"].is_null()) {
      const json& qp = p["quantization"];
      if (!qp.is_object()) return Status::InvalidArgument("\"params.quantization\" must be an object");
      for (auto it = qp.begin(); it != qp.end(); ++it) {
        if (it.key() != "rescore" && it.key() != "oversampling" && it.key() != "ignore") {
          return Status::InvalidArgument("unknown setting '" + it.key() + "' in \"params.quantization\" (rescore, oversampling, ignore)");
        }
      }
      for (const char* flag : {"rescore", "ignore"}) {
        if (!qp.contains(flag) || qp[flag].is_null()) continue;
        if (!qp[flag].is_boolean()) return Status::InvalidArgument(std::string("\"params.quantization.") + flag + "\" must be a boolean");
        (std::string(flag) == "rescore" ? q.quantization.rescore : q.quantization.ignore) = qp[flag].get<bool>();
      }
      if (qp.contains("oversampling") && !qp["oversampling"].is_null()) {
        const json& o = qp["oversampling"];
        if (!o.is_number() || !(o.get<double>() >= 1.0 && o.get<double>() <= engine::kMaxOversampling)) {
          return Status::InvalidArgument("\"params.quantization.oversampling\" must be a number from 1 to 100");
        }
        q.quantization.oversampling = o.get<double>();
      }
    }
  }
  return Status::Ok();
}

namespace {
Result<std::vector<engine::AnalogyTerm>> ParseTerms(const json& body, const char* key) {
  std::vector<engine::AnalogyTerm> out;
  if (!body.contains(key) || body[key].is_null()) return out;
  if (!body[key].is_array()) return Status::InvalidArgument(std::string("\"") + key + "\" must be an array");
  for (const auto& t : body[key]) {
    engine::AnalogyTerm term;
    if (t.is_array()) {
      LDB_ASSIGN_OR_RETURN(auto v, ParseVector(t, std::string("a vector in \"") + key + "\""));
      term.vector = std::move(v);
    } else {
      LDB_ASSIGN_OR_RETURN(auto id, ExternalId::FromJson(t));
      term.id = std::move(id);
    }
    out.push_back(std::move(term));
  }
  return out;
}
}  // namespace

Result<engine::AnalogyQuery> ParseAnalogy(const json& body) {
  if (!body.is_object()) return Status::InvalidArgument("analogy body must be a JSON object");
  engine::AnalogyQuery q;
  LDB_ASSIGN_OR_RETURN(q.positive, ParseTerms(body, "positive"));
  LDB_ASSIGN_OR_RETURN(q.negative, ParseTerms(body, "negative"));
  LDB_ASSIGN_OR_RETURN(q.k, ParseCount(body, "k", 10, 1, engine::kMaxK));
  LDB_ASSIGN_OR_RETURN(q.restrict_to_first, ParseCount(body, "restrict_vocab", 0, 1, SIZE_MAX >> 1));
  if (body.contains("method")) {
    if (!body["method"].is_string()) return Status::InvalidArgument("\"method\" must be \"3cosadd\" or \"3cosmul\"");
    const auto& m = body["method"].get_ref<const std::string&>();
    if (m == "3cosadd") q.method = engine::AnalogyMethod::kCosAdd;
    else if (m == "3cosmul") q.method = engine::AnalogyMethod::kCosMul;
    else return Status::InvalidArgument("\"method\" must be \"3cosadd\" or \"3cosmul\"");
  }
  if (body.contains("with_payload")) {
    if (!body["with_payload"].is_boolean()) return Status::InvalidArgument("\"with_payload\" must be a boolean");
    q.with_payload = body["with_payload"].get<bool>();
  }
  LDB_ASSIGN_OR_RETURN(q.filter, ParseOptionalFilter(body));
  return q;
}

json VectorToJson(const std::vector<float>& v) {
  json arr = json::array();
  arr.get_ref<json::array_t&>().reserve(v.size());
  for (float x : v) arr.push_back(x);
  return arr;
}

json ScoredPointToJson(const engine::ScoredPoint& p) {
  json j = {{"id", p.id.ToJson()}, {"score", p.score}};
  if (p.payload) j["payload"] = p.payload->is_null() ? json::object() : *p.payload;
  if (p.vector) j["vector"] = VectorToJson(*p.vector);
  return j;
}

json PayloadSelector::Apply(const json& payload) const {
  json p = payload.is_object() ? payload : json::object();
  if (include) {
    json out = json::object();
    for (const auto& k : *include) {
      if (p.contains(k)) out[k] = p[k];
    }
    return out;
  }
  if (exclude) {
    for (const auto& k : *exclude) p.erase(k);
  }
  return p;
}

Result<std::set<std::string>> ParseKeyList(const json& j, const std::string& what) {
  if (!j.is_array()) return Status::InvalidArgument(what + " must be an array of payload keys");
  std::set<std::string> out;
  for (const auto& k : j) {
    if (!k.is_string()) return Status::InvalidArgument(what + " must be an array of payload keys");
    out.insert(k.get<std::string>());
  }
  return out;
}

Result<PayloadSelector> ParsePayloadSelector(const json& body, bool fallback) {
  PayloadSelector s;
  s.any = fallback;
  if (!body.contains("with_payload") || body["with_payload"].is_null()) return s;
  const json& w = body["with_payload"];
  s.any = true;
  if (w.is_boolean()) {
    s.any = w.get<bool>();
  } else if (w.is_array()) {
    LDB_ASSIGN_OR_RETURN(s.include, ParseKeyList(w, "\"with_payload\""));
  } else if (w.is_object() && w.size() == 1 && (w.contains("include") || w.contains("exclude"))) {
    const bool inc = w.contains("include");
    LDB_ASSIGN_OR_RETURN(auto keys, ParseKeyList(inc ? w["include"] : w["exclude"], inc ? "\"with_payload.include\"" : "\"with_payload.exclude\""));
    (inc ? s.include : s.exclude) = std::move(keys);
  } else {
    return Status::InvalidArgument("\"with_payload\" must be a boolean, a list of keys, {\"include\": […]} or {\"exclude\": […]}");
  }
  return s;
}

json PointRecordToJson(const engine::PointRecord& p, bool with_payload) {
  json j = {{"id", p.id.ToJson()}};
  if (with_payload) j["payload"] = p.payload.is_null() ? json::object() : p.payload;
  if (p.vector) j["vector"] = VectorToJson(*p.vector);
  return j;
}

Status CheckAnswerSize(size_t hits, size_t floats, const std::string& what) {
  if (hits > kMaxAnswerHits) {
    return Status::PayloadTooLarge(what + " would answer " + std::to_string(hits) + " points; at most " +
                                   std::to_string(kMaxAnswerHits) + " per request (lower k/limit or split the request)");
  }
  if (floats > kMaxAnswerFloats) {
    return Status::PayloadTooLarge(what + " would answer " + std::to_string(floats) + " vector components; at most " +
                                   std::to_string(kMaxAnswerFloats) +
                                   " per request (lower k/limit, split the request or drop with_vector)");
  }
  return Status::Ok();
}

namespace {
// The length of j's compact JSON text, counted up to a little past `cap` (then it stops: the
// caller only needs to know that the cap is passed). Escapes are counted as one byte, so this is
// a lower bound of the text; payload nesting is bounded by the parser's depth limit.
size_t JsonTextSizeUpTo(const json& j, size_t cap) {
  switch (j.type()) {
    case json::value_t::string: return j.get_ref<const std::string&>().size() + 2;
    case json::value_t::object: {
      size_t n = 2;
      for (auto it = j.begin(); it != j.end() && n <= cap; ++it) n += it.key().size() + 4 + JsonTextSizeUpTo(it.value(), cap - std::min(n, cap));
      return n;
    }
    case json::value_t::array: {
      size_t n = 2;
      for (auto it = j.begin(); it != j.end() && n <= cap; ++it) n += 1 + JsonTextSizeUpTo(*it, cap - std::min(n, cap));
      return n;
    }
    case json::value_t::binary: return j.get_binary().size();
    default: return 8;  // numbers, booleans, null: a few bytes each
  }
}
}  // namespace

Status AnswerBudget::Charge(const json& payload) {
  bytes_ += JsonTextSizeUpTo(payload, kMaxAnswerPayloadBytes);
  if (bytes_ > kMaxAnswerPayloadBytes) {
    return Status::PayloadTooLarge("the payloads of this answer pass " + std::to_string(kMaxAnswerPayloadBytes >> 20) +
                                   " MiB; ask for fewer points (k/limit/ids) or without payloads (\"with_payload\": false)");
  }
  return Status::Ok();
}

Result<json> ScoredPointsToJson(const std::vector<engine::ScoredPoint>& hits, AnswerBudget& budget) {
  json out = json::array();
  for (const auto& h : hits) {
    if (h.payload) LDB_RETURN_IF_ERROR(budget.Charge(*h.payload));
    out.push_back(ScoredPointToJson(h));
  }
  return out;
}

Result<json> PointRecordsToJson(const std::vector<engine::PointRecord>& records, bool with_payload, AnswerBudget& budget) {
  json out = json::array();
  for (const auto& r : records) {
    if (with_payload) LDB_RETURN_IF_ERROR(budget.Charge(r.payload));
    out.push_back(PointRecordToJson(r, with_payload));
  }
  return out;
}

namespace {
// Qdrant's fields of a collection's info, beside LatentDB's own (its clients read these):
// config.params.vectors {size, distance}, config.hnsw_config {m, ef_construct} (HNSW specs),
// indexed_vectors_count, segments_count (one: LatentDB has no segments), optimizer_status.
void AddQdrantCollectionInfo(const engine::CollectionInfo& info, json* j) {
  const auto& c = info.config;
  const char* distance = c.metric == index::Metric::kL2 ? "Euclid" : c.metric == index::Metric::kInnerProduct ? "Dot" : "Cosine";
  json& config = (*j)["config"];
  config["params"] = {{"vectors", {{"size", c.dim}, {"distance", distance}, {"on_disk", c.codes_on_disk()}}},
                      {"shard_number", 1},
                      {"replication_factor", 1},
                      {"write_consistency_factor", 1},
                      {"on_disk_payload", true}};
  if (auto spec = index::ParseIndexSpec(c.index, c.dim); spec.ok() && spec->family == index::IndexFamily::kHnsw) {
    config["hnsw_config"] = {{"m", spec->hnsw_m}, {"ef_construct", c.hnsw_ef_construction}};
  }
  (*j)["indexed_vectors_count"] = info.index.live;
  (*j)["segments_count"] = 1;
  (*j)["optimizer_status"] = "ok";
}
}  // namespace

json CollectionInfoToJson(const engine::CollectionInfo& info) {
  // "status" as Qdrant's: green serves normally, yellow serves degraded ("warning" says how); a
  // collection that failed to load is listed red by GET /collections.
  json j = {{"name", info.name},
            {"status", info.warning.empty() ? "green" : "yellow"},
            {"config", info.config.ToJson()},
            {"points_count", info.points},
            {"index",
             {{"kind", info.index.kind},
              {"live", info.index.live},
              {"tombstones", info.index.tombstones},
              {"repaired_links", info.index.repaired_links},
              {"trained", info.index.trained},
              {"quantization", index::QuantizationName(info.index.quantization)},
              {"train_threshold", info.index.train_threshold},
              {"applied_sequence", info.applied_sequence},
              {"persisted_sequence", info.persisted_sequence}}}};
  // Qdrant's payload_schema: {field: {"data_type", "points"}}, plus "status" (and "error") of
  // the index build, which Qdrant reports collection-wide as the optimizer status.
  json schema = json::object();
  for (const auto& pi : info.payload_indexes) {
    json f = {{"data_type", engine::PayloadSchemaName(pi.schema)}, {"points", pi.points}, {"status", pi.status}};
    if (!pi.error.empty()) f["error"] = pi.error;
    schema[pi.field_name] = std::move(f);
  }
  j["payload_schema"] = std::move(schema);
  if (!info.warning.empty()) j["warning"] = info.warning;
  AddQdrantCollectionInfo(info, &j);
  return j;
}

json SearchPlanToJson(const engine::SearchPlan& plan) {
  json j = {{"plan", plan.strategy}, {"full_scan_threshold", plan.full_scan_threshold}, {"rescored", plan.rescored}};
  j["estimated_matches"] = plan.estimated_matches ? json(*plan.estimated_matches) : json(nullptr);
  return j;
}

}  // namespace latentdb::http
