// Cluster membership against a real etcd: nodes join under leases, one node id has one live
// holder, a clean leave is seen at once, and a node whose lease was lost knows it and joins again.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "cluster/membership.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::cluster;
using latentdb::testing::ClientFor;
using latentdb::testing::EtcdCluster;
using latentdb::testing::Eventually;
using latentdb::testing::TempDir;

namespace {

MembershipOptions Node(uint64_t id, int64_t ttl = 2) {
  MembershipOptions o;
  o.prefix = "/test";
  o.node_id = id;
  o.advertise = "http://127.0.0.1:" + std::to_string(9000 + id);
  o.lease_ttl_seconds = ttl;
  return o;
}

std::vector<uint64_t> NodeIds(const Membership& m) {
  auto nodes = m.Nodes();
  REQUIRE(nodes.ok());
  std::vector<uint64_t> ids;
  for (const auto& n : *nodes) ids.push_back(n.node_id);
  return ids;
}

}  // namespace

TEST_CASE("Nodes join, are listed, and a clean leave is seen at once", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path());
  auto client = ClientFor(etcd);
  auto one = Membership::Join(client, Node(1));
  REQUIRE(one.ok());
  auto two = Membership::Join(client, Node(2));
  REQUIRE(two.ok());
  CHECK(NodeIds(**one) == std::vector<uint64_t>{1, 2});
  auto nodes = (*one)->Nodes();
  REQUIRE(nodes.ok());
  CHECK((*nodes)[1].advertise == "http://127.0.0.1:9002");
  CHECK((*nodes)[1].lease == (*two)->lease());
  CHECK((*one)->LeaseAlive());
  CHECK((*one)->generation() == 1);

  // Renewals keep the nodes in well past the TTL.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  CHECK(NodeIds(**one) == std::vector<uint64_t>{1, 2});

  two->reset();  // leaves: its lease is revoked, its key goes now rather than after a TTL
  CHECK(NodeIds(**one) == std::vector<uint64_t>{1});
}

TEST_CASE("One node id has one live holder", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path());
  auto client = ClientFor(etcd);
  auto first = Membership::Join(client, Node(7));
  REQUIRE(first.ok());
  MembershipOptions again = Node(7);
  again.advertise = "http://127.0.0.1:1234";
  again.join_wait_seconds = 1;
  auto second = Membership::Join(client, again);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kConflict);
  CHECK(second.status().message().find("http://127.0.0.1:9007") != std::string::npos);
  // The refused join left nothing behind: the holder's key is untouched.
  auto nodes = (*first)->Nodes();
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 1);
  CHECK((*nodes)[0].advertise == "http://127.0.0.1:9007");
}

TEST_CASE("Join refuses bad options before it touches etcd", "[cluster]") {
  auto client = std::make_shared<EtcdClient>(EtcdClient::Options{{{"127.0.0.1", 1}}});
  MembershipOptions zero = Node(1);
  zero.node_id = 0;
  CHECK(Membership::Join(client, zero).status().code() == StatusCode::kInvalidArgument);
  MembershipOptions bad_url = Node(1);
  bad_url.advertise = "127.0.0.1:8080";
  CHECK(Membership::Join(client, bad_url).status().code() == StatusCode::kInvalidArgument);
  // Valid options, no etcd on that port: Unavailable.
  CHECK(Membership::Join(client, Node(1)).status().code() == StatusCode::kUnavailable);
}

TEST_CASE("A key left by a killed process is waited out, then taken", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path());
  auto client = ClientFor(etcd);
  // A dead process's key: attached to a lease nobody renews.
  auto lease = client->GrantLease(2);
  REQUIRE(lease.ok());
  REQUIRE(client->Put("/test/nodes/3", R"({"node_id":3,"advertise":"http://127.0.0.1:9003"})", *lease).ok());
  const auto start = std::chrono::steady_clock::now();
  auto joined = Membership::Join(client, Node(3));  // waits up to TTL + 1 s
  INFO(joined.status().ToString());
  REQUIRE(joined.ok());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(500));
  CHECK((*joined)->lease() != *lease);
}

TEST_CASE("A node whose lease was lost knows it and joins again under a new lease", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path());
  auto client = ClientFor(etcd);
  auto node = Membership::Join(client, Node(4));
  REQUIRE(node.ok());
  const int64_t first_lease = (*node)->lease();
  // etcd ends the lease (as it does when renewals stop reaching it): the node finds out at its
  // next renewal and joins again.
  REQUIRE(client->RevokeLease(first_lease).ok());
  CHECK(Eventually([&] { return (*node)->generation() == 2; }, 5));
  CHECK((*node)->LeaseAlive());
  CHECK((*node)->lease() != first_lease);
  CHECK(NodeIds(**node) == std::vector<uint64_t>{4});
}

TEST_CASE("A node cut off from etcd for a TTL presumes its lease lost, and rejoins after", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path());
  auto client = ClientFor(etcd);
  auto node = Membership::Join(client, Node(5));
  REQUIRE(node.ok());
  etcd.Pause(0);  // etcd stops answering (SIGSTOP)
  CHECK(Eventually([&] { return !(*node)->LeaseAlive(); }, 4));
  etcd.Resume(0);
  CHECK(Eventually([&] { return (*node)->LeaseAlive() && (*node)->generation() == 2; }, 10));
  CHECK(NodeIds(**node) == std::vector<uint64_t>{5});
}

TEST_CASE("A node cut off from etcd presumes its lease lost after a TTL even while its other etcd calls queue", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path(), 3);
  auto client = ClientFor(etcd);
  auto node = Membership::Join(client, Node(7));
  REQUIRE(node.ok());
  for (int m = 0; m < 3; ++m) etcd.Pause(m);
  // Reads of the membership through the node's shared client (what routing and maintenance do):
  // each waits a timeout per member, one after another. The lease's renewals do not wait behind
  // them, and the lease counts as lost a TTL (2 s) after the last acknowledged renewal was sent.
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) readers.emplace_back([&] { (void)(*node)->Nodes(); });
  const auto paused = std::chrono::steady_clock::now();
  CHECK(Eventually([&] { return !(*node)->LeaseAlive(); }, 4));
  CHECK(std::chrono::steady_clock::now() - paused < std::chrono::seconds(3));
  for (int m = 0; m < 3; ++m) etcd.Resume(m);
  for (auto& r : readers) r.join();
  CHECK(Eventually([&] { return (*node)->LeaseAlive() && (*node)->generation() == 2; }, 15));
}

TEST_CASE("Membership survives the loss of one etcd member", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path(), 3);
  auto client = ClientFor(etcd);
  // A TTL longer than an election (the killed member may be the leader: renewals wait for the
  // next one, about two election timeouts of 1 s).
  auto node = Membership::Join(client, Node(6, /*ttl=*/5));
  REQUIRE(node.ok());
  etcd.Kill(0);
  std::this_thread::sleep_for(std::chrono::seconds(8));  // renewals through the others
  CHECK((*node)->LeaseAlive());
  CHECK((*node)->generation() == 1);
  CHECK(NodeIds(**node) == std::vector<uint64_t>{6});
}
