// `latentdb serve --cluster`: real server processes joining a real etcd, GET /cluster in
// Qdrant's shape, kill -9 and restart under the same node id, and the command line's refusals.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "client/http_client.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::testing;
using nlohmann::json;

namespace {

json ClusterOf(uint16_t port) {
  client::HttpClient c("127.0.0.1", port);
  return Ok(c, "GET", "/cluster");
}

}  // namespace

TEST_CASE("A single node's /cluster is Qdrant's disabled status", "[cluster]") {
  TempDir dir;
  ServerProcess server(dir.Sub("data"));
  CHECK(ClusterOf(server.port()) == json{{"status", "disabled"}});
}

TEST_CASE("serve --cluster: nodes join, list each other, and leave", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.Sub("etcd"));
  ServerProcess one(dir.Sub("n1"), ServeClusterArgs(etcd, 1));
  ServerProcess two(dir.Sub("n2"), ServeClusterArgs(etcd, 2));

  json c = ClusterOf(one.port());
  CHECK(c["status"] == "enabled");
  CHECK(c["peer_id"] == 1);
  REQUIRE(c["peers"].size() == 2);
  CHECK(c["peers"]["1"]["uri"] == "http://127.0.0.1:" + std::to_string(one.port()));
  CHECK(c["peers"]["2"]["uri"] == "http://127.0.0.1:" + std::to_string(two.port()));
  CHECK(c["etcd"]["lease_alive"] == true);
  CHECK(c["etcd"]["lease_ttl_seconds"] == 2);
  CHECK(ClusterOf(two.port())["peer_id"] == 2);

  // kill -9: the node's lease runs out and the others stop listing it.
  two.Kill();
  CHECK(Eventually([&] { return ClusterOf(one.port())["peers"].size() == 1; }, 6));

  // Restarted at once under the same id, it waits for its old key to expire, then joins.
  ServerProcess again(dir.Sub("n2"), ServeClusterArgs(etcd, 2));
  CHECK(ClusterOf(one.port())["peers"].size() == 2);

  // SIGTERM: a clean leave revokes the lease, so the node is gone at once.
  CHECK(again.Terminate() == 0);
  CHECK(Eventually([&] { return ClusterOf(one.port())["peers"].size() == 1; }, 1));
}

TEST_CASE("serve --cluster refuses a node id a live node holds, and bad cluster flags", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.Sub("etcd"));
  ServerProcess one(dir.Sub("n1"), ServeClusterArgs(etcd, 1));
  std::string out;
  std::vector<std::string> dup = {"serve", "--data-dir", dir.Sub("dup"), "--port", "0"};
  for (const auto& a : ServeClusterArgs(etcd, 1)) dup.push_back(a);
  CHECK(RunLatentdb(dup, &out) == 1);
  CHECK(out.find("node id 1 is held by the node advertising http://127.0.0.1:" + std::to_string(one.port())) !=
        std::string::npos);
  CHECK(ClusterOf(one.port())["peers"].size() == 1);

  const std::string data = dir.Sub("bad");
  CHECK(RunLatentdb({"serve", "--data-dir", data, "--port", "0", "--node-id", "3"}, &out) == 2);
  CHECK(out.find("--node-id needs --cluster") != std::string::npos);
  CHECK(RunLatentdb({"serve", "--data-dir", data, "--port", "0", "--cluster", "http://127.0.0.1:2379", "--node-id",
                     "3"},
                    &out) == 2);
  CHECK(RunLatentdb({"serve", "--data-dir", data, "--port", "0", "--cluster", etcd.Url()}, &out) == 2);
  CHECK(out.find("--cluster needs --node-id") != std::string::npos);
  CHECK(RunLatentdb({"serve", "--data-dir", data, "--port", "0", "--cluster", etcd.Url(), "--node-id", "0"}, &out) ==
        2);
  CHECK(RunLatentdb({"serve", "--data-dir", data, "--port", "0", "--cluster", etcd.Url(), "--node-id", "3",
                     "--advertise", "localhost:1"},
                    &out) == 2);
  // No etcd there: the server does not start, and says why.
  const uint16_t nothing = FreeLoopbackPort();
  CHECK(RunLatentdb({"serve", "--data-dir", data, "--port", "0", "--cluster",
                     "etcd://127.0.0.1:" + std::to_string(nothing), "--node-id", "3"},
                    &out) == 1);
  CHECK(out.find("joining the cluster: etcd member 127.0.0.1:" + std::to_string(nothing)) != std::string::npos);
}
