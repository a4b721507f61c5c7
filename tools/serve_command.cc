// latentdb serve: open the data directory and serve the REST API until SIGINT/SIGTERM.
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "cluster/etcd_client.h"
#include "cluster/membership.h"
#include "common/logging.h"
#include "engine/database.h"
#include "http/api.h"
#include "http/cluster/cluster_router.h"
#include "http/server.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"
#include "tools/stop_signals.h"

namespace latentdb::tools {

namespace {

int ServeCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 2,
                          {"data-dir", "host", "port", "api-key", "threads", "body-limit-mb", "persist-interval",
                           "block-cache-mb", "row-cache-mb", "memtable-mb", "cluster", "node-id", "advertise",
                           "lease-ttl", "cluster-prefix", "wal-retention"},
                          {"sync"}, kServeUsage);
  if (!args.ok()) return Fail(args.status(), kServeUsage);
  auto port = args->GetInt("port", 8080, 0, 65535);
  auto threads = args->GetInt("threads", 0, 0, 256);
  auto body_mb = args->GetInt("body-limit-mb", 64, 1, 4096);
  auto persist = args->GetInt("persist-interval", 30, 0, 86400);
  auto cache_mb = args->GetInt("block-cache-mb", 256, 1, 1 << 20);
  auto row_cache_mb = args->GetInt("row-cache-mb", 128, 0, 1 << 20);
  auto node_id = args->GetInt("node-id", 0, 1, std::numeric_limits<long>::max());
  auto memtable_mb = args->GetInt("memtable-mb", 64, 1, 1 << 16);
  auto lease_ttl = args->GetInt("lease-ttl", 10, 1, 3600);
  auto wal_retention = args->GetInt("wal-retention", 24 * 3600, 0, 365L * 24 * 3600);
  for (const auto* r : {&port, &threads, &body_mb, &persist, &cache_mb, &row_cache_mb, &memtable_mb, &node_id,
                        &lease_ttl, &wal_retention}) {
    if (!r->ok()) return Fail(r->status(), kServeUsage);
  }

  // SIGINT/SIGTERM stop the server cleanly whichever thread receives them (tools/stop_signals.h).
  StopSignals stop;
  if (!stop.Install()) return Fail(Status::Internal(std::string("cannot install the signal handler: ") + std::strerror(errno)));

  // The cluster's etcd, checked before anything is opened.
  std::shared_ptr<cluster::EtcdClient> etcd;
  if (args->Has("cluster")) {
    auto endpoints = cluster::ParseEtcdUrl(args->Get("cluster"));
    if (!endpoints.ok()) return Fail(endpoints.status(), kServeUsage);
    if (!args->Has("node-id")) return Fail(Status::InvalidArgument("--cluster needs --node-id N"), kServeUsage);
    etcd = std::make_shared<cluster::EtcdClient>(cluster::EtcdClient::Options{*endpoints});
  } else {
    for (const char* flag : {"node-id", "advertise", "lease-ttl", "cluster-prefix", "wal-retention"}) {
      if (args->Has(flag))
        return Fail(Status::InvalidArgument(std::string("--") + flag + " needs --cluster"), kServeUsage);
    }
  }

  engine::DatabaseOptions dbo;
  dbo.data_dir = args->Get("data-dir", "./data");
  dbo.sync_writes = args->Has("sync");
  dbo.persist_interval_seconds = static_cast<int>(*persist);
  dbo.block_cache_mb = static_cast<size_t>(*cache_mb);
  dbo.row_cache_mb = static_cast<size_t>(*row_cache_mb);
  dbo.memtable_mb = static_cast<size_t>(*memtable_mb);
  auto db = engine::Database::Open(dbo);
  if (!db.ok()) return Fail(db.status());

  http::Api api(db->get());
  http::ServerOptions so;
  so.host = args->Get("host", "127.0.0.1");
  so.port = static_cast<uint16_t>(*port);
  const char* env_key = std::getenv("LATENTDB_API_KEY");
  so.api_key = args->Get("api-key", env_key ? env_key : "");
  so.threads = static_cast<int>(*threads);
  so.body_limit = static_cast<size_t>(*body_mb) << 20;
  http::Server server(so, &api);
  Status started = server.Start();
  if (!started.ok()) return Fail(started);
  // A cluster node joins once it listens: only then is the port it advertises known.
  std::unique_ptr<cluster::Membership> membership;
  std::unique_ptr<http::ClusterRouter> router;
  if (etcd) {
    cluster::MembershipOptions mo;
    mo.node_id = static_cast<uint64_t>(*node_id);
    mo.advertise = args->Get("advertise", "http://" + so.host + ":" + std::to_string(server.port()));
    mo.lease_ttl_seconds = *lease_ttl;
    mo.prefix = args->Get("cluster-prefix", "/latentdb");
    auto joined = cluster::Membership::Join(etcd, mo);
    if (!joined.ok()) {
      server.Stop();
      (*db)->Close();
      return Fail(joined.status());
    }
    membership = std::move(*joined);
    api.SetMembership(membership.get());
    http::ClusterRouter::Options ro;
    ro.shard_db = dbo;
    ro.api_key = so.api_key;
    ro.wal_retention_seconds = static_cast<uint64_t>(*wal_retention);
    ro.metrics = &api.metrics();
    router = std::make_unique<http::ClusterRouter>(membership.get(), etcd, db->get(), api.models(), ro);
    api.SetClusterRouter(router.get());
    LogInfo("joined the cluster as node " + std::to_string(mo.node_id) + " (" + mo.advertise + ", etcd " +
            args->Get("cluster") + ", lease TTL " + std::to_string(mo.lease_ttl_seconds) + " s)");
  }
  LogInfo("latentdb serving http://" + so.host + ":" + std::to_string(server.port()) + " (data: " + dbo.data_dir +
          (so.api_key.empty() ? ", no API key" : ", API key required") + ")");
  // A line on stdout that scripts and tests can wait for.
  std::printf("listening on %s:%u\n", so.host.c_str(), server.port());
  std::fflush(stdout);

  const int sig = stop.Wait();
  LogInfo(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  server.Stop();
  api.SetClusterRouter(nullptr);
  router.reset();  // closes the shard copies
  api.SetMembership(nullptr);
  membership.reset();  // leaves the cluster: the lease is revoked
  (*db)->Close();
  return 0;
}

}  // namespace

static const CommandRegistrar kServe("serve", "run the HTTP server on a data directory", &ServeCommand,
                                     Heap::kLarge);

}  // namespace latentdb::tools
