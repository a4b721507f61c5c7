// Quantized collections over HTTP, on a real server process: Qdrant's quantization_config and
// datatype at creation (shown back in the collection info), the search params
// "quantization": {rescore, oversampling, ignore} with the rescoring visible in "debug", every
// refusal (400, nothing created), and the codes across a kill -9.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <random>

#include "client/http_client.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb::testing;
using latentdb::client::HttpClient;
using nlohmann::json;

namespace {

json Points(int n, int dim) {
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0, 1);
  json points = json::array();
  for (int i = 0; i < n; ++i) {
    json v = json::array();
    for (int d = 0; d < dim; ++d) v.push_back(g(rng) + (i % 5) * 2.0f * (d % 3 == 0));
    points.push_back({{"id", i}, {"vector", v}, {"payload", {{"five", i % 5}}}});
  }
  return points;
}

}  // namespace

TEST_CASE("quantized collections over HTTP: configure, rescore, refuse, survive a kill -9", "[http][quantization]") {
  TempDir dir;
  auto server = std::make_unique<ServerProcess>(dir.path());
  HttpClient client("127.0.0.1", server->port());
  const int dim = 24;
  const json points = Points(2500, dim);
  Ok(client, "PUT", "/collections/exact", {{"dim", dim}, {"metric", "cosine"}, {"index", "Flat"}});
  Ok(client, "PUT", "/collections/q",
     {{"dim", dim}, {"metric", "cosine"}, {"index", "HNSW16"},
      {"quantization_config", {{"scalar", {{"type", "int8"}, {"always_ram", true}}}}}});
  Ok(client, "PUT", "/collections/h", {{"dim", dim}, {"metric", "cosine"}, {"datatype", "float16"}});
  // Codes out of RAM, in a memory-mapped file beside the index file.
  Ok(client, "PUT", "/collections/d",
     {{"dim", dim}, {"metric", "cosine"}, {"index", "HNSW16"}, {"on_disk", true},
      {"quantization_config", {{"scalar", {{"type", "int8"}}}}}});
  for (const char* c : {"exact", "q", "h", "d"}) Ok(client, "PUT", std::string("/collections/") + c + "/points", {{"points", points}});

  json info = Ok(client, "GET", "/collections/q");
  CHECK(info["config"]["quantization_config"] == json{{"scalar", {{"type", "int8"}, {"quantile", 1.0}, {"always_ram", true}}}});
  CHECK(info["config"]["datatype"] == "float32");
  CHECK(info["config"]["on_disk"] == false);
  json disk_info = Ok(client, "GET", "/collections/d");
  CHECK(disk_info["config"]["on_disk"] == true);
  CHECK(disk_info["config"]["quantization_config"]["scalar"]["always_ram"] == false);
  CHECK(info["index"]["quantization"] == "int8");
  CHECK(Ok(client, "GET", "/collections/h")["config"]["datatype"] == "float16");
  CHECK(Ok(client, "GET", "/collections/exact")["index"]["quantization"] == "none");

  const json query = points[17]["vector"];
  json truth = Ok(client, "POST", "/collections/exact/search", {{"vector", query}, {"limit", 5}});
  json rescored = Ok(client, "POST", "/collections/q/search",
                     {{"vector", query}, {"limit", 5}, {"debug", true},
                      {"params", {{"hnsw_ef", 64}, {"quantization", {{"rescore", true}, {"oversampling", 3.0}}}}}});
  CHECK(rescored["debug"]["rescored"] == 15);
  REQUIRE(rescored["points"].size() == 5);
  // The nearest point is the query's own; its exact cosine is 1 after rescoring.
  CHECK(rescored["points"][0]["id"] == 17);
  CHECK(std::abs(rescored["points"][0]["score"].get<double>() - 1.0) < 1e-5);
  // The exact cosine, as the float collection scores it, to float rounding (index::ExactScorer).
  for (size_t i = 0; i < 5; ++i) {
    CHECK(rescored["points"][i]["id"] == truth[i]["id"]);
    CHECK(rescored["points"][i]["score"].get<double>() == Approx(truth[i]["score"].get<double>()).margin(1e-6));
  }
  json from_disk = Ok(client, "POST", "/collections/d/search",
                      {{"vector", query}, {"limit", 5}, {"params", {{"hnsw_ef", 64}, {"quantization", {{"oversampling", 3.0}}}}}});
  CHECK(from_disk == rescored["points"]);
  json estimated = Ok(client, "POST", "/collections/q/search",
                      {{"vector", query}, {"limit", 5}, {"debug", true}, {"params", {{"quantization", {{"rescore", false}}}}}});
  CHECK(estimated["debug"]["rescored"] == 0);
  json exact = Ok(client, "POST", "/collections/q/search",
                  {{"vector", query}, {"limit", 5}, {"debug", true}, {"params", {{"exact", true}}}});
  CHECK(exact["debug"]["plan"] == "store_scan");
  for (size_t i = 0; i < 5; ++i) CHECK(exact["points"][i]["id"] == truth[i]["id"]);
  json half = Ok(client, "POST", "/collections/h/search", {{"vector", query}, {"limit", 5}});
  CHECK(half[0]["id"] == 17);

  // Refusals: 400, and nothing created or changed.
  Fails(client, 400, "POST", "/collections/q/search", {{"vector", query}, {"params", {{"quantization", {{"ignore", true}}}}}}, "ignore");
  Fails(client, 400, "POST", "/collections/q/search", {{"vector", query}, {"params", {{"quantization", {{"oversampling", 0.5}}}}}}, "oversampling");
  Fails(client, 400, "POST", "/collections/q/search", {{"vector", query}, {"params", {{"quantization", {{"rescore", "yes"}}}}}}, "rescore");
  Fails(client, 400, "POST", "/collections/q/search", {{"vector", query}, {"params", {{"quantization", {{"x", 1}}}}}}, "unknown");
  Fails(client, 400, "POST", "/collections/q/search", {{"vector", query}, {"params", {{"ef", 8}, {"hnsw_ef", 8}}}}, "not both");
  Fails(client, 400, "PUT", "/collections/bad", {{"dim", 4}, {"index", "IVF8,PQ2"}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}}, "IVF");
  Fails(client, 400, "PUT", "/collections/bad", {{"dim", 4}, {"metric", "l2"}, {"quantization_config", {{"binary", json::object()}}}}, "binary");
  Fails(client, 400, "PUT", "/collections/bad", {{"dim", 4}, {"on_disk", true}}, "on_disk");
  Fails(client, 400, "PUT", "/collections/bad", {{"dim", 4}, {"quantization_config", {{"scalar", {{"type", "int8"}, {"always_ram", "no"}}}}}}, "always_ram");
  Fails(client, 400, "PUT", "/collections/bad", {{"dim", 4}, {"quantization_config", {{"product", {{"compression", "x4"}}}}}}, "product");
  Fails(client, 400, "PUT", "/collections/bad", {{"dim", 4}, {"datatype", "uint8"}}, "datatype");
  Fails(client, 404, "GET", "/collections/bad");

  // The codes and their configuration survive a kill -9 (the index file or a rebuild from the store).
  server->Kill();
  server = std::make_unique<ServerProcess>(dir.path());
  HttpClient again("127.0.0.1", server->port());
  CHECK(Ok(again, "GET", "/collections/q")["index"]["quantization"] == "int8");
  json after = Ok(again, "POST", "/collections/q/search",
                  {{"vector", query}, {"limit", 5}, {"params", {{"hnsw_ef", 64}, {"quantization", {{"oversampling", 3.0}}}}}});
  CHECK(after == rescored["points"]);
  CHECK(Ok(again, "GET", "/collections/d")["index"]["live"] == 2500);
  CHECK(Ok(again, "POST", "/collections/d/search",
           {{"vector", query}, {"limit", 5}, {"params", {{"hnsw_ef", 64}, {"quantization", {{"oversampling", 3.0}}}}}}) ==
        rescored["points"]);
}
