// Training: a few steps lower the loss; the manifest records what the issue asks; bad options and
// taken names are refused without leaving files behind.
#include <catch2/catch.hpp>

#include <algorithm>

#include "common/file_util.h"
#include "models/model_registry.h"
#include "tests/encoders/encoder_fixtures.h"

using namespace latentdb;
using namespace latentdb::testing;

namespace {

// Mean training loss of each epoch's first and last reported batch.
std::vector<double> EpochLosses(const std::string& kind, const encoders::ImageDataset& train, const encoders::ImageDataset& test) {
  TempDir dir;
  encoders::TrainImageOptions o;
  o.kind = kind;
  o.name = "m";
  o.dim = 16;
  o.latent = 4;
  o.epochs = 3;
  o.batch_size = 64;
  o.max_batches_per_epoch = 8;
  std::vector<double> losses;
  auto m = encoders::TrainImageModel(dir.path(), o, train, test, [&](const encoders::TrainImageProgress& p) {
    if (p.epoch_done) losses.push_back(p.loss);
  });
  REQUIRE(m.ok());
  return losses;
}

}  // namespace

TEST_CASE("a few CNN and VAE training steps on a small slice lower the loss", "[encoders]") {
  auto train = encoders::LoadFashionMnist(true, 512);
  auto test = encoders::LoadFashionMnist(false, 100);
  REQUIRE(train.ok());
  REQUIRE(test.ok());
  for (const char* kind : {"cnn", "vae"}) {
    auto losses = EpochLosses(kind, *train, *test);
    REQUIRE(losses.size() == 3);
    INFO(kind << " losses " << losses[0] << " " << losses[1] << " " << losses[2]);
    CHECK(losses[2] < losses[0]);
  }
}

TEST_CASE("the manifests record architecture, normalization and test metrics", "[encoders]") {
  const auto& m = SmallModels();
  const auto& c = m.cnn_manifest;
  CHECK(c["kind"] == "cnn");
  CHECK(c["dim"] == 32);
  CHECK(c["input"]["channels"] == 1);
  CHECK(c["input"]["mean"][0].get<double>() > 0.2);  // Fashion-MNIST's pixel mean is about 0.29
  CHECK(c["metrics"]["test_accuracy"].get<double>() > 0.7);
  CHECK(c["classes"].size() == 10);
  const auto& v = m.vae_manifest;
  CHECK(v["kind"] == "vae");
  CHECK(v["dim"] == 8);
  double elbo = v["metrics"]["test_neg_elbo"].get<double>();
  CHECK(elbo == Approx(v["metrics"]["test_reconstruction"].get<double>() + v["metrics"]["test_kl"].get<double>()));
  CHECK(elbo < 784 * std::log(2.0));  // better than predicting 0.5 for every pixel
  CHECK(v["history"].size() == 3);
}

TEST_CASE("a class-conditional VAE encodes [mu, e(predicted class)] and decodes by class", "[encoders]") {
  const auto& m = SmallModels();
  TempDir dir;
  encoders::TrainImageOptions o;
  o.kind = "vae";
  o.name = "cvae";
  o.latent = 8;
  o.class_embedding = 4;
  o.epochs = 3;
  o.threads = 1;
  auto manifest = encoders::TrainImageModel(dir.path(), o, m.train, m.test);
  INFO(manifest.status().ToString());
  REQUIRE(manifest.ok());
  CHECK((*manifest)["dim"] == 12);
  CHECK((*manifest)["architecture"]["classes"] == 10);
  // The class head learns the classes (chance: 0.1).
  CHECK((*manifest)["metrics"]["test_class_accuracy"].get<double>() > 0.6);
  auto vae = encoders::ImageModel::Open(dir.path(), "cvae");
  REQUIRE(vae.ok());
  const encoders::ClassConditioning* cond = (*vae)->conditioning();
  REQUIRE(cond != nullptr);
  CHECK(cond->noise_dim == 8);
  CHECK(cond->class_names == m.train.class_names);
  CHECK(m.vae->conditioning() == nullptr);

  std::vector<images::Image> images;
  for (size_t i = 0; i < 20; ++i) images.push_back(m.test.ImageAt(i));
  auto codes = (*vae)->Encode(images);
  REQUIRE(codes.ok());
  size_t right = 0;
  for (size_t i = 0; i < codes->size(); ++i) {
    const auto& v = (*codes)[i];
    REQUIRE(v.size() == 12);
    // The class part is exactly one class's embedding.
    const std::vector<float> part(v.begin() + 8, v.end());
    int which = -1;
    for (size_t k = 0; k < cond->embeddings.size(); ++k) {
      if (cond->embeddings[k] == part) which = static_cast<int>(k);
    }
    REQUIRE(which >= 0);
    right += which == m.test.labels[i];
  }
  CHECK(right >= 10);
  // Reconstruct stores the same code, and decodes it; swapping the class part changes the image.
  auto recs = (*vae)->Reconstruct(images);
  REQUIRE(recs.ok());
  CHECK((*recs)[0].mean == (*codes)[0]);
  CHECK((*recs)[0].scores.neg_elbo == Approx((*recs)[0].scores.reconstruction_error + (*recs)[0].scores.kl));
  auto swapped = (*codes)[0];
  const auto& other = cond->embeddings[(static_cast<size_t>(m.test.labels[0]) + 5) % 10];
  std::copy(other.begin(), other.end(), swapped.begin() + 8);
  auto decoded = (*vae)->Decode({(*codes)[0], swapped});
  REQUIRE(decoded.ok());
  CHECK((*decoded)[0].pixels == (*recs)[0].image.pixels);
  CHECK((*decoded)[0].pixels != (*decoded)[1].pixels);
}

TEST_CASE("training refuses taken names and bad options, leaving nothing behind", "[encoders]") {
  auto train = encoders::LoadFashionMnist(true, 64);
  auto test = encoders::LoadFashionMnist(false, 16);
  REQUIRE(train.ok());
  REQUIRE(test.ok());
  TempDir dir;
  encoders::TrainImageOptions o;
  o.name = "x";
  o.kind = "diffusion";  // not a kind LatentDB trains
  CHECK(encoders::TrainImageModel(dir.path(), o, *train, *test).status().code() == StatusCode::kInvalidArgument);
  o.kind = "cnn";
  o.epochs = 1;
  o.dim = 8;
  REQUIRE(encoders::TrainImageModel(dir.path(), o, *train, *test).ok());
  CHECK(encoders::TrainImageModel(dir.path(), o, *train, *test).status().code() == StatusCode::kAlreadyExists);
  o.name = "bad name/with slash";
  CHECK(!encoders::TrainImageModel(dir.path(), o, *train, *test).ok());
  encoders::ImageDataset odd = *train;
  odd.height = odd.width = 27;  // not a multiple of 4
  o.name = "y";
  CHECK(encoders::TrainImageModel(dir.path(), o, odd, odd).status().code() == StatusCode::kInvalidArgument);
  CHECK(!PathExists(models::ModelDir(dir.path(), "y")));
}
