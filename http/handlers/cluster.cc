// GET /cluster: the cluster this node belongs to, in Qdrant's shape ({"status": "disabled"} on a
// single node; "enabled" with "peer_id" and "peers" otherwise). Where Qdrant shows its own Raft
// ("raft_info"), LatentDB shows etcd, which holds its membership (docs/cluster.md), and the shard
// records of the clustered collections.
// POST /cluster/rebalance: moves shard copies so that every live node holds about as many, then
// hands primaries' roles over to in-sync replicas so that every live node holds about as many
// primaries (cluster/rebalance.h); the shards' primaries carry both out.
// GET and POST /collections/{c}/cluster for a collection of this node's own (one local shard); a
// clustered collection's are answered by the router (http/cluster/cluster_router.cc).
#include <algorithm>

#include "cluster/membership.h"
#include "cluster/rebalance.h"
#include "cluster/shard_map.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

void RegisterClusterRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("GET", "/cluster", JsonRoute([ctx](const HttpRequest&, const PathParams&) -> Result<json> {
    const cluster::Membership* joined = ctx.membership ? ctx.membership->load() : nullptr;
    if (joined == nullptr) return json{{"status", "disabled"}};
    const cluster::Membership& m = *joined;
    auto nodes = m.Nodes();
    if (!nodes.ok()) return nodes.status().WithContext("reading the cluster's members from etcd");
    json peers = json::object();
    for (const auto& n : *nodes)
      peers[std::to_string(n.node_id)] = json{{"uri", n.advertise}, {"started_at", n.started_at}};
    json endpoints = json::array();
    for (const auto& e : m.etcd().options().endpoints) endpoints.push_back(e.ToString());
    cluster::ShardMap shard_map(m.etcd_client(), m.options().prefix);
    auto collections = shard_map.ListCollections();
    if (!collections.ok()) return collections.status().WithContext("reading the cluster's collections from etcd");
    json clustered = json::object();
    for (const auto& c : *collections) {
      auto shards = shard_map.Shards(c.name);
      if (!shards.ok()) return shards.status().WithContext("reading the shards of '" + c.name + "' from etcd");
      json records = json::array();
      for (const auto& r : *shards) {
        json j = r.ToJson();
        j["shard"] = r.shard;
        records.push_back(std::move(j));
      }
      clustered[c.name] = {{"shard_number", c.shard_number},
                           {"replication_factor", c.replication_factor},
                           {"write_consistency_factor", c.write_consistency_factor},
                           {"shards", std::move(records)}};
    }
    return json{{"status", "enabled"},
                {"peer_id", m.options().node_id},
                {"peers", std::move(peers)},
                {"collections", std::move(clustered)},
                {"etcd",
                 {{"endpoints", std::move(endpoints)},
                  {"prefix", m.options().prefix},
                  {"lease", m.lease()},
                  {"lease_ttl_seconds", m.options().lease_ttl_seconds},
                  {"lease_alive", m.LeaseAlive()},
                  {"joins", m.generation()}}}};
  }));
  router.Add("POST", "/cluster/rebalance", JsonRoute([ctx](const HttpRequest&, const PathParams&) -> Result<json> {
    const cluster::Membership* joined = ctx.membership ? ctx.membership->load() : nullptr;
    if (joined == nullptr) return Status::InvalidArgument("this node is not part of a cluster (serve --cluster)");
    const cluster::Membership& m = *joined;
    LDB_ASSIGN_OR_RETURN(auto nodes, m.Nodes());
    std::vector<uint64_t> live;
    for (const auto& n : nodes) live.push_back(n.node_id);
    cluster::ShardMap shard_map(m.etcd_client(), m.options().prefix);
    LDB_ASSIGN_OR_RETURN(auto collections, shard_map.ListCollections());
    std::vector<cluster::ShardRecord> shards;
    for (const auto& c : collections) {
      LDB_ASSIGN_OR_RETURN(auto records, shard_map.Shards(c.name));
      shards.insert(shards.end(), records.begin(), records.end());
    }
    json started = json::array(), skipped = json::array();
    for (const auto& move : cluster::PlanRebalance(shards, live)) {
      json entry = {{"collection", move.collection}, {"shard_id", move.shard}, {"from", move.from}, {"to", move.to}};
      if (move.handover) entry["handover"] = true;
      auto rec = std::find_if(shards.begin(), shards.end(), [&](const auto& r) {
        return r.collection == move.collection && r.shard == move.shard;
      });
      auto written = move.handover ? shard_map.StartHandover(*rec, move.to) : shard_map.StartTransfer(*rec, move.from, move.to);
      if (written.ok()) {
        started.push_back(std::move(entry));
      } else {
        entry["error"] = written.status().message();  // the record changed meanwhile: the next call plans again
        skipped.push_back(std::move(entry));
      }
    }
    return json{{"shard_transfers", std::move(started)}, {"skipped", std::move(skipped)}};
  }));
  router.Add("POST", "/collections/{collection}/cluster", JsonRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_RETURN_IF_ERROR(PathCollection(ctx, p).status());
    return Status::InvalidArgument("collection '" + p.at("collection") +
                                   "' is this node's own, not a clustered one: it has one shard, which cannot move");
  }));
  router.Add("GET", "/collections/{collection}/cluster", JsonRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    const cluster::Membership* joined = ctx.membership ? ctx.membership->load() : nullptr;
    return json{{"peer_id", joined ? joined->options().node_id : 0},
                {"shard_count", 1},
                {"local_shards", {{{"shard_id", 0}, {"points_count", c->Info().points}, {"state", "Active"}}}},
                {"remote_shards", json::array()},
                {"shard_transfers", json::array()}};
  }));
}

}  // namespace latentdb::http
