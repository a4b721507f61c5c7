// The GAN kind (encoders/nets.h, gan_trainer.cc, gan_inversion.cc): shapes, a short training run on
// a slice of Fashion-MNIST, reproducible sampling through the latent module's prior, inversion; the
// same for a class-conditional GAN (its codes carry a class, its samples show it).
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "encoders/fashion_mnist.h"
#include "encoders/image_model.h"
#include "encoders/nets.h"
#include "encoders/trainer.h"
#include "latent/math.h"
#include "latent/prior.h"
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

// A class-conditional GAN of 2 epochs on the same 12,800 images (8-d class embedding), in
// SmallGan's data directory with its CNN as the inversion feature model.
const TrainedGan& SmallConditionalGan() {
  static TrainedGan* g = [] {
    const TrainedGan& base = SmallGan();
    auto* t = new TrainedGan;
    t->train = base.train;
    t->test = base.test;
    t->cnn = base.cnn;
    encoders::TrainImageOptions o;
    o.kind = "gan";
    o.name = "cgan";
    o.latent = 16;
    o.class_embedding = 8;
    o.epochs = 2;
    o.threads = 1;
    o.feature_model = "cnn";  // SmallGan's, in its data directory: it ranks the inversion's starting classes
    auto m = encoders::TrainImageModel(base.dir.path(), o, t->train, t->test);
    INFO(m.status().ToString());
    REQUIRE(m.ok());
    t->manifest = *m;
    auto gan = encoders::ImageModel::Open(base.dir.path(), "cgan");
    REQUIRE(gan.ok());
    t->gan = *gan;
    return t;
  }();
  return *g;
}

// The test images' class centroids in the CNN's embedding, and the nearest centroid's class of
// each image (the CNN of these tests is trained for 1 epoch; its centroids classify more evenly
// than its head).
std::vector<int> NearestCentroidClasses(const TrainedGan& g, const std::vector<images::Image>& images) {
  auto test_vectors = g.cnn->Encode(g.test.Images());
  REQUIRE(test_vectors.ok());
  std::map<int, std::vector<double>> centroid;
  for (size_t i = 0; i < test_vectors->size(); ++i) {
    auto& c = centroid[g.test.labels[i]];
    c.resize((*test_vectors)[i].size());
    for (size_t d = 0; d < c.size(); ++d) c[d] += (*test_vectors)[i][d];
  }
  for (auto& [label, c] : centroid) {
    double norm = 0;
    for (double x : c) norm += x * x;
    for (double& x : c) x /= std::sqrt(norm);
  }
  auto embeddings = g.cnn->Encode(images);
  REQUIRE(embeddings.ok());
  std::vector<int> out;
  for (const auto& e : *embeddings) {
    int best = -1;
    double best_dot = -1e9;
    for (const auto& [label, c] : centroid) {
      double dot = 0;
      for (size_t d = 0; d < c.size(); ++d) dot += c[d] * e[d];
      if (dot > best_dot) best_dot = dot, best = label;
    }
    out.push_back(best);
  }
  return out;
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
  for (int k : NearestCentroidClasses(g, *images)) ++classes[k];
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

TEST_CASE("GAN: a class-conditional generator and discriminator have the documented shapes", "[gan]") {
  encoders::GanArch arch;
  arch.latent = 12;
  arch.generator = 8;
  arch.discriminator = 8;
  arch.classes = 3;
  arch.class_embedding = 5;
  REQUIRE(arch.conditional());
  CHECK(arch.code_dim() == 17);
  encoders::GanNet net(arch);
  net->eval();
  torch::NoGradGuard no_grad;
  auto labels = torch::tensor(std::vector<int64_t>{0, 2, 1, 2}, torch::kInt64);
  auto codes = net->generator->Code(torch::randn({4, 12}), labels);
  REQUIRE(codes.sizes() == torch::IntArrayRef({4, 17}));
  // The class part of a code is the class's embedding row.
  CHECK(torch::equal(codes.slice(1, 12, 17)[1], net->generator->embed->weight[2]));
  auto images = net->generator->forward(codes);
  CHECK(images.sizes() == torch::IntArrayRef({4, 1, 28, 28}));
  auto logits = net->discriminator->forward(images, labels);
  CHECK(logits.sizes() == torch::IntArrayRef({4}));
  // The projection term depends on the label: the same images judged as other classes differ.
  auto other = net->discriminator->forward(images, (labels + 1) % 3);
  CHECK_FALSE(torch::allclose(logits, other));
  CHECK(encoders::GanArch::FromJson(arch.ToJson()).ToJson() == arch.ToJson());
  // A manifest written before conditioning existed (no "classes") is an unconditional GAN.
  auto old = arch.ToJson();
  old.erase("classes");
  old.erase("class_embedding");
  CHECK_FALSE(encoders::GanArch::FromJson(old).conditional());
  CHECK(encoders::GanArch::FromJson(old).code_dim() == 12);
}

TEST_CASE("GAN: a class-conditional GAN generates the class it is asked for", "[gan]") {
  const auto& g = SmallConditionalGan();
  CHECK(g.manifest["dim"] == 24);  // 16 noise + 8 class embedding
  CHECK(g.manifest["architecture"]["classes"] == 10);
  CHECK(g.manifest["parameters"]["class_embedding"] == 8);
  const encoders::ClassConditioning* cond = g.gan->conditioning();
  REQUIRE(cond != nullptr);
  CHECK(cond->noise_dim == 16);
  CHECK(cond->class_names == g.train.class_names);
  REQUIRE(cond->embeddings.size() == 10);
  CHECK(cond->embeddings[3].size() == 8);
  CHECK(SmallGan().gan->conditioning() == nullptr);  // trained without a class embedding

  // Prior codes: [z, e(c)], reproducible from the seed, classes drawn uniformly.
  auto a = latent::DrawPriorCodes(*g.gan, 1000, 5), b = latent::DrawPriorCodes(*g.gan, 1000, 5);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->codes == b->codes);
  CHECK(a->classes == b->classes);
  REQUIRE(a->codes[0].size() == 24);
  const auto z = latent::StandardNormalSamples(1000, 16, 5);
  std::map<int, int> drawn;
  for (size_t i = 0; i < a->codes.size(); ++i) {
    CHECK(std::vector<float>(a->codes[i].begin(), a->codes[i].begin() + 16) == z[i]);
    CHECK(std::vector<float>(a->codes[i].begin() + 16, a->codes[i].end()) == cond->embeddings[static_cast<size_t>(a->classes[i])]);
    ++drawn[a->classes[i]];
  }
  CHECK(drawn.size() == 10);
  for (const auto& [k, n] : drawn) CHECK(n > 50);
  // Asked for one class, every code is of it; out of range or on an unconditional GAN: refused.
  auto coats = latent::DrawPriorCodes(*g.gan, 10, 5, 4);
  REQUIRE(coats.ok());
  for (int k : coats->classes) CHECK(k == 4);
  CHECK(latent::DrawPriorCodes(*g.gan, 1, 5, 10).status().code() == StatusCode::kInvalidArgument);
  CHECK(latent::DrawPriorCodes(*g.gan, 1, 5, -1).status().code() == StatusCode::kInvalidArgument);
  CHECK(latent::DrawPriorCodes(*SmallGan().gan, 1, 5, 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(latent::DrawPriorCodes(*g.cnn, 1, 5).status().code() == StatusCode::kInvalidArgument);

  // The generated images show their class: the CNN's nearest class centroid agrees with the asked
  // class for most of 1,000 samples (chance: 0.1), and no class is lost.
  auto images = g.gan->Decode(a->codes);
  REQUIRE(images.ok());
  const auto seen = NearestCentroidClasses(g, *images);
  size_t agree = 0;
  std::map<int, int> by_class;
  for (size_t i = 0; i < seen.size(); ++i) {
    agree += seen[i] == a->classes[i];
    ++by_class[seen[i]];
  }
  INFO("agreement " << agree << " of " << seen.size());
  CHECK(agree > 500);
  CHECK(by_class.size() >= 8);
}

TEST_CASE("GAN: inverting a class-conditional GAN's image recovers a code that regenerates it", "[gan]") {
  const auto& g = SmallConditionalGan();
  auto codes = latent::DrawPriorCodes(*g.gan, 4, 9);
  REQUIRE(codes.ok());
  auto generated = g.gan->Decode(codes->codes);
  REQUIRE(generated.ok());
  encoders::InversionOptions o;
  o.starts = 4;
  o.steps = 200;
  auto inverted = g.gan->Invert(*generated, o);
  REQUIRE(inverted.ok());
  REQUIRE(inverted->size() == 4);
  for (const auto& inv : *inverted) {
    REQUIRE(inv.latent.size() == 24);
    CHECK(inv.pixel_error < 0.005);
  }
  // More starts than classes: the classes repeat, nothing fails.
  o.starts = 12;
  o.steps = 5;
  auto many = g.gan->Invert({(*generated)[0]}, o);
  REQUIRE(many.ok());
  CHECK((*many)[0].latent.size() == 24);
}
