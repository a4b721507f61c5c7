#pragma once
// A real `latentdb serve` over a data directory holding a tiny CNN ("cnn", 16-d), VAEs ("vae",
// 8-d latent; "cvae", class-conditional, 8 + 4) and GANs ("gan", 8-d latent; "cgan", class-conditional, 8 + 4; "cnn" the inversion
// feature model of both) trained once per
// test process on a slice of Fashion-MNIST (a few seconds: a few
// batches of one epoch each), plus image helpers (the request helpers are tests/support/http_reply.h). Each test case creates its own collections
// on the shared server.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/base64.h"
#include "encoders/fashion_mnist.h"
#include "encoders/trainer.h"
#include "images/image.h"
#include "client/http_client.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace latentdb::testing::latent {

// The request helpers, for the tests that say `using namespace latentdb::testing::latent`.
using ::latentdb::testing::Fails;
using ::latentdb::testing::Ok;
using ::latentdb::testing::Reply;
using ::latentdb::testing::Send;
using ::latentdb::testing::SendJson;

struct Served {
  TempDir dir;
  ::latentdb::encoders::ImageDataset images;  // the first Fashion-MNIST training images
  std::unique_ptr<ServerProcess> server;
};

// Trains and starts on first use (with `server_args` added to `latentdb serve`: only the first
// call's count); the server is stopped and the directory removed at exit.
inline Served& Server(const std::vector<std::string>& server_args = {}) {
  static Served served;
  static bool started = [&] {
    Served* out = &served;
    auto train = ::latentdb::encoders::LoadFashionMnist(true, 1024);
    auto test = ::latentdb::encoders::LoadFashionMnist(false, 64);
    REQUIRE(train.ok());
    REQUIRE(test.ok());
    out->images = std::move(*train);
    ::latentdb::encoders::TrainImageOptions o;
    o.kind = "cnn";
    o.name = "cnn";
    o.dim = 16;
    o.epochs = 1;
    o.batch_size = 64;
    o.max_batches_per_epoch = 4;  // the routes need a model, not a good one
    o.threads = 1;  // ctest runs cases in parallel; spinning OpenMP threads would oversubscribe
    auto cnn = ::latentdb::encoders::TrainImageModel(out->dir.Sub("data"), o, out->images, *test);
    INFO(cnn.status().ToString());
    REQUIRE(cnn.ok());
    o.kind = "vae";
    o.name = "vae";
    o.latent = 8;
    o.epochs = 1;
    o.max_batches_per_epoch = 16;  // enough for reconstructions that resemble their inputs
    auto vae = ::latentdb::encoders::TrainImageModel(out->dir.Sub("data"), o, out->images, *test);
    INFO(vae.status().ToString());
    REQUIRE(vae.ok());
    o.name = "cvae";  // class-conditional: 8 latent + 4 class-embedding floats
    o.class_embedding = 4;
    auto cvae = ::latentdb::encoders::TrainImageModel(out->dir.Sub("data"), o, out->images, *test);
    INFO(cvae.status().ToString());
    REQUIRE(cvae.ok());
    o.class_embedding = 0;
    o.kind = "gan";
    o.name = "gan";
    o.latent = 8;
    o.generator = 8;
    o.discriminator = 8;
    o.feature_model = "cnn";
    o.max_batches_per_epoch = 16;
    auto gan = ::latentdb::encoders::TrainImageModel(out->dir.Sub("data"), o, out->images, *test);
    INFO(gan.status().ToString());
    REQUIRE(gan.ok());
    o.name = "cgan";  // class-conditional: 8 noise + 4 class-embedding floats
    o.class_embedding = 4;
    auto cgan = ::latentdb::encoders::TrainImageModel(out->dir.Sub("data"), o, out->images, *test);
    INFO(cgan.status().ToString());
    REQUIRE(cgan.ok());
    out->server = std::make_unique<ServerProcess>(out->dir.Sub("data"), server_args);
    return true;
  }();
  REQUIRE(started);
  return served;
}

inline std::string Png(const ::latentdb::images::Image& image) { return ::latentdb::images::EncodePng(image); }
inline std::string Base64Png(const ::latentdb::images::Image& image) { return ::latentdb::Base64Encode(Png(image)); }

// Decodes a PNG reply (or a base64 PNG) the test received.
inline ::latentdb::images::Image DecodePng(const std::string& png) {
  auto image = ::latentdb::images::Decode(png);
  INFO(image.status().ToString());
  REQUIRE(image.ok());
  return *image;
}
inline ::latentdb::images::Image DecodeBase64Png(const nlohmann::json& b64) {
  REQUIRE(b64.is_string());
  auto bytes = ::latentdb::Base64Decode(b64.get<std::string>());
  REQUIRE(bytes.ok());
  return DecodePng(*bytes);
}

// Largest per-pixel difference of two images of one shape (256 when the shapes differ).
inline int MaxPixelDiff(const ::latentdb::images::Image& a, const ::latentdb::images::Image& b) {
  if (a.width != b.width || a.height != b.height || a.channels != b.channels) return 256;
  int worst = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) worst = std::max(worst, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
  return worst;
}

inline std::vector<float> Floats(const nlohmann::json& v) { return v.get<std::vector<float>>(); }

}  // namespace latentdb::testing::latent
