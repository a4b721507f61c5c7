// The GAN kind (encoders/nets.h, gan_trainer.cc, gan_inversion.cc): shapes, a short training run on
// a slice of Fashion-MNIST, reproducible sampling through the latent module's prior, inversion.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "encoders/fashion_mnist.h"
#include "encoders/image_model.h"
#include "encoders/nets.h"
#include "encoders/trainer.h"
#include "latent/math.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using latentdb::testing::TempDir;

namespace {

struct TrainedGan {
  TempDir dir;
  encoders::ImageDataset train, test;
  nlohmann::json manifest;
  std::vector<encoders::TrainImageProgress> progress;
  std::shared_ptr<encoders::ImageModel> gan, cnn;
};

// A GAN of 2 epochs on 12,800 images (about 45 s on one core), with a small CNN as its inversion
// feature model.
const TrainedGan& SmallGan() {
  static TrainedGan* g = [] {
    auto* t = new TrainedGan;
    auto train = encoders::LoadFashionMnist(true, 12800);
    auto test = encoders::LoadFashionMnist(false, 500);
    REQUIRE(train.ok());
    REQUIRE(test.ok());
    t->train = std::move(*train);
    t->test = std::move(*test);
    encoders::TrainImageOptions o;
    o.kind = "cnn";
    o.name = "cnn";
    o.dim = 32;
    o.epochs = 1;
    o.threads = 1;
    REQUIRE(encoders::TrainImageModel(t->dir.path(), o, t->train, t->test).ok());
    o.kind = "gan";
    o.name = "gan";
    o.latent = 16;
    o.epochs = 2;
    o.feature_model = "cnn";
    auto m = encoders::TrainImageModel(t->dir.path(), o, t->train, t->test,
                                       [t](const encoders::TrainImageProgress& p) { t->progress.push_back(p); });
    REQUIRE(m.ok());
    t->manifest = *m;
    auto gan = encoders::ImageModel::Open(t->dir.path(), "gan");
    REQUIRE(gan.ok());
    t->gan = *gan;
    auto cnn = encoders::ImageModel::Open(t->dir.path(), "cnn");
    REQUIRE(cnn.ok());
    t->cnn = *cnn;
    return t;
  }();
  return *g;
}

}  // namespace

TEST_CASE("GAN: generator and discriminator have the documented shapes", "[gan]") {
  encoders::GanArch arch;
  arch.latent = 12;
  arch.generator = 8;
  arch.discriminator = 8;
  encoders::GanNet net(arch);
  net->eval();
  torch::NoGradGuard no_grad;
  auto images = net->generator->forward(torch::randn({5, 12}));
  CHECK(images.sizes() == torch::IntArrayRef({5, 1, 28, 28}));
  CHECK(images.min().item<float>() >= -1.0f);
  CHECK(images.max().item<float>() <= 1.0f);
  auto logits = net->discriminator->forward(images);
  CHECK(logits.sizes() == torch::IntArrayRef({5}));
  CHECK(encoders::GanArch::FromJson(arch.ToJson()).ToJson() == arch.ToJson());
}

TEST_CASE("GAN: a short training run learns and does not collapse to one class", "[gan]") {
  const auto& g = SmallGan();
  CHECK(g.manifest["kind"] == "gan");
  CHECK(g.manifest["dim"] == 16);
  CHECK(g.manifest["input"]["mean"][0] == 0.5);
  // The discriminator stays in the game: neither side wins outright at the end.
  const auto& metrics = g.manifest["metrics"];
  CHECK(metrics["d_real"].get<double>() > 0.2);
  CHECK(metrics["d_real"].get<double>() < 0.98);
  CHECK(metrics["d_fake"].get<double>() > 0.02);
  CHECK(g.manifest["inversion"]["feature_model"] == "cnn");
  // The discriminator learns: its loss ends below its loss over the first 10 batches (a
  // discriminator at chance has 2 ln 2 = 1.39 with these labels).
  REQUIRE(g.progress.size() > 100);
  double early = 0;
  for (size_t i = 0; i < 10; ++i) early += g.progress[i].discriminator_loss;
  early /= 10;
  CHECK(g.manifest["history"].back()["train_discriminator_loss"].get<double>() < early);
  // Diversity: samples differ from one another about as much as real images do.
  CHECK(metrics["sample_diversity"].get<double>() > 0.3 * metrics["test_diversity"].get<double>());
  // Classified by the CNN (nearest class centroid), 500 samples fall into at least 3 classes,
  // none holding 80 %: not collapsed to one mode.
  auto z = latent::StandardNormalSamples(500, 16, 7);
  auto images = g.gan->Decode(z);
  REQUIRE(images.ok());
  std::map<int, int> classes;
  auto embeddings = g.cnn->Encode(*images);
  REQUIRE(embeddings.ok());
  // Nearest class centroid in the CNN's embedding of the test images.
  auto test_vectors = g.cnn->Encode(g.test.Images());
  REQUIRE(test_vectors.ok());
  std::map<int, std::vector<double>> centroid;
  std::map<int, int> count;
  for (size_t i = 0; i < test_vectors->size(); ++i) {
    auto& c = centroid[g.test.labels[i]];
    c.resize((*test_vectors)[i].size());
    for (size_t d = 0; d < c.size(); ++d) c[d] += (*test_vectors)[i][d];
    ++count[g.test.labels[i]];
  }
  for (const auto& e : *embeddings) {
    int best = -1;
    double best_dot = -1e9;
    for (const auto& [label, c] : centroid) {
      double dot = 0;
      for (size_t d = 0; d < c.size(); ++d) dot += c[d] / count[label] * e[d];
      if (dot > best_dot) best_dot = dot, best = label;
    }
    ++classes[best];
  }
  CHECK(classes.size() >= 3);
  for (const auto& [label, n] : classes) CHECK(n < 400);
}

TEST_CASE("GAN: decoding is deterministic and sampling is reproducible from a seed", "[gan]") {
  const auto& g = SmallGan();
  auto z1 = latent::StandardNormalSamples(8, 16, 42);
  auto z2 = latent::StandardNormalSamples(8, 16, 42);
  CHECK(z1 == z2);
  auto a = g.gan->Decode(z1);
  auto b = g.gan->Decode(z2);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  for (size_t i = 0; i < a->size(); ++i) CHECK((*a)[i].pixels == (*b)[i].pixels);
  CHECK(g.gan->generative());
  CHECK_FALSE(g.gan->Reconstruct(*a).ok());  // a GAN inverts, it does not reconstruct
  CHECK_FALSE(g.gan->Decode({std::vector<float>(15, 0.0f)}).ok());
  CHECK_FALSE(g.cnn->Invert(*a, encoders::InversionOptions{}).ok());
}

TEST_CASE("GAN: inverting a generated image recovers a code that regenerates it", "[gan]") {
  const auto& g = SmallGan();
  auto z = latent::StandardNormalSamples(4, 16, 3);
  auto generated = g.gan->Decode(z);
  REQUIRE(generated.ok());
  encoders::InversionOptions o;
  o.starts = 4;
  o.steps = 200;
  auto inverted = g.gan->Invert(*generated, o);
  REQUIRE(inverted.ok());
  REQUIRE(inverted->size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    const auto& inv = (*inverted)[i];
    REQUIRE(inv.latent.size() == 16);
    // The regenerated image is close to the generated one (pixels in [0,1]: an error of 0.005 is
    // about 7 grey levels RMS), much closer than an unrelated sample is.
    CHECK(inv.pixel_error < 0.005);
    CHECK(inv.feature_distance < 0.5);
    REQUIRE(inv.image.pixels.size() == (*generated)[i].pixels.size());
    double other = 0;
    const auto& unrelated = (*generated)[(i + 1) % 4].pixels;
    for (size_t p = 0; p < unrelated.size(); ++p) {
      const double d = (unrelated[p] - (*generated)[i].pixels[p]) / 255.0;
      other += d * d;
    }
    other /= unrelated.size();
    CHECK(inv.pixel_error < other / 4);
  }
  // Same seed, same inversion.
  auto again = g.gan->Invert(*generated, o);
  REQUIRE(again.ok());
  CHECK((*again)[0].latent == (*inverted)[0].latent);
  // Encode on a GAN is inversion with the default options.
  auto encoded = g.gan->Encode((*generated)[0]);
  REQUIRE(encoded.ok());
  CHECK(encoded->size() == 16);
  // Options out of range are refused.
  o.starts = 0;
  CHECK_FALSE(g.gan->Invert(*generated, o).ok());
}
