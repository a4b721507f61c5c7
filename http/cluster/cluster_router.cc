// ClusterRouter (http/cluster/cluster_router.h): the views of the shard map, a copy's answers to
// the parts sent to it, sending parts to the shards' copies, and the route table (Routed). The
// routes themselves are in cluster_router_*.cc (http/cluster/router_impl.h lists them).
#include "http/cluster/router_impl.h"

namespace latentdb::http {

namespace cluster_routing {

// A part that only reads: answered by any in-sync copy of its shard (the primary with
// ?consistency=primary). Everything else is a write, sent to the primary.
bool IsReadPart(const HttpRequest& r) {
  if (r.method == "GET") return true;
  if (r.method != "POST") return false;
  static const char* const kReads[] = {"/points", "/points/scroll", "/points/count", "/search", "/search/batch",
                                       "/points/search", "/points/search/batch", "/points/recommend",
                                       "/points/recommend/batch", "/points/query", "/points/query/batch", "/analogy",
                                       "/interpolate", "/reconstruct", "/points/decode",
                                       "/points/sample", "/edit"};
  const std::string& p = r.path;
  if (p.rfind("/collections/", 0) != 0) return false;
  const size_t slash = p.find('/', std::string("/collections/").size());
  if (slash == std::string::npos) return false;
  const std::string rest = p.substr(slash);
  return std::any_of(std::begin(kReads), std::end(kReads), [&](const char* k) { return rest == k; });
}

std::string RandomUid() {
  std::random_device rd;
  const uint64_t v = (uint64_t{rd()} << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Target(const HttpRequest& r) {
  std::string t = r.path;
  char sep = '?';
  for (const auto& [k, v] : r.query) {
    t += sep;
    t += client::PercentEncodeSegment(k) + "=" + client::PercentEncodeSegment(v);
    sep = '&';
  }
  return t;
}

// The path of a collection's routes: "/collections/<name>" (names are [A-Za-z0-9_-], escaped all
// the same).
std::string CollectionPath(const std::string& name) { return "/collections/" + client::PercentEncodeSegment(name); }

bool Succeeded(const HttpResponse& r) { return r.status >= 200 && r.status < 300; }

// The JSON result of a shard's successful answer.
Result<json> ResultOf(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("result")) {
    return Status::Internal("a shard answered without a result: " + r.body.substr(0, 200));
  }
  return std::move(j["result"]);
}

Gathered Gather(const std::vector<HttpResponse>& replies) {
  Gathered g;
  for (const auto& r : replies) {
    if (!Succeeded(r)) {
      g.failure = r;
      return g;
    }
    auto result = ResultOf(r);
    if (!result.ok()) {
      g.failure = ErrorResponse(result.status());
      return g;
    }
    g.results.push_back(std::move(*result));
  }
  return g;
}

uint32_t ShardOfId(const engine::ExternalId& id, uint32_t shard_number) {
  return cluster::ShardOf(id.ToKey(), shard_number);
}

// A JSON id's shard; nullopt for a value that is no id (the shard that gets it refuses it).
std::optional<uint32_t> ShardOfJsonId(const json& id, uint32_t shard_number) {
  auto parsed = engine::ExternalId::FromJson(id);
  if (!parsed.ok()) return std::nullopt;
  return ShardOfId(*parsed, shard_number);
}

// A positive integer setting of the collection body (Qdrant's shard_number, …), `fallback` when
// absent or null.
Result<uint32_t> ClusterSetting(const json& body, const char* key, uint32_t fallback, uint32_t max) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  const json& v = body[key];
  if (!v.is_number_unsigned() || v.get<uint64_t>() < 1 || v.get<uint64_t>() > max) {
    return Status::InvalidArgument(std::string("\"") + key + "\" must be an integer from 1 to " + std::to_string(max));
  }
  return static_cast<uint32_t>(v.get<uint64_t>());
}

}  // namespace cluster_routing

Result<View> ClusterRouter::Impl::ViewOf(const std::string& name, bool fresh) {
  if (!fresh) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = views.find(name);
    if (it != views.end() && Clock::now() - it->second.read_at < options.cache_ttl) return it->second;
  }
  View v;
  LDB_ASSIGN_OR_RETURN(v.collection, shard_map.GetCollection(name));
  LDB_ASSIGN_OR_RETURN(v.shards, shard_map.Shards(name));
  if (v.shards.size() != v.collection.shard_number) {
    return Status::Unavailable("the shard map of collection '" + name + "' is incomplete in etcd");
  }
  LDB_ASSIGN_OR_RETURN(auto nodes, membership->Nodes());
  for (const auto& n : nodes) v.nodes[n.node_id] = n.advertise;
  v.read_at = Clock::now();
  std::lock_guard<std::mutex> lock(mu);
  views[name] = v;
  return v;
}

void ClusterRouter::Impl::Forget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  views.erase(name);
}

HttpResponse ClusterRouter::Impl::AnswerPart(const std::string& collection, const HttpRequest& request) {
  const std::string header = request.Header(kShardHeader);
  const size_t slash = header.find('/');
  const std::string uid = slash == std::string::npos ? "" : header.substr(0, slash);
  const std::string shard_text = slash == std::string::npos ? "" : header.substr(slash + 1);
  if (uid.size() != 16 || uid.find_first_not_of("0123456789abcdef") != std::string::npos || shard_text.empty() ||
      shard_text.size() > 9 || shard_text.find_first_not_of("0123456789") != std::string::npos) {
    return ErrorResponse(Status::InvalidArgument(std::string(kShardHeader) +
                                                 " must be '<collection uid: 16 hex digits>/<shard number>'"));
  }
  if (Status valid = engine::ValidateCollectionName(collection); !valid.ok()) return ErrorResponse(valid);
  const ShardCopyId id{collection, uid, static_cast<uint32_t>(std::stoul(shard_text))};
  if (request.headers.count(kReplicateHeader)) return AnswerShipment(id, request);
  if (request.method == "GET" && request.path == CollectionPath(collection) + "/wal") return AnswerPositions(id);
  const bool create = request.method == "PUT" && request.path == CollectionPath(collection);
  const bool drop = request.method == "DELETE" && request.path == CollectionPath(collection);
  const bool write = !create && !drop && !IsReadPart(request);
  // A node without its lease has been declared gone: it may have been replaced as the primary
  // of any of its shards, so it takes no write at all until it has joined again.
  if (write) {
    if (Status s = replication.CheckLease(); !s.ok()) return ErrorResponse(s);
  }
  // The copy's role, from the shard record (absent while the collection is being dropped).
  auto view = ViewOf(collection, false);
  if (view.ok() && view->collection.uid != id.uid) view = ViewOf(collection, true);
  const bool known = view.ok() && view->collection.uid == id.uid && id.shard < view->shards.size();
  const cluster::ShardRecord* record = known ? &view->shards[id.shard] : nullptr;
  // Without its record (etcd out of reach, or a copy of a dropped collection's uid) a copy cannot
  // tell whether it is still primary, nor whom to ship to: it applies no write.
  if (write && !known) {
    return ErrorResponse(view.ok() ? Status::NotFound("shard " + shard_text + " of collection '" + collection + "' (uid " +
                                                      uid + ") is not in the shard map")
                                   : view.status().WithContext("the write is not acknowledged"));
  }
  bool created = false;
  auto copy = copies.Get(id, create, record && record->primary != self, &created);
  if (copy.ok() && record && record->primary != self && !(*copy)->db->replica() && record->replicas.size() > 1 &&
      record->epoch >= (*copy)->Epoch()) {  // an older record (a view read before this copy's promotion) says nothing
    copy = Demote(id, std::move(*copy));  // another copy took over while this node was away
  }
  if (!copy.ok()) return ErrorResponse(copy.status());
  if (drop && (*copy)->db->replica()) return DropCopy(id, std::move(*copy));
  // A copy that has replicated (or moved) before is checked as a replicated one even when the
  // view at hand shows one copy: a view read before a move of a single-copy shard began must
  // not get a write acknowledged by the copy that handed its role over meanwhile (Ship refuses
  // it, its record naming another primary).
  const bool replicated = record && !(*copy)->db->replica() && !drop &&
                          (record->replicas.size() > 1 || (*copy)->HasRecord());
  if (replicated) {
    if (Status s = replication.Adopt(**copy, *record); !s.ok()) return ErrorResponse(s);
  }
  const uint64_t before = (*copy)->db->WalSequence();
  HttpRequest plain = request;
  plain.headers.erase(kShardHeader);
  HttpResponse response = (*copy)->api->Handle(plain);
  if (replicated && (*copy)->db->WalSequence() > before) {
    // Acknowledged only once every in-sync copy has it (or has left the in-sync set).
    Status shipped = replication.Ship(**copy, ReplicationShard(*view, id.shard));
    if (!shipped.ok()) response = ErrorResponse(shipped.WithContext("the write is not acknowledged"));
  }
  // A copy made for a creation its collection refused holds nothing: it goes, as it came.
  const bool refused_new_copy = created && !Succeeded(response);
  if (refused_new_copy || (drop && Succeeded(response))) (void)DropCopy(id, std::move(*copy));
  return response;
}

HttpResponse ClusterRouter::Impl::DropCopy(const ShardCopyId& id, std::shared_ptr<ShardCopy> copy) {
  copy.reset();
  Status dropped = copies.Drop(id);
  if (!dropped.ok()) LogError("dropping shard copy " + copies.Directory(id) + ": " + dropped.ToString());
  return EnvelopeResponse(true, 0);
}

Result<std::shared_ptr<ShardCopy>> ClusterRouter::Impl::Demote(const ShardCopyId& id, std::shared_ptr<ShardCopy> copy) {
  copy.reset();
  LogInfo("shard " + std::to_string(id.shard) + " of '" + id.collection + "': another copy is primary now; this one follows it");
  return copies.Reopen(id, /*replica=*/true);
}

ShardReplication::Shard ClusterRouter::Impl::ReplicationShard(const View& v, uint32_t shard) const {
  return {v.collection.name, v.collection.uid, shard, v.collection.write_consistency_factor, v.nodes};
}

Result<cluster::ShardRecord> ClusterRouter::Impl::FreshRecord(const ShardCopyId& id) {
  LDB_ASSIGN_OR_RETURN(auto c, shard_map.GetCollection(id.collection));
  if (c.uid != id.uid) return Status::NotFound("collection '" + id.collection + "' is another incarnation now");
  return shard_map.Shard(id.collection, id.shard);
}

HttpResponse ClusterRouter::Impl::AnswerShipment(const ShardCopyId& id, const HttpRequest& request) {
  auto fresh = [&] { return FreshRecord(id); };
  if (request.path.ends_with("/wal/checkpoint")) return AnswerCheckpoint(id, request);
  if (!request.path.ends_with("/wal") || request.method != "POST") {
    return ErrorResponse(Status::NotFound("no shipment route for " + request.method + " " + request.path));
  }
  bool created = false;
  auto copy = copies.Get(id, /*create=*/true, /*replica=*/true, &created);
  if (!copy.ok()) return ErrorResponse(copy.status());
  HttpResponse response = replication.Receive(**copy, request, fresh);
  if (created && !Succeeded(response)) (void)DropCopy(id, std::move(*copy));  // not placed here after all
  return response;
}

HttpResponse ClusterRouter::Impl::AnswerPositions(const ShardCopyId& id) {
  auto copy = copies.Get(id, false, false);
  if (!copy.ok()) return ErrorResponse(copy.status());
  json positions = json::object();
  if (!(*copy)->db->replica()) {
    for (const auto& [node, seq] : replication.Positions(**copy)) positions[std::to_string(node)] = seq;
  }
  return EnvelopeResponse(json{{"wal_sequence", (*copy)->db->WalSequence()}, {"copies", std::move(positions)}}, 0);
}

HttpResponse ClusterRouter::Impl::AnswerCheckpoint(const ShardCopyId& id, const HttpRequest& request) {
  auto header = ShardReplication::ParseHeader(request);
  if (!header.ok()) return ErrorResponse(header.status());
  const std::string sender = request.Header(kReplicateHeader);
  if (request.method == "PUT") return checkpoints.Chunk(id, sender, request);
  if (request.method != "DELETE" && request.method != "POST") {
    return ErrorResponse(Status::NotFound("no checkpoint route for " + request.method));
  }
  auto record = FreshRecord(id);
  if (!record.ok() || record->epoch != header->first || record->primary != header->second ||
      record->primary == self || !record->Places(self)) {
    return ErrorResponse(Status::Conflict("a checkpoint must come from its shard's current primary"));
  }
  if (request.method == "DELETE") return checkpoints.Begin(id, sender);
  return checkpoints.Install(id, sender, record->epoch, request);
}

uint64_t ClusterRouter::Impl::ChooseNode(const View& v, const Part& part) {
  const cluster::ShardRecord& rec = v.shards[part.shard];
  if (part.node != 0) return part.node;
  if (!IsReadPart(part.request) || rec.in_sync.size() < 2) return rec.primary;
  auto consistency = part.request.query.find("consistency");
  if (consistency != part.request.query.end() && consistency->second != "1") return rec.primary;
  std::vector<uint64_t> live;
  for (uint64_t n : rec.in_sync) {
    if (n == self) return self;
    if (v.nodes.count(n)) live.push_back(n);
  }
  if (live.empty()) return rec.primary;
  std::lock_guard<std::mutex> lock(mu);
  return live[next_read++ % live.size()];
}

void ClusterRouter::Impl::Mark(const View& v, Part* part) const {
  part->request.headers[kShardHeader] = v.collection.uid + "/" + std::to_string(part->shard);
}

std::variant<ClusterRouter::Impl::InFlight, HttpResponse> ClusterRouter::Impl::Start(const View& v, Part part) {
  Mark(v, &part);
  const uint64_t node = part.node;
  InFlight f;
  f.where = Where(v, part);
  auto it = v.nodes.find(node);
  if (it == v.nodes.end()) {
    return ErrorResponse(Status::Unavailable(f.where + " is not reachable: its node is not a live member of the cluster"));
  }
  f.url = it->second;
  f.client = clients.Acquire(f.url);
  if (!f.client) return ErrorResponse(Status::Internal("node " + std::to_string(node) + " advertises a bad URL: " + f.url));
  f.client->SetHeader(kShardHeader, part.request.Header(kShardHeader));
  std::string content_type = part.request.Header("content-type");
  if (content_type.empty()) content_type = "application/json";
  Status sent = f.client->Send(part.request.method, Target(part.request), part.request.body, content_type);
  if (!sent.ok()) return ErrorResponse(Status::Unavailable(f.where + " at " + f.url + " did not answer: " + sent.message()));
  return f;
}

HttpResponse ClusterRouter::Impl::Finish(InFlight f) {
  auto reply = f.client->Receive();
  if (!reply.ok()) {
    return ErrorResponse(Status::Unavailable(f.where + " at " + f.url + " did not answer: " + reply.status().message()));
  }
  clients.Release(f.url, std::move(f.client));
  HttpResponse out;
  out.status = reply->status;
  out.body = std::move(reply->body);
  out.content_type = reply->content_type;
  return out;
}

HttpResponse ClusterRouter::Impl::Send(const View& v, Part part) {
  return Scatter(v, {std::move(part)})[0];
}

std::vector<HttpResponse> ClusterRouter::Impl::Scatter(const View& v, std::vector<Part> parts) {
  std::vector<HttpResponse> replies(parts.size());
  std::vector<std::pair<size_t, InFlight>> in_flight;
  std::vector<size_t> here;
  for (size_t i = 0; i < parts.size(); ++i) {
    parts[i].node = ChooseNode(v, parts[i]);
    if (IsHere(parts[i])) {
      here.push_back(i);
      continue;
    }
    auto started = Start(v, std::move(parts[i]));
    if (auto* reply = std::get_if<HttpResponse>(&started)) {
      replies[i] = std::move(*reply);
    } else {
      in_flight.emplace_back(i, std::move(std::get<InFlight>(started)));
    }
  }
  for (size_t i : here) {
    Mark(v, &parts[i]);
    replies[i] = AnswerPart(v.collection.name, parts[i].request);
  }
  for (auto& [i, f] : in_flight) replies[i] = Finish(std::move(f));
  return replies;
}

std::vector<HttpResponse> ClusterRouter::Impl::Broadcast(const View& v, const HttpRequest& request) {
  std::vector<Part> parts;
  for (uint32_t s = 0; s < v.collection.shard_number; ++s) parts.push_back({s, request});
  return Scatter(v, std::move(parts));
}

HttpResponse ClusterRouter::Impl::Routed(const View& v, const HttpRequest& request, const Router::Match& route) {
  const auto start = Clock::now();
  const std::string key = request.method + " " + route.pattern;
  const std::string c = "/collections/{collection}";
  if (key == "GET " + c) return Info(v, start);
  if (key == "DELETE " + c) return Drop(request, v.collection.name, start);
  if (key == "GET " + c + "/exists") return EnvelopeResponse(json{{"exists", true}}, Seconds(start));
  if (key == "GET " + c + "/cluster") return ClusterInfo(v, start);
  if (key == "POST " + c + "/cluster") return UpdateCluster(v, request, start);
  if (key == "PUT " + c + "/points") return Upsert(v, request, start);
  if (key == "GET " + c + "/points/{id}" || key == "PUT " + c + "/points/{id}" ||
      key == "GET " + c + "/points/{id}/decode") {
    return ById(v, request, route.params);
  }
  if (key == "POST " + c + "/points") return Retrieve(v, request, start);
  if (key == "POST " + c + "/points/delete" || key == "POST " + c + "/points/payload" ||
      key == "PUT " + c + "/points/payload" || key == "POST " + c + "/points/payload/delete" ||
      key == "POST " + c + "/points/payload/clear") {
    return IdsOrFilter(v, request, start);
  }
  if (key == "POST " + c + "/points/count") return Count(v, request, start);
  if (key == "POST " + c + "/points/scroll") return Scroll(v, request, start);
  if (key == "POST " + c + "/points/search" || key == "POST " + c + "/search" ||
      key == "POST " + c + "/points/recommend" || key == "POST " + c + "/points/query") {
    return Search(v, request, start);
  }
  if (key == "POST " + c + "/points/search/batch" || key == "POST " + c + "/search/batch" ||
      key == "POST " + c + "/points/recommend/batch" || key == "POST " + c + "/points/query/batch") {
    return SearchBatch(v, request, start);
  }
  if (key == "POST " + c + "/analogy") return Analogy(v, request, start);
  if (key == "POST " + c + "/interpolate") return Interpolate(v, request, start);
  if (key == "POST " + c + "/sample") return Sample(v, request, start);
  if (key == "GET " + c + "/anomalies") return Anomalies(v, request, start);
  if (key == "GET " + c + "/map") return Map(v, request, start);
  if (key == "POST " + c + "/points/decode") return DecodeById(v, request);
  if (key == "POST " + c + "/points/sample") return PointSample(v, request, start);
  if (key == "POST " + c + "/directions") return LearnDirection(v, request, start);
  if (key == "GET " + c + "/directions" || key == "GET " + c + "/directions/{name}") {
    return Send(v, {0, request});  // every shard holds every direction
  }
  if (key == "PUT " + c + "/directions/{name}") return Everywhere(v, request, start);
  if (key == "DELETE " + c + "/directions/{name}") return DeleteDirection(v, request, start);
  if (key == "POST " + c + "/edit") return Edit(v, request, start);
  if (key == "POST " + c + "/reconstruct") return Send(v, {0, request});  // reads no point: any copy of one shard
  if (key == "PUT " + c + "/index" || key == "DELETE " + c + "/index/{field_name}") {
    return Everywhere(v, request, start);
  }
  return ErrorResponse(Status::NotImplemented(request.method + " " + route.pattern +
                                              " is not available on a sharded collection yet (docs/cluster.md)"));
}

HttpResponse ClusterRouter::Impl::List(HttpResponse local_list) {
  const auto start = Clock::now();
  auto collections = shard_map.ListCollections();
  if (!collections.ok()) return ErrorResponse(collections.status().WithContext("reading the cluster's collections"));
  json body = json::parse(local_list.body, nullptr, false);
  if (!body.is_object() || !body.contains("result")) return local_list;
  json& list = body["result"]["collections"];
  for (const auto& c : *collections) {
    list.push_back({{"name", c.name},
                    {"shard_number", c.shard_number},
                    {"replication_factor", c.replication_factor},
                    {"write_consistency_factor", c.write_consistency_factor}});
  }
  return EnvelopeResponse(std::move(body["result"]), Seconds(start));
}


ClusterRouter::ClusterRouter(cluster::Membership* membership, std::shared_ptr<cluster::EtcdClient> etcd,
                             engine::Database* local, std::shared_ptr<inference::Models> models, Options options)
    : impl_(std::make_unique<Impl>(membership, std::move(etcd), local, std::move(models), std::move(options))) {
  impl_->RemoveOrphans();
  impl_->StartWatching();
}

ClusterRouter::~ClusterRouter() { impl_->StopWatching(); }

bool ClusterRouter::MayReplicate(const HttpRequest& request) {
  return IsShardRequest(request) && !request.headers.count(kReplicateHeader) && !IsReadPart(request);
}

std::optional<HttpResponse> ClusterRouter::RefuseEarly(const HttpRequest& request, const Router::Match& route) const {
  if (request.headers.count(kReplicateHeader) || IsReadPart(request)) return std::nullopt;
  if (!IsShardRequest(request)) {
    auto collection = route.params.find("collection");
    if (collection == route.params.end()) return std::nullopt;
    if (impl_->local->GetCollection(collection->second).status().code() != StatusCode::kNotFound) return std::nullopt;
  }
  Status lease = impl_->replication.CheckLease();
  if (lease.ok()) return std::nullopt;
  return ErrorResponse(lease);
}

std::optional<HttpResponse> ClusterRouter::Handle(const HttpRequest& request, const Router::Match& route,
                                                  const std::function<HttpResponse()>& serve_locally) {
  auto collection = route.params.find("collection");
  if (IsShardRequest(request)) {
    std::string name = collection == route.params.end() ? std::string() : collection->second;
    if (name.empty() && request.path.rfind("/collections/", 0) == 0) {
      // A shipment's path (…/wal) is no public route: the name is its second segment.
      const size_t begin = std::string("/collections/").size();
      name = request.path.substr(begin, request.path.find('/', begin) - begin);
    }
    return impl_->AnswerPart(name, request);
  }
  if (!route.handler) return std::nullopt;
  if (request.method == "GET" && route.pattern == "/collections") return impl_->List(serve_locally());
  if (request.method == "GET" && route.pattern == "/cluster") return impl_->ClusterWithLag(serve_locally());
  if (collection == route.params.end()) return std::nullopt;
  const std::string& name = collection->second;
  // The node's own collections (made before it joined a cluster) are answered as before.
  if (impl_->local->GetCollection(name).status().code() != StatusCode::kNotFound) return std::nullopt;
  if (request.method == "PUT" && route.pattern == "/collections/{collection}") return impl_->Create(request, name);
  // Metadata reads take the shard map fresh from etcd, so that a collection dropped or made
  // through another node is seen at once; data routes reuse it for cache_ttl (a part sent to a
  // dropped copy meanwhile answers 404).
  const bool metadata = request.method == "GET" && (route.pattern == "/collections/{collection}" ||
                                                    route.pattern == "/collections/{collection}/exists" ||
                                                    route.pattern == "/collections/{collection}/cluster");
  auto view = impl_->ViewOf(name, metadata);
  if (view.status().code() == StatusCode::kNotFound) return std::nullopt;  // the node answers 404
  if (!view.ok()) return ErrorResponse(view.status());
  return impl_->Routed(*view, request, route);
}

}  // namespace latentdb::http
