// A GAN collection over HTTP against a real server: generated samples (reproducible, stored with
// their codes on request), decode and interpolation through the generator, images upserted and
// searched by inversion, and the errors of the generative routes on a non-generative collection.
#include "common/base64.h"
#include "latent/math.h"
#include "tests/latent/http_fixture.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using namespace latentdb::testing::latent;

namespace {

void CreateGanCollection(HttpClient& c) {
  SendJson(c, "DELETE", "/collections/gan_c");
  Ok(c, "PUT", "/collections/gan_c", {{"dim", 8}, {"encoder", "gan"}, {"metric", "l2"}, {"index", "Flat"}});
}

size_t Count(HttpClient& c, const std::string& collection) {
  return Ok(c, "GET", "/collections/" + collection)["points_count"].get<size_t>();
}

}  // namespace

TEST_CASE("gan: seeded samples, stored with their codes, decode back to the same images", "[latent][http][gan]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  CreateGanCollection(c);

  auto a = Ok(c, "POST", "/collections/gan_c/sample", {{"n", 4}, {"seed", 11}});
  auto b = Ok(c, "POST", "/collections/gan_c/sample", {{"n", 4}, {"seed", 11}});
  REQUIRE(a["samples"].size() == 4);
  CHECK(a["samples"] == b["samples"]);  // the same seed: the same codes and images
  // The codes are the prior's N(0, I) draws of the latent module, as for a VAE.
  CHECK(Floats(a["samples"][2]["vector"]) == latentdb::latent::StandardNormalSamples(4, 8, 11)[2]);
  CHECK(Count(c, "gan_c") == 0);  // not stored unless asked

  auto stored = Ok(c, "POST", "/collections/gan_c/sample", {{"n", 4}, {"seed", 11}, {"store", true}});
  CHECK(stored["stored"] == 4);
  CHECK(Count(c, "gan_c") == 4);
  const json id = stored["samples"][1]["id"];
  CHECK(id == "sample-11-1");
  auto point = Ok(c, "GET", "/collections/gan_c/points/sample-11-1");
  CHECK(Floats(point["vector"]) == Floats(a["samples"][1]["vector"]));
  CHECK(point["payload"]["generated"] == true);
  CHECK(point["payload"]["seed"] == 11);
  // Storing the same seed again overwrites: still 4 points.
  Ok(c, "POST", "/collections/gan_c/sample", {{"n", 4}, {"seed", 11}, {"store", true}});
  CHECK(Count(c, "gan_c") == 4);

  // GET …/decode renders a stored code: the sample's image.
  auto decoded = Send(c, "GET", "/collections/gan_c/points/sample-11-1/decode", "");
  REQUIRE(decoded.status == 200);
  CHECK(decoded.content_type == "image/png");
  CHECK(MaxPixelDiff(DecodePng(decoded.raw), DecodeBase64Png(a["samples"][1]["image"])) == 0);

  // Interpolation between two stored codes, slerp: the end frames are the endpoints' images.
  auto path = Ok(c, "POST", "/collections/gan_c/interpolate",
                 {{"from", "sample-11-0"}, {"to", "sample-11-3"}, {"steps", 5}, {"mode", "slerp"}});
  REQUIRE(path["steps"].size() == 5);
  CHECK(MaxPixelDiff(DecodeBase64Png(path["steps"][0]["image"]), DecodeBase64Png(a["samples"][0]["image"])) <= 1);
  CHECK(MaxPixelDiff(DecodeBase64Png(path["steps"][4]["image"]), DecodeBase64Png(a["samples"][3]["image"])) <= 1);

  // A GAN has no likelihood: no anomaly ranking, no reconstruction.
  Fails(SendJson(c, "GET", "/collections/gan_c/anomalies"), 400, "likelihood");
  Fails(SendJson(c, "POST", "/collections/gan_c/reconstruct", {{"image", a["samples"][0]["image"]}}), 400, "GAN");

  // A bad "store" changes nothing.
  Fails(SendJson(c, "POST", "/collections/gan_c/sample", {{"n", 2}, {"seed", 5}, {"store", "yes"}}), 400, "store");
  CHECK(Count(c, "gan_c") == 4);
}

TEST_CASE("gan: an image is upserted and searched by inversion, with its residual", "[latent][http][gan]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  CreateGanCollection(c);
  auto sample = Ok(c, "POST", "/collections/gan_c/sample", {{"n", 3}, {"seed", 21}, {"store", true}});
  // A generated image, upserted as an image: its inverted code regenerates it closely.
  const json image = sample["samples"][2]["image"];
  Ok(c, "PUT", "/collections/gan_c/points", {{"points", {{{"id", 100}, {"image", image}, {"payload", {{"kind", "upload"}}}}}}});
  auto p = Ok(c, "GET", "/collections/gan_c/points/100");
  REQUIRE(p["payload"]["inversion_error"].is_number());
  CHECK(p["payload"]["inversion_error"].get<double>() < 0.02);
  CHECK(p["payload"]["kind"] == "upload");
  CHECK(p["vector"].size() == 8);
  auto regenerated = Send(c, "GET", "/collections/gan_c/points/100/decode", "");
  REQUIRE(regenerated.status == 200);
  // A search by the same image finds the upload first (its own inversion, same seed) .
  auto hits = Ok(c, "POST", "/collections/gan_c/search", {{"image", image}, {"k", 2}});
  REQUIRE(hits.size() >= 1);
  CHECK(hits[0]["id"] == 100);
  // A raw image body works the same way.
  const std::string png = latentdb::Base64Decode(image.get<std::string>()).value();
  auto raw = Ok(Send(c, "PUT", "/collections/gan_c/points/101", png, "image/png"));
  CHECK(raw["upserted"] == 1);
  CHECK(Ok(c, "GET", "/collections/gan_c/points/101")["payload"]["inversion_error"].is_number());
}

TEST_CASE("gan: generative routes on a non-generative collection answer 400 and change nothing", "[latent][http][gan]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/cnn_g");
  Ok(c, "PUT", "/collections/cnn_g", {{"dim", 16}, {"encoder", "cnn"}});
  Ok(c, "PUT", "/collections/cnn_g/points", {{"points", {{{"id", 1}, {"vector", std::vector<float>(16, 0.25f)}}}}});
  Fails(SendJson(c, "POST", "/collections/cnn_g/sample", {{"n", 2}, {"store", true}}), 400, "generative");
  Fails(Send(c, "GET", "/collections/cnn_g/points/1/decode", ""), 400);
  CHECK(Count(c, "cnn_g") == 1);
}

TEST_CASE("gan: a class-conditional GAN samples the class asked for and stores it", "[latent][http][gan]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/cgan_c");
  Ok(c, "PUT", "/collections/cgan_c", {{"dim", 12}, {"encoder", "cgan"}, {"metric", "l2"}, {"index", "Flat"}});
  const std::vector<std::string> names = s.images.class_names;
  REQUIRE(names.size() == 10);

  // Without a class: classes drawn uniformly, each sample naming its own; reproducible.
  auto mixed = Ok(c, "POST", "/collections/cgan_c/sample", {{"n", 8}, {"seed", 3}});
  CHECK(mixed == Ok(c, "POST", "/collections/cgan_c/sample", {{"n", 8}, {"seed", 3}}));
  for (const auto& smp : mixed["samples"]) {
    REQUIRE(smp["label"].is_number_unsigned());
    CHECK(smp["class"] == names[smp["label"].get<size_t>()]);
    CHECK(smp["vector"].size() == 12);
  }
  // By name or by index, the same codes; stored with their class in the payload.
  auto by_name = Ok(c, "POST", "/collections/cgan_c/sample", {{"n", 3}, {"seed", 5}, {"class", names[4]}, {"store", true}});
  auto by_index = Ok(c, "POST", "/collections/cgan_c/sample", {{"n", 3}, {"seed", 5}, {"class", 4}});
  for (size_t i = 0; i < 3; ++i) {
    CHECK(by_name["samples"][i]["label"] == 4);
    CHECK(by_name["samples"][i]["class"] == names[4]);
    CHECK(by_name["samples"][i]["vector"] == by_index["samples"][i]["vector"]);
  }
  CHECK(Ok(c, "POST", "/collections/cgan_c/sample", {{"n", 1}, {"seed", 5}, {"class", "4"}})["samples"][0]["label"] == 4);
  auto point = Ok(c, "GET", "/collections/cgan_c/points/sample-5-2");
  CHECK(point["payload"]["label"] == 4);
  CHECK(point["payload"]["class"] == names[4]);
  CHECK(Count(c, "cgan_c") == 3);

  // Unknown classes, wrong types, and a class for an unconditional GAN: 400, nothing stored.
  for (const json& bad : {json("Unicorn"), json(10), json(-1), json(1.5), json(true), json::array(), json("")}) {
    INFO(bad.dump());
    Fails(SendJson(c, "POST", "/collections/cgan_c/sample", {{"n", 2}, {"class", bad}, {"store", true}}), 400);
  }
  CHECK(Count(c, "cgan_c") == 3);
  CreateGanCollection(c);
  Fails(SendJson(c, "POST", "/collections/gan_c/sample", {{"n", 2}, {"class", 1}, {"store", true}}), 400, "class-conditional");
  CHECK(Count(c, "gan_c") == 0);
}
