// The VAE routes over HTTP against a real server: anomaly scores in payloads, decode, interpolate,
// sample, reconstruct, anomalies, analogy with a decoded image, and their error cases. Expected
// latents (interpolations, a + b − c) are computed here from the stored vectors.
#include <algorithm>
#include <cmath>

#include "common/base64.h"
#include "latent/math.h"
#include "tests/images/image_fixtures.h"
#include "tests/latent/http_fixture.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using namespace latentdb::testing::latent;
namespace fixtures = latentdb::testing::images;

namespace {

constexpr size_t kPoints = 40;

// A VAE collection ("vae_c", l2) with the first kPoints images, labels in the payloads, and a
// CNN collection ("cnn_c") for the "not a VAE" cases.
void CreateCollections(HttpClient& c, const Served& s) {
  SendJson(c, "DELETE", "/collections/vae_c");
  SendJson(c, "DELETE", "/collections/cnn_c");
  Ok(c, "PUT", "/collections/vae_c", {{"dim", 8}, {"encoder", "vae"}, {"metric", "l2"}, {"index", "Flat"}});
  Ok(c, "PUT", "/collections/cnn_c", {{"dim", 16}, {"encoder", "cnn"}});
  json points = json::array();
  for (size_t i = 0; i < kPoints; ++i) {
    points.push_back({{"id", i}, {"image", Base64Png(s.images.ImageAt(i))}, {"payload", {{"label", s.images.labels[i]}}}});
  }
  CHECK(Ok(c, "PUT", "/collections/vae_c/points", {{"points", points}})["upserted"] == kPoints);
  Ok(c, "PUT", "/collections/cnn_c/points", {{"points", {points[0], points[1]}}});
}

std::vector<float> Stored(HttpClient& c, int id) {
  return Floats(Ok(c, "GET", "/collections/vae_c/points/" + std::to_string(id))["vector"]);
}

}  // namespace

TEST_CASE("vae: anomaly scores, decode and reconstruct", "[latent][http]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  CreateCollections(c, s);

  // Upserts store the scores in the payload, beside the caller's fields; they match /reconstruct.
  auto p = Ok(c, "GET", "/collections/vae_c/points/3");
  const json& pl = p["payload"];
  CHECK(pl["label"] == s.images.labels[3]);
  REQUIRE(pl["neg_elbo"].is_number());
  CHECK(pl["reconstruction_error"].get<double>() > 0);
  CHECK(pl["kl"].get<double>() >= 0);
  CHECK(pl["neg_elbo"].get<double>() == Approx(pl["reconstruction_error"].get<double>() + pl["kl"].get<double>()));
  const std::string png3 = Png(s.images.ImageAt(3));
  auto rec = Ok(c, "POST", "/collections/vae_c/reconstruct", {{"image", latentdb::Base64Encode(png3)}});
  CHECK(rec["neg_elbo"].get<double>() == Approx(pl["neg_elbo"].get<double>()).epsilon(1e-4));
  CHECK(rec["kl"].get<double>() == Approx(pl["kl"].get<double>()).epsilon(1e-4));
  auto stored = Floats(p["vector"]);
  auto rv = Floats(rec["vector"]);
  for (size_t i = 0; i < 8; ++i) CHECK(rv[i] == Approx(stored[i]).margin(1e-5));
  auto rec_img = DecodeBase64Png(rec["image"]);
  CHECK(rec_img.width == 28);
  CHECK(rec_img.height == 28);
  CHECK(rec_img.channels == 1);
  // The same as a raw body.
  auto raw = Ok(Send(c, "POST", "/collections/vae_c/reconstruct", png3, "image/png"));
  CHECK(raw["neg_elbo"] == rec["neg_elbo"]);
  CHECK(raw["image"] == rec["image"]);

  // A raw upload into a VAE collection reports and stores the scores too.
  auto up = Ok(Send(c, "PUT", "/collections/vae_c/points/500", png3, "image/png"));
  CHECK(up["scores"]["neg_elbo"].get<double>() == Approx(rec["neg_elbo"].get<double>()).epsilon(1e-4));
  CHECK(Ok(c, "GET", "/collections/vae_c/points/500")["payload"]["neg_elbo"] == up["scores"]["neg_elbo"]);
  Ok(c, "POST", "/collections/vae_c/points/delete", {{"ids", {500}}});

  // GET …/decode: the PNG of decode(stored latent), the same image as POST /decode of that vector.
  auto d = Send(c, "GET", "/collections/vae_c/points/3/decode", "");
  REQUIRE(d.status == 200);
  CHECK(d.content_type == "image/png");
  auto decoded = DecodePng(d.raw);
  CHECK(decoded.width == 28);
  CHECK(decoded.channels == 1);
  auto d2 = Send(c, "POST", "/decode", json{{"model", "vae"}, {"vector", stored}}.dump());
  REQUIRE(d2.status == 200);
  CHECK(d2.content_type == "image/png");
  CHECK(MaxPixelDiff(DecodePng(d2.raw), decoded) <= 1);
  auto dj = Ok(c, "POST", "/decode", {{"model", "vae"}, {"vector", stored}, {"format", "json"}});
  CHECK(dj["width"] == 28);
  CHECK(MaxPixelDiff(DecodeBase64Png(dj["image"]), decoded) <= 1);
  // decode(μ(x)) is the reconstruction.
  CHECK(MaxPixelDiff(decoded, rec_img) <= 1);
  // A trained VAE's reconstruction is closer to its input than to another class's image.
  auto original = s.images.ImageAt(3);
  auto distance = [](const latentdb::images::Image& a, const latentdb::images::Image& b) {
    double sum = 0;
    for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    return sum;
  };
  size_t other = 0;
  while (s.images.labels[other] == s.images.labels[3]) ++other;
  CHECK(distance(decoded, original) < distance(s.images.ImageAt(other), original));

  // Errors.
  Fails(c, 404, "GET", "/collections/vae_c/points/999/decode");
  Fails(c, 404, "GET", "/collections/nothere/points/1/decode");
  Fails(c, 400, "GET", "/collections/cnn_c/points/1/decode", nullptr, "VAE");
  Fails(c, 400, "POST", "/decode", {{"model", "cnn"}, {"vector", std::vector<float>(16, 0)}}, "VAE");
  Fails(c, 400, "POST", "/decode", {{"model", "vae"}, {"vector", std::vector<float>(5, 0)}});
  Fails(c, 400, "POST", "/decode", {{"model", "vae"}, {"vector", stored}, {"format", "gif"}}, "format");
  Fails(c, 400, "POST", "/decode", {{"model", "vae"}});
  Fails(c, 400, "POST", "/decode", {{"vector", stored}}, "model");
  Fails(c, 404, "POST", "/decode", {{"model", "nomodel"}, {"vector", stored}});
  Fails(c, 400, "POST", "/collections/cnn_c/reconstruct", {{"image", latentdb::Base64Encode(png3)}}, "VAE");
  Fails(c, 404, "POST", "/collections/nothere/reconstruct", {{"image", latentdb::Base64Encode(png3)}});
  Fails(c, 400, "POST", "/collections/vae_c/reconstruct", json::object(), "image");
  Fails(c, 400, "POST", "/collections/vae_c/reconstruct", {{"image", latentdb::Base64Encode(png3.substr(0, 40))}});
  Fails(Send(c, "POST", "/collections/vae_c/reconstruct", png3, "image/svg+xml"), 415);
  Fails(Send(c, "POST", "/collections/vae_c/reconstruct", fixtures::PngHeader(65536, 65536), "image/png"), 413);
}

TEST_CASE("vae: interpolation", "[latent][http]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  CreateCollections(c, s);
  auto a = Stored(c, 1), b = Stored(c, 2);

  auto lin = Ok(c, "POST", "/collections/vae_c/interpolate", {{"from", 1}, {"to", 2}, {"steps", 5}});
  CHECK(lin["mode"] == "linear");
  const auto& steps = lin["steps"];
  REQUIRE(steps.size() == 5);
  CHECK(Floats(steps[0]["vector"]) == a);  // exact endpoints
  CHECK(Floats(steps[4]["vector"]) == b);
  for (size_t k = 0; k < 5; ++k) {
    CHECK(steps[k]["t"].get<double>() == Approx(k / 4.0));
    auto v = Floats(steps[k]["vector"]);
    for (size_t i = 0; i < 8; ++i) CHECK(v[i] == Approx(a[i] + (b[i] - a[i]) * k / 4.0).margin(1e-5));
    CHECK(DecodeBase64Png(steps[k]["image"]).width == 28);
    REQUIRE(steps[k]["nearest"].is_object());
  }
  // The endpoints decode to the endpoints' decodes and are their own nearest points.
  CHECK(MaxPixelDiff(DecodeBase64Png(steps[0]["image"]), DecodePng(Send(c, "GET", "/collections/vae_c/points/1/decode", "").raw)) <= 1);
  CHECK(MaxPixelDiff(DecodeBase64Png(steps[4]["image"]), DecodePng(Send(c, "GET", "/collections/vae_c/points/2/decode", "").raw)) <= 1);
  CHECK(steps[0]["nearest"]["id"] == 1);
  CHECK(steps[0]["nearest"]["score"].get<double>() == Approx(0).margin(1e-4));
  CHECK(steps[4]["nearest"]["id"] == 2);

  // Slerp between a vector and a stored point, against the formula computed here.
  std::vector<float> from(8);
  for (size_t i = 0; i < 8; ++i) from[i] = static_cast<float>(std::cos(i + 1.0));
  auto sl = Ok(c, "POST", "/collections/vae_c/interpolate", {{"from", from}, {"to", 2}, {"steps", 3}, {"mode", "slerp"}});
  CHECK(sl["mode"] == "slerp");
  double dot = 0, nf = 0, nb = 0;
  for (size_t i = 0; i < 8; ++i) {
    dot += from[i] * b[i];
    nf += from[i] * from[i];
    nb += b[i] * b[i];
  }
  const double omega = std::acos(dot / std::sqrt(nf * nb));
  auto mid = Floats(sl["steps"][1]["vector"]);
  for (size_t i = 0; i < 8; ++i) {
    CHECK(mid[i] == Approx((std::sin(omega / 2) * (from[i] + b[i])) / std::sin(omega)).margin(1e-5));
  }
  CHECK(Floats(sl["steps"][0]["vector"]) == from);

  // Errors.
  Fails(c, 400, "POST", "/collections/vae_c/interpolate", {{"from", 1}, {"to", 2}, {"steps", 1}}, "steps");
  Fails(c, 400, "POST", "/collections/vae_c/interpolate", {{"from", 1}, {"to", 2}, {"steps", 257}}, "steps");
  Fails(c, 400, "POST", "/collections/vae_c/interpolate", {{"from", 1}, {"to", 2}, {"steps", -3}}, "steps");
  Fails(c, 400, "POST", "/collections/vae_c/interpolate", {{"from", 1}, {"to", 2}, {"mode", "cubic"}}, "slerp");
  Fails(c, 400, "POST", "/collections/vae_c/interpolate", {{"from", 1}}, "to");
  Fails(c, 400, "POST", "/collections/vae_c/interpolate", {{"from", 1}, {"to", {1, 2}}}, "8-d");
  Fails(c, 400, "POST", "/collections/vae_c/interpolate", {{"from", 1}, {"to", true}});
  Fails(c, 404, "POST", "/collections/vae_c/interpolate", {{"from", 1}, {"to", 999}});
  Fails(c, 404, "POST", "/collections/nothere/interpolate", {{"from", 1}, {"to", 2}});
  Fails(c, 400, "POST", "/collections/cnn_c/interpolate", {{"from", 0}, {"to", 1}}, "VAE");
  Fails(c, 400, "POST", "/collections/vae_c/interpolate", json::array(), "object");
}

TEST_CASE("vae: samples from the prior", "[latent][http]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  CreateCollections(c, s);

  auto first = Ok(c, "POST", "/collections/vae_c/sample", {{"n", 4}, {"seed", 7}});
  auto again = Ok(c, "POST", "/collections/vae_c/sample", {{"n", 4}, {"seed", 7}});
  auto other = Ok(c, "POST", "/collections/vae_c/sample", {{"n", 4}, {"seed", 8}});
  CHECK(first == again);  // deterministic for a seed, images included
  CHECK(first["seed"] == 7);
  REQUIRE(first["samples"].size() == 4);
  CHECK(first["samples"] != other["samples"]);
  auto want = latentdb::latent::StandardNormalSamples(4, 8, 7);
  for (size_t k = 0; k < 4; ++k) {
    const auto& sample = first["samples"][k];
    CHECK(Floats(sample["vector"]) == want[k]);
    CHECK(DecodeBase64Png(sample["image"]).height == 28);
    REQUIRE(sample["nearest"].is_object());
    // The nearest point really is the closest stored latent (Flat index, l2).
    const auto& near = sample["nearest"];
    auto nv = Stored(c, near["id"].get<int>());
    double best = 1e300;
    for (size_t id = 0; id < kPoints; ++id) {
      auto v = Stored(c, static_cast<int>(id));
      double d = 0;
      for (size_t i = 0; i < 8; ++i) d += (v[i] - want[k][i]) * (v[i] - want[k][i]);
      best = std::min(best, std::sqrt(d));
    }
    CHECK(near["score"].get<double>() == Approx(best).epsilon(1e-4));
  }
  // Without a seed, the reply names the one it drew; it reproduces the samples.
  auto drawn = Ok(c, "POST", "/collections/vae_c/sample", {{"n", 2}});
  REQUIRE(drawn["seed"].is_number_unsigned());
  CHECK(Ok(c, "POST", "/collections/vae_c/sample", {{"n", 2}, {"seed", drawn["seed"]}}) == drawn);
  CHECK(Ok(c, "POST", "/collections/vae_c/sample")["samples"].size() == 16);  // the default n

  Fails(c, 400, "POST", "/collections/vae_c/sample", {{"n", 0}}, "\"n\"");
  Fails(c, 400, "POST", "/collections/vae_c/sample", {{"n", 257}}, "\"n\"");
  Fails(c, 400, "POST", "/collections/vae_c/sample", {{"n", 2}, {"seed", -1}}, "seed");
  Fails(c, 400, "POST", "/collections/vae_c/sample", {{"n", 2}, {"seed", "x"}}, "seed");
  Fails(c, 400, "POST", "/collections/cnn_c/sample", {{"n", 2}}, "VAE");
  Fails(c, 404, "POST", "/collections/nothere/sample", {{"n", 2}});
}

TEST_CASE("vae: anomalies and analogy", "[latent][http]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  CreateCollections(c, s);
  // A point without scores (given as a vector) is not ranked.
  Ok(c, "PUT", "/collections/vae_c/points", {{"points", {{{"id", "v"}, {"vector", std::vector<float>(8, 0.5f)}}}}});

  // The expected ranking, from the payloads.
  std::vector<std::pair<double, int>> scores;
  for (size_t id = 0; id < kPoints; ++id) {
    auto p = Ok(c, "GET", "/collections/vae_c/points/" + std::to_string(id));
    scores.push_back({p["payload"]["neg_elbo"].get<double>(), static_cast<int>(id)});
  }
  std::stable_sort(scores.begin(), scores.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  auto top = Ok(c, "GET", "/collections/vae_c/anomalies?k=5");
  CHECK(top["scored"] == kPoints);
  REQUIRE(top["points"].size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(top["points"][i]["id"] == scores[i].second);
    CHECK(top["points"][i]["neg_elbo"].get<double>() == scores[i].first);
    CHECK(top["points"][i]["payload"]["label"].is_number());
  }
  CHECK(Ok(c, "GET", "/collections/vae_c/anomalies")["points"].size() == 20);  // the default k
  CHECK(Ok(c, "GET", "/collections/vae_c/anomalies?k=1000")["points"].size() == kPoints);
  Fails(c, 400, "GET", "/collections/vae_c/anomalies?k=0", nullptr, "'k'");
  Fails(c, 400, "GET", "/collections/vae_c/anomalies?k=abc", nullptr, "'k'");
  Fails(c, 400, "GET", "/collections/vae_c/anomalies?k=10001", nullptr, "'k'");
  Fails(c, 400, "GET", "/collections/cnn_c/anomalies", nullptr, "VAE");
  Fails(c, 404, "GET", "/collections/nothere/anomalies");

  // Analogy: on a VAE collection the reply adds the decoded a + b − c.
  auto an = Ok(c, "POST", "/collections/vae_c/analogy", {{"positive", {1, 2}}, {"negative", {3}}, {"k", 3}});
  REQUIRE(an.is_object());
  CHECK(an["hits"].size() == 3);
  auto v1 = Stored(c, 1), v2 = Stored(c, 2), v3 = Stored(c, 3);
  auto latent = Floats(an["vector"]);
  for (size_t i = 0; i < 8; ++i) CHECK(latent[i] == Approx(v1[i] + v2[i] - v3[i]).margin(1e-5));
  auto decoded = DecodeBase64Png(an["image"]);
  auto direct = Send(c, "POST", "/decode", json{{"model", "vae"}, {"vector", latent}}.dump());
  CHECK(MaxPixelDiff(decoded, DecodePng(direct.raw)) <= 1);
  for (const auto& h : an["hits"]) CHECK((h["id"] != 1 && h["id"] != 2 && h["id"] != 3));
  // On a CNN collection the analogy keeps its plain list of hits.
  auto plain = Ok(c, "POST", "/collections/cnn_c/analogy", {{"positive", {0}}, {"k", 1}});
  CHECK(plain.is_array());
}

TEST_CASE("vae: a class-conditional VAE encodes images with their class and samples by class", "[latent][http][vae]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/cvae_c");
  Ok(c, "PUT", "/collections/cvae_c", {{"dim", 12}, {"encoder", "cvae"}, {"metric", "l2"}, {"index", "Flat"}});
  json points = json::array();
  for (size_t i = 0; i < 8; ++i) points.push_back({{"id", i}, {"image", Base64Png(s.images.ImageAt(i))}});
  Ok(c, "PUT", "/collections/cvae_c/points", {{"points", points}});
  // A stored vector is [mu, e(c)]: its class part is one of the model's class embeddings, the one
  // a sample of that class carries.
  const auto stored = Ok(c, "GET", "/collections/cvae_c/points/3")["vector"];
  REQUIRE(stored.size() == 12);
  bool found = false;
  for (int k = 0; k < 10 && !found; ++k) {
    const auto sample = Ok(c, "POST", "/collections/cvae_c/sample", {{"n", 1}, {"seed", 1}, {"class", k}})["samples"][0];
    CHECK(sample["label"] == k);
    found = std::equal(stored.begin() + 8, stored.end(), sample["vector"].begin() + 8);
  }
  CHECK(found);
  auto r = Ok(c, "POST", "/collections/cvae_c/reconstruct", {{"image", Base64Png(s.images.ImageAt(3))}});
  // The same code (up to the rounding of another batch size; the class part exactly).
  REQUIRE(r["vector"].size() == 12);
  for (size_t d = 0; d < 12; ++d) CHECK(r["vector"][d].get<double>() == Approx(stored[d].get<double>()).margin(1e-5));
  CHECK(std::equal(stored.begin() + 8, stored.end(), r["vector"].begin() + 8));
  CHECK(r["neg_elbo"].get<double>() > 0);
  Fails(SendJson(c, "POST", "/collections/cvae_c/sample", {{"n", 1}, {"class", "Unicorn"}}), 400);
  // The plain VAE has no classes to sample.
  SendJson(c, "DELETE", "/collections/vae_plain");
  Ok(c, "PUT", "/collections/vae_plain", {{"dim", 8}, {"encoder", "vae"}, {"metric", "l2"}, {"index", "Flat"}});
  Fails(SendJson(c, "POST", "/collections/vae_plain/sample", {{"n", 1}, {"class", 0}}), 400, "class-conditional");
}
