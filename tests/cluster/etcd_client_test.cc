// The etcd adapter against a real etcd (Debian's etcd-server): keys with any bytes, prefixes,
// transactions that hold or fail, leases that expire, and failover between members.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "cluster/etcd_client.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::cluster;
using latentdb::testing::ClientFor;
using latentdb::testing::EtcdCluster;
using latentdb::testing::Eventually;
using latentdb::testing::TempDir;

namespace {

}  // namespace

TEST_CASE("ParseEtcdUrl takes etcd://HOST:PORT lists and refuses the rest", "[cluster]") {
  auto one = ParseEtcdUrl("etcd://127.0.0.1:2379");
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].host == "127.0.0.1");
  CHECK((*one)[0].port == 2379);
  auto three = ParseEtcdUrl("etcd://a:1,b:2,c:65535/");
  REQUIRE(three.ok());
  CHECK(three->size() == 3);
  CHECK((*three)[2].ToString() == "c:65535");
  for (const char* bad : {"http://a:1", "etcd://", "etcd://a", "etcd://a:", "etcd://a:0", "etcd://a:65536",
                          "etcd://a:1,", "etcd://a:1,,b:2", "etcd://:1", "etcd://a:1x", "etcd://a:-1"}) {
    INFO(bad);
    auto r = ParseEtcdUrl(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("PrefixRangeEnd is the first key past the prefix", "[cluster]") {
  CHECK(PrefixRangeEnd("abc") == "abd");
  CHECK(PrefixRangeEnd(std::string("a\xff", 2)) == "b");
  CHECK(PrefixRangeEnd(std::string("\xff\xff", 2)) == std::string(1, '\0'));
  CHECK(PrefixRangeEnd("") == std::string(1, '\0'));
}

TEST_CASE("etcd keys: put, get, prefixes and deletes with any bytes", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path());
  auto client = ClientFor(etcd);

  auto missing = client->Get("/t/none");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  const std::string binary_key = std::string("/t/k\0\xff\n", 6);
  const std::string binary_value = std::string("\0\x01\x02 value \xfe", 12);
  auto rev = client->Put(binary_key, binary_value);
  REQUIRE(rev.ok());
  CHECK(*rev > 0);
  auto got = client->Get(binary_key);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->value == binary_value);
  CHECK((*got)->mod_revision == *rev);
  CHECK((*got)->version == 1);

  REQUIRE(client->Put("/t/a", "1").ok());
  REQUIRE(client->Put("/t/b", "2").ok());
  REQUIRE(client->Put("/u/c", "3").ok());
  auto prefix = client->GetPrefix("/t/");
  REQUIRE(prefix.ok());
  REQUIRE(prefix->kvs.size() == 3);
  CHECK(prefix->kvs[0].key == "/t/a");  // key order
  CHECK(prefix->kvs[1].key == "/t/b");
  CHECK(prefix->revision >= *rev);

  auto deleted = client->Delete("/t/", /*prefix=*/true);
  REQUIRE(deleted.ok());
  CHECK(*deleted == 3);
  CHECK(client->GetPrefix("/t/")->kvs.empty());
  CHECK(client->Get("/u/c")->has_value());
  CHECK(*client->Delete("/u/none") == 0);
}

TEST_CASE("etcd transactions: compares hold or fail, atomically", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path());
  auto client = ClientFor(etcd);

  // Create-if-absent: the first wins, the second sees the winner's value.
  auto first = client->Txn({Compare::Absent("/x")}, {TxnOp::Put("/x", "one")}, {TxnOp::Get("/x")});
  REQUIRE(first.ok());
  CHECK(first->succeeded);
  auto second = client->Txn({Compare::Absent("/x")}, {TxnOp::Put("/x", "two")}, {TxnOp::Get("/x")});
  REQUIRE(second.ok());
  CHECK_FALSE(second->succeeded);
  REQUIRE(second->gets.size() == 1);
  REQUIRE(second->gets[0].size() == 1);
  CHECK(second->gets[0][0].value == "one");

  // Compare-and-swap on the modification revision: a stale revision changes nothing.
  const int64_t rev = second->gets[0][0].mod_revision;
  auto swap = client->Txn({Compare::ModRevisionIs("/x", rev)}, {TxnOp::Put("/x", "three"), TxnOp::Put("/y", "y")});
  REQUIRE(swap.ok());
  CHECK(swap->succeeded);
  auto stale = client->Txn({Compare::ModRevisionIs("/x", rev)}, {TxnOp::Put("/x", "four"), TxnOp::Put("/z", "z")});
  REQUIRE(stale.ok());
  CHECK_FALSE(stale->succeeded);
  CHECK((*client->Get("/x"))->value == "three");
  CHECK_FALSE(client->Get("/z")->has_value());  // neither put of the failed branch ran

  // Value comparisons and deletes in one transaction.
  auto del = client->Txn({Compare::ValueIs("/x", "three")}, {TxnOp::Delete("/x"), TxnOp::Get("/y")});
  REQUIRE(del.ok());
  CHECK(del->succeeded);
  REQUIRE(del->gets.size() == 1);
  CHECK(del->gets[0][0].value == "y");
  CHECK_FALSE(client->Get("/x")->has_value());

  // ModRevisionIs(key, 0) means "absent" too.
  CHECK(client->Txn({Compare::ModRevisionIs("/x", 0)}, {TxnOp::Put("/x", "back")})->succeeded);
  CHECK_FALSE(client->Txn({Compare::ModRevisionIs("/x", 0)}, {TxnOp::Put("/x", "again")})->succeeded);
}

TEST_CASE("etcd leases: keys go when their lease expires or is revoked", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path());
  auto client = ClientFor(etcd);

  auto lease = client->GrantLease(2);
  REQUIRE(lease.ok());
  REQUIRE(client->Put("/live/a", "a", *lease).ok());
  CHECK((*client->Get("/live/a"))->lease == *lease);
  // Renewed, the key outlives its TTL.
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto ttl = client->KeepAlive(*lease);
    REQUIRE(ttl.ok());
    CHECK(*ttl >= 1);
  }
  CHECK(client->Get("/live/a")->has_value());
  // Left alone, it expires: the key goes, and renewing now answers NotFound.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (client->Get("/live/a")->has_value() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(client->Get("/live/a")->has_value());
  auto expired = client->KeepAlive(*lease);
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.status().code() == StatusCode::kNotFound);

  auto second = client->GrantLease(30);
  REQUIRE(second.ok());
  REQUIRE(client->Put("/live/b", "b", *second).ok());
  REQUIRE(client->RevokeLease(*second).ok());
  CHECK_FALSE(client->Get("/live/b")->has_value());
  CHECK(client->RevokeLease(*second).ok());  // already gone: still OK
  // A put under an unknown lease is refused.
  auto refused = client->Put("/live/c", "c", *second);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kNotFound);
}

namespace {

// Retries a put for up to `seconds` (an etcd cluster that lost its leader elects another within
// about two election timeouts, 2 s by default); its last status.
Status PutEventually(EtcdClient& client, const std::string& key, const std::string& value, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    auto r = client.Put(key, value);
    if (r.ok() || std::chrono::steady_clock::now() >= deadline) return r.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

TEST_CASE("etcd client fails over when a member dies, and says Unavailable when none answers", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.path(), 3);
  auto client = ClientFor(etcd);
  REQUIRE(client->Put("/f/a", "1").ok());
  etcd.Kill(0);  // the member the client used (perhaps the leader: then the others elect one)
  Status after = PutEventually(*client, "/f/b", "2", 15);
  INFO(after.ToString());
  REQUIRE(after.ok());
  CHECK((*client->Get("/f/a"))->value == "1");
  etcd.Kill(1);  // no quorum left: the last member answers, but cannot commit
  auto no_quorum = client->Put("/f/c", "3");
  CHECK_FALSE(no_quorum.ok());
  etcd.Kill(2);
  auto none = client->Get("/f/a");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == StatusCode::kUnavailable);
  etcd.Restart(0, /*wait=*/false);  // alone, a member has no quorum and so is not healthy
  etcd.Restart(1, /*wait=*/false);
  etcd.WaitHealthy(0);
  etcd.WaitHealthy(1);
  // Two of three again: writes commit, and what was acknowledged is there.
  Status last = PutEventually(*client, "/f/d", "4", 20);
  INFO(last.ToString());
  REQUIRE(last.ok());
  CHECK((*client->Get("/f/b"))->value == "2");
  CHECK((*client->Get("/f/d"))->value == "4");
}
