#pragma once
// The LibTorch modules of the built-in encoders. Internal to encoders: nothing outside this
// folder includes LibTorch.
//
// CNN (classifier whose hidden layer is the embedding), for C×H×W inputs with H, W divisible by 4:
//   conv3×3(C→c1) BN ReLU maxpool2 → conv3×3(c1→c2) BN ReLU maxpool2 → flatten
//   → linear(c2·H/4·W/4 → dim) BN ReLU  [the embedding, L2-normalized by the caller]
//   → dropout → linear(dim → classes)
// VAE (Kingma & Welling), for C×H×W inputs with H, W divisible by 4:
//   encoder: conv4×4/2(C→c1) ReLU → conv4×4/2(c1→c2) ReLU → flatten → linear → hidden ReLU
//            → linear(hidden → latent) = μ, linear(hidden → latent) = log σ²
//   decoder: linear(latent → hidden) ReLU → linear(hidden → c2·H/4·W/4) ReLU → convT4×4/2(c2→c1)
//            ReLU → convT4×4/2(c1→C) → sigmoid (Bernoulli means of the pixels in [0,1])
// Class-conditional VAE (VaeArch::conditional(); Sohn, Lee & Yan 2015, "Learning Structured Output
// Representation using Deep Conditional Generative Models"; the classifier head as in Kingma et
// al. 2014's M2): the decoder reads the code [z, e(c)], e a learned class embedding, and the
// encoder gains a head linear(hidden → classes) that predicts c from x (the class of an image
// whose label is not known: every encoded image).
// GAN (DCGAN, Radford, Metz & Chintala 2016), for C×H×W images with H, W divisible by 4, pixels
// scaled to [−1, 1]:
//   generator:     z ~ N(0, I_latent) → linear(latent → 2g·H/4·W/4) BN ReLU → convT4×4/2(2g→g) BN
//                  ReLU → convT4×4/2(g→C) → tanh
//   discriminator: conv4×4/2(C→d) LeakyReLU(0.2) → conv4×4/2(d→2d) BN LeakyReLU(0.2) → flatten = φ(x)
//                  → linear(2d·H/4·W/4 → 1) (a logit: real vs generated)
// Class-conditional GAN (GanArch::conditional(); Mirza & Osindero 2014), the same networks with:
//   generator:     its input code is [z, e(c)]: z ~ N(0, I_latent) and e(c) a learned embedding of
//                  class c (class_embedding floats), so the code has latent + class_embedding floats
//   discriminator: adds the projection term ⟨v(y), φ(x)⟩ to the logit, v(y) a learned embedding of
//                  the image's class (Miyato & Koyama 2018, "cGANs with Projection Discriminator")

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <optional>

namespace latentdb::encoders {

struct CnnArch {
  int channels = 1, height = 28, width = 28;
  int conv1 = 32, conv2 = 64;
  int dim = 128;
  int classes = 10;
  nlohmann::json ToJson() const;
  static CnnArch FromJson(const nlohmann::json& j);  // throws nlohmann::json::exception on a bad manifest
};

struct CnnNetImpl : torch::nn::Module {
  explicit CnnNetImpl(const CnnArch& arch);
  // The hidden layer (before L2 normalization): N × dim. In eval mode after FoldBatchNorm() it
  // runs the folded layers (same values up to rounding, about a third less memory traffic).
  torch::Tensor Embed(const torch::Tensor& x);
  // For inference: folds each batch norm's running statistics into the layer before it
  // (w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε)). Call after loading the weights; training mode
  // ignores the folded copies.
  void FoldBatchNorm();
  // Class logits: N × classes.
  torch::Tensor forward(const torch::Tensor& x);

  CnnArch arch;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Linear hidden{nullptr}, classifier{nullptr};
  torch::nn::BatchNorm1d bn_hidden{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  struct Folded {
    torch::Tensor w1, b1, w2, b2, wh, bh;
  };
  std::optional<Folded> folded_;
};
TORCH_MODULE(CnnNet);

struct VaeArch {
  int channels = 1, height = 28, width = 28;
  int conv1 = 32, conv2 = 64;
  int hidden = 256;
  int latent = 16;
  // Class conditioning: both > 0 for a class-conditional VAE (classes = the training data's).
  int classes = 0;
  int class_embedding = 0;
  bool conditional() const { return classes > 0 && class_embedding > 0; }
  // The decoder's input code: latent floats, plus class_embedding when conditional.
  int code_dim() const { return latent + (conditional() ? class_embedding : 0); }
  nlohmann::json ToJson() const;
  // A manifest without "classes" (written before conditioning existed) is an unconditional VAE.
  static VaeArch FromJson(const nlohmann::json& j);
};

struct VaeOutput {
  torch::Tensor mean, logvar, z;
  torch::Tensor class_logits;  // conditional only: N × classes
  torch::Tensor logits;        // N × C × H × W; sigmoid(logits) are the pixel means in [0,1]
};

struct VaeEncoding {
  torch::Tensor mean, logvar;  // N × latent
  torch::Tensor class_logits;  // conditional only: N × classes (undefined otherwise)
};

struct VaeNetImpl : torch::nn::Module {
  explicit VaeNetImpl(const VaeArch& arch);
  std::pair<torch::Tensor, torch::Tensor> Encode(const torch::Tensor& x);  // μ, log σ²
  VaeEncoding EncodeWithClass(const torch::Tensor& x);
  // The code of z (N × latent): z itself, or [z, e(labels)] when conditional (labels: N class
  // indices; for an image whose label is unknown, the head's argmax).
  torch::Tensor Code(const torch::Tensor& z, const torch::Tensor& labels);
  // The code the model serves for images: Code(μ, argmax of the class head).
  torch::Tensor Code(const VaeEncoding& e);
  torch::Tensor DecodeLogits(const torch::Tensor& code);                   // N × C × H × W
  // Full pass; z = μ + σ·ε when `sample`, else z = μ. A conditional VAE decodes [z, e(labels)]
  // (labels undefined: the head's prediction).
  VaeOutput forward(const torch::Tensor& x, bool sample, const torch::Tensor& labels = {});

  VaeArch arch;
  torch::nn::Conv2d enc1{nullptr}, enc2{nullptr};
  torch::nn::Linear enc_fc{nullptr}, to_mean{nullptr}, to_logvar{nullptr};
  torch::nn::Linear classify{nullptr};  // conditional only: the class head
  torch::nn::Embedding embed{nullptr};  // conditional only: e, classes × class_embedding
  torch::nn::Linear dec_fc1{nullptr}, dec_fc2{nullptr};
  torch::nn::ConvTranspose2d dec1{nullptr}, dec2{nullptr};
};
TORCH_MODULE(VaeNet);

struct GanArch {
  int channels = 1, height = 28, width = 28;
  int latent = 64;
  int generator = 32;      // g: channels of the generator's last hidden feature map
  int discriminator = 32;  // d: channels of the discriminator's first convolution
  // Class conditioning: both > 0 for a class-conditional GAN (classes = the training data's).
  int classes = 0;
  int class_embedding = 0;
  bool conditional() const { return classes > 0 && class_embedding > 0; }
  // The generator's input code: latent floats, plus class_embedding when conditional.
  int code_dim() const { return latent + (conditional() ? class_embedding : 0); }
  nlohmann::json ToJson() const;
  // Throws nlohmann::json::exception on a bad manifest; a manifest without "classes" (written
  // before conditioning existed) is an unconditional GAN.
  static GanArch FromJson(const nlohmann::json& j);
};

struct GeneratorImpl : torch::nn::Module {
  explicit GeneratorImpl(const GanArch& arch);
  // codes: N × code_dim() → images N × C × H × W in [−1, 1].
  torch::Tensor forward(const torch::Tensor& codes);
  // Conditional only: the codes [z, e(labels)] of z (N × latent) and labels (N class indices).
  torch::Tensor Code(const torch::Tensor& z, const torch::Tensor& labels);

  GanArch arch;
  torch::nn::Embedding embed{nullptr};  // conditional only: e, classes × class_embedding
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn0{nullptr};
  torch::nn::ConvTranspose2d up1{nullptr}, up2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
};
TORCH_MODULE(Generator);

struct DiscriminatorImpl : torch::nn::Module {
  explicit DiscriminatorImpl(const GanArch& arch);
  // x: N × C × H × W in [−1, 1] → N logits (> 0: judged real). A conditional discriminator adds
  // the projection term of `labels` (N class indices; required when conditional).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels = {});

  GanArch arch;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn2{nullptr};
  torch::nn::Linear out{nullptr};
  torch::nn::Embedding projection{nullptr};  // conditional only: v, classes × 2d·H/4·W/4
};
TORCH_MODULE(Discriminator);

// The generator and the discriminator saved as one archive (weights.pt of a "gan" model).
struct GanNetImpl : torch::nn::Module {
  explicit GanNetImpl(const GanArch& arch);
  GanArch arch;
  Generator generator{nullptr};
  Discriminator discriminator{nullptr};
};
TORCH_MODULE(GanNet);

// z = μ + exp(½ log σ²) ⊙ ε
torch::Tensor Reparameterize(const torch::Tensor& mean, const torch::Tensor& logvar, const torch::Tensor& eps);
// Per-sample KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²): N.
torch::Tensor KlDivergence(const torch::Tensor& mean, const torch::Tensor& logvar);
// Per-sample Bernoulli negative log-likelihood Σ BCE(logits, x): N. x in [0,1].
torch::Tensor ReconstructionNll(const torch::Tensor& logits, const torch::Tensor& x);

}  // namespace latentdb::encoders
