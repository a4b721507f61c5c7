// ClusterRouter on clustered collections: analogies, the generative routes (interpolate, sample,
// anomalies, decode), the map, the point sample, attribute directions and edits.
#include "http/cluster/router_impl.h"

namespace latentdb::http {

HttpResponse ClusterRouter::Impl::Analogy(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = BodyJson(request);
  if (!body.ok() || !ParseAnalogy(*body).ok()) return Refusal(v, request);  // one node's own message
  auto ids = cluster_routing::AnalogyIdTerms(*body);
  if (!ids.ok()) return ErrorResponse(ids.status());
  std::map<std::string, json> vectors;
  if (auto failed = PointVectors(v, request, *ids, &vectors, start)) return *failed;
  auto shard_body = cluster_routing::ShardAnalogyBody(*body, vectors, v.collection.name, engine::kMaxK);
  if (!shard_body.ok()) return ErrorResponse(shard_body.status());
  HttpRequest part = request;
  part.body = shard_body->dump();
  auto gathered = Gather(Broadcast(v, part));
  if (gathered.failure) return *gathered.failure;
  return EnvelopeResponse(cluster_routing::MergeAnalogy(gathered.results, *body), Seconds(start));
}

std::optional<HttpResponse> ClusterRouter::Impl::DecodedEverywhere(const View& v, const HttpRequest& part, const std::string& list_key,
                                                                   json* merged) {
  auto gathered = Gather(Broadcast(v, part));
  if (gathered.failure) return *gathered.failure;
  auto ascending = Ascending(v);
  if (!ascending.ok()) return ErrorResponse(ascending.status());
  *merged = cluster_routing::MergeNearest(gathered.results, list_key, *ascending);
  return std::nullopt;
}

HttpResponse ClusterRouter::Impl::Interpolate(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = ObjectBody(request, /*empty_is_object=*/true);
  if (!body.ok()) return Refusal(v, request);  // one node's own message
  const json ids = cluster_routing::InterpolationIdEndpoints(*body);
  for (const auto& id : ids) {
    if (!engine::ExternalId::FromJson(id).ok()) return Refusal(v, request);
  }
  std::map<std::string, json> vectors;
  if (auto failed = PointVectors(v, request, ids, &vectors, start)) return *failed;
  auto with_vectors = cluster_routing::InterpolationWithVectors(*body, vectors, v.collection.name);
  if (!with_vectors.ok()) return ErrorResponse(with_vectors.status());
  HttpRequest part = request;
  part.body = with_vectors->dump();
  json merged;
  if (auto failed = DecodedEverywhere(v, part, "steps", &merged)) return *failed;
  return EnvelopeResponse(std::move(merged), Seconds(start));
}

HttpResponse ClusterRouter::Impl::Sample(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = ObjectBody(request, /*empty_is_object=*/true);
  if (!body.ok()) return Refusal(v, request);  // one node's own message
  json part_body = *body;
  const json store = part_body.value("store", json(false));
  if (!store.is_boolean()) return Refusal(v, request);
  if (!part_body.contains("seed") || part_body["seed"].is_null()) {
    std::random_device rd;
    part_body["seed"] = (uint64_t{rd()} << 32) ^ rd();
  }
  if (!part_body["seed"].is_number_unsigned()) return Refusal(v, request);
  const uint64_t seed = part_body["seed"].get<uint64_t>();
  part_body["store"] = false;
  HttpRequest part = request;
  part.body = part_body.dump();
  json merged;
  if (auto failed = DecodedEverywhere(v, part, "samples", &merged)) return *failed;
  if (store.get<bool>()) {
    const json points = cluster_routing::SamplePoints(merged, seed);
    HttpRequest put = request;
    put.method = "PUT";
    put.path = CollectionPath(v.collection.name) + "/points";
    put.query = {{"wait", "true"}};
    put.headers.erase("content-type");
    put.body = json{{"points", points}}.dump();
    HttpResponse stored = Upsert(v, put, start);
    if (!Succeeded(stored)) return stored;
    for (size_t i = 0; i < points.size() && i < merged["samples"].size(); ++i) merged["samples"][i]["id"] = points[i]["id"];
    merged["stored"] = points.size();
  }
  return EnvelopeResponse(std::move(merged), Seconds(start));
}

HttpResponse ClusterRouter::Impl::Anomalies(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto k = QueryCount(request, "k", 20, 1, engine::kMaxK);
  if (!k.ok()) return Refusal(v, request);
  auto gathered = Gather(Broadcast(v, request));
  if (gathered.failure) return *gathered.failure;
  return EnvelopeResponse(cluster_routing::MergeAnomalies(gathered.results, *k), Seconds(start));
}

HttpResponse ClusterRouter::Impl::Map(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto config = VectorsOf(v);
  if (!config.ok()) return ErrorResponse(config.status());
  const size_t max_n = latent::MaxMapPoints(config->dim);
  auto n = QueryCount(request, "n", std::min(latent::kDefaultMapPoints, max_n), 1, max_n);
  auto with_vectors = QueryBool(request, "with_vectors", false);
  auto field = request.query.find("field");
  if (!n.ok() || !with_vectors.ok() || (field != request.query.end() && field->second.empty())) {
    return Refusal(v, request);  // one node's own message
  }
  auto counted = ShardCounts(v);
  if (auto* failed = std::get_if<HttpResponse>(&counted)) return *failed;
  const std::vector<uint64_t>& counts = std::get<std::vector<uint64_t>>(counted);
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  const std::vector<size_t> shares = cluster_routing::MapShares(counts, *n);
  std::vector<Part> parts;
  for (uint32_t s = 0; s < shares.size(); ++s) {
    if (shares[s] == 0) continue;
    HttpRequest part = request;
    part.query["n"] = std::to_string(shares[s]);
    part.query["with_vectors"] = "true";
    parts.push_back({s, part});
  }
  auto gathered = Gather(Scatter(v, parts));
  if (gathered.failure) return *gathered.failure;
  auto sample = cluster_routing::GatherMapSample(gathered.results);
  if (!sample.ok()) return ErrorResponse(sample.status());
  auto map = latent::MapOfSample(std::move(sample->points), std::move(sample->rows), config->dim, total, *with_vectors);
  if (!map.ok()) return ErrorResponse(map.status());
  return EnvelopeResponse(latent::MapToJson(std::move(*map)), Seconds(start));
}

auto ClusterRouter::Impl::SampleShards(const View& v, const json& filter, size_t n, bool with_vector,
                                      const json& with_payload) -> std::variant<ShardSample, HttpResponse> {
  auto counted = ShardCounts(v, filter);
  if (auto* failed = std::get_if<HttpResponse>(&counted)) return *failed;
  const std::vector<uint64_t>& counts = std::get<std::vector<uint64_t>>(counted);
  ShardSample out;
  for (uint64_t c : counts) out.matched += c;
  const std::vector<size_t> shares = cluster_routing::MapShares(counts, n);
  std::vector<Part> parts;
  for (uint32_t s = 0; s < shares.size(); ++s) {
    if (shares[s] == 0) continue;
    HttpRequest part;
    part.method = "POST";
    part.path = CollectionPath(v.collection.name) + "/points/sample";
    json body = {{"limit", shares[s]}, {"with_vector", with_vector}, {"with_payload", with_payload}};
    if (!filter.is_null()) body["filter"] = filter;
    part.body = body.dump();
    parts.push_back({s, part});
  }
  auto gathered = Gather(Scatter(v, parts));
  if (gathered.failure) return *gathered.failure;
  out.answers = std::move(gathered.results);
  return out;
}

HttpResponse ClusterRouter::Impl::PointSample(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = ObjectBody(request, /*empty_is_object=*/true);
  if (!body.ok()) return Refusal(v, request);  // one node's own message
  auto limit = ParseCount(*body, "limit", 10, 1, latent::kMaxSamplePoints);
  auto filter = ParseOptionalFilter(*body);
  auto payload = ParsePayloadSelector(*body, true);
  const json with_vector = body->value("with_vector", json(false));
  if (!limit.ok() || !filter.ok() || !payload.ok() || !(with_vector.is_boolean() || with_vector.is_null())) {
    return Refusal(v, request);
  }
  auto sampled = SampleShards(v, body->value("filter", json()), *limit, with_vector.is_boolean() && with_vector.get<bool>(),
                              body->value("with_payload", json(true)));
  if (auto* failed = std::get_if<HttpResponse>(&sampled)) return *failed;
  const auto& got = std::get<ShardSample>(sampled);
  return EnvelopeResponse(cluster_routing::MergeSamples(got.answers, got.matched), Seconds(start));
}

HttpResponse ClusterRouter::Impl::LearnDirection(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = ObjectBody(request);
  auto with_vector = QueryBool(request, "with_vector", false);
  if (!body.ok() || !with_vector.ok()) return Refusal(v, request);  // one node's own message
  auto parsed = ParseDirectionRequest(*body);
  if (!parsed.ok()) return Refusal(v, request);
  const latent::DirectionRequest& r = *parsed;
  auto config = VectorsOf(v);
  if (!config.ok()) return ErrorResponse(config.status());
  const size_t dim = config->dim;
  if (Status s = latent::CheckDirectionRequest(r, dim); !s.ok()) return ErrorResponse(s);
  std::vector<std::vector<double>> basis;
  for (const auto& name : r.orthogonal_to) {
    HttpRequest get;
    get.method = "GET";
    get.path = CollectionPath(v.collection.name) + "/directions/" + name;
    HttpResponse got = Send(v, {0, get});
    if (!Succeeded(got)) return got;  // 404 as one node says it
    auto record = ResultOf(got);
    if (!record.ok()) return ErrorResponse(record.status());
    auto d = latent::DirectionFromJson(*record);
    if (!d.ok()) return ErrorResponse(d.status());
    if (Status s = latent::CheckBasisDirection(*d, dim, v.collection.name); !s.ok()) return ErrorResponse(s);
    basis.emplace_back(d->vector.begin(), d->vector.end());
  }
  latent::DirectionSets sets;
  auto sample = [&](const json& filter, size_t n, latent::Rows* rows, size_t* matched) -> std::optional<HttpResponse> {
    auto sampled = SampleShards(v, filter, n, /*with_vector=*/true, json(false));
    if (auto* failed = std::get_if<HttpResponse>(&sampled)) return *failed;
    const auto& got = std::get<ShardSample>(sampled);
    auto sample_rows = cluster_routing::SampleRows(got.answers);
    if (!sample_rows.ok()) return ErrorResponse(sample_rows.status());
    *rows = std::move(*sample_rows);
    *matched = got.matched;
    return std::nullopt;
  };
  if (r.method != latent::DirectionMethod::kPca) {
    if (auto failed = sample(r.from_spec, latent::MaxSetPoints(dim), &sets.from, &sets.from_count)) return *failed;
    if (auto failed = sample(r.to_spec, latent::MaxSetPoints(dim), &sets.to, &sets.to_count)) return *failed;
    auto both = ShardCounts(v, cluster_routing::BothSetsFilter(r.from_spec, r.to_spec));
    if (auto* failed = std::get_if<HttpResponse>(&both)) return *failed;
    for (uint64_t c : std::get<std::vector<uint64_t>>(both)) sets.overlap += c;
  } else {
    size_t all = 0;
    if (auto failed = sample(json(), latent::MaxPcaPoints(dim), &sets.from, &all)) return *failed;
  }
  auto d = latent::DirectionFromSets(r, dim, config->metric == index::Metric::kCosine, std::move(sets), basis,
                                     v.collection.name);
  if (!d.ok()) return ErrorResponse(d.status());
  HttpRequest put;
  put.method = "PUT";
  put.path = CollectionPath(v.collection.name) + "/directions/" + d->name;
  put.body = latent::DirectionToJson(*d, /*with_vector=*/true).dump();
  auto stored = Gather(Broadcast(v, put));
  if (stored.failure) return *stored.failure;
  json out = latent::DirectionToJson(*d, *with_vector);
  out["replaced"] = stored.results[0].value("replaced", false);
  return EnvelopeResponse(std::move(out), Seconds(start));
}

HttpResponse ClusterRouter::Impl::DeleteDirection(const View& v, const HttpRequest& request, const Clock::time_point start) {
  std::optional<HttpResponse> absent;
  bool removed = false;
  for (auto& reply : Broadcast(v, request)) {
    if (reply.status == 404) {
      if (!absent) absent = std::move(reply);
    } else if (!Succeeded(reply)) {
      return reply;
    } else {
      removed = true;
    }
  }
  // Present on some shards only (a store that failed half-way): removed, as asked.
  return removed || !absent ? EnvelopeResponse(json(true), Seconds(start)) : *absent;
}

HttpResponse ClusterRouter::Impl::Edit(const View& v, const HttpRequest& request, const Clock::time_point start) {
  auto body = ObjectBody(request);
  if (!body.ok()) return Refusal(v, request);  // one node's own message
  auto k = ParseCount(*body, "k", 5, 1, latent::kMaxEditNeighbors);
  auto source = ParseLatentSource(body->contains("from") ? (*body)["from"] : json(), "from");
  if (!k.ok() || !source.ok()) return Refusal(v, request);
  if (source->id) {
    auto vector = StoredVector(v, *source->id);
    if (!vector.ok()) return ErrorResponse(vector.status());
    (*body)["from"] = std::move(*vector);
  }
  std::vector<Part> parts;
  for (uint32_t s = 0; s < v.collection.shard_number; ++s) {
    json shard_body = *body;
    if (s > 0) shard_body["with_images"] = false;  // shard 0's images are the answer's
    HttpRequest part = request;
    part.body = shard_body.dump();
    parts.push_back({s, part});
  }
  auto gathered = Gather(Scatter(v, parts));
  if (gathered.failure) return *gathered.failure;
  auto ascending = Ascending(v);
  if (!ascending.ok()) return ErrorResponse(ascending.status());
  return EnvelopeResponse(cluster_routing::MergeEdits(gathered.results, *k, *ascending), Seconds(start));
}

HttpResponse ClusterRouter::Impl::DecodeById(const View& v, const HttpRequest& request) {
  auto body = BodyJson(request);
  if (!body.ok() || !body->is_object() || !body->contains("id")) return Refusal(v, request);
  auto id = engine::ExternalId::FromJson((*body)["id"]);
  if (!id.ok()) return Refusal(v, request);
  return Send(v, {ShardOfId(*id, v.collection.shard_number), request});
}

}  // namespace latentdb::http
