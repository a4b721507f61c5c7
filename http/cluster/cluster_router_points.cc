// ClusterRouter on clustered collections: writes by id and by filter, retrievals, counts, scrolls,
// searches (Qdrant's and LatentDB's, batches, recommendations, point queries) and the reads of
// stored vectors the other routes build on.
#include "http/cluster/router_impl.h"

namespace latentdb::http {

json ClusterRouter::Impl::Pick(const json& items, const std::vector<size_t>& indices) {
  json out = json::array();
  for (size_t i : indices) out.push_back(items[i]);
  return out;
}

std::vector<Part> ClusterRouter::Impl::SplitByIds(const View& v, const HttpRequest& request, const json& body, const std::string& key,
                                                  std::map<uint32_t, std::vector<size_t>>* split_out) {
  const uint32_t n = v.collection.shard_number;
  auto split = SplitItems(body[key], [n](const json& id) { return ShardOfJsonId(id, n); });
  std::vector<Part> parts;
  for (const auto& [shard, indices] : split) {
    json cut = body;
    cut[key] = Pick(body[key], indices);
    HttpRequest r = request;
    r.body = cut.dump();
    parts.push_back({shard, std::move(r)});
  }
  if (split_out) *split_out = std::move(split);
  return parts;
}

HttpResponse ClusterRouter::Impl::Upsert(const View& v, const HttpRequest& request, const Clock::time_point start) {
  if (IsImageRequest(request)) {
    auto id = QueryId(request);
    if (!id.ok()) return ErrorResponse(id.status());
    return Send(v, {ShardOfId(*id, v.collection.shard_number), request});
  }
  auto parsed = BodyJson(request);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  // The whole request is checked before any shard writes: a malformed point refuses all of
  // them, as on one node.
  auto checked = ParsePoints(*parsed);
  if (!checked.ok()) return ErrorResponse(checked.status());
  auto config = VectorsOf(v);
  if (!config.ok()) return ErrorResponse(config.status());
  for (const auto& p : *checked) {
    if (p.input.kind != inference::Input::Kind::kVector) continue;  // encoded by the shard
    if (auto problem = engine::VectorProblem(*config, v.collection.name, p.input.vector)) {
      return ErrorResponse(Status::InvalidArgument("point " + p.id.ToString() + " " + *problem));
    }
  }
  json body = std::move(*parsed);
  const bool batch = body.contains("batch") && !body.contains("points");
  const json& ids = batch ? body["batch"]["ids"] : body["points"];
  const uint32_t n = v.collection.shard_number;
  auto split = SplitItems(ids, [n, batch](const json& item) {
    return ShardOfJsonId(batch ? item : item.value("id", json()), n);
  });
  std::vector<Part> parts;
  std::vector<const std::vector<size_t>*> indices_of;
  for (const auto& [shard, indices] : split) {
    json cut = body;
    if (batch) {
      json& columns = cut["batch"];
      for (auto& [key, column] : columns.items()) {
        if (column.is_array() && column.size() == ids.size()) column = Pick(body["batch"][key], indices);
      }
    } else {
      cut["points"] = Pick(body["points"], indices);
    }
    HttpRequest r = request;
    r.body = cut.dump();
    parts.push_back({shard, std::move(r)});
    indices_of.push_back(&indices);
  }
  auto gathered = Gather(Scatter(v, std::move(parts)));
  if (gathered.failure) return *gathered.failure;
  uint64_t upserted = 0;
  json errors = json::array();
  for (size_t p = 0; p < gathered.results.size(); ++p) {
    const json& r = gathered.results[p];
    upserted += r.value("upserted", uint64_t{0});
    if (r.contains("errors")) {
      for (json e : r["errors"]) {
        const size_t local_index = e.value("index", size_t{0});
        e["index"] = local_index < indices_of[p]->size() ? (*indices_of[p])[local_index] : local_index;
        errors.push_back(std::move(e));
      }
    }
  }
  std::sort(errors.begin(), errors.end(), [](const json& a, const json& b) { return a["index"] < b["index"]; });
  json out = {{"upserted", upserted}, {"operation_id", 0}, {"status", "completed"}};
  if (!errors.empty()) out["errors"] = std::move(errors);
  return EnvelopeResponse(std::move(out), Seconds(start));
}

HttpResponse ClusterRouter::Impl::ById(const View& v, const HttpRequest& request, const PathParams& params) {
  auto id = PathId(params);
  if (!id.ok()) return ErrorResponse(id.status());
  return Send(v, {ShardOfId(*id, v.collection.shard_number), request});
}

HttpResponse ClusterRouter::Impl::Retrieve(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = BodyJson(request);
  if (!body.ok() || !body->is_object() || !body->contains("ids") || !ParseIdList((*body)["ids"]).ok()) {
    return Refusal(v, request);
  }
  auto gathered = Gather(Scatter(v, SplitByIds(v, request, *body, "ids")));
  if (gathered.failure) return *gathered.failure;
  return EnvelopeResponse(OrderByIds((*body)["ids"], gathered.results), Seconds(start));
}

HttpResponse ClusterRouter::Impl::IdsOrFilter(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = BodyJson(request);
  if (!body.ok() || !body->is_object()) return Refusal(v, request);
  const bool has_points = body->contains("points"), has_ids = body->contains("ids"),
             has_filter = body->contains("filter");
  std::vector<HttpResponse> replies;
  if (has_points + has_ids + has_filter != 1) return Refusal(v, request);
  const std::string key = has_points ? "points" : "ids";
  if (!has_filter) {
    if (!ParseIdList((*body)[key]).ok()) return Refusal(v, request);
    if ((*body)[key].empty()) return Refusal(v, request);
    replies = Scatter(v, SplitByIds(v, request, *body, key));
  } else {
    replies = Broadcast(v, request);
  }
  auto gathered = Gather(replies);
  if (gathered.failure) return *gathered.failure;
  json out = gathered.results[0];
  if (out.is_object() && out.contains("deleted")) {
    uint64_t deleted = 0;
    for (const auto& r : gathered.results) deleted += r.value("deleted", uint64_t{0});
    out["deleted"] = deleted;
  }
  return EnvelopeResponse(std::move(out), Seconds(start));
}

HttpResponse ClusterRouter::Impl::Count(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto gathered = Gather(Broadcast(v, request));
  if (gathered.failure) return *gathered.failure;
  json out = gathered.results[0];
  uint64_t count = 0;
  for (const auto& r : gathered.results) count += r.value("count", uint64_t{0});
  out["count"] = count;
  return EnvelopeResponse(std::move(out), Seconds(start));
}

HttpResponse ClusterRouter::Impl::Scroll(const View& v, const HttpRequest& request, const Clock::time_point start) {
  json body = json::object();
  if (!request.body.empty()) {
    auto parsed = BodyJson(request);
    if (!parsed.ok() || !parsed->is_object()) return Refusal(v, request);
    body = std::move(*parsed);
  }
  auto limit = ParseCount(body, "limit", 10, 1, engine::kMaxK);
  if (!limit.ok()) return Refusal(v, request);
  auto gathered = Gather(Broadcast(v, request));
  if (gathered.failure) return *gathered.failure;
  return EnvelopeResponse(MergeScrollPages(gathered.results, *limit), Seconds(start));
}

Result<ClusterRouter::Impl::SearchShape> ClusterRouter::Impl::ShardSearchBody(const View& v, json* body) {
  if (!body->is_object()) return Status::InvalidArgument("a search must be a JSON object");
  SearchShape s;
  s.key = body->contains("k") ? "k" : "limit";
  LDB_ASSIGN_OR_RETURN(s.limit, ParseCount(*body, s.key.c_str(), 10, 1, engine::kMaxK));
  LDB_ASSIGN_OR_RETURN(s.offset, ParseCount(*body, "offset", 0, 0, engine::kMaxK));
  if (body->contains("id") && !(*body)["id"].is_null()) {  // LatentDB's search by a stored point
    if (body->contains("vector")) return Status::InvalidArgument("give one of \"vector\" and \"id\"");
    LDB_ASSIGN_OR_RETURN((*body)["vector"], ResolveId((*body)["id"], "\"id\"", v, &s));
    body->erase("id");
  }
  LDB_RETURN_IF_ERROR(ResolveExamples(v, body, &s));  // Qdrant's recommendation
  if (body->contains("query")) {                       // Qdrant's universal query
    json* q = &(*body)["query"];
    if (q->is_object() && q->contains("nearest")) q = &(*q)["nearest"];
    if (q->is_number_unsigned() || q->is_string()) {
      LDB_ASSIGN_OR_RETURN(*q, ResolveId(*q, "\"query\"", v, &s));
    } else if (q->is_object() && q->contains("recommend")) {
      LDB_RETURN_IF_ERROR(ResolveExamples(v, &(*q)["recommend"], &s));
    }
  }
  const size_t fetch = s.offset + s.limit + s.exclude.size();
  if (fetch > engine::kMaxK) {
    return Status::InvalidArgument("\"offset\" + \"limit\" must be at most " + std::to_string(engine::kMaxK));
  }
  (*body)[s.key] = fetch;
  if (body->contains("offset")) (*body)["offset"] = 0;
  return s;
}

Result<json> ClusterRouter::Impl::ResolveId(const json& id, const std::string& where, const View& v, SearchShape* s) {
  auto parsed = engine::ExternalId::FromJson(id);
  if (!parsed.ok()) return parsed.status().WithContext(where);
  auto vector = StoredVector(v, *parsed);
  if (!vector.ok()) return vector.status().WithContext(where);
  s->exclude.push_back(parsed->ToJson());
  return vector;
}

Status ClusterRouter::Impl::ResolveExamples(const View& v, json* r, SearchShape* s) {
  if (!r->is_object()) return Status::Ok();  // the shard refuses it as one node would
  for (const char* key : {"positive", "negative"}) {
    if (!r->contains(key) || !(*r)[key].is_array()) continue;
    json& examples = (*r)[key];
    if (examples.size() > kMaxRecommendExamples) continue;  // refused by the shard (413)
    for (size_t i = 0; i < examples.size(); ++i) {
      if (examples[i].is_array() || examples[i].is_object()) continue;  // a vector already
      LDB_ASSIGN_OR_RETURN(examples[i], ResolveId(examples[i], std::string(key) + "[" + std::to_string(i) + "]", v, s));
    }
  }
  return Status::Ok();
}

Result<json> ClusterRouter::Impl::StoredVector(const View& v, const engine::ExternalId& id) {
  HttpRequest get;
  get.method = "POST";
  get.path = CollectionPath(v.collection.name) + "/points";
  get.body = json{{"ids", {id.ToJson()}}, {"with_vector", true}, {"with_payload", false}}.dump();
  HttpResponse r = Send(v, {ShardOfId(id, v.collection.shard_number), get});
  if (!Succeeded(r)) {
    return Status::Unavailable("reading point " + id.ToString() + " from its shard: " + r.body.substr(0, 300));
  }
  LDB_ASSIGN_OR_RETURN(json found, ResultOf(r));
  if (!found.is_array() || found.empty() || !found[0].contains("vector")) {
    return Status::NotFound("point " + id.ToString() + " does not exist in collection '" + v.collection.name + "'");
  }
  return std::move(found[0]["vector"]);
}

json ClusterRouter::Impl::MergeSearch(const std::vector<json>& answers, const SearchShape& s, bool ascending) {
  auto without_named_points = [&s](json list) {
    if (s.exclude.empty() || !list.is_array()) return list;
    json kept = json::array();
    for (auto& p : list) {
      if (std::find(s.exclude.begin(), s.exclude.end(), p["id"]) == s.exclude.end()) kept.push_back(std::move(p));
    }
    return kept;
  };
  std::vector<json> lists;
  json debug = json::array();
  const bool objects = !answers.empty() && answers[0].is_object();
  for (const auto& a : answers) {
    lists.push_back(without_named_points(objects ? a.value("points", json::array()) : a));
    if (objects && a.contains("debug")) debug.push_back(a["debug"]);
  }
  json merged = MergeScored(lists, s.offset, s.limit, ascending);
  if (!objects) return merged;
  json out = {{"points", std::move(merged)}};
  if (!debug.empty()) out["debug"] = {{"shards", std::move(debug)}};
  return out;
}

HttpResponse ClusterRouter::Impl::Search(const View& v, const HttpRequest& request, const Clock::time_point start) {
  if (IsImageRequest(request)) {  // a raw image body with ?k=
    auto k = QueryCount(request, "k", 10, 1, engine::kMaxK);
    if (!k.ok()) return ErrorResponse(k.status());
    auto gathered = Gather(Broadcast(v, request));
    if (gathered.failure) return *gathered.failure;
    auto asc = Ascending(v);
    if (!asc.ok()) return ErrorResponse(asc.status());
    return EnvelopeResponse(MergeSearch(gathered.results, {"k", *k, 0, json::array()}, *asc), Seconds(start));
  }
  auto body = BodyJson(request);
  if (!body.ok()) return ErrorResponse(body.status());
  auto shape = ShardSearchBody(v, &*body);
  if (!shape.ok()) return ErrorResponse(shape.status());
  HttpRequest part = request;
  part.body = body->dump();
  auto gathered = Gather(Broadcast(v, part));
  if (gathered.failure) return *gathered.failure;
  auto asc = Ascending(v);
  if (!asc.ok()) return ErrorResponse(asc.status());
  return EnvelopeResponse(MergeSearch(gathered.results, *shape, *asc), Seconds(start));
}

HttpResponse ClusterRouter::Impl::SearchBatch(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = BodyJson(request);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object() || !body->contains("searches") || !(*body)["searches"].is_array()) {
    return Refusal(v, request);
  }
  std::vector<SearchShape> shapes;
  for (auto& s : (*body)["searches"]) {
    auto shape = ShardSearchBody(v, &s);
    if (!shape.ok()) return ErrorResponse(shape.status());
    shapes.push_back(*shape);
  }
  HttpRequest part = request;
  part.body = body->dump();
  auto gathered = Gather(Broadcast(v, part));
  if (gathered.failure) return *gathered.failure;
  auto ascending = Ascending(v);
  if (!ascending.ok()) return ErrorResponse(ascending.status());
  const bool asc = *ascending;
  json out = json::array();
  for (size_t i = 0; i < shapes.size(); ++i) {
    std::vector<json> answers;
    for (const auto& r : gathered.results) answers.push_back(r.is_array() && i < r.size() ? r[i] : json::array());
    out.push_back(MergeSearch(answers, shapes[i], asc));
  }
  return EnvelopeResponse(std::move(out), Seconds(start));
}

std::optional<HttpResponse> ClusterRouter::Impl::PointVectors(const View& v, const HttpRequest& like, const json& ids,
                                                              std::map<std::string, json>* vectors, const Clock::time_point start) {
  if (ids.empty()) return std::nullopt;
  HttpRequest get = like;
  get.method = "POST";
  get.path = CollectionPath(v.collection.name) + "/points";
  get.query.clear();
  get.headers.erase("content-type");
  get.body = json{{"ids", ids}, {"with_vector", true}, {"with_payload", false}}.dump();
  HttpResponse got = Retrieve(v, get, start);
  if (got.status != 200) return got;
  auto points = json::parse(got.body, nullptr, false);
  if (!points.is_object() || !points.contains("result") || !points["result"].is_array()) {
    return ErrorResponse(Status::Internal("the points " + ids.dump() + " could not be read from their shards"));
  }
  for (const auto& p : points["result"]) {
    auto id = engine::ExternalId::FromJson(p.value("id", json()));
    if (id.ok() && p.contains("vector")) (*vectors)[id->ToKey()] = p["vector"];
  }
  return std::nullopt;
}

HttpResponse ClusterRouter::Impl::Everywhere(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto gathered = Gather(Broadcast(v, request));
  if (gathered.failure) return *gathered.failure;
  return EnvelopeResponse(gathered.results[0], Seconds(start));
}

}  // namespace latentdb::http
