// Inference of trained image models: shapes, determinism, thread safety, VAE decoding and
// reconstruction, error cases, and TorchScript import.

#include <catch2/catch.hpp>

#include <torch/script.h>

#include <cmath>
#include <fstream>
#include <thread>

#include "common/file_util.h"
#include "encoders/torchscript_import.h"
#include "inference/models.h"
#include "models/model_registry.h"
#include "tests/encoders/encoder_fixtures.h"

using namespace latentdb;
using namespace latentdb::testing;

namespace {

std::vector<images::Image> TestImages(size_t n) {
  std::vector<images::Image> out;
  for (size_t i = 0; i < n; ++i) out.push_back(SmallModels().test.ImageAt(i));
  return out;
}

double MeanAbsDiff(const images::Image& a, const images::Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double s = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) s += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return s / a.pixels.size() / 255.0;
}

}  // namespace

TEST_CASE("CNN vectors have the model's dimension, unit length, and are deterministic", "[encoders]") {
  const auto& m = SmallModels();
  REQUIRE(m.cnn->kind() == "cnn");
  REQUIRE(m.cnn->dim() == 32);
  auto imgs = TestImages(300);  // more than one inference batch
  auto a = m.cnn->Encode(imgs);
  REQUIRE(a.ok());
  REQUIRE(a->size() == imgs.size());
  for (const auto& v : *a) {
    REQUIRE(v.size() == 32);
    double n = 0;
    for (float x : v) n += x * x;
    CHECK(std::sqrt(n) == Approx(1.0).epsilon(1e-4));
  }
  auto one = m.cnn->Encode(imgs[7]);
  REQUIRE(one.ok());
  for (size_t k = 0; k < 32; ++k) CHECK((*one)[k] == Approx((*a)[7][k]).margin(1e-5));
  auto again = m.cnn->Encode(imgs);
  REQUIRE(again.ok());
  CHECK(*again == *a);
}

TEST_CASE("the CNN embedding places images of the same class closer", "[encoders]") {
  const auto& m = SmallModels();
  auto vecs = m.cnn->Encode(TestImages(400));
  REQUIRE(vecs.ok());
  // 1-NN among the other test images: far above chance (0.1) for a briefly trained CNN.
  size_t correct = 0;
  for (size_t i = 0; i < vecs->size(); ++i) {
    double best = -2;
    size_t arg = 0;
    for (size_t j = 0; j < vecs->size(); ++j) {
      if (i == j) continue;
      double dot = 0;
      for (size_t k = 0; k < 32; ++k) dot += (*vecs)[i][k] * (*vecs)[j][k];
      if (dot > best) best = dot, arg = j;
    }
    correct += m.test.labels[i] == m.test.labels[arg];
  }
  CHECK(correct / 400.0 > 0.6);
}

TEST_CASE("concurrent encoding gives the same vectors as sequential encoding", "[encoders]") {
  const auto& m = SmallModels();
  auto imgs = TestImages(64);
  auto expected = m.cnn->Encode(imgs);
  auto expected_vae = m.vae->Encode(imgs);
  REQUIRE(expected.ok());
  REQUIRE(expected_vae.ok());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 5; ++r) {
        auto got = (t % 2 ? m.vae : m.cnn)->Encode(imgs);
        if (!got.ok() || *got != (t % 2 ? *expected_vae : *expected)) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches == 0);
}

TEST_CASE("images of any size and colour are fitted to the model's input", "[encoders]") {
  const auto& m = SmallModels();
  images::Image rgb = images::Resize(images::ConvertChannels(m.test.ImageAt(0), 3), 90, 70);
  auto v = m.cnn->Encode(rgb);
  REQUIRE(v.ok());
  CHECK(v->size() == 32);
  images::Image empty;
  CHECK(m.cnn->Encode(empty).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("VAE: decode(encode(x)) is close to x, far closer than the mean image", "[encoders]") {
  const auto& m = SmallModels();
  REQUIRE(m.vae->generative());
  auto imgs = TestImages(200);
  auto z = m.vae->Encode(imgs);
  REQUIRE(z.ok());
  REQUIRE((*z)[0].size() == 8);
  auto decoded = m.vae->Decode(*z);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->size() == imgs.size());
  // Baseline: the mean image of the training slice.
  images::Image mean_img = imgs[0];
  std::vector<double> sum(784, 0);
  for (size_t i = 0; i < m.train.size(); ++i)
    for (size_t p = 0; p < 784; ++p) sum[p] += m.train.image(i)[p];
  for (size_t p = 0; p < 784; ++p) mean_img.pixels[p] = static_cast<uint8_t>(sum[p] / m.train.size() + 0.5);
  double err = 0, base = 0;
  for (size_t i = 0; i < imgs.size(); ++i) {
    err += MeanAbsDiff((*decoded)[i], imgs[i]);
    base += MeanAbsDiff(mean_img, imgs[i]);
  }
  INFO("reconstruction " << err / imgs.size() << " vs mean image " << base / imgs.size());
  CHECK(err < 0.6 * base);
}

TEST_CASE("VAE reconstruction scores add up and flag unusual images", "[encoders]") {
  const auto& m = SmallModels();
  auto imgs = TestImages(50);
  // An image unlike any garment: a checkerboard.
  images::Image odd = imgs[0];
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) odd.pixels[y * 28 + x] = ((x / 2 + y / 2) % 2) ? 255 : 0;
  imgs.push_back(odd);
  auto rec = m.vae->Reconstruct(imgs);
  REQUIRE(rec.ok());
  REQUIRE(rec->size() == imgs.size());
  double typical = 0;
  for (size_t i = 0; i + 1 < rec->size(); ++i) {
    const auto& s = (*rec)[i].scores;
    CHECK(s.kl >= 0);
    CHECK(s.reconstruction_error > 0);
    CHECK(s.neg_elbo == Approx(s.kl + s.reconstruction_error));
    typical += s.neg_elbo;
  }
  typical /= rec->size() - 1;
  CHECK(rec->back().scores.neg_elbo > 1.5 * typical);
  // The stored vector of a reconstruction is the encoder mean.
  auto z = m.vae->Encode(imgs[3]);
  REQUIRE(z.ok());
  for (size_t k = 0; k < z->size(); ++k) CHECK((*rec)[3].mean[k] == Approx((*z)[k]).margin(1e-5));
}

TEST_CASE("decode and reconstruct refuse what they cannot do", "[encoders]") {
  const auto& m = SmallModels();
  CHECK(m.cnn->Decode({std::vector<float>(32, 0.f)}).status().code() == StatusCode::kInvalidArgument);
  CHECK(m.cnn->Reconstruct(TestImages(1)).status().code() == StatusCode::kInvalidArgument);
  CHECK(m.vae->Decode({std::vector<float>(3, 0.f)}).status().code() == StatusCode::kInvalidArgument);
  CHECK(m.vae->Decode({std::vector<float>(8, NAN)}).status().code() == StatusCode::kInvalidArgument);
  auto d = m.vae->Decode({std::vector<float>(8, 0.f)});
  REQUIRE(d.ok());
  CHECK((*d)[0].width == 28);
  CHECK((*d)[0].channels == 1);
}

TEST_CASE("opening models: unknown, word models and corrupt weights are clear errors", "[encoders]") {
  TempDir dir;
  CHECK(encoders::ImageModel::Open(dir.path(), "nope").status().code() == StatusCode::kNotFound);
  REQUIRE(models::WriteManifest(dir.path(), "words", {{"kind", "word2vec"}, {"dim", 10}}).ok());
  CHECK(encoders::ImageModel::Open(dir.path(), "words").status().code() == StatusCode::kInvalidArgument);
  // A copy of the small CNN whose weights file is truncated.
  const auto& m = SmallModels();
  nlohmann::json manifest = m.cnn_manifest;
  REQUIRE(models::WriteManifest(dir.path(), "broken", manifest).ok());
  auto bytes = ReadWholeFile(models::ModelDir(m.dir.path(), "cnn") + "/weights.pt");
  REQUIRE(bytes.ok());
  REQUIRE(WriteFileAtomically(models::ModelDir(dir.path(), "broken") + "/weights.pt", bytes->substr(0, bytes->size() / 2)).ok());
  CHECK(encoders::ImageModel::Open(dir.path(), "broken").status().code() == StatusCode::kCorruption);
  // Through the inference layer's registry (which replaced the image-model cache): the word
  // model is not loaded as an image model, the broken one is reported and not kept.
  inference::Models models(dir.path(), nullptr);
  CHECK(models.Get("words").status().code() == StatusCode::kInvalidArgument);  // no database to read words from
  CHECK(models.Get("broken").status().code() == StatusCode::kCorruption);
  CHECK(models.Get("broken").status().code() == StatusCode::kCorruption);
}

TEST_CASE("a TorchScript module is imported and encodes images", "[encoders]") {
  TempDir dir;
  // A scripted module written by LibTorch itself: mean of each 7x7 block of a 28x28 image → 16 values.
  torch::jit::Module module("Pool");
  module.define(R"(
    def forward(self, x):
        return torch.avg_pool2d(x, [7, 7]).flatten(1)
  )");
  std::string path = dir.Sub("pool.pt");
  module.save(path);
  encoders::InputSpec spec;  // 1x28x28, mean 0, std 1
  auto manifest = encoders::ImportTorchScript(dir.path(), path, "pool", spec);
  REQUIRE(manifest.ok());
  CHECK((*manifest)["dim"] == 16);
  CHECK(encoders::ImportTorchScript(dir.path(), path, "pool", spec).status().code() == StatusCode::kAlreadyExists);
  auto m = encoders::ImageModel::Open(dir.path(), "pool");
  REQUIRE(m.ok());
  images::Image white{28, 28, 1, std::vector<uint8_t>(784, 255)};
  auto v = (*m)->Encode(white);
  REQUIRE(v.ok());
  REQUIRE(v->size() == 16);
  for (float x : *v) CHECK(x == Approx(1.0f));
  // Not TorchScript, or the wrong input shape.
  REQUIRE(WriteFileAtomically(dir.Sub("junk.pt"), "not a zip archive").ok());
  CHECK(encoders::ImportTorchScript(dir.path(), dir.Sub("junk.pt"), "junk", spec).status().code() == StatusCode::kInvalidArgument);
  encoders::InputSpec tiny;
  tiny.height = tiny.width = 3;
  CHECK(encoders::ImportTorchScript(dir.path(), path, "tiny", tiny).status().code() == StatusCode::kInvalidArgument);
}
