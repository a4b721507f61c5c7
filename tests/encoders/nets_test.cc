// The VAE's reparameterization and loss terms against values computed here by hand, and the shapes
// of both nets.

#include <catch2/catch.hpp>

#include <cmath>

#include "encoders/nets.h"

using namespace latentdb::encoders;

TEST_CASE("reparameterization is mean + exp(logvar/2) * eps", "[encoders]") {
  auto mean = torch::tensor({{0.5f, -1.0f}});
  auto logvar = torch::tensor({{std::log(4.0f), 0.0f}});
  auto eps = torch::tensor({{1.0f, -2.0f}});
  auto z = Reparameterize(mean, logvar, eps);
  CHECK(z[0][0].item<float>() == Approx(0.5 + 2.0 * 1.0));
  CHECK(z[0][1].item<float>() == Approx(-1.0 + 1.0 * -2.0));
}

TEST_CASE("KL divergence to the standard normal matches the closed form", "[encoders]") {
  // KL(N(mu, s^2) || N(0,1)) = 0.5 (s^2 + mu^2 - 1 - ln s^2), summed over dimensions.
  const double mu0 = 0.3, s0 = 0.5, mu1 = -1.2, s1 = 2.0;
  auto expected = [](double mu, double s) { return 0.5 * (s * s + mu * mu - 1 - std::log(s * s)); };
  auto mean = torch::tensor({{mu0, mu1}, {0.0, 0.0}}, torch::kFloat64);
  auto logvar = torch::tensor({{std::log(s0 * s0), std::log(s1 * s1)}, {0.0, 0.0}}, torch::kFloat64);
  auto kl = KlDivergence(mean, logvar);
  CHECK(kl[0].item<double>() == Approx(expected(mu0, s0) + expected(mu1, s1)).epsilon(1e-9));
  CHECK(kl[1].item<double>() == Approx(0.0).margin(1e-12));  // the prior itself
}

TEST_CASE("reconstruction NLL is the summed Bernoulli cross-entropy", "[encoders]") {
  auto logits = torch::tensor({{{{0.0f, 2.0f}}}});  // 1 x 1 x 1 x 2
  auto x = torch::tensor({{{{1.0f, 0.0f}}}});
  double p1 = 1 / (1 + std::exp(-2.0));
  double expected = -std::log(0.5) - std::log(1 - p1);
  CHECK(ReconstructionNll(logits, x)[0].item<float>() == Approx(expected).epsilon(1e-5));
}

TEST_CASE("CNN and VAE produce the documented shapes", "[encoders]") {
  torch::manual_seed(1);
  CnnArch ca;
  ca.dim = 24;
  CnnNet cnn(ca);
  cnn->eval();
  auto x = torch::rand({5, 1, 28, 28});
  CHECK(cnn->Embed(x).sizes() == torch::IntArrayRef({5, 24}));
  CHECK(cnn->forward(x).sizes() == torch::IntArrayRef({5, 10}));
  VaeArch va;
  va.latent = 6;
  VaeNet vae(va);
  auto out = vae->forward(x, true);
  CHECK(out.mean.sizes() == torch::IntArrayRef({5, 6}));
  CHECK(out.logvar.sizes() == torch::IntArrayRef({5, 6}));
  CHECK(out.logits.sizes() == x.sizes());
  // Without sampling, z is the mean.
  auto det = vae->forward(x, false);
  CHECK(torch::equal(det.z, det.mean));
  CHECK_FALSE(det.class_logits.defined());
  CHECK(torch::equal(vae->Code(vae->EncodeWithClass(x)), vae->Encode(x).first));
}

TEST_CASE("a class-conditional VAE has the documented shapes", "[encoders]") {
  torch::manual_seed(2);
  VaeArch va;
  va.latent = 6;
  va.classes = 10;
  va.class_embedding = 3;
  REQUIRE(va.code_dim() == 9);
  VaeNet vae(va);
  vae->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::rand({5, 1, 28, 28});
  auto e = vae->EncodeWithClass(x);
  CHECK(e.mean.sizes() == torch::IntArrayRef({5, 6}));
  CHECK(e.class_logits.sizes() == torch::IntArrayRef({5, 10}));
  // The served code is [μ, e(argmax of the head)].
  auto code = vae->Code(e);
  REQUIRE(code.sizes() == torch::IntArrayRef({5, 9}));
  CHECK(torch::equal(code.slice(1, 0, 6), e.mean));
  const int64_t predicted = e.class_logits[2].argmax().item<int64_t>();
  CHECK(torch::equal(code[2].slice(0, 6, 9), vae->embed->weight[predicted]));
  CHECK(vae->DecodeLogits(code).sizes() == x.sizes());
  // Decoding with given labels: another class, another image.
  auto as_0 = vae->forward(x, false, torch::zeros({5}, torch::kInt64));
  auto as_1 = vae->forward(x, false, torch::ones({5}, torch::kInt64));
  CHECK_FALSE(torch::allclose(as_0.logits, as_1.logits));
  CHECK(VaeArch::FromJson(va.ToJson()).ToJson() == va.ToJson());
  auto old = va.ToJson();
  old.erase("classes");
  old.erase("class_embedding");
  CHECK(VaeArch::FromJson(old).code_dim() == 6);  // a manifest from before conditioning
}

TEST_CASE("folding batch norm into the CNN's layers keeps the embedding", "[encoders]") {
  torch::manual_seed(3);
  CnnArch ca;
  ca.conv1 = 4;
  ca.conv2 = 6;
  ca.dim = 10;
  CnnNet cnn(ca);
  // Non-trivial running statistics and affine parameters.
  cnn->train();
  {
    torch::NoGradGuard g;
    for (int i = 0; i < 5; ++i) cnn->Embed(torch::rand({16, 1, 28, 28}) * 3 - 1);
    for (auto& p : cnn->named_parameters()) {
      if (p.key().find("bn") != std::string::npos) p.value().uniform_(-1.5, 1.5);
    }
  }
  cnn->eval();
  auto x = torch::rand({7, 1, 28, 28});
  auto plain = cnn->Embed(x).detach();
  cnn->FoldBatchNorm();
  auto folded = cnn->Embed(x).detach();
  CHECK(plain.abs().max().item<float>() > 0);
  CHECK((plain - folded).abs().max().item<float>() < 1e-4);
}
