#include "encoders/nets.h"

namespace latentdb::encoders {

namespace nn = torch::nn;

nlohmann::json CnnArch::ToJson() const {
  return {{"type", "cnn2"}, {"channels", channels}, {"height", height}, {"width", width}, {"conv1", conv1},
          {"conv2", conv2}, {"dim", dim}, {"classes", classes}};
}

CnnArch CnnArch::FromJson(const nlohmann::json& j) {
  CnnArch a;
  a.channels = j.at("channels").get<int>();
  a.height = j.at("height").get<int>();
  a.width = j.at("width").get<int>();
  a.conv1 = j.at("conv1").get<int>();
  a.conv2 = j.at("conv2").get<int>();
  a.dim = j.at("dim").get<int>();
  a.classes = j.at("classes").get<int>();
  return a;
}

CnnNetImpl::CnnNetImpl(const CnnArch& a) : arch(a) {
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(a.channels, a.conv1, 3).padding(1).bias(false)));
  bn1 = register_module("bn1", nn::BatchNorm2d(a.conv1));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(a.conv1, a.conv2, 3).padding(1).bias(false)));
  bn2 = register_module("bn2", nn::BatchNorm2d(a.conv2));
  hidden = register_module("hidden", nn::Linear(nn::LinearOptions(a.conv2 * (a.height / 4) * (a.width / 4), a.dim).bias(false)));
  bn_hidden = register_module("bn_hidden", nn::BatchNorm1d(a.dim));
  dropout = register_module("dropout", nn::Dropout(0.3));
  classifier = register_module("classifier", nn::Linear(a.dim, a.classes));
}

namespace {

// The scale γ/√(σ²+ε) and shift β − μ·γ/√(σ²+ε) of a batch norm in eval mode.
template <typename BatchNorm>
std::pair<torch::Tensor, torch::Tensor> BatchNormAffine(BatchNorm& bn) {
  auto scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  return {scale, bn->bias - bn->running_mean * scale};
}

}  // namespace

void CnnNetImpl::FoldBatchNorm() {
  torch::NoGradGuard no_grad;
  Folded f;
  auto [s1, t1] = BatchNormAffine(bn1);
  f.w1 = (conv1->weight * s1.view({-1, 1, 1, 1})).contiguous();
  f.b1 = t1.contiguous();
  auto [s2, t2] = BatchNormAffine(bn2);
  f.w2 = (conv2->weight * s2.view({-1, 1, 1, 1})).contiguous();
  f.b2 = t2.contiguous();
  auto [sh, th] = BatchNormAffine(bn_hidden);
  f.wh = (hidden->weight * sh.view({-1, 1})).contiguous();
  f.bh = th.contiguous();
  folded_ = std::move(f);
}

torch::Tensor CnnNetImpl::Embed(const torch::Tensor& x) {
  if (folded_ && !is_training()) {
    const Folded& f = *folded_;
    // Pool before ReLU: max and ReLU commute (both monotone), and the ReLU then touches 4x fewer values.
    auto h = torch::max_pool2d(torch::conv2d(x, f.w1, f.b1, 1, 1), 2).relu_();
    h = torch::max_pool2d(torch::conv2d(h, f.w2, f.b2, 1, 1), 2).relu_();
    return torch::linear(h.flatten(1), f.wh, f.bh).relu_();
  }
  auto h = torch::max_pool2d(torch::relu(bn1(conv1(x))), 2);
  h = torch::max_pool2d(torch::relu(bn2(conv2(h))), 2);
  return torch::relu(bn_hidden(hidden(h.flatten(1))));
}

torch::Tensor CnnNetImpl::forward(const torch::Tensor& x) { return classifier(dropout(Embed(x))); }

nlohmann::json VaeArch::ToJson() const {
  return {{"type", "convvae2"}, {"channels", channels}, {"height", height}, {"width", width}, {"conv1", conv1},
          {"conv2", conv2}, {"hidden", hidden}, {"latent", latent}, {"classes", classes}, {"class_embedding", class_embedding}};
}

VaeArch VaeArch::FromJson(const nlohmann::json& j) {
  VaeArch a;
  a.channels = j.at("channels").get<int>();
  a.height = j.at("height").get<int>();
  a.width = j.at("width").get<int>();
  a.conv1 = j.at("conv1").get<int>();
  a.conv2 = j.at("conv2").get<int>();
  a.hidden = j.at("hidden").get<int>();
  a.latent = j.at("latent").get<int>();
  a.classes = j.value("classes", 0);
  a.class_embedding = j.value("class_embedding", 0);
  return a;
}

VaeNetImpl::VaeNetImpl(const VaeArch& a) : arch(a) {
  const int flat = a.conv2 * (a.height / 4) * (a.width / 4);
  enc1 = register_module("enc1", nn::Conv2d(nn::Conv2dOptions(a.channels, a.conv1, 4).stride(2).padding(1)));
  enc2 = register_module("enc2", nn::Conv2d(nn::Conv2dOptions(a.conv1, a.conv2, 4).stride(2).padding(1)));
  enc_fc = register_module("enc_fc", nn::Linear(flat, a.hidden));
  to_mean = register_module("to_mean", nn::Linear(a.hidden, a.latent));
  to_logvar = register_module("to_logvar", nn::Linear(a.hidden, a.latent));
  if (a.conditional()) {
    classify = register_module("classify", nn::Linear(a.hidden, a.classes));
    embed = register_module("embed", nn::Embedding(a.classes, a.class_embedding));
  }
  dec_fc1 = register_module("dec_fc1", nn::Linear(a.code_dim(), a.hidden));
  dec_fc2 = register_module("dec_fc2", nn::Linear(a.hidden, flat));
  dec1 = register_module("dec1", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(a.conv2, a.conv1, 4).stride(2).padding(1)));
  dec2 = register_module("dec2", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(a.conv1, a.channels, 4).stride(2).padding(1)));
}

VaeEncoding VaeNetImpl::EncodeWithClass(const torch::Tensor& x) {
  auto h = torch::relu(enc2(torch::relu(enc1(x))));
  h = torch::relu(enc_fc(h.flatten(1)));
  VaeEncoding e{to_mean(h), to_logvar(h), {}};
  if (arch.conditional()) e.class_logits = classify(h);
  return e;
}

std::pair<torch::Tensor, torch::Tensor> VaeNetImpl::Encode(const torch::Tensor& x) {
  VaeEncoding e = EncodeWithClass(x);
  return {e.mean, e.logvar};
}

torch::Tensor VaeNetImpl::Code(const torch::Tensor& z, const torch::Tensor& labels) {
  return arch.conditional() ? torch::cat({z, embed(labels)}, 1) : z;
}

torch::Tensor VaeNetImpl::Code(const VaeEncoding& e) {
  return arch.conditional() ? Code(e.mean, e.class_logits.argmax(1)) : e.mean;
}

torch::Tensor VaeNetImpl::DecodeLogits(const torch::Tensor& code) {
  auto h = torch::relu(dec_fc2(torch::relu(dec_fc1(code))));
  h = h.view({code.size(0), arch.conv2, arch.height / 4, arch.width / 4});
  return dec2(torch::relu(dec1(h)));
}

VaeOutput VaeNetImpl::forward(const torch::Tensor& x, bool sample, const torch::Tensor& labels) {
  VaeOutput out;
  VaeEncoding e = EncodeWithClass(x);
  out.mean = e.mean;
  out.logvar = e.logvar;
  out.class_logits = e.class_logits;
  out.z = sample ? Reparameterize(out.mean, out.logvar, torch::randn_like(out.mean)) : out.mean;
  torch::Tensor code = out.z;
  if (arch.conditional()) code = Code(out.z, labels.defined() ? labels : e.class_logits.argmax(1));
  out.logits = DecodeLogits(code);
  return out;
}

nlohmann::json GanArch::ToJson() const {
  return {{"type", "dcgan2"}, {"channels", channels},   {"height", height},
          {"width", width},   {"latent", latent},       {"generator", generator},
          {"discriminator", discriminator}, {"classes", classes}, {"class_embedding", class_embedding}};
}

GanArch GanArch::FromJson(const nlohmann::json& j) {
  GanArch a;
  a.channels = j.at("channels").get<int>();
  a.height = j.at("height").get<int>();
  a.width = j.at("width").get<int>();
  a.latent = j.at("latent").get<int>();
  a.generator = j.at("generator").get<int>();
  a.discriminator = j.at("discriminator").get<int>();
  a.classes = j.value("classes", 0);
  a.class_embedding = j.value("class_embedding", 0);
  return a;
}

GeneratorImpl::GeneratorImpl(const GanArch& a) : arch(a) {
  const int g = a.generator;
  if (a.conditional()) embed = register_module("embed", nn::Embedding(a.classes, a.class_embedding));
  fc = register_module("fc", nn::Linear(nn::LinearOptions(a.code_dim(), 2 * g * (a.height / 4) * (a.width / 4)).bias(false)));
  bn0 = register_module("bn0", nn::BatchNorm1d(2 * g * (a.height / 4) * (a.width / 4)));
  up1 = register_module("up1", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(2 * g, g, 4).stride(2).padding(1).bias(false)));
  bn1 = register_module("bn1", nn::BatchNorm2d(g));
  up2 = register_module("up2", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(g, a.channels, 4).stride(2).padding(1)));
}

torch::Tensor GeneratorImpl::Code(const torch::Tensor& z, const torch::Tensor& labels) {
  return torch::cat({z, embed(labels)}, 1);
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& codes) {
  auto h = torch::relu(bn0(fc(codes)));
  h = h.view({codes.size(0), 2 * arch.generator, arch.height / 4, arch.width / 4});
  h = torch::relu(bn1(up1(h)));
  return torch::tanh(up2(h));
}

DiscriminatorImpl::DiscriminatorImpl(const GanArch& a) : arch(a) {
  const int d = a.discriminator;
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(a.channels, d, 4).stride(2).padding(1)));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(d, 2 * d, 4).stride(2).padding(1).bias(false)));
  bn2 = register_module("bn2", nn::BatchNorm2d(2 * d));
  out = register_module("out", nn::Linear(2 * d * (a.height / 4) * (a.width / 4), 1));
  if (a.conditional()) projection = register_module("projection", nn::Embedding(a.classes, 2 * d * (a.height / 4) * (a.width / 4)));
}

torch::Tensor DiscriminatorImpl::forward(const torch::Tensor& x, const torch::Tensor& labels) {
  auto h = torch::leaky_relu(conv1(x), 0.2);
  h = torch::leaky_relu(bn2(conv2(h)), 0.2).flatten(1);
  auto logit = out(h).squeeze(1);
  if (arch.conditional()) logit = logit + (projection(labels) * h).sum(1);
  return logit;
}

GanNetImpl::GanNetImpl(const GanArch& a) : arch(a) {
  generator = register_module("generator", Generator(a));
  discriminator = register_module("discriminator", Discriminator(a));
}

torch::Tensor Reparameterize(const torch::Tensor& mean, const torch::Tensor& logvar, const torch::Tensor& eps) {
  return mean + torch::exp(0.5 * logvar) * eps;
}

torch::Tensor KlDivergence(const torch::Tensor& mean, const torch::Tensor& logvar) {
  return -0.5 * torch::sum(1 + logvar - mean.pow(2) - logvar.exp(), 1);
}

torch::Tensor ReconstructionNll(const torch::Tensor& logits, const torch::Tensor& x) {
  auto bce = torch::binary_cross_entropy_with_logits(logits, x, {}, {}, at::Reduction::None);
  return bce.flatten(1).sum(1);
}

}  // namespace latentdb::encoders
