// GET /collections/{c}/map over HTTP: a 2-D PCA of an evenly spaced sample of any collection, on
// a design whose axes and variances are known, with a payload field as the label.
#include <array>
#include <cmath>

#include "tests/latent/http_fixture.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
using namespace latentdb::testing::latent;

TEST_CASE("map: PCA projection of a plain collection", "[latent][http]") {
  TempDir tmp;
  ServerProcess server(tmp.Sub("data"));
  HttpClient c("127.0.0.1", server.port());
  Ok(c, "PUT", "/collections/pts", {{"dim", 3}, {"metric", "l2"}});
  Ok(c, "PUT", "/collections/empty", {{"dim", 3}});

  // The 8 points m ± 2·x ± 5·y ± 0.5·z: the mean is m, the variances along y, x, z are
  // (8/7)·25, (8/7)·4, (8/7)·0.25, so the map's x is the signed 5 and its y the signed 2.
  const double m[3] = {1.0, -2.0, 0.5};
  json points = json::array();
  std::vector<std::array<int, 3>> signs;
  for (int p = 0; p < 8; ++p) {
    std::array<int, 3> sg{p & 1 ? 1 : -1, p & 2 ? 1 : -1, p & 4 ? 1 : -1};
    signs.push_back(sg);
    points.push_back({{"id", p},
                      {"vector", {m[0] + 2 * sg[0], m[1] + 5 * sg[1], m[2] + 0.5 * sg[2]}},
                      {"payload", {{"name", "p" + std::to_string(p)}, {"meta", {{"kind", p % 2}}}}}});
  }
  Ok(c, "PUT", "/collections/pts/points", {{"points", points}});

  auto map = Ok(c, "GET", "/collections/pts/map?field=name");
  REQUIRE(map["points"].size() == 8);
  CHECK(map["total"] == 8);
  const double total = 8.0 / 7 * (25 + 4 + 0.25);
  CHECK(map["explained_variance"][0].get<double>() == Approx(8.0 / 7 * 25));
  CHECK(map["explained_variance"][1].get<double>() == Approx(8.0 / 7 * 4));
  CHECK(map["explained_variance_ratio"][0].get<double>() == Approx(8.0 / 7 * 25 / total));
  for (int p = 0; p < 8; ++p) {
    const auto& pt = map["points"][p];
    CHECK(pt["id"] == p);
    CHECK(pt["label"] == "p" + std::to_string(p));
    // Axes are signed so that their largest entry is positive: +y and +x here.
    CHECK(pt["x"].get<double>() == Approx(5.0 * signs[p][1]).margin(1e-4));
    CHECK(pt["y"].get<double>() == Approx(2.0 * signs[p][0]).margin(1e-4));
  }
  CHECK(Ok(c, "GET", "/collections/pts/map?field=name") == map);  // deterministic
  // The basis: (v − mean) · axes reproduces each point's x and y (what the console does to place
  // a point outside the sample).
  const auto& basis = map["basis"];
  REQUIRE(basis["mean"].size() == 3);
  REQUIRE(basis["axes"].size() == 2);
  for (int p = 0; p < 8; ++p) {
    const double v[3] = {m[0] + 2 * signs[p][0], m[1] + 5 * signs[p][1], m[2] + 0.5 * signs[p][2]};
    for (int a = 0; a < 2; ++a) {
      double coord = 0;
      for (int i = 0; i < 3; ++i) coord += (v[i] - basis["mean"][i].get<double>()) * basis["axes"][a][i].get<double>();
      CHECK(coord == Approx(map["points"][p][a == 0 ? "x" : "y"].get<double>()).margin(1e-9));
    }
  }

  // An evenly spaced sample (positions 0, 2, 5 of 8), a dotted field, no field at all.
  auto sample = Ok(c, "GET", "/collections/pts/map?n=3&field=meta.kind");
  REQUIRE(sample["points"].size() == 3);
  CHECK(sample["points"][0]["id"] == 0);
  CHECK(sample["points"][1]["id"] == 2);
  CHECK(sample["points"][2]["id"] == 5);
  CHECK(sample["points"][2]["label"] == 1);
  auto unlabeled = Ok(c, "GET", "/collections/pts/map?n=2");
  CHECK_FALSE(unlabeled["points"][0].contains("label"));
  CHECK(Ok(c, "GET", "/collections/pts/map?field=missing")["points"][0]["label"].is_null());

  auto empty = Ok(c, "GET", "/collections/empty/map");
  CHECK(empty["points"].empty());
  CHECK(empty["explained_variance"] == json({0.0, 0.0}));

  Fails(c, 400, "GET", "/collections/pts/map?n=0", nullptr, "'n'");
  Fails(c, 400, "GET", "/collections/pts/map?n=50001", nullptr, "'n'");
  Fails(c, 400, "GET", "/collections/pts/map?n=-1", nullptr, "'n'");
  Fails(c, 400, "GET", "/collections/pts/map?field=", nullptr, "field");
  Fails(c, 404, "GET", "/collections/nothere/map");
}

TEST_CASE("map: a VAE collection's latents with their labels", "[latent][http]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/vae_map");
  Ok(c, "PUT", "/collections/vae_map", {{"dim", 8}, {"encoder", "vae"}});
  json points = json::array();
  for (size_t i = 0; i < 30; ++i) {
    points.push_back({{"id", i}, {"image", Base64Png(s.images.ImageAt(i))}, {"payload", {{"label", s.images.labels[i]}}}});
  }
  Ok(c, "PUT", "/collections/vae_map/points", {{"points", points}});
  auto map = Ok(c, "GET", "/collections/vae_map/map?n=10&field=label");
  REQUIRE(map["points"].size() == 10);
  for (size_t k = 0; k < 10; ++k) {
    const auto& pt = map["points"][k];
    CHECK(pt["id"] == k * 3);
    CHECK(pt["label"] == s.images.labels[k * 3]);
    CHECK(std::isfinite(pt["x"].get<double>()));
  }
  const auto& ratio = map["explained_variance_ratio"];
  CHECK(ratio[0].get<double>() >= ratio[1].get<double>());
  CHECK(ratio[0].get<double>() + ratio[1].get<double>() <= 1.0 + 1e-9);
  CHECK(ratio[1].get<double>() > 0);
}
