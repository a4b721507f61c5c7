// Attribute directions, edits and the point sample on sharded collections (replicated too), on a
// cluster of real `latentdb serve --cluster` processes and a real etcd, against a single node
// holding the same points in the same run: the learned directions, the edits' neighbours, the
// samples and every refusal are the single node's (http/cluster/sharded_directions.h).
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <vector>

#include "client/http_client.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/latent/direction_cases.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::testing;
using namespace latentdb::testing::directions;
using nlohmann::json;

namespace {

// A direction's answer without what differs between two stores of it: its creation time, its
// vector (compared by angle) and "replaced".
json Described(json d) {
  d.erase("created");
  d.erase("vector");
  d.erase("replaced");
  if (d.contains("training_accuracy")) d["training_accuracy"] = std::round(d["training_accuracy"].get<double>() * 1e4);
  if (d.contains("explained_variance_ratio")) {
    d["explained_variance_ratio"] = std::round(d["explained_variance_ratio"].get<double>() * 1e4);
  }
  return d;
}

// Two vectors equal to float precision (a direction stored again is scaled to unit length again).
bool Near(const json& a, const json& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::abs(a[i].get<double>() - b[i].get<double>()) > 1e-5) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Directions, edits and samples on a sharded collection answer as one node holding every point", "[cluster]") {
  TempDir dir;
  EtcdCluster etcd(dir.Sub("etcd"));
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  for (int n = 1; n <= 3; ++n) {
    nodes.push_back(std::make_unique<ServerProcess>(dir.Sub("n" + std::to_string(n)), ServeClusterArgs(etcd, n)));
  }
  ServerProcess reference(dir.Sub("reference"));
  std::vector<std::unique_ptr<client::HttpClient>> at;
  for (auto& n : nodes) at.push_back(std::make_unique<client::HttpClient>("127.0.0.1", n->port()));
  client::HttpClient one("127.0.0.1", reference.port());

  // l2 with 3 shards of 2 copies each; cosine (its sets are unit-normalized) with 2 shards.
  Ok(*at[0], "PUT", "/collections/vec", {{"dim", 3}, {"metric", "l2"}, {"index", "Flat"}, {"shard_number", 3},
                                          {"replication_factor", 2}});
  Ok(*at[1], "PUT", "/collections/cos", {{"dim", 3}, {"metric", "cosine"}, {"index", "Flat"}, {"shard_number", 2}});
  for (const char* c : {"vec", "cos"}) {
    if (std::string(c) == "cos") {
      Ok(one, "PUT", "/collections/cos", {{"dim", 3}, {"metric", "cosine"}, {"index", "Flat"}});
    } else {
      Ok(one, "PUT", "/collections/vec", {{"dim", 3}, {"metric", "l2"}, {"index", "Flat"}});
    }
    FillClusters(*at[2], c);
    FillClusters(one, c);
  }

  for (const char* c : {"vec", "cos"}) {
    INFO("collection " << c);
    const std::string base = std::string("/collections/") + c;
    // Learned through each node in turn: the single node's direction, up to the order of the points.
    const json requests[] = {
        {{"name", "md"}, {"method", "mean_difference"}, {"from", Label("from")}, {"to", Label("to")}},
        {{"name", "lin"}, {"method", "linear"}, {"from", Label("from")}, {"to", Label("to")}},
        {{"name", "pc"}, {"method", "pca"}, {"component", 1}},
        {{"name", "ortho"}, {"method", "pca"}, {"orthogonal_to", {"md", "lin"}}},
        {{"name", "overlapping"}, {"method", "mean_difference"}, {"from", Label("from")},
         {"to", {{"should", {{{"key", "label"}, {"match", {{"value", "to"}}}}, {{"has_id", {5}}}}}}}},
    };
    int turn = 0;
    for (const auto& r : requests) {
      INFO(r.dump());
      json got = Ok(*at[turn++ % 3], "POST", base + "/directions?with_vector=true", r);
      json want = Ok(one, "POST", base + "/directions?with_vector=true", r);
      CHECK(Described(got) == Described(want));
      CHECK(Dot(got["vector"], want["vector"]) == Approx(1.0).margin(1e-5));
    }
    // Stored on every shard: every node lists the same directions, with the same vectors.
    json listed = Ok(*at[0], "GET", base + "/directions?with_vector=true");
    REQUIRE(listed["directions"].size() == 5);
    for (auto& node : at) CHECK(Ok(*node, "GET", base + "/directions?with_vector=true") == listed);
    CHECK(Ok(*at[1], "GET", base + "/directions/md") == listed["directions"][1]);  // by name: lin, md, …

    // Edits: the reference stores the cluster's own vector (PUT), so that both move the same way.
    for (const auto& d : listed["directions"]) {
      json record = d;
      Ok(one, "PUT", base + "/directions/" + d["name"].get<std::string>(), record);
    }
    const json edits[] = {
        {{"from", 0}, {"direction", "md"}, {"strengths", {-1, 0, 1, 2.5}}, {"k", 7}},
        {{"from", 500}, {"direction", "lin"}, {"strengths", {0.5}}, {"k", 3}, {"with_payload", false}},
        {{"from", {1.0, -2.0, 0.5}}, {"direction", "ortho"}, {"strengths", {1, 3}}},
    };
    for (const auto& e : edits) {
      INFO(e.dump());
      for (auto& node : at) {
        json got = Ok(*node, "POST", base + "/edit", e);
        json want = Ok(one, "POST", base + "/edit", e);
        CHECK(got["direction"] == want["direction"]);
        CHECK(got["start"] == want["start"]);
        REQUIRE(got["steps"].size() == want["steps"].size());
        for (size_t i = 0; i < got["steps"].size(); ++i) {
          CHECK(Near(got["steps"][i]["vector"], want["steps"][i]["vector"]));
          CHECK(Ranked(got["steps"][i]["neighbors"]) == Ranked(want["steps"][i]["neighbors"]));
          CHECK(got["steps"][i]["neighbors"][0].contains("payload") == want["steps"][i]["neighbors"][0].contains("payload"));
          CHECK_FALSE(got["steps"][i].contains("image"));
        }
      }
    }

    // The sample: every matching point in id order when the limit covers them; else each shard's
    // share, evenly spread, as many as asked.
    json all = Ok(*at[1], "POST", base + "/points/sample", {{"limit", 500}, {"filter", Label("to")}, {"with_vector", true}});
    CHECK(all == Ok(one, "POST", base + "/points/sample", {{"limit", 500}, {"filter", Label("to")}, {"with_vector", true}}));
    json some = Ok(*at[2], "POST", base + "/points/sample", {{"limit", 10}, {"filter", Label("from")}});
    CHECK(some["matched"] == 60);
    CHECK(some["points"].size() == 10);
    for (const auto& p : some["points"]) CHECK(p["payload"]["label"] == "from");

    // Deleted everywhere; a second delete is one node's 404.
    CHECK(Ok(*at[2], "DELETE", base + "/directions/pc") == true);
    for (auto& node : at) Fails(*node, 404, "GET", base + "/directions/pc", nullptr, "no direction 'pc'");
    Fails(*at[0], 404, "DELETE", base + "/directions/pc", nullptr, "no direction 'pc'");
  }

  // Every refusal is the single node's, and changes nothing anywhere.
  Ok(*at[0], "DELETE", "/collections/vec/directions/md");
  Ok(one, "DELETE", "/collections/vec/directions/md");
  Ok(*at[0], "POST", "/collections/vec/directions",
     {{"name", "md"}, {"method", "mean_difference"}, {"from", Label("from")}, {"to", Label("to")}});
  const json before = Ok(*at[0], "GET", "/collections/vec/directions?with_vector=true");
  const json points_before = Ok(*at[0], "POST", "/collections/vec/points/scroll", {{"limit", 1000}, {"with_vector", true}});
  int turn = 0;
  for (const auto& bad : RefusedDirectionRequests()) {
    INFO(bad.method << " " << bad.target << " " << bad.body.dump());
    Fails(*at[turn++ % 3], bad.code, bad.method, bad.target, bad.body, bad.mention);
  }
  for (auto& node : at) {
    CHECK(Ok(*node, "GET", "/collections/vec/directions?with_vector=true") == before);
    CHECK(Ok(*node, "POST", "/collections/vec/points/scroll", {{"limit", 1000}, {"with_vector", true}}) == points_before);
  }
}
