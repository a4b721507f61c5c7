// GAN training: DCGAN (Radford, Metz & Chintala 2016) with the non-saturating generator loss of
// Goodfellow et al. 2014, Adam(β1 = 0.5), weights initialized N(0, 0.02), one-sided label
// smoothing of the real labels (0.9; Salimans et al. 2016). Why this and not WGAN-GP or a hinge
// loss: on 28×28 Fashion-MNIST this objective does not collapse (the class histogram of the
// samples is checked by bench/gan_bench and by a test), and it needs one discriminator step per
// generator step and no gradient penalty (a second backward pass), which matters on two cores.
//
// With options.class_embedding > 0 and labelled training data (≥ 2 classes) the GAN is
// class-conditional (nets.h): the generator's code is [z, e(c)], the discriminator has a projection
// term (Miyato & Koyama 2018), real images are judged with their own labels and generated ones
// with the classes they were generated for, drawn uniformly. Why: moving between classes is what
// attribute directions are asked to do, and in an unconditional DCGAN the classes are tangled
// in z (bench/directions_bench: shirt → coat flips 0.45 of test samples with the best direction;
// with the conditional GAN's class part, 0.976).
#include <torch/torch.h>

#include <cmath>

#include "encoders/nets.h"
#include "encoders/training_loop.h"

namespace latentdb::encoders {

namespace {

using nlohmann::json;

constexpr double kRealLabel = 0.9;

void InitDcganWeights(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.named_parameters()) {
    const std::string& name = p.key();
    const bool batch_norm = name.find("bn") != std::string::npos;
    if (name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0) {
      if (batch_norm) {
        p.value().normal_(1.0, 0.02);
      } else {
        p.value().normal_(0.0, 0.02);
      }
    } else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) {
      p.value().zero_();
    }
  }
}

torch::Tensor Bce(const torch::Tensor& logits, double target) {
  return torch::binary_cross_entropy_with_logits(logits, torch::full_like(logits, target));
}

// Test metrics at the end of an epoch: the discriminator's mean probability that test images and
// as many fresh samples are real (a discriminator that wins outright, or a generator that fools it
// outright, shows here), and the pixel mean and standard deviation of the samples beside the test
// set's (a collapsed or saturated generator shows here).
json EvaluateGan(GanNet& net, const torch::Tensor& x_test, const torch::Tensor& y_test) {
  torch::NoGradGuard no_grad;
  const int64_t n = std::min<int64_t>(x_test.size(0), 2000);
  auto real = x_test.slice(0, 0, n);
  torch::Tensor real_labels, fake_labels, z = torch::randn({n, net->arch.latent});
  if (net->arch.conditional()) {
    real_labels = y_test.slice(0, 0, n);
    fake_labels = torch::randint(net->arch.classes, {n}, torch::kInt64);
    z = net->generator->Code(z, fake_labels);
  }
  auto fake = net->generator->forward(z);
  const double d_real = torch::sigmoid(net->discriminator->forward(real, real_labels)).mean().item<double>();
  const double d_fake = torch::sigmoid(net->discriminator->forward(fake, fake_labels)).mean().item<double>();
  // Per-image standard deviation across the batch, averaged over pixels: near 0 when every
  // sample is the same image.
  const double diversity = fake.std(0).mean().item<double>();
  const double test_diversity = real.std(0).mean().item<double>();
  return {{"d_real", d_real}, {"d_fake", d_fake}, {"sample_diversity", diversity}, {"test_diversity", test_diversity}};
}

}  // namespace

json TrainGan(const TrainingRun& run, const ImageDataset& train, const ImageDataset& test, const std::string& weights_path) {
  const TrainImageOptions& o = run.o;
  GanArch arch;
  arch.classes = ConditioningClasses(o, train, test);
  arch.class_embedding = arch.classes > 0 ? o.class_embedding : 0;
  arch.channels = static_cast<int>(run.x_train.size(1));
  arch.height = static_cast<int>(run.x_train.size(2));
  arch.width = static_cast<int>(run.x_train.size(3));
  arch.latent = o.latent;
  arch.generator = o.generator;
  arch.discriminator = o.discriminator;
  GanNet net(arch);
  InitDcganWeights(*net);
  torch::Tensor y_train, y_test;
  if (arch.conditional()) {
    InitClassEmbedding(net->generator->embed);  // the projection v keeps DCGAN's N(0, 0.02)
    y_train = Labels(train);
    y_test = Labels(test);
  }
  const double lr = o.lr > 0 ? o.lr : 2e-4;
  torch::optim::Adam opt_g(net->generator->parameters(), torch::optim::AdamOptions(lr).betas({0.5, 0.999}));
  torch::optim::Adam opt_d(net->discriminator->parameters(), torch::optim::AdamOptions(lr).betas({0.5, 0.999}));
  auto step = [&](const torch::Tensor& real, const torch::Tensor& real_labels) {
    const int64_t n = real.size(0);
    torch::Tensor z = torch::randn({n, arch.latent}), fake_labels;
    if (arch.conditional()) {
      fake_labels = torch::randint(arch.classes, {n}, torch::kInt64);
      z = net->generator->Code(z, fake_labels);
    }
    auto fake = net->generator->forward(z);
    // Discriminator: real → 0.9, generated → 0 (the generator's graph is cut by detach).
    opt_d.zero_grad();
    auto d_loss = Bce(net->discriminator->forward(real, real_labels), kRealLabel) +
                  Bce(net->discriminator->forward(fake.detach(), fake_labels), 0.0);
    d_loss.backward();
    opt_d.step();
    // Generator: the non-saturating loss −log D(G(z)).
    opt_g.zero_grad();
    auto g_loss = Bce(net->discriminator->forward(fake, fake_labels), 1.0);
    g_loss.backward();
    opt_g.step();
    return StepResult{g_loss.item<double>() * n, 0.0, d_loss.item<double>() * n};
  };
  json history = RunEpochs(o, run.epochs, run.x_train, y_train, *net, step,
                           [&] { return EvaluateGan(net, run.x_test, y_test); }, run.progress);
  torch::save(net, weights_path);
  return {{"dim", arch.code_dim()},
          {"architecture", arch.ToJson()},
          {"metrics", history.back()["test"]},
          {"history", history}};
}

}  // namespace latentdb::encoders
