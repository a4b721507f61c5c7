// GET /cluster: the cluster this node belongs to, in Qdrant's shape ({"status": "disabled"} on a
// single node; "enabled" with "peer_id" and "peers" otherwise). Where Qdrant shows its own Raft
// ("raft_info"), LatentDB shows etcd, which holds its membership (docs/cluster.md).
#include "cluster/membership.h"
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
    return json{{"status", "enabled"},
                {"peer_id", m.options().node_id},
                {"peers", std::move(peers)},
                {"etcd",
                 {{"endpoints", std::move(endpoints)},
                  {"prefix", m.options().prefix},
                  {"lease", m.lease()},
                  {"lease_ttl_seconds", m.options().lease_ttl_seconds},
                  {"lease_alive", m.LeaseAlive()},
                  {"joins", m.generation()}}}};
  }));
}

}  // namespace latentdb::http
