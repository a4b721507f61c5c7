// Issue 10 on the image routes, against a real server with ONE I/O thread (so that any long
// work left on it would delay every other connection):
//  - decoded pixels are bounded per image and per request from the headers, before decoding
//    (GIF screens of 6000 × 6000 in 35 bytes, a 16-bit PNG of 40 MP for a 28 × 28 model);
//  - image decoding runs on the worker pool: /healthz answers while images decode;
//  - ids: a raw image upsert and the decode route have forms that give the id's JSON type;
//  - a collection bound to an encoder takes its dim from the model.
#include <atomic>
#include <chrono>
#include <thread>

#include "common/base64.h"
#include "tests/images/image_fixtures.h"
#include "tests/latent/http_fixture.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using namespace latentdb::testing::latent;
namespace fixtures = latentdb::testing::images;
using Clock = std::chrono::steady_clock;

namespace {

Served& OneIoThreadServer() { return Server({"--threads", "1"}); }

// A GIF whose logical screen is width × height (what stb allocates and fills) holding a single
// 1 × 1 frame: 35 bytes.
std::string GifScreen(int width, int height) {
  std::string s = "GIF89a";
  fixtures::PutLe16(s, width);
  fixtures::PutLe16(s, height);
  s += static_cast<char>(0x80);  // a global colour table of 2 entries
  s += '\0';
  s += '\0';
  s += std::string(6, '\0');
  s += ',';
  fixtures::PutLe16(s, 0);
  fixtures::PutLe16(s, 0);
  fixtures::PutLe16(s, 1);
  fixtures::PutLe16(s, 1);
  s += '\0';
  s += '\x02';                        // LZW minimum code size 2: clear = 4, end = 5, 3-bit codes
  s += std::string("\x02\x44\x01", 3);  // codes 4, 0, 5
  s += '\0';
  s += ';';
  return s;
}

// A PNG declaring a 16-bit RGBA image of width × height (IHDR and IEND only).
std::string Png16Header(uint32_t width, uint32_t height) {
  std::string s("\x89PNG\r\n\x1a\n", 8);
  fixtures::PutBe32(s, 13);
  s += "IHDR";
  fixtures::PutBe32(s, width);
  fixtures::PutBe32(s, height);
  s += std::string("\x10\x06\x00\x00\x00", 5);
  fixtures::PutBe32(s, 0);
  fixtures::PutBe32(s, 0);
  s += "IEND";
  fixtures::PutBe32(s, 0);
  return s;
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

}  // namespace

TEST_CASE("images: pixel bombs are refused from their headers, fast", "[latent][http][limits]") {
  Served& s = OneIoThreadServer();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/bombs");
  Ok(c, "PUT", "/collections/bombs", {{"encoder", "cnn"}});

  // The request: 40 points whose 35-byte GIFs declare 6000 × 6000 (82 s before).
  const std::string gif = latentdb::Base64Encode(GifScreen(6000, 6000));
  json points = json::array();
  for (int i = 0; i < 40; ++i) points.push_back({{"id", i}, {"image", gif}});
  auto start = Clock::now();
  Fails(SendJson(c, "PUT", "/collections/bombs/points", {{"points", points}}), 413, "points[0]");
  CHECK(Seconds(start) < 5);
  // Mixed with a good image: the good one is stored, each bomb reported as 413.
  points[1] = {{"id", 1}, {"image", Base64Png(s.images.ImageAt(1))}};
  auto mixed = Ok(c, "PUT", "/collections/bombs/points", {{"points", points}});
  CHECK(mixed["upserted"] == 1);
  REQUIRE(mixed["errors"].size() == 39);
  for (const auto& e : mixed["errors"]) CHECK(e["status"] == 413);

  // A 303-byte 16-bit PNG of 40 MP for a 28 × 28 model: refused before decoding.
  start = Clock::now();
  Fails(Send(c, "POST", "/encode?model=cnn", Png16Header(8000, 5000), "image/png"), 413, "per image");
  Fails(Send(c, "POST", "/collections/bombs/search", Png16Header(8000, 5000), "image/png"), 413);
  CHECK(Seconds(start) < 2);

  // Per request: five images at the per-image limit (4096 × 4096) are over 67,108,864 pixels
  // together; refused before any is decoded.
  const std::string full = latentdb::Base64Encode(GifScreen(4096, 4096));
  json five = json::array();
  for (int i = 0; i < 5; ++i) five.push_back({{"id", 100 + i}, {"image", full}});
  start = Clock::now();
  Fails(SendJson(c, "PUT", "/collections/bombs/points", {{"points", five}}), 413, "in all");
  CHECK(Seconds(start) < 2);
  // So are a batch of searches whose images add up to more.
  json searches = json::array();
  for (int i = 0; i < 5; ++i) searches.push_back({{"image", full}, {"k", 1}});
  Fails(SendJson(c, "POST", "/collections/bombs/search/batch", {{"searches", searches}}), 413);
  CHECK(Ok(c, "GET", "/collections/bombs")["points_count"] == 1);
}

TEST_CASE("workers: /healthz answers while images decode on another connection", "[latent][http][limits][workers]") {
  Served& s = OneIoThreadServer();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/slow_img");
  Ok(c, "PUT", "/collections/slow_img", {{"encoder", "cnn"}});
  // Four images at the per-image limit: within the request's budget, and long to decode.
  const std::string full = latentdb::Base64Encode(GifScreen(4096, 4096));
  json four = json::array();
  for (int i = 0; i < 4; ++i) four.push_back({{"id", i}, {"image", full}});
  const std::string body = json{{"points", four}}.dump();

  std::atomic<bool> done{false};
  std::atomic<int> upserts{0};
  std::atomic<double> slowest_upsert{0};
  std::thread writer([&] {
    HttpClient w("127.0.0.1", s.server->port());
    auto until = Clock::now() + std::chrono::seconds(3);
    while (Clock::now() < until) {
      auto t0 = Clock::now();
      auto r = w.Request("PUT", "/collections/slow_img/points", body);
      slowest_upsert = std::max(slowest_upsert.load(), Seconds(t0));
      if (!r.ok() || r->status != 200) break;
      ++upserts;
    }
    done = true;
  });
  HttpClient probe("127.0.0.1", s.server->port());
  double slowest_health = 0;
  int probes = 0;
  while (!done) {
    auto t0 = Clock::now();
    auto r = probe.Request("GET", "/healthz");
    slowest_health = std::max(slowest_health, Seconds(t0));
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    ++probes;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  writer.join();
  INFO(upserts << " upserts, slowest " << slowest_upsert << " s; " << probes << " probes, slowest " << slowest_health
               << " s");
  REQUIRE(upserts >= 1);
  CHECK(slowest_health < std::max(0.25, slowest_upsert / 2));
}

TEST_CASE("ids: raw image upserts and decodes name string ids of digits in JSON", "[latent][http][ids]") {
  Served& s = OneIoThreadServer();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/vae_ids");
  Ok(c, "PUT", "/collections/vae_ids", {{"encoder", "vae"}, {"metric", "l2"}});
  const std::string png = Png(s.images.ImageAt(5));
  // ?id= is a JSON id: "1990" the string, 1990 the integer.
  auto up = Ok(Send(c, "PUT", "/collections/vae_ids/points?id=%221990%22&payload=%7B%22k%22%3A1%7D", png, "image/png"));
  CHECK(up["id"] == "1990");
  up = Ok(Send(c, "PUT", "/collections/vae_ids/points?id=7", Png(s.images.ImageAt(6)), "image/png"));
  CHECK(up["id"] == 7);
  Fails(Send(c, "PUT", "/collections/vae_ids/points?id=abc", png, "image/png"), 400, "JSON id");
  Fails(Send(c, "PUT", "/collections/vae_ids/points", png, "image/png"), 400, "?id=");
  Fails(Send(c, "PUT", "/collections/vae_ids/points?id=-3", png, "image/png"), 400);

  auto found = Ok(c, "POST", "/collections/vae_ids/points", {{"ids", {"1990", 7}}});
  REQUIRE(found.size() == 2);
  CHECK(found[0]["id"] == "1990");
  CHECK(found[0]["payload"]["k"] == 1);
  CHECK(found[0]["payload"]["neg_elbo"].is_number());
  // The path form names the integer 1990, which does not exist; the body form names the string.
  Fails(Send(c, "GET", "/collections/vae_ids/points/1990/decode", ""), 404);
  auto d = Send(c, "POST", "/collections/vae_ids/points/decode", json{{"id", "1990"}}.dump());
  REQUIRE(d.status == 200);
  CHECK(d.content_type == "image/png");
  CHECK(DecodePng(d.raw).width == 28);
  auto j = Ok(c, "POST", "/collections/vae_ids/points/decode", {{"id", 7}, {"format", "json"}});
  CHECK(j["id"] == 7);
  CHECK(DecodeBase64Png(j["image"]).height == 28);
  CHECK(Send(c, "GET", "/collections/vae_ids/points/7/decode", "").raw == Send(c, "POST", "/collections/vae_ids/points/decode", json{{"id", 7}}.dump()).raw);
  Fails(c, 404, "POST", "/collections/vae_ids/points/decode", {{"id", "7"}});
  Fails(c, 400, "POST", "/collections/vae_ids/points/decode", {{"id", -1}});
  Fails(c, 400, "POST", "/collections/vae_ids/points/decode", {{"format", "png"}});
  Fails(c, 400, "POST", "/collections/vae_ids/points/decode", {{"id", 7}, {"format", "gif"}});
}

TEST_CASE("collections: an encoder fixes the dim and a contradicting one is refused", "[latent][http][collections]") {
  Served& s = OneIoThreadServer();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/enc_dim");
  auto info = Ok(c, "PUT", "/collections/enc_dim", {{"encoder", "cnn"}});
  CHECK(info["config"]["dim"] == 16);
  CHECK(Ok(c, "GET", "/collections/enc_dim")["config"]["dim"] == 16);
  SendJson(c, "DELETE", "/collections/enc_dim2");
  Fails(c, 400, "PUT", "/collections/enc_dim2", {{"encoder", "vae"}, {"dim", 3}}, "8-d");
  Fails(c, 400, "PUT", "/collections/enc_dim2", {{"encoder", "nomodel"}}, "nomodel");
  Fails(c, 400, "PUT", "/collections/enc_dim2", {{"encoder", 5}});
  Fails(c, 400, "PUT", "/collections/enc_dim2", {{"metric", "l2"}});  // no encoder: dim required
  Fails(c, 404, "GET", "/collections/enc_dim2");
}
