#include "http/cluster/cluster_router.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <thread>
#include <variant>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

#include "client/http_client.h"
#include "cluster/etcd_client.h"
#include "cluster/membership.h"
#include "cluster/shard_map.h"
#include "common/logging.h"
#include "engine/collection.h"
#include "engine/external_id.h"
#include "http/api.h"
#include "http/cluster/checkpoint_transfer.h"
#include "http/cluster/local_shards.h"
#include "http/cluster/node_clients.h"
#include "http/cluster/shard_replication.h"
#include "http/cluster/shard_merge.h"
#include "http/cluster/sharded_analogy.h"
#include "http/cluster/sharded_directions.h"
#include "http/cluster/sharded_latent.h"
#include "http/codec.h"
#include "http/error_mapping.h"
#include "http/handlers/handlers.h"
#include "index/vector_index.h"
#include "inference/point_encoding.h"
#include "latent/map.h"
#include "latent/point_sample.h"

namespace latentdb::http {

using nlohmann::json;
using namespace cluster_routing;

namespace {

using Clock = std::chrono::steady_clock;

// A clustered collection as the router sends requests to it.
struct View {
  cluster::ClusterCollection collection;
  std::vector<cluster::ShardRecord> shards;  // by shard number
  std::map<uint64_t, std::string> nodes;     // live node id → its advertise URL
  Clock::time_point read_at;
};

// One shard's part of a request.
struct Part {
  uint32_t shard = 0;
  HttpRequest request;
  uint64_t node = 0;  // the copy's node; 0: chosen by the route (ChooseNode)
};

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

// The results of every reply, or the first failed reply as it came (a shard's 400 is the
// client's 400, with the single node's message).
struct Gathered {
  std::vector<json> results;
  std::optional<HttpResponse> failure;
};
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

}  // namespace

struct ClusterRouter::Impl {
  Impl(cluster::Membership* m, std::shared_ptr<cluster::EtcdClient> e, engine::Database* l,
       std::shared_ptr<inference::Models> models, Options o)
      : membership(m),
        etcd(e),
        shard_map(e, m->options().prefix),
        local(l),
        options(std::move(o)),
        copies(ShardDbOptions(options), std::move(models)),
        self(m->options().node_id),
        replication(&shard_map, self, ReplicationOptions(options, m)) {}

  static ShardReplication::Options ReplicationOptions(const Options& o, cluster::Membership* membership) {
    ShardReplication::Options r;
    r.api_key = o.api_key;
    r.timeout = o.replication_timeout;
    r.metrics = o.metrics;
    r.lease_alive = [m = membership] { return m->LeaseAlive(); };
    return r;
  }

  static engine::DatabaseOptions ShardDbOptions(const Options& o) {
    engine::DatabaseOptions d = o.shard_db;
    d.wal_retention_seconds = o.wal_retention_seconds;
    return d;
  }

  cluster::Membership* membership;
  std::shared_ptr<cluster::EtcdClient> etcd;
  cluster::ShardMap shard_map;
  engine::Database* local;
  Options options;
  LocalShards copies;
  uint64_t self;

  NodeClients clients{options.api_key, options.timeout};
  ShardReplication replication;
  CheckpointReceiver checkpoints{&copies};

  std::mutex mu;
  std::map<std::string, View> views;                     // by collection name
  std::map<std::string, engine::CollectionConfig> vectors;  // by uid: dim and metric (VectorsOf)
  uint64_t next_read = 0;                                 // spreads reads over in-sync copies

  // --- the shard map ---

  // The collection's view, from the cache when younger than the TTL. NotFound when the cluster
  // has no such collection.
  Result<View> ViewOf(const std::string& name, bool fresh) {
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
  void Forget(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu);
    views.erase(name);
  }

  // --- sending parts ---

  // Answers a shard's part on this node, from the copy the header names. The collection name and
  // the uid become a directory name: both are checked first (a name may hold an escaped '/'), so
  // that no request reaches outside DATA_DIR/shards.
  HttpResponse AnswerPart(const std::string& collection, const HttpRequest& request) {
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

  // Removes this node's copy `id` (held by `copy`, released first); true, as a drop answers.
  HttpResponse DropCopy(const ShardCopyId& id, std::shared_ptr<ShardCopy> copy) {
    copy.reset();
    Status dropped = copies.Drop(id);
    if (!dropped.ok()) LogError("dropping shard copy " + copies.Directory(id) + ": " + dropped.ToString());
    return EnvelopeResponse(true, 0);
  }

  // This node's copy `id`, a primary that another copy has replaced, reopened as a replica: the
  // new primary brings it back in line (ShardReplication::CatchUp).
  Result<std::shared_ptr<ShardCopy>> Demote(const ShardCopyId& id, std::shared_ptr<ShardCopy> copy) {
    copy.reset();
    LogInfo("shard " + std::to_string(id.shard) + " of '" + id.collection + "': another copy is primary now; this one follows it");
    return copies.Reopen(id, /*replica=*/true);
  }

  // The shard `shard` of `v` as replication addresses it.
  ShardReplication::Shard ReplicationShard(const View& v, uint32_t shard) const {
    return {v.collection.name, v.collection.uid, shard, v.collection.write_consistency_factor, v.nodes};
  }

  // The record of the copy `id`'s shard, read from etcd now; NotFound when the cluster no longer
  // has that incarnation of the collection.
  Result<cluster::ShardRecord> FreshRecord(const ShardCopyId& id) {
    LDB_ASSIGN_OR_RETURN(auto c, shard_map.GetCollection(id.collection));
    if (c.uid != id.uid) return Status::NotFound("collection '" + id.collection + "' is another incarnation now");
    return shard_map.Shard(id.collection, id.shard);
  }

  // A primary's shipment to this node's replica copy `id` (http/cluster/shard_replication.h): a
  // POST of batches (the copy is created by its first one), or a checkpoint's transfer
  // (http/cluster/checkpoint_transfer.h) that replaces the copy.
  HttpResponse AnswerShipment(const ShardCopyId& id, const HttpRequest& request) {
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

  // Where this node's copy `id` and, when it is the primary, the copies it ships to stand:
  // {"wal_sequence": its own, "copies": {"<node>": the last sequence number that node applied}}.
  HttpResponse AnswerPositions(const ShardCopyId& id) {
    auto copy = copies.Get(id, false, false);
    if (!copy.ok()) return ErrorResponse(copy.status());
    json positions = json::object();
    if (!(*copy)->db->replica()) {
      for (const auto& [node, seq] : replication.Positions(**copy)) positions[std::to_string(node)] = seq;
    }
    return EnvelopeResponse(json{{"wal_sequence", (*copy)->db->WalSequence()}, {"copies", std::move(positions)}}, 0);
  }

  // A checkpoint's transfer to this node's copy `id`. Its beginning and its install come only
  // from the shard's current primary as etcd names it (the chunks between from the sender that
  // began it), to a copy placed on this node that is not the primary.
  HttpResponse AnswerCheckpoint(const ShardCopyId& id, const HttpRequest& request) {
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

  // A part sent to another node, not yet answered.
  struct InFlight {
    std::string url;
    std::string where;  // "shard 2 of collection 'c' (node 3)", for messages
    std::unique_ptr<client::HttpClient> client;
  };

  static std::string Where(const View& v, const Part& part) {
    return "shard " + std::to_string(part.shard) + " of collection '" + v.collection.name + "' (node " +
           std::to_string(part.node) + ")";
  }
  // The node a part goes to: a write to its shard's primary; a read to an in-sync copy whose
  // node is live — this node's own when it has one, else the next in turn — or to the primary when
  // the request asks ?consistency=primary (Qdrant's "all", "majority" and "quorum" too: the
  // primary holds every acknowledged write).
  uint64_t ChooseNode(const View& v, const Part& part) {
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
  bool IsHere(const Part& part) const { return part.node == self; }
  void Mark(const View& v, Part* part) const {
    part->request.headers[kShardHeader] = v.collection.uid + "/" + std::to_string(part->shard);
  }

  // Writes a part for another node's copy; its reply instead when it cannot be sent.
  std::variant<InFlight, HttpResponse> Start(const View& v, Part part) {
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

  // Reads a started part's reply.
  HttpResponse Finish(InFlight f) {
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

  // Sends one part to the node of its shard's copy (in process when that is this node).
  HttpResponse Send(const View& v, Part part) {
    return Scatter(v, {std::move(part)})[0];
  }

  // Sends the parts at once; the replies in the parts' order. The parts for other nodes are
  // written first, so that those nodes work while this one answers the parts for its own copies
  // (on this thread), and their replies are read last: one thread, no hand-offs.
  std::vector<HttpResponse> Scatter(const View& v, std::vector<Part> parts) {
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

  // The same request to every shard.
  std::vector<HttpResponse> Broadcast(const View& v, const HttpRequest& request) {
    std::vector<Part> parts;
    for (uint32_t s = 0; s < v.collection.shard_number; ++s) parts.push_back({s, request});
    return Scatter(v, std::move(parts));
  }

  // A request a shard must refuse (malformed): shard 0 answers it with a single node's error.
  HttpResponse Refusal(const View& v, const HttpRequest& request) { return Send(v, {0, request}); }

  // --- routes ---

  // What the router must know of a collection's vectors (from shard 0's info, once per uid):
  // their dimension and metric.
  Result<engine::CollectionConfig> VectorsOf(const View& v) {
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
  // Scores are distances (l2: ascending) or similarities (descending).
  Result<bool> Ascending(const View& v) {
    LDB_ASSIGN_OR_RETURN(auto config, VectorsOf(v));
    return config.metric == index::Metric::kL2;
  }

  HttpResponse Create(const HttpRequest& request, const std::string& name) {
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

  HttpResponse Drop(const HttpRequest& request, const std::string& name, const Clock::time_point start) {
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

  HttpResponse Info(const View& v, const Clock::time_point start) {
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

  // A shard's exact count of its points, or of those `filter` selects (the part of POST
  // …/points/count {"exact": true, "filter"}).
  static HttpRequest ExactCount(const View& v, const json& filter = nullptr) {
    HttpRequest count;
    count.method = "POST";
    count.path = CollectionPath(v.collection.name) + "/points/count";
    json body = {{"exact", true}};
    if (!filter.is_null()) body["filter"] = filter;
    count.body = body.dump();
    return count;
  }

  // The shards' exact counts (of the points `filter` selects) in shard order, or the failed answer.
  std::variant<std::vector<uint64_t>, HttpResponse> ShardCounts(const View& v, const json& filter = nullptr) {
    auto counted = Gather(Broadcast(v, ExactCount(v, filter)));
    if (counted.failure) return *counted.failure;
    std::vector<uint64_t> counts;
    for (const auto& r : counted.results) counts.push_back(r.is_object() ? r.value("count", uint64_t{0}) : 0);
    return counts;
  }

  // Every shard's copy positions ({"wal_sequence": the primary's, "copies": {node: sequence}}),
  // asked of every live primary at once; null for a shard whose primary is down or did not answer.
  std::vector<json> PositionsOf(const View& v) {
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

  // A copy's (WAL sequence, lag behind its primary's log) in a shard's positions, when known.
  static std::optional<std::pair<uint64_t, uint64_t>> CopyPosition(const json& positions, uint64_t node) {
    if (!positions.is_object()) return std::nullopt;
    const json seq = positions.value("/copies"_json_pointer / std::to_string(node), json());
    const json head = positions.value("wal_sequence", json());
    if (!seq.is_number_unsigned() || !head.is_number_unsigned()) return std::nullopt;
    const uint64_t at = seq.get<uint64_t>(), top = head.get<uint64_t>();
    return std::make_pair(at, top > at ? top - at : 0);
  }

  // GET /cluster (answered by http/handlers/cluster.cc from etcd) with each shard's copies' lag:
  // "lag" and "wal_sequence" objects keyed by node id, as the shard's primary last saw them.
  HttpResponse ClusterWithLag(HttpResponse answer) {
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

  // Qdrant's collection cluster info: the shards whose copy is on this node (with their point
  // counts) and the others, "Dead" when their node is not a live member; the moves under way
  // (shard_transfers). Plus, per copy, epoch, in_sync, and how far it is behind its primary's log
  // (`wal_sequence`, `lag` in WAL sequence numbers) as the primary last saw it.
  HttpResponse ClusterInfo(const View& v, const Clock::time_point start) {
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

  // Qdrant's collection cluster update: {"move_shard": {"shard_id", "from_peer_id", "to_peer_id"}}
  // starts moving a copy (cluster::ShardMap::StartTransfer; the shard's primary carries it out),
  // {"abort_transfer": {…}} abandons a move. Qdrant's other operations (replicate_shard,
  // drop_replica, …) answer 400.
  HttpResponse UpdateCluster(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  static double Seconds(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  // Splits `items` (an array of a body) by shard: `shard_of(item)`; nullopt sends it to shard 0,
  // which refuses it as a single node would.
  template <typename ShardOfItem>
  static std::map<uint32_t, std::vector<size_t>> SplitItems(const json& items, ShardOfItem shard_of) {
    std::map<uint32_t, std::vector<size_t>> out;
    for (size_t i = 0; i < items.size(); ++i) out[shard_of(items[i]).value_or(0)].push_back(i);
    return out;
  }
  static json Pick(const json& items, const std::vector<size_t>& indices) {
    json out = json::array();
    for (size_t i : indices) out.push_back(items[i]);
    return out;
  }

  // One part per shard that has ids of `key` (an id array of the body), the body cut to them.
  std::vector<Part> SplitByIds(const View& v, const HttpRequest& request, const json& body, const std::string& key,
                               std::map<uint32_t, std::vector<size_t>>* split_out = nullptr) {
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

  HttpResponse Upsert(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  HttpResponse ById(const View& v, const HttpRequest& request, const PathParams& params) {
    auto id = PathId(params);
    if (!id.ok()) return ErrorResponse(id.status());
    return Send(v, {ShardOfId(*id, v.collection.shard_number), request});
  }

  HttpResponse Retrieve(const View& v, const HttpRequest& request, const Clock::time_point start) {
    auto body = BodyJson(request);
    if (!body.ok() || !body->is_object() || !body->contains("ids") || !ParseIdList((*body)["ids"]).ok()) {
      return Refusal(v, request);
    }
    auto gathered = Gather(Scatter(v, SplitByIds(v, request, *body, "ids")));
    if (gathered.failure) return *gathered.failure;
    return EnvelopeResponse(OrderByIds((*body)["ids"], gathered.results), Seconds(start));
  }

  // Writes that name points by id ("points"/"ids") or by "filter": the ids go to their shards,
  // a filter to every shard. The answers' "deleted" counts add up.
  HttpResponse IdsOrFilter(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  HttpResponse Count(const View& v, const HttpRequest& request, const Clock::time_point start) {
    auto gathered = Gather(Broadcast(v, request));
    if (gathered.failure) return *gathered.failure;
    json out = gathered.results[0];
    uint64_t count = 0;
    for (const auto& r : gathered.results) count += r.value("count", uint64_t{0});
    out["count"] = count;
    return EnvelopeResponse(std::move(out), Seconds(start));
  }

  HttpResponse Scroll(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  // A search body made a shard's: the shard's best offset + limit from its own start. The
  // body's limit key ("k" or "limit"), limit and offset; an error for the body as sent.
  struct SearchShape {
    std::string key;
    size_t limit = 10, offset = 0;
    json exclude = json::array();  // stored points the query named: left out of the answer
  };
  // Makes a search body a shard's: its best offset + limit (+ the points to leave out) from its
  // own start. The points a query names by id — LatentDB's "id", Qdrant's recommendation
  // examples and point queries — become their stored vectors (read from their shards), and the
  // points themselves are left out of the merged answer, as one node leaves them out.
  Result<SearchShape> ShardSearchBody(const View& v, json* body) {
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
  // The stored vector of the point `id` names (`where` in messages); the point joins the ones
  // left out of the answer.
  Result<json> ResolveId(const json& id, const std::string& where, const View& v, SearchShape* s) {
    auto parsed = engine::ExternalId::FromJson(id);
    if (!parsed.ok()) return parsed.status().WithContext(where);
    auto vector = StoredVector(v, *parsed);
    if (!vector.ok()) return vector.status().WithContext(where);
    s->exclude.push_back(parsed->ToJson());
    return vector;
  }
  // A recommendation's "positive" and "negative" examples given as ids become vectors.
  Status ResolveExamples(const View& v, json* r, SearchShape* s) {
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
  // The stored vector of point `id`, from its shard. NotFound as one node says it.
  Result<json> StoredVector(const View& v, const engine::ExternalId& id) {
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
  // Merges the shards' answers to one search: arrays of scored points, or {"points", "debug"}
  // objects (a native search with "debug": the shards' plans are listed).
  static json MergeSearch(const std::vector<json>& answers, const SearchShape& s, bool ascending) {
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

  HttpResponse Search(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  HttpResponse SearchBatch(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  // The vectors of the points `ids` (engine::ExternalId::ToKey → JSON vector), read from their
  // shards into `vectors`; the failed retrieval's answer, if any. Ids no shard holds are absent.
  std::optional<HttpResponse> PointVectors(const View& v, const HttpRequest& like, const json& ids,
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

  // POST /analogy (http/cluster/sharded_analogy.h): the id terms' vectors from their shards, then
  // every shard ranks its points against the terms as vectors, and the hits are merged.
  HttpResponse Analogy(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  // Every shard answers `part` (decoding the same latents); each decoded latent keeps the nearest
  // point of all shards (http/cluster/sharded_latent.h), into `merged`. The failed answer, if any.
  std::optional<HttpResponse> DecodedEverywhere(const View& v, const HttpRequest& part, const std::string& list_key,
                                                json* merged) {
    auto gathered = Gather(Broadcast(v, part));
    if (gathered.failure) return *gathered.failure;
    auto ascending = Ascending(v);
    if (!ascending.ok()) return ErrorResponse(ascending.status());
    *merged = cluster_routing::MergeNearest(gathered.results, list_key, *ascending);
    return std::nullopt;
  }

  // POST /interpolate: id endpoints become their stored vectors, then every shard decodes.
  HttpResponse Interpolate(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  // POST /sample: one seed (drawn here when the request has none) for every shard, so that all
  // decode the same samples; "store" upserts them afterwards through the router, by id.
  HttpResponse Sample(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  // GET /anomalies?k=: every shard's k highest negative ELBOs, merged.
  HttpResponse Anomalies(const View& v, const HttpRequest& request, const Clock::time_point start) {
    auto k = QueryCount(request, "k", 20, 1, engine::kMaxK);
    if (!k.ok()) return Refusal(v, request);
    auto gathered = Gather(Broadcast(v, request));
    if (gathered.failure) return *gathered.failure;
    return EnvelopeResponse(cluster_routing::MergeAnomalies(gathered.results, *k), Seconds(start));
  }

  // GET /map (http/cluster/sharded_latent.h): each shard's share of the sample, with vectors,
  // projected here on the union's principal axes.
  HttpResponse Map(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  // An evenly spaced sample of `n` of the points `filter` selects (null: all), over every shard:
  // each samples its share (in proportion to its matched count, cluster_routing::MapShares) in
  // its own id order (POST …/points/sample). The answers of the shards that were asked, in shard
  // order, or the failed answer.
  std::variant<std::vector<json>, HttpResponse> SampleShards(const View& v, const json& filter, size_t n,
                                                             bool with_vector, const json& with_payload) {
    auto counts = ShardCounts(v, filter);
    if (auto* failed = std::get_if<HttpResponse>(&counts)) return *failed;
    const std::vector<size_t> shares = cluster_routing::MapShares(std::get<std::vector<uint64_t>>(counts), n);
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
    // A set that matches no point anywhere still answers its count.
    if (gathered.results.empty()) gathered.results.push_back(json{{"points", json::array()}, {"matched", 0}});
    return gathered.results;
  }

  // POST /points/sample: every shard's share, merged in id order.
  HttpResponse PointSample(const View& v, const HttpRequest& request, const Clock::time_point start) {
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
    return EnvelopeResponse(cluster_routing::MergeSamples(std::get<std::vector<json>>(sampled)), Seconds(start));
  }

  // POST /directions (http/cluster/sharded_directions.h): learned here from every shard's share
  // of the sets' samples, then stored on every shard.
  HttpResponse LearnDirection(const View& v, const HttpRequest& request, const Clock::time_point start) {
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
      const auto& answers = std::get<std::vector<json>>(sampled);
      auto got = cluster_routing::SampleRows(answers);
      if (!got.ok()) return ErrorResponse(got.status());
      *rows = std::move(*got);
      *matched = 0;
      for (const auto& a : answers) *matched += a.value("matched", size_t{0});
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

  // DELETE /directions/{name}: removed from every shard; 404 only when no shard had it.
  HttpResponse DeleteDirection(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  // POST /edit: the "from" id read as its stored vector, then every shard edits from the same
  // start (shard 0 alone decodes the images) and each step keeps the best neighbours of all.
  HttpResponse Edit(const View& v, const HttpRequest& request, const Clock::time_point start) {
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

  // POST /points/decode {"id"}: the shard that holds the point.
  HttpResponse DecodeById(const View& v, const HttpRequest& request) {
    auto body = BodyJson(request);
    if (!body.ok() || !body->is_object() || !body->contains("id")) return Refusal(v, request);
    auto id = engine::ExternalId::FromJson((*body)["id"]);
    if (!id.ok()) return Refusal(v, request);
    return Send(v, {ShardOfId(*id, v.collection.shard_number), request});
  }

  // The first shard's answer once every shard has applied the request (payload indexes).
  HttpResponse Everywhere(const View& v, const HttpRequest& request, const Clock::time_point start) {
    auto gathered = Gather(Broadcast(v, request));
    if (gathered.failure) return *gathered.failure;
    return EnvelopeResponse(gathered.results[0], Seconds(start));
  }

  HttpResponse Routed(const View& v, const HttpRequest& request, const Router::Match& route) {
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

  HttpResponse List(HttpResponse local_list) {
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

  // Copies on disk whose collection the cluster no longer has (dropped while this node was down,
  // or dropped and created again: another uid), or whose shard is placed elsewhere.
  void RemoveOrphans() {
    for (const auto& id : copies.OnDisk()) {
      auto c = shard_map.GetCollection(id.collection);
      bool orphan = false;
      if (c.status().code() == StatusCode::kNotFound) {
        orphan = true;
      } else if (c.ok()) {
        orphan = c->uid != id.uid || id.shard >= c->shard_number;
        if (!orphan) {
          if (auto record = shard_map.Shard(id.collection, id.shard); record.ok()) orphan = !record->Places(self);
        }
      }
      if (!orphan) continue;  // etcd did not answer: keep it, decide at the next start
      LogInfo("removing shard copy " + copies.Directory(id) + ": the cluster no longer places it on this node");
      Status s = copies.Drop(id);
      if (!s.ok()) LogError(s.ToString());
    }
  }

  // --- looking after the copies this node holds (a background thread) ---

  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool stopping = false;
  std::thread watcher;
  std::map<ShardCopyId, int> waited;  // rounds an in-sync replica has let another take over first

  void StartWatching() {
    watcher = std::thread([this] {
      std::unique_lock<std::mutex> lock(watch_mu);
      while (!watch_cv.wait_for(lock, options.maintenance_interval, [&] { return stopping; })) {
        lock.unlock();
        Maintain();
        lock.lock();
      }
    });
  }
  void StopWatching() {
    {
      std::lock_guard<std::mutex> lock(watch_mu);
      stopping = true;
    }
    watch_cv.notify_all();
    if (watcher.joinable()) watcher.join();
  }

  // Copies on disk that their shard no longer places here, since when (Maintain's thread only).
  std::map<ShardCopyId, Clock::time_point> unplaced_since;
  // Moves whose target node is not a live member, since when (Maintain's thread only).
  std::map<std::pair<ShardCopyId, uint64_t>, Clock::time_point> target_gone_since;

  // Primary side: whether the move of `rec`'s shard to `to` was abandoned now — its target has not
  // been a live member for five lease TTLs (at least 10 s: a node that restarts keeps its move),
  // so the move is aborted in etcd (as Qdrant's abort_transfer) rather than left pending forever.
  // The target's partial copy is removed once its node is back (it is no longer placed there).
  bool AbandonedMove(const ShardCopyId& id, const cluster::ShardRecord& rec, uint64_t to,
                     const std::map<uint64_t, std::string>& live) {
    const auto key = std::make_pair(id, to);
    if (live.count(to)) {
      target_gone_since.erase(key);
      return false;
    }
    const auto first = target_gone_since.emplace(key, Clock::now()).first->second;
    const auto grace = std::max<Clock::duration>(std::chrono::seconds(10),
                                                 std::chrono::seconds(5 * membership->options().lease_ttl_seconds));
    if (Clock::now() - first < grace) return false;
    auto aborted = shard_map.AbortTransfer(rec, to);
    if (!aborted.ok()) {
      LogWarn("shard " + std::to_string(id.shard) + " of '" + id.collection + "': abandoning its move to node " +
              std::to_string(to) + ": " + aborted.status().ToString());
      return false;
    }
    target_gone_since.erase(key);
    LogWarn("shard " + std::to_string(id.shard) + " of '" + id.collection + "': its move to node " + std::to_string(to) +
            " is abandoned, that node having been gone for " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - first).count()) + " s");
    return true;
  }

  // One round over the shards that have a copy here and more than one copy (replicated, or
  // moving), or a single copy that moved here.
  void Maintain() {
    // The copies on disk are listed before the records are read: a copy is made only after its
    // record places it, so one that a fresher record does not place has been moved away.
    const std::vector<ShardCopyId> on_disk = copies.OnDisk();
    auto collections = shard_map.ListCollections();
    auto members = membership->Nodes();
    if (!collections.ok() || !members.ok()) return;  // etcd is away: nothing can be decided
    std::map<uint64_t, std::string> nodes;
    for (const auto& n : *members) nodes[n.node_id] = n.advertise;
    std::map<ShardCopyId, cluster::ShardRecord> records;
    for (const auto& c : *collections) {
      auto shards = shard_map.Shards(c.name);
      if (!shards.ok()) continue;
      for (const auto& rec : *shards) {
        records[{c.name, c.uid, rec.shard}] = rec;
        // A single copy needs no looking after — unless it moved here (a later epoch): its copy,
        // a replica until the move ended, must be promoted.
        if (!rec.Places(self) || (rec.replicas.size() < 2 && rec.epoch == 1)) continue;
        const ShardCopyId id{c.name, c.uid, rec.shard};
        const ShardReplication::Shard where{c.name, c.uid, rec.shard, c.write_consistency_factor, nodes};
        if (rec.primary == self) {
          auto copy = copies.Get(id, false, false);
          if (!copy.ok()) continue;
          if ((*copy)->db->replica()) {
            // etcd names this copy primary (it took over) but it serves as a replica: a request
            // that read the shard map from before the promotion reopened it. It takes writes again.
            if (!rec.InSync(self) || !(*copy)->db->Promote().ok()) continue;
          }
          if (!replication.Adopt(**copy, rec).ok()) continue;
          // Writes made in the background (index saves trim the changelog; payload index builds)
          // reach the copies without waiting for the next client write.
          if (Status s = replication.Ship(**copy, where); !s.ok()) LogWarn(s.ToString());
          replication.CatchUp(**copy, where);
          for (const auto& t : rec.transfers) {
            if (t.handover && t.to == self) {
              // The role came here another way first (a failover): the handover has nothing left to do.
              if (shard_map.AbortTransfer(rec, t.to).ok()) Forget(c.name);
              break;
            }
            if (AbandonedMove(id, rec, t.to, nodes)) {
              Forget(c.name);
              break;  // the record changed: the next round reads it again
            }
            auto finished = replication.FinishTransfer(**copy, where, t.to);
            if (!finished.ok()) LogWarn(finished.status().ToString());
            if (finished.ok() && *finished) Forget(c.name);  // this node routes by the new placement at once
          }
        } else if (rec.InSync(self) && !nodes.count(rec.primary)) {
          TakeOver(c, rec, id, where);
        } else {
          auto copy = copies.Get(id, false, true);
          if (copy.ok() && !(*copy)->db->replica()) (void)Demote(id, std::move(*copy));
        }
      }
    }
    // A copy that has moved away stays a few cache lifetimes, for the requests routed by shard
    // maps read before the move ended (every node rereads its map after cache_ttl).
    const auto grace = std::max<Clock::duration>(std::chrono::seconds(3), 3 * options.cache_ttl);
    std::map<ShardCopyId, Clock::time_point> still_unplaced;
    for (const auto& id : on_disk) {
      auto rec = records.find(id);
      if (rec == records.end() || rec->second.Places(self)) continue;  // orphans: RemoveOrphans, at start
      auto since = unplaced_since.find(id);
      const Clock::time_point first = since == unplaced_since.end() ? Clock::now() : since->second;
      if (Clock::now() - first < grace) {
        still_unplaced[id] = first;
        continue;
      }
      LogInfo("shard " + std::to_string(id.shard) + " of '" + id.collection + "' has moved off this node; its copy is removed");
      if (Status s = copies.Drop(id); !s.ok()) LogError("removing shard copy " + copies.Directory(id) + ": " + s.ToString());
    }
    unplaced_since = std::move(still_unplaced);
  }

  // Failover: the shard's primary has lost its lease and this node holds an in-sync copy. The
  // in-sync copies on live nodes go in node-id order: the others let the first try for a few
  // rounds. Every in-sync copy holds every acknowledged write, so whichever wins has them all;
  // etcd's transaction (cluster::ShardMap::Promote) lets exactly one win, and only while the old
  // primary's node key is absent.
  void TakeOver(const cluster::ClusterCollection& c, const cluster::ShardRecord& rec, const ShardCopyId& id,
                const ShardReplication::Shard& where) {
    std::vector<uint64_t> candidates;
    for (uint64_t n : rec.in_sync) {
      if (n != rec.primary && where.nodes.count(n)) candidates.push_back(n);
    }
    std::sort(candidates.begin(), candidates.end());
    const auto rank = std::find(candidates.begin(), candidates.end(), self) - candidates.begin();
    if (rank > 0 && ++waited[id] <= 4 * rank) return;
    waited.erase(id);
    auto copy = copies.Get(id, false, true);
    if (!copy.ok()) {
      LogWarn("shard " + std::to_string(rec.shard) + " of '" + c.name + "': cannot take over: " + copy.status().ToString());
      return;
    }
    auto promoted = shard_map.Promote(rec, self, (*copy)->db->WalSequence());
    if (!promoted.ok()) {
      LogInfo("shard " + std::to_string(rec.shard) + " of '" + c.name + "': not taking over: " + promoted.status().ToString());
      return;
    }
    Status s = (*copy)->db->Promote();
    if (s.ok()) s = replication.Adopt(**copy, *promoted);
    Forget(c.name);
    if (!s.ok()) {
      LogError("shard " + std::to_string(rec.shard) + " of '" + c.name + "': promoted in etcd, but the copy: " + s.ToString());
      return;
    }
    LogInfo("shard " + std::to_string(rec.shard) + " of '" + c.name + "': node " + std::to_string(self) +
            " is its primary at epoch " + std::to_string(promoted->epoch) + " (sequence " +
            std::to_string(promoted->epoch_start_seq) + "), node " + std::to_string(rec.primary) + " having lost its lease");
    // The other in-sync copies learn the new epoch now, and then refuse the old primary.
    if (Status shipped = replication.Ship(**copy, where); !shipped.ok()) LogWarn(shipped.ToString());
  }
};

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
