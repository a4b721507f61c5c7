// The latent-space routes of a generative collection (a VAE trained here by `latentdb train vae`
// on a slice of Fashion-MNIST) on a sharded collection of real `latentdb serve --cluster` nodes:
// interpolation, samples (stored too), anomalies, decoding and reconstruction answer as one node
// holding every point (a reference server with the same model and points, in the same run).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "client/http_client.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::testing;
using nlohmann::json;

namespace {

constexpr int kLatent = 8;

json Latent(int i) {
  std::mt19937 rng(100 + i);
  std::normal_distribution<float> noise(0.f, 1.f);
  json v = json::array();
  for (int d = 0; d < kLatent; ++d) v.push_back(noise(rng));
  return v;
}

// What must agree between the cluster and one node: every decoded latent's vector (to 1e-4), its
// image, and its nearest point's id and score.
std::vector<std::string> Decoded(const json& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::string line;
    for (const auto& x : item["vector"]) line += std::to_string(std::lround(x.get<double>() * 1e4)) + " ";
    line += item["image"].get<std::string>().substr(0, 64) + " ";
    line += item["nearest"].is_null() ? "none" : item["nearest"]["id"].dump() + " " + std::to_string(std::lround(item["nearest"]["score"].get<double>() * 1e4));
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("A sharded VAE collection's latent-space routes answer as one node holding every point", "[cluster]") {
  TempDir dir;
  // One small VAE, trained by the real CLI, copied into every node's data directory.
  std::string output;
  REQUIRE(RunLatentdb({"train", "vae", "--data", "fashion-mnist", "--name", "vae", "--latent", std::to_string(kLatent),
                       "--class-embedding", "0", "--epochs", "1",
                       "--limit", "1024", "--max-batches", "16", "--threads", "1", "--data-dir", dir.Sub("trained")},
                      &output) == 0);
  const std::vector<std::string> names = {"n1", "n2", "n3", "reference"};
  for (const auto& n : names) {
    std::filesystem::create_directories(dir.Sub(n));
    std::filesystem::copy(dir.Sub("trained") + "/models", dir.Sub(n) + "/models", std::filesystem::copy_options::recursive);
  }
  EtcdCluster etcd(dir.Sub("etcd"));
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  for (int n = 1; n <= 3; ++n) nodes.push_back(std::make_unique<ServerProcess>(dir.Sub(names[n - 1]), ServeClusterArgs(etcd, n)));
  ServerProcess reference(dir.Sub("reference"));
  std::vector<std::unique_ptr<client::HttpClient>> at;
  for (auto& n : nodes) at.push_back(std::make_unique<client::HttpClient>("127.0.0.1", n->port()));
  client::HttpClient one("127.0.0.1", reference.port());

  json points = json::array();
  for (int i = 0; i < 300; ++i) {
    json id = i % 3 ? json(i) : json("p" + std::to_string(i));
    points.push_back({{"id", id}, {"vector", Latent(i)}, {"payload", {{"neg_elbo", 100.0 + (i * 37 % 300)}, {"i", i}}}});
  }
  const json shape = {{"dim", kLatent}, {"encoder", "vae"}, {"metric", "l2"}, {"index", "Flat"}};
  json sharded = shape;
  sharded["shard_number"] = 3;
  Ok(*at[0], "PUT", "/collections/gen", sharded);
  Ok(one, "PUT", "/collections/gen", shape);
  Ok(*at[1], "PUT", "/collections/gen/points?wait=true", {{"points", points}});
  Ok(one, "PUT", "/collections/gen/points?wait=true", {{"points", points}});

  // Interpolations between stored points (ids on different shards), vectors, and both.
  const json interpolations[] = {
      {{"from", 1}, {"to", "p3"}, {"steps", 5}},
      {{"from", Latent(1000)}, {"to", 4}, {"mode", "slerp"}},
      {{"from", Latent(1001)}, {"to", Latent(1002)}, {"steps", 3}},
  };
  for (const auto& body : interpolations) {
    INFO(body.dump());
    const json want = Ok(one, "POST", "/collections/gen/interpolate", body);
    for (auto& node : at) {
      const json got = Ok(*node, "POST", "/collections/gen/interpolate", body);
      CHECK(got["mode"] == want["mode"]);
      CHECK(Decoded(got["steps"]) == Decoded(want["steps"]));
    }
  }
  Fails(*at[2], 404, "POST", "/collections/gen/interpolate", {{"from", 1}, {"to", 99999}}, "99999");
  Fails(*at[2], 400, "POST", "/collections/gen/interpolate", {{"from", 1}, {"to", 2}, {"steps", 1}}, "steps");

  // Samples of one seed: the same latents and images, the nearest point of the whole collection.
  const json sample = {{"n", 6}, {"seed", 7}};
  const json want_samples = Ok(one, "POST", "/collections/gen/sample", sample);
  for (auto& node : at) CHECK(Decoded(Ok(*node, "POST", "/collections/gen/sample", sample)["samples"]) == Decoded(want_samples["samples"]));
  const json drawn = Ok(*at[0], "POST", "/collections/gen/sample", {{"n", 2}});
  CHECK(drawn["seed"].is_number_unsigned());
  CHECK(drawn["samples"].size() == 2);
  // Stored: the same ids and payloads as one node's, each on its own shard.
  const json store = {{"n", 4}, {"seed", 9}, {"store", true}};
  const json stored = Ok(*at[2], "POST", "/collections/gen/sample", store);
  const json stored_one = Ok(one, "POST", "/collections/gen/sample", store);
  CHECK(stored["stored"] == 4);
  CHECK(Decoded(stored["samples"]) == Decoded(stored_one["samples"]));
  for (size_t i = 0; i < 4; ++i) CHECK(stored["samples"][i]["id"] == stored_one["samples"][i]["id"]);
  const json ids = {"sample-9-0", "sample-9-1", "sample-9-2", "sample-9-3"};
  CHECK(Ok(*at[0], "POST", "/collections/gen/points", {{"ids", ids}, {"with_vector", true}}) ==
        Ok(one, "POST", "/collections/gen/points", {{"ids", ids}, {"with_vector", true}}));
  CHECK(Ok(*at[1], "POST", "/collections/gen/points/count", {{"exact", true}})["count"] == 304);

  // Anomalies: the k highest negative ELBOs of all shards.
  for (auto& node : at) {
    CHECK(Ok(*node, "GET", "/collections/gen/anomalies?k=7") == Ok(one, "GET", "/collections/gen/anomalies?k=7"));
  }
  Fails(*at[0], 400, "GET", "/collections/gen/anomalies?k=0", nullptr, "k");

  // Decoding a stored point by a body id, and reconstructing that image.
  const json decoded = Ok(*at[1], "POST", "/collections/gen/points/decode", {{"id", "p6"}, {"format", "json"}});
  CHECK(decoded == Ok(one, "POST", "/collections/gen/points/decode", {{"id", "p6"}, {"format", "json"}}));
  Fails(*at[1], 404, "POST", "/collections/gen/points/decode", {{"id", "nope"}});
  const json image = {{"image", decoded["image"]}};
  const json rebuilt = Ok(*at[2], "POST", "/collections/gen/reconstruct", image);
  const json rebuilt_one = Ok(one, "POST", "/collections/gen/reconstruct", image);
  CHECK(rebuilt["vector"].size() == kLatent);
  CHECK(rebuilt["image"] == rebuilt_one["image"]);

  // The map: with n at least the collection's size, every point, placed as one node places it.
  auto placed = [](const json& map) {
    std::map<std::string, std::string> out;
    for (const auto& p : map["points"]) {
      out[p["id"].dump()] = std::to_string(std::lround(p["x"].get<double>() * 1e4)) + " " +
                            std::to_string(std::lround(p["y"].get<double>() * 1e4)) + " " + p.value("label", json()).dump();
    }
    return out;
  };
  const json whole = Ok(*at[0], "GET", "/collections/gen/map?n=1000&field=i");
  const json whole_one = Ok(one, "GET", "/collections/gen/map?n=1000&field=i");
  CHECK(whole["total"] == 304);
  CHECK(whole["points"].size() == 304);
  CHECK(placed(whole) == placed(whole_one));
  for (size_t a = 0; a < 2; ++a) {
    CHECK(whole["explained_variance_ratio"][a].get<double>() == Approx(whole_one["explained_variance_ratio"][a].get<double>()).epsilon(1e-6));
  }
  // Fewer: each shard's share of an evenly spread sample, with vectors when asked, placed on the
  // basis the answer gives.
  const json part = Ok(*at[1], "GET", "/collections/gen/map?n=50&with_vectors=true");
  CHECK(part["total"] == 304);
  REQUIRE(part["points"].size() == 50);
  std::set<std::string> distinct;
  for (const auto& p : part["points"]) {
    distinct.insert(p["id"].dump());
    REQUIRE(p["vector"].size() == kLatent);
    double x = 0;
    for (int d = 0; d < kLatent; ++d) {
      x += (p["vector"][d].get<double>() - part["basis"]["mean"][d].get<double>()) * part["basis"]["axes"][0][d].get<double>();
    }
    CHECK(x == Approx(p["x"].get<double>()).margin(1e-4));
  }
  CHECK(distinct.size() == 50);
  // An edit along a direction (the cluster's vector given to the reference too): shard 0's
  // decoded images, each step's neighbours from every shard.
  const json low = {{"must", {{{"key", "i"}, {"range", {{"lt", 100}}}}}}};
  const json high = {{"must", {{{"key", "i"}, {"range", {{"gte", 200}}}}}}};
  const json direction = Ok(*at[2], "POST", "/collections/gen/directions?with_vector=true",
                            {{"name", "up"}, {"method", "mean_difference"}, {"from", low}, {"to", high}});
  CHECK(direction["from_count"] == 100);
  json record = direction;
  record.erase("replaced");
  Ok(one, "PUT", "/collections/gen/directions/up", record);
  const json edit = {{"from", "p3"}, {"direction", "up"}, {"strengths", {0, 1.5}}, {"k", 4}};
  const json want_edit = Ok(one, "POST", "/collections/gen/edit", edit);
  for (auto& node : at) {
    const json got = Ok(*node, "POST", "/collections/gen/edit", edit);
    REQUIRE(got["steps"].size() == 2);
    for (size_t i = 0; i < 2; ++i) {
      const json& g = got["steps"][i];
      const json& w = want_edit["steps"][i];
      CHECK(g["image"].get<std::string>().substr(0, 64) == w["image"].get<std::string>().substr(0, 64));
      REQUIRE(g["neighbors"].size() == 4);
      for (size_t j = 0; j < 4; ++j) CHECK(g["neighbors"][j]["id"] == w["neighbors"][j]["id"]);
    }
  }
  Fails(*at[2], 400, "GET", "/collections/gen/map?n=0", nullptr, "n");
  Fails(*at[2], 400, "GET", "/collections/gen/map?field=", nullptr, "field");
}
