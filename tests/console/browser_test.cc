// The web console in a real browser: a real `latentdb serve` with small real VAE, GAN and CNN
// models trained here on Debian's Fashion-MNIST (a few thousand images each, so that decoded
// images look like clothes: a person checks the screenshots), real collections, and Debian's
// chromium driven by playwright-core (tests/console/browser/console_browser.cjs, installed from
// its lock file by the console_browser_npm_ci fixture). The script checks what a person sees: the
// map with class names, thumbnails when zoomed in, the sample grid, an interpolation strip
// between two picked points, a direction slider, and a deep link to a point outside the plotted
// sample; and that the browser's console shows no error.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base64.h"
#include "client/http_client.h"
#include "encoders/fashion_mnist.h"
#include "encoders/trainer.h"
#include "images/image.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/shell_command.h"
#include "tests/support/temp_dir.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::Ok;
using latentdb::testing::SendJson;
using latentdb::testing::RunShellCommand;
using latentdb::testing::ShellQuoted;

namespace {

constexpr size_t kVaePoints = 200;  // the map is asked for 50 in the deep-link step: 150 are left out
constexpr size_t kTrainBatches = 300;  // of 64 images, one epoch: 5–15 s per model on one thread

// Trains `o` on `train` into `data_dir`, failing the test with the trainer's message.
void Train(const std::string& data_dir, latentdb::encoders::TrainImageOptions o, const latentdb::encoders::ImageDataset& train,
           const latentdb::encoders::ImageDataset& test) {
  const auto start = std::chrono::steady_clock::now();
  o.epochs = 1;
  o.batch_size = 64;
  o.threads = 1;  // ctest runs tests in parallel: OpenMP threads would oversubscribe 2 cores
  if (o.max_batches_per_epoch == 0) o.max_batches_per_epoch = kTrainBatches;
  auto m = latentdb::encoders::TrainImageModel(data_dir, o, train, test);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  std::printf("trained %s (%s) in %.1f s\n", o.name.c_str(), o.kind.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

std::string Base64Png(const latentdb::images::Image& image) {
  return latentdb::Base64Encode(latentdb::images::EncodePng(image));
}

}  // namespace

TEST_CASE("console in chromium: map, class names, thumbnails, samples, interpolation, sliders, deep link, API key", "[console][browser]") {
  latentdb::testing::TempDir dir;
  const std::string data_dir = dir.Sub("data");
  auto train = latentdb::encoders::LoadFashionMnist(true, kTrainBatches * 64);
  auto test = latentdb::encoders::LoadFashionMnist(false, 64);
  REQUIRE(train.ok());
  REQUIRE(test.ok());
  latentdb::encoders::TrainImageOptions o;
  o.kind = "cnn";
  o.name = "cnn";
  o.dim = 16;
  o.max_batches_per_epoch = 20;  // its collection shows dots and class names: any CNN will do
  Train(data_dir, o, *train, *test);
  o.kind = "vae";
  o.name = "vae";
  o.latent = 8;
  o.max_batches_per_epoch = 0;
  Train(data_dir, o, *train, *test);
  o.kind = "gan";
  o.name = "gan";
  o.class_embedding = 4;  // class-conditional: the sample panel offers a class
  Train(data_dir, o, *train, *test);
  std::optional<latentdb::testing::ServerProcess> server;
  server.emplace(data_dir);
  HttpClient c("127.0.0.1", server->port());
  const auto& images = *train;

  // A VAE collection of labelled Fashion-MNIST images, with a class-to-class direction.
  SendJson(c, "DELETE", "/collections/fashion_vae");
  Ok(c, "PUT", "/collections/fashion_vae", {{"dim", 8}, {"encoder", "vae"}, {"metric", "l2"}, {"index", "Flat"}});
  json points = json::array();
  for (size_t i = 0; i < kVaePoints; ++i) {
    points.push_back({{"id", i}, {"image", Base64Png(images.ImageAt(i))}, {"payload", {{"label", images.labels[i]}}}});
  }
  Ok(c, "PUT", "/collections/fashion_vae/points", {{"points", points}});
  Ok(c, "POST", "/collections/fashion_vae/directions",
     {{"name", "sneaker_to_boot"}, {"method", "linear"},
      {"from", {{"must", {{{"key", "label"}, {"match", {{"value", 7}}}}}}}},
      {"to", {{"must", {{{"key", "label"}, {"match", {{"value", 9}}}}}}}}});
  // A GAN collection of generated samples (stored with their codes), with a PCA direction.
  SendJson(c, "DELETE", "/collections/fashion_gan");
  Ok(c, "PUT", "/collections/fashion_gan", {{"dim", 12}, {"encoder", "gan"}, {"metric", "l2"}, {"index", "Flat"}});
  CHECK(Ok(c, "POST", "/collections/fashion_gan/sample", {{"n", 96}, {"seed", 5}, {"store", true}})["stored"] == 96);
  Ok(c, "POST", "/collections/fashion_gan/directions", {{"name", "pc0"}, {"method", "pca"}, {"component", 0}});

  // A CNN collection: no decoder, so dots at every zoom; its labels are class names too.
  SendJson(c, "DELETE", "/collections/fashion_cnn");
  Ok(c, "PUT", "/collections/fashion_cnn", {{"dim", 16}, {"encoder", "cnn"}, {"metric", "cosine"}, {"index", "Flat"}});
  json cnn_points = json::array();
  for (size_t i = 0; i < 60; ++i) {
    cnn_points.push_back({{"id", i}, {"image", Base64Png(images.ImageAt(i))}, {"payload", {{"label", images.labels[i]}}}});
  }
  Ok(c, "PUT", "/collections/fashion_cnn/points", {{"points", cnn_points}});

  const json config = {
      {"url", "http://127.0.0.1:" + std::to_string(server->port())},
      {"chromium", LATENTDB_CHROMIUM},
      {"modules", LATENTDB_BROWSER_MODULES},
      {"artifacts", LATENTDB_BROWSER_ARTIFACTS},
      {"vae", "fashion_vae"},
      {"gan", "fashion_gan"},
      {"cnn", "fashion_cnn"},
      {"vaePoints", kVaePoints},
      // Map positions floor(i · 200 / 50) = 0, 4, 8, …: points 1 and 2 are not plotted with n = 50.
      {"deepLinkId", 1},
      {"mapCount", 50},
      {"direction", "sneaker_to_boot"},
      {"classes", Ok(c, "GET", "/models/vae")["classes"]},
  };
  std::string output;
  const int rc = RunShellCommand(std::string(LATENTDB_NODE) + " " + ShellQuoted(LATENTDB_BROWSER_SCRIPT) + " " + ShellQuoted(config.dump()), &output);
  std::fputs(output.c_str(), stdout);  // the script's steps and timings, in ctest's log
  INFO(output);
  CHECK(rc == 0);
  CHECK(output.find("console browser test: all checks passed") != std::string::npos);

  // The same data behind an API key: the page loads without it and works once it is typed in.
  server.reset();
  server.emplace(data_dir, std::vector<std::string>{"--api-key", "browser-key"});
  json keyed = config;
  keyed["url"] = "http://127.0.0.1:" + std::to_string(server->port());
  keyed["apiKey"] = "browser-key";
  keyed["collections"] = 3;
  output.clear();
  const int keyed_rc = RunShellCommand(std::string(LATENTDB_NODE) + " " + ShellQuoted(LATENTDB_BROWSER_SCRIPT) + " " + ShellQuoted(keyed.dump()), &output);
  std::fputs(output.c_str(), stdout);
  INFO(output);
  CHECK(keyed_rc == 0);
  CHECK(output.find("console browser test (API key): all checks passed") != std::string::npos);
}
