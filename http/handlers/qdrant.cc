// Qdrant's REST shapes on Qdrant's paths (issue 14), beside LatentDB's own routes, so that
// Qdrant's official clients (and the frameworks built on them) work unchanged:
//   GET  /                                        {"title", "version"} (clients check "version")
//   GET  /collections/{c}/exists                  {"exists": bool}
//   POST /collections/{c}/points/count            {"count": n}
//   POST|PUT /collections/{c}/points/payload      set (merge keys) | overwrite payloads
//   POST /collections/{c}/points/payload/delete   delete payload keys
//   POST /collections/{c}/points/payload/clear    clear payloads
//   POST /collections/{c}/points/search[/batch]   nearest to a vector
//   POST /collections/{c}/points/recommend[/batch] Qdrant's average_vector recommendation
//   POST /collections/{c}/points/query[/batch]    the universal query: a vector, a point id,
//                                                 {"nearest": …} or {"recommend": …}
// Collection creation with {"vectors": {"size", "distance"}} is translated by
// QdrantCollectionConfig (collections.cc calls it), and upsert, retrieve, delete, scroll and the
// payload index routes take Qdrant's bodies on their own routes.
//
// Scores are Qdrant's, as LatentDB's own are: cosine similarity, inner product, and for Euclid the
// distance itself (not FAISS's squared distance), smaller first. Ids are what LatentDB allows (unsigned integers and
// strings; a UUID is a string to LatentDB: kept as given, not normalized as Qdrant does).
// What is not supported is refused with 400 naming it (README "Qdrant compatibility").
#include <algorithm>
#include <cmath>
#include <set>

#include "http/codec.h"
#include "http/handlers/handlers.h"
#include "index/distance.h"
#include "index/index_spec.h"

namespace latentdb::http {

using nlohmann::json;

namespace {

// The version of Qdrant's REST API these routes answer as: Qdrant's clients compare it with their
// own (major equal, minor within one) and warn otherwise.
constexpr const char* kQdrantApiVersion = "1.18.0";

// Qdrant's answer to a write: LatentDB's writes are durable when they answer, so "completed".
json UpdateResult() { return json{{"operation_id", 0}, {"status", "completed"}}; }

Result<bool> WithVector(const json& body, bool fallback) {
  if (!body.contains("with_vector") || body["with_vector"].is_null()) return fallback;
  if (!body["with_vector"].is_boolean()) {
    return Status::InvalidArgument("\"with_vector\" must be a boolean (LatentDB collections have one unnamed vector)");
  }
  return body["with_vector"].get<bool>();
}

// Fields Qdrant accepts in a query that LatentDB cannot honour: refused, never ignored.
Status RefuseUnsupported(const json& body, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (body.contains(key) && !body[key].is_null()) {
      return Status::InvalidArgument(std::string("\"") + key + "\" is not supported by LatentDB (README, Qdrant compatibility)");
    }
  }
  return Status::Ok();
}

// The unnamed vector: "using" may only name it ("" or null).
Status CheckUsing(const json& body) {
  if (body.contains("using") && !body["using"].is_null() && body["using"] != "") {
    return Status::InvalidArgument("named vectors are not supported: LatentDB collections have one unnamed vector (\"using\")");
  }
  return Status::Ok();
}

// A Qdrant "vector" field: a plain array (a named {"name", "vector"} only for the unnamed one).
Result<std::vector<float>> QueryVector(const json& v, const std::string& what) {
  if (v.is_object()) {
    if (v.contains("name") && v["name"] != "") {
      return Status::InvalidArgument("named vectors are not supported: LatentDB collections have one unnamed vector");
    }
    if (v.contains("vector")) return ParseVector(v["vector"], what);
  }
  return ParseVector(v, what);
}

// One nearest-neighbour query in Qdrant's terms, run through LatentDB's search (the shared parts,
// filter and params, parsed by ParseSearchFilterAndParams as for LatentDB's own search).
struct Nearest {
  std::optional<std::vector<float>> vector;
  std::optional<engine::ExternalId> id;     // nearest to a stored point (excluded from the answer)
  std::vector<engine::ExternalId> exclude;  // more ids left out (recommendation examples)
  size_t limit = 10, offset = 0;
  std::optional<double> score_threshold;
  PayloadSelector payload;
  bool with_vector = false;
};

Result<Nearest> ParseNearestCommon(const json& body, bool payload_fallback) {
  Nearest n;
  LDB_ASSIGN_OR_RETURN(n.limit, ParseCount(body, "limit", 10, 1, engine::kMaxK));
  LDB_ASSIGN_OR_RETURN(n.offset, ParseCount(body, "offset", 0, 0, engine::kMaxK));
  if (body.contains("score_threshold") && !body["score_threshold"].is_null()) {
    if (!body["score_threshold"].is_number()) return Status::InvalidArgument("\"score_threshold\" must be a number");
    n.score_threshold = body["score_threshold"].get<double>();
  }
  LDB_ASSIGN_OR_RETURN(n.payload, ParsePayloadSelector(body, payload_fallback));
  LDB_ASSIGN_OR_RETURN(n.with_vector, WithVector(body, false));
  LDB_RETURN_IF_ERROR(CheckUsing(body));
  LDB_RETURN_IF_ERROR(RefuseUnsupported(body, {"lookup_from", "shard_key"}));
  return n;
}

Result<std::vector<engine::ScoredPoint>> RunNearest(engine::Collection& c, const Nearest& n, const json& body,
                                                    AnswerBudget& answer) {
  const size_t fetch = n.offset + n.limit + n.exclude.size();
  if (fetch > engine::kMaxK) {
    return Status::InvalidArgument("\"offset\" + \"limit\" must be at most " + std::to_string(engine::kMaxK));
  }
  LDB_RETURN_IF_ERROR(CheckAnswerSize(n.limit, n.with_vector ? n.limit * c.config().dim : 0, "this query"));
  engine::SearchQuery query;
  query.k = fetch;
  query.with_payload = n.payload.any;
  query.with_vector = n.with_vector;
  query.id = n.id;
  query.vector = n.vector;
  LDB_RETURN_IF_ERROR(ParseSearchFilterAndParams(body, &query));
  LDB_ASSIGN_OR_RETURN(auto hits, c.Search(query));
  std::set<std::string> excluded;
  for (const auto& id : n.exclude) excluded.insert(id.ToKey());
  const bool distance = c.config().metric == index::Metric::kL2;
  std::vector<engine::ScoredPoint> out;
  size_t skipped = 0;
  for (auto& h : hits) {
    if (excluded.count(h.id.ToKey())) continue;
    if (n.score_threshold && (distance ? h.score > *n.score_threshold : h.score < *n.score_threshold)) continue;
    if (skipped < n.offset) {
      ++skipped;
      continue;
    }
    if (out.size() == n.limit) break;
    if (h.payload) {
      h.payload = n.payload.Apply(*h.payload);
      LDB_RETURN_IF_ERROR(answer.Charge(*h.payload));
    }
    out.push_back(std::move(h));
  }
  return out;
}

// Qdrant's ScoredPoint: {"id", "version", "score", "payload", "vector"}.
json QdrantScoredPoints(const std::vector<engine::ScoredPoint>& hits) {
  json out = json::array();
  for (const auto& h : hits) {
    json j = ScoredPointToJson(h);
    j["version"] = 0;
    if (!h.payload) j["payload"] = nullptr;
    if (!h.vector) j["vector"] = nullptr;
    out.push_back(std::move(j));
  }
  return out;
}

// Qdrant's recommendation, strategy "average_vector" (its default): the query is
// avg(positive) + (avg(positive) − avg(negative)) — avg(positive) alone without negatives —, the
// examples' own points left out of the answer (Qdrant's recommend_by_avg_vector). In a cosine
// collection every example is unit-normalized first, as Qdrant stores cosine vectors.
Status ResolveRecommendation(engine::Collection& c, const json& r, Nearest* n) {
  if (!r.is_object()) return Status::InvalidArgument("a recommendation must be an object with \"positive\" and \"negative\"");
  if (r.contains("strategy") && !r["strategy"].is_null() && r["strategy"] != "average_vector") {
    return Status::InvalidArgument("recommendation strategy " + r["strategy"].dump() +
                                   " is not supported: LatentDB implements \"average_vector\"");
  }
  size_t examples = 0;
  for (const char* key : {"positive", "negative"}) {
    if (r.contains(key) && r[key].is_array()) examples += r[key].size();
  }
  if (examples > kMaxRecommendExamples) {
    return Status::PayloadTooLarge("at most " + std::to_string(kMaxRecommendExamples) + " examples per recommendation");
  }
  const size_t dim = c.config().dim;
  const bool cosine = c.config().metric == index::Metric::kCosine;
  auto average = [&](const char* key, std::vector<double>* avg) -> Result<size_t> {
    avg->assign(dim, 0.0);
    if (!r.contains(key) || r[key].is_null()) return size_t{0};
    if (!r[key].is_array()) return Status::InvalidArgument(std::string("\"") + key + "\" must be an array of point ids or vectors");
    size_t i = 0;
    for (const auto& e : r[key]) {
      const std::string where = std::string(key) + "[" + std::to_string(i++) + "]";
      std::vector<float> v;
      if (e.is_array() || e.is_object()) {
        LDB_ASSIGN_OR_RETURN(v, QueryVector(e, where));
        if (v.size() != dim) {
          return Status::InvalidArgument(where + " has dimension " + std::to_string(v.size()) + ", the collection " + std::to_string(dim));
        }
      } else {
        auto id = engine::ExternalId::FromJson(e);
        if (!id.ok()) return id.status().WithContext(where);
        auto found = c.VectorOf(*id);
        if (!found.ok()) return found.status().WithContext(where);
        v = std::move(found).value();
        n->exclude.push_back(std::move(id).value());
      }
      const double norm = cosine ? index::L2Norm(v.data(), v.size()) : 1.0;
      for (size_t j = 0; j < dim; ++j) (*avg)[j] += norm > 0 ? v[j] / norm : 0.0;
    }
    for (auto& x : *avg) x /= static_cast<double>(std::max<size_t>(1, r[key].size()));
    return r[key].size();
  };
  std::vector<double> pos, neg;
  LDB_ASSIGN_OR_RETURN(size_t n_pos, average("positive", &pos));
  LDB_ASSIGN_OR_RETURN(size_t n_neg, average("negative", &neg));
  if (n_pos == 0) return Status::InvalidArgument("a recommendation needs at least one \"positive\" example");
  std::vector<float> q(dim);
  for (size_t j = 0; j < dim; ++j) q[j] = static_cast<float>(n_neg ? 2 * pos[j] - neg[j] : pos[j]);
  n->vector = std::move(q);
  return Status::Ok();
}

// Qdrant's universal query (POST …/points/query): the "query" field is a vector, a point id,
// {"nearest": vector | id} or {"recommend": {…}}.
Result<json> RunQuery(engine::Collection& c, const json& body, AnswerBudget& answer) {
  if (!body.is_object()) return Status::InvalidArgument("a query must be a JSON object");
  LDB_RETURN_IF_ERROR(RefuseUnsupported(body, {"prefetch"}));
  LDB_ASSIGN_OR_RETURN(Nearest n, ParseNearestCommon(body, /*payload_fallback=*/false));
  if (!body.contains("query") || body["query"].is_null()) {
    return Status::InvalidArgument("\"query\" is required (a vector, a point id, {\"nearest\": …} or {\"recommend\": …}); "
                                   "to list points in id order use POST /collections/{c}/points/scroll");
  }
  const json* query = &body["query"];
  if (query->is_object() && query->contains("nearest")) query = &(*query)["nearest"];
  const json& q = *query;
  if (q.is_object() && q.contains("recommend")) {
    LDB_RETURN_IF_ERROR(ResolveRecommendation(c, q["recommend"], &n));
  } else if (q.is_array()) {
    LDB_ASSIGN_OR_RETURN(n.vector, ParseVector(q, "\"query\""));
  } else if (q.is_number_unsigned() || q.is_string()) {
    LDB_ASSIGN_OR_RETURN(n.id, engine::ExternalId::FromJson(q));
  } else if (q.is_object() && !q.empty()) {
    return Status::InvalidArgument("query kind '" + q.begin().key() +
                                   "' is not supported: LatentDB answers a vector, a point id, \"nearest\" and \"recommend\"");
  } else {
    return Status::InvalidArgument("\"query\" must be a vector, a point id, {\"nearest\": …} or {\"recommend\": …}");
  }
  LDB_ASSIGN_OR_RETURN(auto hits, RunNearest(c, n, body, answer));
  return json{{"points", QdrantScoredPoints(hits)}};
}

Result<json> RunSearchBody(engine::Collection& c, const json& body, AnswerBudget& answer) {
  if (!body.is_object() || !body.contains("vector")) return Status::InvalidArgument("a search needs \"vector\"");
  LDB_ASSIGN_OR_RETURN(Nearest n, ParseNearestCommon(body, /*payload_fallback=*/false));
  LDB_ASSIGN_OR_RETURN(n.vector, QueryVector(body["vector"], "\"vector\""));
  LDB_ASSIGN_OR_RETURN(auto hits, RunNearest(c, n, body, answer));
  return QdrantScoredPoints(hits);
}

Result<json> RunRecommendBody(engine::Collection& c, const json& body, AnswerBudget& answer) {
  if (!body.is_object()) return Status::InvalidArgument("a recommendation must be a JSON object");
  LDB_ASSIGN_OR_RETURN(Nearest n, ParseNearestCommon(body, /*payload_fallback=*/false));
  LDB_RETURN_IF_ERROR(ResolveRecommendation(c, body, &n));
  LDB_ASSIGN_OR_RETURN(auto hits, RunNearest(c, n, body, answer));
  return QdrantScoredPoints(hits);
}

// {"searches": [body, …]} → [answer, …], each body run by `run`.
template <typename Run>
Result<json> RunBatch(engine::Collection& c, const json& body, Run run) {
  if (!body.is_object() || !body.contains("searches") || !body["searches"].is_array()) {
    return Status::InvalidArgument("body must be {\"searches\":[{…}, …]}");
  }
  if (body["searches"].size() > kMaxBatchSearches) {
    return Status::PayloadTooLarge("at most " + std::to_string(kMaxBatchSearches) + " searches per batch");
  }
  json out = json::array();
  AnswerBudget answer;
  size_t i = 0;
  for (const auto& s : body["searches"]) {
    auto r = run(c, s, answer);
    if (!r.ok()) return r.status().WithContext("searches[" + std::to_string(i) + "]");
    out.push_back(std::move(r).value());
    ++i;
  }
  return out;
}

// The points a payload operation applies to: "points" (ids) or "filter", exactly one.
Result<engine::PointSelector> ParsePointSelector(const json& body) {
  const bool has_points = body.contains("points") && !body["points"].is_null();
  const bool has_filter = body.contains("filter") && !body["filter"].is_null();
  if (has_points == has_filter) return Status::InvalidArgument("give exactly one of \"points\" (ids) or \"filter\"");
  engine::PointSelector s;
  if (has_points) {
    LDB_ASSIGN_OR_RETURN(s.ids, ParseIdList(body["points"]));
    if (s.ids.size() > kMaxPointsPerRequest) {
      return Status::PayloadTooLarge("at most " + std::to_string(kMaxPointsPerRequest) + " ids per request (or use a filter)");
    }
  } else {
    LDB_ASSIGN_OR_RETURN(s.filter, ParseOptionalFilter(body));
  }
  return s;
}

Result<json> UpdatePayload(const HandlerContext& ctx, const HttpRequest& req, const PathParams& p, engine::PayloadUpdateKind kind) {
  LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
  LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
  LDB_RETURN_IF_ERROR(RefuseUnsupported(body, {"shard_key"}));
  engine::PayloadUpdate update;
  update.kind = kind;
  if (kind == engine::PayloadUpdateKind::kSet || kind == engine::PayloadUpdateKind::kOverwrite) {
    if (!body.contains("payload") || !body["payload"].is_object()) return Status::InvalidArgument("\"payload\" must be a JSON object");
    if (body.contains("key") && !body["key"].is_null()) {
      return Status::InvalidArgument("\"key\" (setting a payload at a nested path) is not supported by LatentDB");
    }
    update.payload = body["payload"];
  }
  if (kind == engine::PayloadUpdateKind::kDeleteKeys) {
    if (!body.contains("keys")) return Status::InvalidArgument("\"keys\" must be an array of payload keys");
    LDB_ASSIGN_OR_RETURN(auto keys, ParseKeyList(body["keys"], "\"keys\""));
    update.keys.assign(keys.begin(), keys.end());
  }
  LDB_ASSIGN_OR_RETURN(auto selector, ParsePointSelector(body));
  LDB_RETURN_IF_ERROR(c->UpdatePayload(selector, update).status());
  return UpdateResult();
}

}  // namespace

namespace {
// j[key], or null when absent (operator[] of a const json must not be asked for a missing key).
const json& Field(const json& j, const char* key) {
  static const json kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
}  // namespace

Result<json> QdrantCollectionConfig(const json& body) {
  if (!body.is_object()) return Status::InvalidArgument("collection config must be a JSON object");
  const json& v = Field(body, "vectors");
  if (!v.is_object() || !v.contains("size")) {
    return Status::InvalidArgument("\"vectors\" must be {\"size\": n, \"distance\": \"Cosine\" | \"Euclid\" | \"Dot\"} "
                                   "(named vectors are not supported)");
  }
  json config = {{"dim", v["size"]}};
  if (!Field(v, "distance").is_string()) {
    return Status::InvalidArgument("\"vectors.distance\" must be \"Cosine\", \"Euclid\" or \"Dot\"");
  }
  const std::string distance = v["distance"].get<std::string>();
  if (distance == "Cosine") config["metric"] = "cosine";
  else if (distance == "Euclid") config["metric"] = "l2";
  else if (distance == "Dot") config["metric"] = "ip";
  else return Status::InvalidArgument("distance \"" + distance + "\" is not supported (Cosine, Euclid, Dot)");
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    if (k == "size" || k == "distance") continue;
    if (k == "datatype" || k == "on_disk") config[k] = it.value();
    else if (k == "quantization_config") config[k] = it.value();
    else if (k != "hnsw_config") return Status::InvalidArgument("\"vectors." + k + "\" is not supported by LatentDB");
  }
  // Qdrant's HNSW defaults (m 16, ef_construct 100), overridden by hnsw_config in either place.
  json hnsw = {{"m", 16}, {"ef_construct", 100}};
  for (const json* h : {&Field(body, "hnsw_config"), &Field(v, "hnsw_config")}) {
    if (h->is_null()) continue;
    if (!h->is_object()) return Status::InvalidArgument("\"hnsw_config\" must be an object");
    for (auto it = h->begin(); it != h->end(); ++it) {
      const std::string& k = it.key();
      if (it.value().is_null()) continue;
      if (k == "m" || k == "ef_construct") {
        hnsw[k] = it.value();
      } else if (k == "full_scan_threshold" || k == "max_indexing_threads" || k == "payload_m") {
        continue;  // how the index is built or planned, not what it answers (README: accepted, no effect)
      } else if (k == "on_disk") {
        if (it.value() == true) return Status::InvalidArgument("\"hnsw_config.on_disk\": true is not supported (the graph stays in RAM)");
      } else {
        return Status::InvalidArgument("\"hnsw_config." + k + "\" is not supported by LatentDB");
      }
    }
  }
  const int64_t min_m = index::kMinHnswM, max_m = index::kMaxHnswM;
  if (!hnsw["m"].is_number_integer() || hnsw["m"].get<int64_t>() < min_m || hnsw["m"].get<int64_t>() > max_m) {
    return Status::InvalidArgument("\"hnsw_config.m\" must be an integer from " + std::to_string(min_m) + " to " +
                                   std::to_string(max_m));
  }
  config["index"] = "HNSW" + std::to_string(hnsw["m"].get<int64_t>());
  config["hnsw_ef_construction"] = hnsw["ef_construct"];
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    const json& value = it.value();
    if (k == "vectors" || k == "hnsw_config" || value.is_null()) continue;
    if (k == "quantization_config") {
      config[k] = value;
    } else if (k == "optimizers_config" || k == "wal_config" || k == "on_disk_payload" || k == "timeout") {
      continue;  // LatentDB has no segments, optimizer or WAL of its own; payloads are always on disk
    } else if (k == "shard_number" || k == "replication_factor" || k == "write_consistency_factor") {
      if (value != 1) return Status::InvalidArgument("\"" + k + "\" other than 1 needs a cluster (not supported yet)");
    } else {
      return Status::InvalidArgument("\"" + k + "\" is not supported by LatentDB");
    }
  }
  return config;
}

void RegisterQdrantRoutes(Router& router, const HandlerContext& ctx) {
  // Qdrant answers GET / without the {"result", "status", "time"} envelope.
  router.Add("GET", "/", [](const HttpRequest&, const PathParams&) {
    HttpResponse r;
    r.content_type = "application/json";
    r.body = json{{"title", "latentdb - a vector database for latent embeddings"}, {"version", kQdrantApiVersion}}.dump();
    return r;
  });
  router.Add("GET", "/collections/{collection}/exists", JsonRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(p.at("collection")));
    return json{{"exists", ctx.db->GetCollection(p.at("collection")).ok()}};
  }));
  router.Add("POST", "/collections/{collection}/points/count", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req, /*empty_is_object=*/true));
    LDB_RETURN_IF_ERROR(RefuseUnsupported(body, {"shard_key"}));
    if (body.contains("exact") && !body["exact"].is_null() && !body["exact"].is_boolean()) {
      return Status::InvalidArgument("\"exact\" must be a boolean");
    }
    LDB_ASSIGN_OR_RETURN(auto filter, ParseOptionalFilter(body));
    LDB_ASSIGN_OR_RETURN(size_t count, c->Count(filter.get()));  // always exact
    return json{{"count", count}};
  }));
  router.Add("POST", "/collections/{collection}/points/payload", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) {
    return UpdatePayload(ctx, req, p, engine::PayloadUpdateKind::kSet);
  }));
  router.Add("PUT", "/collections/{collection}/points/payload", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) {
    return UpdatePayload(ctx, req, p, engine::PayloadUpdateKind::kOverwrite);
  }));
  router.Add("POST", "/collections/{collection}/points/payload/delete", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) {
    return UpdatePayload(ctx, req, p, engine::PayloadUpdateKind::kDeleteKeys);
  }));
  router.Add("POST", "/collections/{collection}/points/payload/clear", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) {
    return UpdatePayload(ctx, req, p, engine::PayloadUpdateKind::kClear);
  }));
  auto single = [ctx](auto run) {
    return JsonRoute([ctx, run](const HttpRequest& req, const PathParams& p) -> Result<json> {
      LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
      LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
      AnswerBudget answer;
      return run(*c, body, answer);
    });
  };
  auto batch = [ctx](auto run) {
    return JsonRoute([ctx, run](const HttpRequest& req, const PathParams& p) -> Result<json> {
      LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
      LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
      return RunBatch(*c, body, run);
    });
  };
  router.Add("POST", "/collections/{collection}/points/search", single(RunSearchBody));
  router.Add("POST", "/collections/{collection}/points/search/batch", batch(RunSearchBody));
  router.Add("POST", "/collections/{collection}/points/recommend", single(RunRecommendBody));
  router.Add("POST", "/collections/{collection}/points/recommend/batch", batch(RunRecommendBody));
  router.Add("POST", "/collections/{collection}/points/query", single(RunQuery));
  router.Add("POST", "/collections/{collection}/points/query/batch", batch(RunQuery));
}

}  // namespace latentdb::http
