// Image input over HTTP against a real server: collections bound to an image model, "image" in
// batch upserts (bad items rejected with their reason, the rest stored) and searches, raw image
// uploads and searches, POST /encode, and every corrupt-image case from bytes written here.
#include <atomic>
#include <cmath>
#include <map>
#include <thread>

#include "common/base64.h"
#include "tests/images/image_fixtures.h"
#include "tests/latent/http_fixture.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using namespace latentdb::testing::latent;
namespace fixtures = latentdb::testing::images;

namespace {

std::string Truncated(const std::string& file) { return file.substr(0, file.size() / 2); }

json PointsWithImages(const latentdb::encoders::ImageDataset& ds, size_t n) {
  json points = json::array();
  for (size_t i = 0; i < n; ++i) {
    points.push_back({{"id", i}, {"image", Base64Png(ds.ImageAt(i))}, {"payload", {{"label", ds.labels[i]}}}});
  }
  return points;
}

}  // namespace

TEST_CASE("images: collections with an image encoder", "[latent][http]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  // Each section reruns this case from the top: start from no collections.
  SendJson(c, "DELETE", "/collections/img");
  SendJson(c, "DELETE", "/collections/plain");

  Fails(c, 400, "PUT", "/collections/img_bad", {{"dim", 8}, {"encoder", "cnn"}}, "16-d");
  Fails(c, 400, "PUT", "/collections/img_bad", {{"dim", 16}, {"encoder", "nomodel"}}, "nomodel");
  auto info = Ok(c, "PUT", "/collections/img", {{"dim", 16}, {"encoder", "cnn"}});
  CHECK(info["config"]["encoder"] == "cnn");
  Ok(c, "PUT", "/collections/plain", {{"dim", 16}});

  SECTION("batch upserts: bad images are rejected with their reason, the rest stored") {
    json points = PointsWithImages(s.images, 12);
    const std::string good = Png(s.images.ImageAt(20));
    points.push_back({{"id", "truncated"}, {"image", latentdb::Base64Encode(Truncated(good))}});
    points.push_back({{"id", "huge"}, {"image", latentdb::Base64Encode(fixtures::PngHeader(100000, 100000))}});
    points.push_back({{"id", "zero"}, {"image", latentdb::Base64Encode(fixtures::PngHeader(0, 28))}});
    points.push_back({{"id", "text"}, {"image", latentdb::Base64Encode("hello, not an image")}});
    points.push_back({{"id", "base64"}, {"image", "###"}});
    points.push_back({{"id", "number"}, {"image", 42}});
    points.push_back({{"id", "jpeg"}, {"image", latentdb::Base64Encode(fixtures::Jpeg(s.images.ImageAt(21)))},
                      {"payload", {{"label", s.images.labels[21]}}}});
    points.push_back({{"id", "jpeg_cut"}, {"image", latentdb::Base64Encode(Truncated(fixtures::Jpeg(s.images.ImageAt(22))))}});
    points.push_back({{"id", "vec"}, {"vector", std::vector<float>(16, 0.25f)}});
    auto r = Ok(c, "PUT", "/collections/img/points", {{"points", points}});
    CHECK(r["upserted"] == 14);  // 12 images, the JPEG and the plain vector
    const auto& errors = r["errors"];
    REQUIRE(errors.size() == 7);
    std::map<std::string, int> code;
    for (const auto& e : errors) {
      CHECK(points[e["index"].get<size_t>()]["id"] == e["id"]);
      CHECK_FALSE(e["error"].get<std::string>().empty());
      code[e["id"].get<std::string>()] = e["status"];
    }
    CHECK(code["truncated"] == 400);
    CHECK(code["huge"] == 413);
    CHECK(code["zero"] == 400);
    CHECK(code["text"] == 415);
    CHECK(code["base64"] == 400);
    CHECK(code["number"] == 400);
    CHECK(code["jpeg_cut"] == 400);
    CHECK(Ok(c, "GET", "/collections/img")["points_count"] == 14);
    Fails(c, 404, "GET", "/collections/img/points/huge");
    CHECK(Ok(c, "GET", "/collections/img/points/jpeg")["payload"]["label"] == s.images.labels[21]);

    // The stored vector is the image's encoding: unit length (CNN) and equal to POST /encode.
    auto stored = Floats(Ok(c, "GET", "/collections/img/points/3")["vector"]);
    REQUIRE(stored.size() == 16);
    double norm = 0;
    for (float x : stored) norm += x * x;
    CHECK(std::sqrt(norm) == Approx(1.0).margin(1e-4));
    auto encoded = Ok(c, "POST", "/encode", {{"model", "cnn"}, {"image", Base64Png(s.images.ImageAt(3))}});
    CHECK(encoded["dim"] == 16);
    CHECK(encoded["model"] == "cnn");
    auto ev = Floats(encoded["vector"]);
    for (size_t i = 0; i < 16; ++i) CHECK(ev[i] == Approx(stored[i]).margin(1e-5));

    // Searching by an image finds that image's point.
    auto hits = Ok(c, "POST", "/collections/img/search", {{"image", Base64Png(s.images.ImageAt(5))}, {"k", 3}});
    REQUIRE(hits.size() == 3);
    CHECK(hits[0]["id"] == 5);
    CHECK(hits[0]["score"].get<double>() == Approx(1.0).margin(1e-4));
    // The same as a raw body, with ?k=.
    auto raw = Ok(Send(c, "POST", "/collections/img/search?k=2", Png(s.images.ImageAt(5)), "image/png"));
    REQUIRE(raw.size() == 2);
    CHECK(raw[0]["id"] == 5);
    auto batch = Ok(c, "POST", "/collections/img/search/batch",
                    {{"searches", {{{"image", Base64Png(s.images.ImageAt(7))}, {"k", 1}}, {{"id", 7}, {"k", 1}}}}});
    CHECK(batch[0][0]["id"] == 7);

    Fails(c, 400, "POST", "/collections/img/search", {{"image", "@@@"}});
    Fails(c, 413, "POST", "/collections/img/search", {{"image", latentdb::Base64Encode(fixtures::PngHeader(70000, 70000))}});
    Fails(c, 400, "POST", "/collections/img/search", {{"image", Base64Png(s.images.ImageAt(1))}, {"vector", stored}}, "not both");
    Fails(c, 400, "POST", "/collections/img/search", {{"text", "a shirt"}}, "image");
    Fails(c, 400, "POST", "/collections/plain/search", {{"image", Base64Png(s.images.ImageAt(1))}}, "no encoder");
    Fails(Send(c, "POST", "/collections/img/search", "GIF89a-nonsense", "image/webp"), 415);
  }

  SECTION("a batch in which no image decodes answers the first item's error") {
    json points = {{{"id", 1}, {"image", latentdb::Base64Encode(fixtures::PngHeader(90000, 90000))}},
                   {{"id", 2}, {"image", "!!"}}};
    Fails(SendJson(c, "PUT", "/collections/img/points", {{"points", points}}), 413, "points[0]");
    CHECK(Ok(c, "GET", "/collections/img")["points_count"] == 0);
    Fails(c, 400, "PUT", "/collections/plain/points", {{"points", PointsWithImages(s.images, 1)}}, "no encoder");
  }

  SECTION("raw image uploads") {
    auto r = Ok(Send(c, "PUT", "/collections/img/points/77?payload=%7B%22label%22%3A9%7D", Png(s.images.ImageAt(9)),
                     "image/png"));
    CHECK(r["id"] == 77);
    CHECK(r["upserted"] == 1);
    CHECK_FALSE(r.contains("scores"));  // a CNN has none
    auto p = Ok(c, "GET", "/collections/img/points/77");
    CHECK(p["payload"]["label"] == 9);
    auto direct = Floats(Ok(c, "POST", "/encode", {{"model", "cnn"}, {"image", Base64Png(s.images.ImageAt(9))}})["vector"]);
    auto stored = Floats(p["vector"]);
    for (size_t i = 0; i < 16; ++i) CHECK(stored[i] == Approx(direct[i]).margin(1e-5));
    // JPEG, with a charset-like parameter and upper case, and a string id.
    Ok(Send(c, "PUT", "/collections/img/points/shoe-1", fixtures::Jpeg(s.images.ImageAt(10)), "Image/JPEG; q=1"));
    CHECK(Ok(c, "GET", "/collections/img/points/shoe-1")["id"] == "shoe-1");

    const std::string good = Png(s.images.ImageAt(11));
    Fails(Send(c, "PUT", "/collections/img/points/1", good, "text/plain"), 415, "raw image");
    Fails(Send(c, "PUT", "/collections/img/points/1", good, "application/json"), 415);
    Fails(Send(c, "PUT", "/collections/img/points/1", good, "image/webp"), 415, "image/webp");
    Fails(Send(c, "PUT", "/collections/img/points/1", "plain text", "image/png"), 415);
    Fails(Send(c, "PUT", "/collections/img/points/1", Truncated(good), "image/png"), 400);
    Fails(Send(c, "PUT", "/collections/img/points/1", Truncated(fixtures::Jpeg(s.images.ImageAt(11))), "image/jpeg"), 400);
    Fails(Send(c, "PUT", "/collections/img/points/1", fixtures::PngHeader(50000, 50000), "image/png"), 413);
    Fails(Send(c, "PUT", "/collections/img/points/1", fixtures::PngHeader(28, 0), "image/png"), 400, "zero");
    Fails(Send(c, "PUT", "/collections/img/points/1", "", "image/png"), 400);
    Fails(Send(c, "PUT", "/collections/img/points/1?payload=%5B1%5D", good, "image/png"), 400, "payload");
    Fails(Send(c, "PUT", "/collections/img/points/1?payload=%7B", good, "image/png"), 400);
    Fails(Send(c, "PUT", "/collections/plain/points/1", good, "image/png"), 400, "no encoder");
    Fails(Send(c, "PUT", "/collections/nothere/points/1", good, "image/png"), 404);
    // Nothing of that was stored.
    Fails(c, 404, "GET", "/collections/img/points/1");
    CHECK(Ok(c, "GET", "/collections/img")["points_count"] == 2);
  }

  SECTION("POST /encode") {
    const std::string png = Png(s.images.ImageAt(4));
    auto a = Ok(c, "POST", "/encode", {{"model", "cnn"}, {"image", latentdb::Base64Encode(png)}});
    auto b = Ok(Send(c, "POST", "/encode?model=cnn", png, "image/png"));
    CHECK(a["vector"] == b["vector"]);  // deterministic
    auto v = Ok(c, "POST", "/encode", {{"model", "vae"}, {"image", "data:image/png;base64," + latentdb::Base64Encode(png)}});
    CHECK(v["dim"] == 8);
    Fails(c, 400, "POST", "/encode", {{"image", latentdb::Base64Encode(png)}}, "model");
    Fails(c, 404, "POST", "/encode", {{"model", "nomodel"}, {"image", latentdb::Base64Encode(png)}});
    Fails(c, 400, "POST", "/encode", {{"model", "cnn"}});
    Fails(c, 400, "POST", "/encode", {{"model", "cnn"}, {"image", latentdb::Base64Encode(Truncated(png))}});
    Fails(Send(c, "POST", "/encode?model=cnn", png, "image/tiff"), 415);
    Fails(Send(c, "POST", "/encode", png, "image/png"), 400, "model");
    Fails(Send(c, "POST", "/encode?model=cnn", fixtures::PngHeader(1u << 20, 1u << 20), "image/png"), 413);
    Fails(Send(c, "POST", "/encode", "not json", "application/json"), 400);
  }

  Ok(c, "DELETE", "/collections/img");
  Ok(c, "DELETE", "/collections/plain");
}

TEST_CASE("images: concurrent encoding gives the same vectors", "[latent][http]") {
  Served& s = Server();
  std::vector<std::string> pngs;
  for (size_t i = 0; i < 8; ++i) pngs.push_back(Png(s.images.ImageAt(i)));
  std::vector<json> serial;
  {
    HttpClient c("127.0.0.1", s.server->port());
    for (const auto& p : pngs) serial.push_back(Ok(Send(c, "POST", "/encode?model=vae", p, "image/png"))["vector"]);
  }
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0}, failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c("127.0.0.1", s.server->port());
      for (int round = 0; round < 5; ++round) {
        for (size_t i = 0; i < pngs.size(); ++i) {
          size_t k = (i + t) % pngs.size();
          auto r = c.Request("POST", "/encode?model=vae", pngs[k], "image/png");
          if (!r.ok() || r->status != 200) {
            ++failures;
            continue;
          }
          auto got = json::parse(r->body)["result"]["vector"];
          if (got != serial[k]) ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(mismatches == 0);
}
