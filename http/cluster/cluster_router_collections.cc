// ClusterRouter on clustered collections: create (the etcd record, then every shard), drop, the
// collection info with its shards' counts, Qdrant's collection cluster info with each copy's lag,
// GET /cluster with lag, and Qdrant's shard moves (move_shard, abort_transfer).
#include "http/cluster/router_impl.h"

namespace latentdb::http {

Result<engine::CollectionConfig> ClusterRouter::Impl::VectorsOf(const View& v) {
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = vectors.find(v.collection.uid);
    if (it != vectors.end()) return it->second;
  }
  HttpRequest info;
  info.method = "GET";
  info.path = CollectionPath(v.collection.name);
  HttpResponse r = Send(v, {0, info});
  if (!Succeeded(r)) return Status::Unavailable("shard 0 of collection '" + v.collection.name + "' did not answer: " + r.body.substr(0, 300));
  LDB_ASSIGN_OR_RETURN(json result, ResultOf(r));
  engine::CollectionConfig config;
  config.dim = result.value("/config/dim"_json_pointer, size_t{0});
  LDB_ASSIGN_OR_RETURN(config.metric, index::ParseMetric(result.value("/config/metric"_json_pointer, std::string())));
  std::lock_guard<std::mutex> lock(mu);
  vectors[v.collection.uid] = config;
  return config;
}

Result<bool> ClusterRouter::Impl::Ascending(const View& v) {
  LDB_ASSIGN_OR_RETURN(auto config, VectorsOf(v));
  return config.metric == index::Metric::kL2;
}

HttpResponse ClusterRouter::Impl::Create(const HttpRequest& request, const std::string& name) {
  const auto start = Clock::now();
  if (Status s = engine::ValidateCollectionName(name); !s.ok()) return ErrorResponse(s);
  auto parsed = BodyJson(request);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  json body = std::move(*parsed);
  if (!body.is_object()) return ErrorResponse(Status::InvalidArgument("a collection's body must be a JSON object"));
  cluster::ClusterCollection c;
  c.name = name;
  c.uid = RandomUid();
  auto shard_number = ClusterSetting(body, "shard_number", 1, 1024);
  auto replication = ClusterSetting(body, "replication_factor", 1, 1024);
  auto consistency = ClusterSetting(body, "write_consistency_factor", 1, 1024);
  for (const auto* r : {&shard_number, &replication, &consistency}) {
    if (!r->ok()) return ErrorResponse(r->status());
  }
  if (*consistency > *replication) {
    return ErrorResponse(Status::InvalidArgument("\"write_consistency_factor\" " + std::to_string(*consistency) +
                                                 " is above \"replication_factor\" " + std::to_string(*replication)));
  }
  c.shard_number = *shard_number;
  c.replication_factor = *replication;
  c.write_consistency_factor = *consistency;
  for (const char* k : {"shard_number", "replication_factor", "write_consistency_factor"}) body.erase(k);
  c.config = body;
  if (local->GetCollection(name).status().code() != StatusCode::kNotFound) {
    return ErrorResponse(Status::AlreadyExists("collection '" + name + "' already exists on this node"));
  }
  auto nodes = membership->Nodes();
  if (!nodes.ok()) return ErrorResponse(nodes.status().WithContext("reading the cluster's members"));
  std::vector<uint64_t> live;
  for (const auto& n : *nodes) live.push_back(n.node_id);
  if (Status s = shard_map.CreateCollection(c, live); !s.ok()) return ErrorResponse(s);
  auto view = ViewOf(name, true);
  if (!view.ok()) return ErrorResponse(view.status());
  HttpRequest part = request;
  part.body = c.config.dump();
  auto replies = Broadcast(*view, part);
  auto gathered = Gather(replies);
  if (gathered.failure) {
    // The shards refuse alike (the same config): undo the collection so that nothing of it stays.
    (void)shard_map.DeleteCollection(name);
    Forget(name);
    HttpRequest drop;
    drop.method = "DELETE";
    drop.path = request.path;
    std::vector<Part> undo;
    for (uint32_t s = 0; s < replies.size(); ++s) {
      if (Succeeded(replies[s])) undo.push_back({s, drop});
    }
    if (!undo.empty()) Scatter(*view, std::move(undo));
    return *gathered.failure;
  }
  if (body.contains("vectors")) return EnvelopeResponse(true, Seconds(start));  // Qdrant answers true
  return Info(*view, start);
}

HttpResponse ClusterRouter::Impl::Drop(const HttpRequest& request, const std::string& name, const Clock::time_point start) {
  auto view = ViewOf(name, true);
  if (view.status().code() == StatusCode::kNotFound) return EnvelopeResponse(false, Seconds(start));
  if (!view.ok()) return ErrorResponse(view.status());
  Status deleted = shard_map.DeleteCollection(name);
  if (deleted.code() == StatusCode::kNotFound) return EnvelopeResponse(false, Seconds(start));
  if (!deleted.ok()) return ErrorResponse(deleted);
  Forget(name);
  // The collection is gone from the cluster; a copy on a node that is down now is removed when
  // that node starts again (RemoveOrphans).
  std::vector<Part> parts;
  for (const auto& rec : view->shards) {
    for (uint64_t node : rec.replicas) parts.push_back({rec.shard, request, node});
  }
  for (const auto& r : Scatter(*view, std::move(parts))) {
    if (!Succeeded(r)) LogError("dropping a copy of collection '" + name + "': " + r.body.substr(0, 300));
  }
  return EnvelopeResponse(true, Seconds(start));
}

HttpResponse ClusterRouter::Impl::Info(const View& v, const Clock::time_point start) {
  HttpRequest info;
  info.method = "GET";
  info.path = CollectionPath(v.collection.name);
  auto gathered = Gather(Broadcast(v, info));
  if (gathered.failure) return *gathered.failure;
  json out = gathered.results[0];
  uint64_t points = 0, live = 0, tombstones = 0;
  json shards = json::array();
  for (uint32_t s = 0; s < gathered.results.size(); ++s) {
    const json& r = gathered.results[s];
    points += r.value("points_count", uint64_t{0});
    live += r.value("/index/live"_json_pointer, uint64_t{0});
    tombstones += r.value("/index/tombstones"_json_pointer, uint64_t{0});
    const auto& rec = v.shards[s];
    shards.push_back({{"shard", s}, {"primary", rec.primary}, {"epoch", rec.epoch}, {"replicas", rec.replicas},
                      {"in_sync", rec.in_sync}, {"points_count", r.value("points_count", uint64_t{0})},
                      {"status", r.value("status", std::string("green"))}});
    if (r.value("status", std::string("green")) != "green") out["status"] = r["status"];
  }
  out["points_count"] = points;
  out["indexed_vectors_count"] = live;
  if (out.contains("index") && out["index"].is_object()) {
    out["index"]["live"] = live;
    out["index"]["tombstones"] = tombstones;
    // Per-copy figures (sequence numbers, repairs) are in "cluster"."shards"; the merged info
    // keeps shard 0's only where a sum means nothing.
  }
  if (out.contains("payload_schema") && out["payload_schema"].is_object()) {
    json& schemas = out["payload_schema"];
    for (auto it = schemas.begin(); it != schemas.end(); ++it) {
      uint64_t n = 0;
      for (const auto& r : gathered.results) {
        n += r.value(json::json_pointer("/payload_schema") / it.key() / "points", uint64_t{0});
      }
      it.value()["points"] = n;
    }
  }
  out["config"]["params"]["shard_number"] = v.collection.shard_number;
  out["config"]["params"]["replication_factor"] = v.collection.replication_factor;
  out["config"]["params"]["write_consistency_factor"] = v.collection.write_consistency_factor;
  out["cluster"] = {{"uid", v.collection.uid}, {"shards", std::move(shards)}};
  return EnvelopeResponse(std::move(out), Seconds(start));
}

HttpRequest ClusterRouter::Impl::ExactCount(const View& v, const json& filter) {
  HttpRequest count;
  count.method = "POST";
  count.path = CollectionPath(v.collection.name) + "/points/count";
  json body = {{"exact", true}};
  if (!filter.is_null()) body["filter"] = filter;
  count.body = body.dump();
  return count;
}

std::variant<std::vector<uint64_t>, HttpResponse> ClusterRouter::Impl::ShardCounts(const View& v, const json& filter) {
  auto counted = Gather(Broadcast(v, ExactCount(v, filter)));
  if (counted.failure) return *counted.failure;
  std::vector<uint64_t> counts;
  for (const auto& r : counted.results) counts.push_back(r.is_object() ? r.value("count", uint64_t{0}) : 0);
  return counts;
}

std::vector<json> ClusterRouter::Impl::PositionsOf(const View& v) {
  std::vector<json> positions(v.shards.size());
  std::vector<Part> asks;
  HttpRequest wal;
  wal.method = "GET";
  wal.path = CollectionPath(v.collection.name) + "/wal";
  for (const auto& rec : v.shards) {
    if (v.nodes.count(rec.primary)) asks.push_back({rec.shard, wal, rec.primary});
  }
  const std::vector<HttpResponse> answers = Scatter(v, asks);
  for (size_t i = 0; i < asks.size(); ++i) {
    if (auto answered = ResultOf(answers[i]); answered.ok()) positions[asks[i].shard] = std::move(*answered);
  }
  return positions;
}

std::optional<std::pair<uint64_t, uint64_t>> ClusterRouter::Impl::CopyPosition(const json& positions, uint64_t node) {
  if (!positions.is_object()) return std::nullopt;
  const json seq = positions.value("/copies"_json_pointer / std::to_string(node), json());
  const json head = positions.value("wal_sequence", json());
  if (!seq.is_number_unsigned() || !head.is_number_unsigned()) return std::nullopt;
  const uint64_t at = seq.get<uint64_t>(), top = head.get<uint64_t>();
  return std::make_pair(at, top > at ? top - at : 0);
}

HttpResponse ClusterRouter::Impl::ClusterWithLag(HttpResponse answer) {
  if (answer.status != 200) return answer;
  json body = json::parse(answer.body, nullptr, false);
  if (!body.is_object() || !body.contains("result") || !body["result"].contains("collections")) return answer;
  json& collections = body["result"]["collections"];
  for (auto& [name, collection] : collections.items()) {
    auto view = ViewOf(name, false);
    if (!view.ok() || !collection.contains("shards")) continue;
    const std::vector<json> positions = PositionsOf(*view);
    for (auto& shard : collection["shards"]) {
      const uint64_t s = shard.value("shard", uint64_t{0});
      if (s >= positions.size()) continue;
      json lag = json::object(), seqs = json::object();
      for (const auto& node : shard.value("replicas", json::array())) {
        if (!node.is_number_unsigned()) continue;
        if (auto at = CopyPosition(positions[s], node.get<uint64_t>())) {
          seqs[node.dump()] = at->first;
          lag[node.dump()] = at->second;
        }
      }
      shard["wal_sequence"] = std::move(seqs);
      shard["lag"] = std::move(lag);
    }
  }
  answer.body = body.dump();
  return answer;
}

HttpResponse ClusterRouter::Impl::ClusterInfo(const View& v, const Clock::time_point start) {
  // Every copy, as Qdrant lists replicas: "Active" in sync on a live node, "Partial" on a live
  // node but not (yet) in sync — catching up —, "Dead" on a node without a live lease.
  json local_shards = json::array(), remote_shards = json::array(), transfers = json::array();
  const std::vector<json> positions = PositionsOf(v);
  for (uint32_t s = 0; s < v.shards.size(); ++s) {
    const auto& rec = v.shards[s];
    for (const auto& t : rec.transfers) {
      transfers.push_back({{"shard_id", s}, {"from", t.from}, {"to", t.to}, {"sync", false},
                           {"method", t.handover ? "handover" : "checkpoint_or_wal"}});
    }
    const json& shard_positions = positions[s];
    for (uint64_t node : rec.replicas) {
      const char* state = !v.nodes.count(node) ? "Dead" : rec.InSync(node) ? "Active" : "Partial";
      json entry = {{"shard_id", s}, {"state", state}, {"primary", node == rec.primary},
                    {"epoch", rec.epoch}, {"in_sync", rec.in_sync}};
      if (auto at = CopyPosition(shard_positions, node)) {
        entry["wal_sequence"] = at->first;
        entry["lag"] = at->second;
      }
      if (node != self) {
        entry["peer_id"] = node;
        remote_shards.push_back(std::move(entry));
        continue;
      }
      HttpResponse r = Send(v, {s, ExactCount(v), self});
      // A copy that moved away meanwhile (the view is older than the move's end) has no count.
      if (r.status == 404) {
        local_shards.push_back(std::move(entry));
        continue;
      }
      if (!Succeeded(r)) return r;
      auto result = ResultOf(r);
      if (!result.ok()) return ErrorResponse(result.status());
      entry["points_count"] = result->value("count", uint64_t{0});
      local_shards.push_back(std::move(entry));
    }
  }
  return EnvelopeResponse(json{{"peer_id", self},
                               {"shard_count", v.collection.shard_number},
                               {"local_shards", std::move(local_shards)},
                               {"remote_shards", std::move(remote_shards)},
                               {"shard_transfers", std::move(transfers)}},
                          Seconds(start));
}

HttpResponse ClusterRouter::Impl::UpdateCluster(const View& v, const HttpRequest& request, const Clock::time_point start) {
  const json body = json::parse(request.body, nullptr, false);
  const bool move = body.is_object() && body.contains("move_shard");
  const bool abort = body.is_object() && body.contains("abort_transfer");
  if (move == abort) {
    return ErrorResponse(Status::InvalidArgument(
        "the body must hold one of \"move_shard\" or \"abort_transfer\": {\"shard_id\", \"from_peer_id\", \"to_peer_id\"}"));
  }
  const json& op = body[move ? "move_shard" : "abort_transfer"];
  auto field = [&](const char* key) -> std::optional<uint64_t> {
    if (!op.is_object() || !op.contains(key) || !op[key].is_number_unsigned()) return std::nullopt;
    return op[key].get<uint64_t>();
  };
  const auto shard = field("shard_id"), from = field("from_peer_id"), to = field("to_peer_id");
  if (!shard || !from || !to) {
    return ErrorResponse(Status::InvalidArgument("\"shard_id\", \"from_peer_id\" and \"to_peer_id\" must be unsigned integers"));
  }
  if (*shard >= v.collection.shard_number) {
    return ErrorResponse(Status::InvalidArgument("collection '" + v.collection.name + "' has no shard " + std::to_string(*shard)));
  }
  auto rec = shard_map.Shard(v.collection.name, static_cast<uint32_t>(*shard));
  if (!rec.ok()) return ErrorResponse(rec.status());
  Result<cluster::ShardRecord> written = Status::Ok();
  if (move) {
    if (auto live = membership->Nodes(); !live.ok()) {
      return ErrorResponse(live.status());
    } else if (std::none_of(live->begin(), live->end(), [&](const auto& n) { return n.node_id == *to; })) {
      return ErrorResponse(Status::InvalidArgument("node " + std::to_string(*to) + " is not a live member of the cluster"));
    }
    written = shard_map.StartTransfer(*rec, *from, *to);
  } else {
    const bool matches = std::any_of(rec->transfers.begin(), rec->transfers.end(),
                                     [&](const auto& t) { return t.from == *from && t.to == *to; });
    written = matches ? shard_map.AbortTransfer(*rec, *to)
                      : Result<cluster::ShardRecord>(Status::NotFound("no move of shard " + std::to_string(*shard) +
                                                                      " from node " + std::to_string(*from) +
                                                                      " to node " + std::to_string(*to) + " is under way"));
  }
  Forget(v.collection.name);
  if (!written.ok()) return ErrorResponse(written.status());
  return EnvelopeResponse(true, Seconds(start));
}

}  // namespace latentdb::http
