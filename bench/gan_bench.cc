// gan_bench: the generative models of a data directory on Fashion-MNIST's test split, in one run.
//
//   1. Sample quality: the Fréchet distance (Heusel et al. 2017, the formula of FID) between the
//      embeddings of generated samples and of the 10,000 test images, computed on the project's
//      CNN (its L2-normalized hidden layer: a Fashion-MNIST stand-in for Inception), for GAN and
//      VAE samples side by side, with the distance of 10,000 training images to the test images
//      as the floor a perfect generator would reach.
//   2. Mode coverage: the class histogram of the samples by the CNN's classifier (a collapsed GAN
//      puts most samples in a few classes), beside the test set's (uniform, 1,000 per class).
//   3. Inversion: the mean squared pixel error (pixels in [0,1]) of inverted test images (default
//      options: 4 starts × 150 Adam steps, feature loss when the GAN names a CNN) against the VAE's
//      reconstruction error of the same images, and inversions per second.
//   4. Speed: generation images/s in batches of 256 (GAN and VAE decoders), training time (from
//      the manifests).
//
// usage: gan_bench --data-dir DIR [--gan fashion-gan] [--vae fashion-vae] [--cnn fashion-cnn]
//                  [--samples 10000] [--inversions 200]
// The models are those `make run` trains (scripts/demo.d). Run on an idle machine: the load
// average is printed at the start and the end.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "encoders/fashion_mnist.h"
#include "encoders/image_model.h"
#include "latent/math.h"
#include "latent/prior.h"

using namespace latentdb;
using bench::Check;
using bench::Clock;
using bench::LoadAverage;
using bench::Seconds;

namespace {

torch::Tensor Matrix(const std::vector<std::vector<float>>& rows) {
  torch::Tensor m = torch::empty({static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())}, torch::kFloat64);
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j) m[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = rows[i][j];
  }
  return m;
}

// ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½), with Tr (Σ1 Σ2)^½ = Σ √λ(Σ1^½ Σ2 Σ1^½) (symmetric, so
// eigvalsh applies).
double FrechetDistance(const torch::Tensor& a, const torch::Tensor& b) {
  auto mu1 = a.mean(0), mu2 = b.mean(0);
  auto c1 = (a - mu1).t().mm(a - mu1) / (a.size(0) - 1);
  auto c2 = (b - mu2).t().mm(b - mu2) / (b.size(0) - 1);
  auto [l1, v1] = torch::linalg::eigh(c1, "L");
  auto s1 = v1.mm(torch::diag(l1.clamp_min(0).sqrt())).mm(v1.t());
  auto cross = torch::linalg::eigvalsh(s1.mm(c2).mm(s1), "L").clamp_min(0).sqrt().sum();
  return ((mu1 - mu2).pow(2).sum() + c1.trace() + c2.trace() - 2 * cross).item<double>();
}

std::string Histogram(const std::vector<int>& classes, size_t n_classes) {
  std::vector<size_t> count(n_classes, 0);
  for (int c : classes) ++count[static_cast<size_t>(c)];
  std::string out;
  size_t most = 0;
  for (size_t c = 0; c < n_classes; ++c) {
    out += (c ? " " : "") + std::to_string(count[c]);
    most = std::max(most, count[c]);
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "  (largest class %.1f %%)", 100.0 * most / std::max<size_t>(1, classes.size()));
  return out + buf;
}

double MeanSquaredError(const images::Image& a, const images::Image& b) {
  double s = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = (a.pixels[i] - b.pixels[i]) / 255.0;
    s += d * d;
  }
  return s / a.pixels.size();
}

struct Generated {
  std::vector<images::Image> images;
  double rate = 0;          // images/s
  std::vector<int> classes;  // a class-conditional GAN's: each sample's class
};

// Decodes `n` prior samples of `model` (latent/prior.h) in batches of 256.
Generated Generate(const encoders::ImageModel& model, size_t n) {
  auto prior = Check(latent::DrawPriorCodes(model, n, 2026), "drawing prior codes");
  const auto& z = prior.codes;
  std::vector<images::Image> out;
  out.reserve(n);
  const auto start = Clock::now();
  for (size_t b = 0; b < n; b += 256) {
    std::vector<std::vector<float>> batch(z.begin() + b, z.begin() + std::min(n, b + 256));
    for (auto& img : Check(model.Decode(batch), "decoding")) out.push_back(std::move(img));
  }
  return {std::move(out), n / Seconds(start), std::move(prior.classes)};
}

}  // namespace

int main(int argc, char** argv) {
  bench::Dying().program = "gan_bench";
  std::map<std::string, std::string> opt = {{"data-dir", ""}, {"gan", "fashion-gan"}, {"vae", "fashion-vae"},
                                            {"cnn", "fashion-cnn"}, {"samples", "10000"}, {"inversions", "200"}};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || !opt.count(key.substr(2))) bench::Die("unknown option " + key);
    opt[key.substr(2)] = argv[i + 1];
  }
  if (opt["data-dir"].empty()) bench::Die("usage: gan_bench --data-dir DIR [--gan NAME] [--vae NAME] [--cnn NAME] [--samples N] [--inversions N]");
  std::printf("load average at start: %s\n", LoadAverage().c_str());
  const size_t samples = std::stoul(opt["samples"]), inversions = std::stoul(opt["inversions"]);
  auto gan = Check(encoders::ImageModel::Open(opt["data-dir"], opt["gan"]), "opening the GAN");
  auto vae = Check(encoders::ImageModel::Open(opt["data-dir"], opt["vae"]), "opening the VAE");
  auto cnn = Check(encoders::ImageModel::Open(opt["data-dir"], opt["cnn"]), "opening the CNN");
  auto test = Check(encoders::LoadFashionMnist(false), "reading the test split");
  auto train = Check(encoders::LoadFashionMnist(true, test.size()), "reading the training split");
  const auto test_images = test.Images();
  const size_t n_classes = test.class_names.size();

  // 1 and 2: quality and coverage.
  auto [gan_images, gan_rate, gan_conditioned] = Generate(*gan, samples);
  auto [vae_images, vae_rate, vae_conditioned] = Generate(*vae, samples);
  auto test_emb = Matrix(Check(cnn->Encode(test_images), "embedding the test images"));
  auto train_emb = Matrix(Check(cnn->Encode(train.Images()), "embedding training images"));
  auto gan_emb = Matrix(Check(cnn->Encode(gan_images), "embedding GAN samples"));
  auto vae_emb = Matrix(Check(cnn->Encode(vae_images), "embedding VAE samples"));
  const auto test_classes = Check(cnn->Classify(test_images), "classifying test images");
  size_t correct = 0;
  for (size_t i = 0; i < test.size(); ++i) correct += test_classes[i] == test.labels[i];
  std::printf("\nsample quality: Fréchet distance to the %zu test images, on %s embeddings\n", test.size(), opt["cnn"].c_str());
  std::printf("  %zu training images (floor)  %8.4f\n", train.size(), FrechetDistance(train_emb, test_emb));
  std::printf("  %zu GAN samples (%s)   %8.4f\n", samples, opt["gan"].c_str(), FrechetDistance(gan_emb, test_emb));
  std::printf("  %zu VAE samples (%s)   %8.4f\n", samples, opt["vae"].c_str(), FrechetDistance(vae_emb, test_emb));
  std::printf("\nclass histogram by %s's classifier (test accuracy %.4f), classes 0..%zu\n", opt["cnn"].c_str(),
              static_cast<double>(correct) / test.size(), n_classes - 1);
  std::printf("  test  %s\n", Histogram(test_classes, n_classes).c_str());
  // A class-conditional model: how often the classifier sees the class a sample was generated for.
  auto agreement = [&](const char* model, const std::vector<int>& seen, const std::vector<int>& asked) {
    if (asked.empty()) return;
    std::vector<size_t> agree(n_classes), drawn(n_classes);
    for (size_t i = 0; i < seen.size(); ++i) {
      ++drawn[static_cast<size_t>(asked[i])];
      agree[static_cast<size_t>(asked[i])] += seen[i] == asked[i];
    }
    std::string per_class;
    size_t total = 0;
    for (size_t k = 0; k < n_classes; ++k) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " %zu:%.2f", k, static_cast<double>(agree[k]) / std::max<size_t>(1, drawn[k]));
      per_class += buf;
      total += agree[k];
    }
    std::printf("  %s samples classified as the class they were generated for: %.4f; per class%s\n", model,
                static_cast<double>(total) / seen.size(), per_class.c_str());
  };
  const auto gan_classes = Check(cnn->Classify(gan_images), "classifying GAN samples");
  const auto vae_classes = Check(cnn->Classify(vae_images), "classifying VAE samples");
  std::printf("  GAN   %s\n", Histogram(gan_classes, n_classes).c_str());
  agreement("GAN", gan_classes, gan_conditioned);
  std::printf("  VAE   %s\n", Histogram(vae_classes, n_classes).c_str());
  agreement("VAE", vae_classes, vae_conditioned);

  // 3: inversion against the VAE's reconstruction.
  std::vector<images::Image> targets(test_images.begin(), test_images.begin() + std::min(inversions, test_images.size()));
  auto start = Clock::now();
  auto inverted = Check(gan->Invert(targets, encoders::InversionOptions{}, /*with_images=*/false), "inverting");
  const double inversion_rate = targets.size() / Seconds(start);
  auto reconstructed = Check(vae->Reconstruct(targets), "reconstructing");
  double gan_error = 0, vae_error = 0, feature = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    gan_error += inverted[i].pixel_error;
    feature += inverted[i].feature_distance;
    vae_error += MeanSquaredError(reconstructed[i].image, gan->Fit(targets[i]));
  }
  std::printf("\ninversion of %zu test images (4 starts x 150 steps): mean squared pixel error %.5f (feature distance %.4f),"
              " %.2f inversions/s; the VAE's reconstruction of the same images: %.5f\n",
              targets.size(), gan_error / targets.size(), feature / targets.size(), inversion_rate, vae_error / targets.size());

  // 4: speed.
  std::printf("\ngeneration in batches of 256: GAN %.0f images/s, VAE %.0f images/s\n", gan_rate, vae_rate);
  std::printf("training: GAN %.0f s (%s epochs), VAE %.0f s\n", gan->manifest()["training"]["seconds"].get<double>(),
              gan->manifest()["parameters"]["epochs"].dump().c_str(), vae->manifest()["training"]["seconds"].get<double>());
  std::printf("load average at end: %s\n", LoadAverage().c_str());
  return 0;
}
