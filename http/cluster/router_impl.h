#pragma once
// The inside of ClusterRouter (http/cluster/cluster_router.h), shared by the files that implement
// it — an internal header, included by them alone:
//   cluster_router.cc              the views of the shard map, a copy's answers to parts, sending
//                                  parts (scatter/gather), the route table (Routed)
//   cluster_router_collections.cc  create, drop, info, the cluster info and shard moves
//   cluster_router_points.cc       writes, retrievals, counts, scrolls and searches
//   cluster_router_latent.cc       analogy, the generative routes, the map, directions and edits
//   cluster_router_maintenance.cc  the background thread that looks after this node's copies
// The merges themselves are pure functions in shard_merge.h, sharded_analogy.h,
// sharded_latent.h and sharded_directions.h.

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

namespace cluster_routing {

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

// The results of every reply, or the first failed reply as it came (a shard's 400 is the
// client's 400, with the single node's message).
struct Gathered {
  std::vector<json> results;
  std::optional<HttpResponse> failure;
};

// A part that only reads: answered by any in-sync copy of its shard (the primary with
// ?consistency=primary). Everything else is a write, sent to the primary.
bool IsReadPart(const HttpRequest& r);

std::string RandomUid();

std::string Target(const HttpRequest& r);

// The path of a collection's routes: "/collections/<name>" (names are [A-Za-z0-9_-], escaped all
// the same).
std::string CollectionPath(const std::string& name);

bool Succeeded(const HttpResponse& r);

// The JSON result of a shard's successful answer.
Result<json> ResultOf(const HttpResponse& r);

Gathered Gather(const std::vector<HttpResponse>& replies);

uint32_t ShardOfId(const engine::ExternalId& id, uint32_t shard_number);

// A JSON id's shard; nullopt for a value that is no id (the shard that gets it refuses it).
std::optional<uint32_t> ShardOfJsonId(const json& id, uint32_t shard_number);

// A positive integer setting of the collection body (Qdrant's shard_number, …), `fallback` when
// absent or null.
Result<uint32_t> ClusterSetting(const json& body, const char* key, uint32_t fallback, uint32_t max);

}  // namespace cluster_routing

// The files that include this header speak of the routing helpers unqualified.
using namespace cluster_routing;

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
  // For failover's questions to the other in-sync copies (CopySequence): a copy that does not
  // answer within a second is passed over rather than waited for.
  NodeClients probes{options.api_key, std::chrono::seconds(1)};
  ShardReplication replication;
  CheckpointReceiver checkpoints{&copies};

  std::mutex mu;
  std::map<std::string, View> views;                     // by collection name
  std::map<std::string, engine::CollectionConfig> vectors;  // by uid: dim and metric (VectorsOf)
  uint64_t next_read = 0;                                 // spreads reads over in-sync copies

  // --- the shard map ---

  // The collection's view, from the cache when younger than the TTL. NotFound when the cluster
  // has no such collection.
  Result<View> ViewOf(const std::string& name, bool fresh);
  void Forget(const std::string& name);

  // --- sending parts ---

  // Answers a shard's part on this node, from the copy the header names. The collection name and
  // the uid become a directory name: both are checked first (a name may hold an escaped '/'), so
  // that no request reaches outside DATA_DIR/shards.
  HttpResponse AnswerPart(const std::string& collection, const HttpRequest& request);

  // Removes this node's copy `id` (held by `copy`, released first); true, as a drop answers.
  HttpResponse DropCopy(const ShardCopyId& id, std::shared_ptr<ShardCopy> copy);

  // This node's copy `id`, a primary that another copy has replaced, reopened as a replica: the
  // new primary brings it back in line (ShardReplication::CatchUp).
  Result<std::shared_ptr<ShardCopy>> Demote(const ShardCopyId& id, std::shared_ptr<ShardCopy> copy);

  // The shard `shard` of `v` as replication addresses it.
  ShardReplication::Shard ReplicationShard(const View& v, uint32_t shard) const;

  // The record of the copy `id`'s shard, read from etcd now; NotFound when the cluster no longer
  // has that incarnation of the collection.
  Result<cluster::ShardRecord> FreshRecord(const ShardCopyId& id);

  // A primary's shipment to this node's replica copy `id` (http/cluster/shard_replication.h): a
  // POST of batches (the copy is created by its first one), or a checkpoint's transfer
  // (http/cluster/checkpoint_transfer.h) that replaces the copy.
  HttpResponse AnswerShipment(const ShardCopyId& id, const HttpRequest& request);

  // Where this node's copy `id` and, when it is the primary, the copies it ships to stand:
  // {"wal_sequence": its own, "copies": {"<node>": the last sequence number that node applied}}.
  HttpResponse AnswerPositions(const ShardCopyId& id);

  // A checkpoint's transfer to this node's copy `id`. Its beginning and its install come only
  // from the shard's current primary as etcd names it (the chunks between from the sender that
  // began it), to a copy placed on this node that is not the primary.
  HttpResponse AnswerCheckpoint(const ShardCopyId& id, const HttpRequest& request);

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
  uint64_t ChooseNode(const View& v, const Part& part);
  bool IsHere(const Part& part) const { return part.node == self; }
  void Mark(const View& v, Part* part) const;

  // Writes a part for another node's copy; its reply instead when it cannot be sent.
  std::variant<InFlight, HttpResponse> Start(const View& v, Part part);

  // Reads a started part's reply.
  HttpResponse Finish(InFlight f);

  // Sends one part to the node of its shard's copy (in process when that is this node).
  HttpResponse Send(const View& v, Part part);

  // Sends the parts at once; the replies in the parts' order. The parts for other nodes are
  // written first, so that those nodes work while this one answers the parts for its own copies
  // (on this thread), and their replies are read last: one thread, no hand-offs.
  std::vector<HttpResponse> Scatter(const View& v, std::vector<Part> parts);

  // The same request to every shard.
  std::vector<HttpResponse> Broadcast(const View& v, const HttpRequest& request);

  // A request a shard must refuse (malformed): shard 0 answers it with a single node's error.
  HttpResponse Refusal(const View& v, const HttpRequest& request) { return Send(v, {0, request}); }

  // --- routes ---

  // What the router must know of a collection's vectors (from shard 0's info, once per uid):
  // their dimension and metric.
  Result<engine::CollectionConfig> VectorsOf(const View& v);
  // Scores are distances (l2: ascending) or similarities (descending).
  Result<bool> Ascending(const View& v);

  HttpResponse Create(const HttpRequest& request, const std::string& name);

  HttpResponse Drop(const HttpRequest& request, const std::string& name, const Clock::time_point start);

  HttpResponse Info(const View& v, const Clock::time_point start);

  // A shard's exact count of its points, or of those `filter` selects (the part of POST
  // …/points/count {"exact": true, "filter"}).
  static HttpRequest ExactCount(const View& v, const json& filter = nullptr);

  // The shards' exact counts (of the points `filter` selects) in shard order, or the failed answer.
  std::variant<std::vector<uint64_t>, HttpResponse> ShardCounts(const View& v, const json& filter = nullptr);

  // Every shard's copy positions ({"wal_sequence": the primary's, "copies": {node: sequence}}),
  // asked of every live primary at once; null for a shard whose primary is down or did not answer.
  std::vector<json> PositionsOf(const View& v);

  // A copy's (WAL sequence, lag behind its primary's log) in a shard's positions, when known.
  static std::optional<std::pair<uint64_t, uint64_t>> CopyPosition(const json& positions, uint64_t node);

  // GET /cluster (answered by http/handlers/cluster.cc from etcd) with each shard's copies' lag:
  // "lag" and "wal_sequence" objects keyed by node id, as the shard's primary last saw them.
  HttpResponse ClusterWithLag(HttpResponse answer);

  // Qdrant's collection cluster info: the shards whose copy is on this node (with their point
  // counts) and the others, "Dead" when their node is not a live member; the moves under way
  // (shard_transfers). Plus, per copy, epoch, in_sync, and how far it is behind its primary's log
  // (`wal_sequence`, `lag` in WAL sequence numbers) as the primary last saw it.
  HttpResponse ClusterInfo(const View& v, const Clock::time_point start);

  // Qdrant's collection cluster update: {"move_shard": {"shard_id", "from_peer_id", "to_peer_id"}}
  // starts moving a copy (cluster::ShardMap::StartTransfer; the shard's primary carries it out),
  // {"abort_transfer": {…}} abandons a move. Qdrant's other operations (replicate_shard,
  // drop_replica, …) answer 400.
  HttpResponse UpdateCluster(const View& v, const HttpRequest& request, const Clock::time_point start);

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
  static json Pick(const json& items, const std::vector<size_t>& indices);

  // One part per shard that has ids of `key` (an id array of the body), the body cut to them.
  std::vector<Part> SplitByIds(const View& v, const HttpRequest& request, const json& body, const std::string& key,
                               std::map<uint32_t, std::vector<size_t>>* split_out = nullptr);

  HttpResponse Upsert(const View& v, const HttpRequest& request, const Clock::time_point start);

  HttpResponse ById(const View& v, const HttpRequest& request, const PathParams& params);

  HttpResponse Retrieve(const View& v, const HttpRequest& request, const Clock::time_point start);

  // Writes that name points by id ("points"/"ids") or by "filter": the ids go to their shards,
  // a filter to every shard. The answers' "deleted" counts add up.
  HttpResponse IdsOrFilter(const View& v, const HttpRequest& request, const Clock::time_point start);

  HttpResponse Count(const View& v, const HttpRequest& request, const Clock::time_point start);

  HttpResponse Scroll(const View& v, const HttpRequest& request, const Clock::time_point start);

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
  Result<SearchShape> ShardSearchBody(const View& v, json* body);
  // The stored vector of the point `id` names (`where` in messages); the point joins the ones
  // left out of the answer.
  Result<json> ResolveId(const json& id, const std::string& where, const View& v, SearchShape* s);
  // A recommendation's "positive" and "negative" examples given as ids become vectors.
  Status ResolveExamples(const View& v, json* r, SearchShape* s);
  // The stored vector of point `id`, from its shard. NotFound as one node says it.
  Result<json> StoredVector(const View& v, const engine::ExternalId& id);
  // Merges the shards' answers to one search: arrays of scored points, or {"points", "debug"}
  // objects (a native search with "debug": the shards' plans are listed).
  static json MergeSearch(const std::vector<json>& answers, const SearchShape& s, bool ascending);

  HttpResponse Search(const View& v, const HttpRequest& request, const Clock::time_point start);

  HttpResponse SearchBatch(const View& v, const HttpRequest& request, const Clock::time_point start);

  // The vectors of the points `ids` (engine::ExternalId::ToKey → JSON vector), read from their
  // shards into `vectors`; the failed retrieval's answer, if any. Ids no shard holds are absent.
  std::optional<HttpResponse> PointVectors(const View& v, const HttpRequest& like, const json& ids,
                                           std::map<std::string, json>* vectors, const Clock::time_point start);

  // POST /analogy (http/cluster/sharded_analogy.h): the id terms' vectors from their shards, then
  // every shard ranks its points against the terms as vectors, and the hits are merged.
  HttpResponse Analogy(const View& v, const HttpRequest& request, const Clock::time_point start);

  // Every shard answers `part` (decoding the same latents); each decoded latent keeps the nearest
  // point of all shards (http/cluster/sharded_latent.h), into `merged`. The failed answer, if any.
  std::optional<HttpResponse> DecodedEverywhere(const View& v, const HttpRequest& part, const std::string& list_key,
                                                json* merged);

  // POST /interpolate: id endpoints become their stored vectors, then every shard decodes.
  HttpResponse Interpolate(const View& v, const HttpRequest& request, const Clock::time_point start);

  // POST /sample: one seed (drawn here when the request has none) for every shard, so that all
  // decode the same samples; "store" upserts them afterwards through the router, by id.
  HttpResponse Sample(const View& v, const HttpRequest& request, const Clock::time_point start);

  // GET /anomalies?k=: every shard's k highest negative ELBOs, merged.
  HttpResponse Anomalies(const View& v, const HttpRequest& request, const Clock::time_point start);

  // GET /map (http/cluster/sharded_latent.h): each shard's share of the sample, with vectors,
  // projected here on the union's principal axes.
  HttpResponse Map(const View& v, const HttpRequest& request, const Clock::time_point start);

  // An evenly spaced sample of `n` of the points `filter` selects (null: all), over every shard:
  // each samples its share (in proportion to its matched count, cluster_routing::MapShares) in
  // its own id order (POST …/points/sample). The answers of the shards that were asked, in shard
  // order, and the number of matching points over every shard (from the counts: a shard whose
  // share is 0 still has its matches counted), or the failed answer.
  struct ShardSample {
    std::vector<json> answers;
    uint64_t matched = 0;
  };
  std::variant<ShardSample, HttpResponse> SampleShards(const View& v, const json& filter, size_t n, bool with_vector,
                                                       const json& with_payload);

  // POST /points/sample: every shard's share, merged in id order.
  HttpResponse PointSample(const View& v, const HttpRequest& request, const Clock::time_point start);

  // POST /directions (http/cluster/sharded_directions.h): learned here from every shard's share
  // of the sets' samples, then stored on every shard.
  HttpResponse LearnDirection(const View& v, const HttpRequest& request, const Clock::time_point start);

  // DELETE /directions/{name}: removed from every shard; 404 only when no shard had it.
  HttpResponse DeleteDirection(const View& v, const HttpRequest& request, const Clock::time_point start);

  // POST /edit: the "from" id read as its stored vector, then every shard edits from the same
  // start (shard 0 alone decodes the images) and each step keeps the best neighbours of all.
  HttpResponse Edit(const View& v, const HttpRequest& request, const Clock::time_point start);

  // POST /points/decode {"id"}: the shard that holds the point.
  HttpResponse DecodeById(const View& v, const HttpRequest& request);

  // The first shard's answer once every shard has applied the request (payload indexes).
  HttpResponse Everywhere(const View& v, const HttpRequest& request, const Clock::time_point start);

  HttpResponse Routed(const View& v, const HttpRequest& request, const Router::Match& route);

  HttpResponse List(HttpResponse local_list);

  // Copies on disk whose collection the cluster no longer has (dropped while this node was down,
  // or dropped and created again: another uid), or whose shard is placed elsewhere.
  void RemoveOrphans();

  // --- looking after the copies this node holds (a background thread) ---

  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool stopping = false;
  std::thread watcher;
  std::map<ShardCopyId, int> waited;  // rounds an in-sync replica has let another take over first

  void StartWatching();
  void StopWatching();

  // Copies on disk that their shard no longer places here, since when (Maintain's thread only).
  std::map<ShardCopyId, Clock::time_point> unplaced_since;
  // Moves whose target node is not a live member, since when (Maintain's thread only).
  std::map<std::pair<ShardCopyId, uint64_t>, Clock::time_point> target_gone_since;

  // Primary side: whether the move of `rec`'s shard to `to` was abandoned now — its target has not
  // been a live member for five lease TTLs (at least 10 s: a node that restarts keeps its move),
  // so the move is aborted in etcd (as Qdrant's abort_transfer) rather than left pending forever.
  // The target's partial copy is removed once its node is back (it is no longer placed there).
  bool AbandonedMove(const ShardCopyId& id, const cluster::ShardRecord& rec, uint64_t to,
                     const std::map<uint64_t, std::string>& live);

  // One round over the shards that have a copy here and more than one copy (replicated, or
  // moving), or a single copy that moved here.
  void Maintain();

  // The WAL sequence of the copy of shard `shard` of `c` on the node at `url`, asked with a
  // one-second timeout; nullopt when it does not answer.
  std::optional<uint64_t> CopySequence(const cluster::ClusterCollection& c, uint32_t shard, const std::string& url);

  // Failover: the shard's primary has lost its lease and this node holds an in-sync copy. The
  // in-sync copies on live nodes go most up-to-date first (the highest WAL sequence, as each
  // answers CopySequence; copies that do not answer last; ties by node id): the others let the
  // first try for a few rounds. Every in-sync copy holds every acknowledged write, so whichever
  // wins has them all; the most up-to-date one also holds every batch the dead primary shipped to
  // any of them, so the others' logs are prefixes of its own and they catch up from its WAL, not
  // from a checkpoint. etcd's transaction (cluster::ShardMap::Promote) lets exactly one win, and
  // only while the old primary's node key is absent.
  void TakeOver(const cluster::ClusterCollection& c, const cluster::ShardRecord& rec, const ShardCopyId& id,
                const ShardReplication::Shard& where);
};

}  // namespace latentdb::http
