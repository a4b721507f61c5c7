#pragma once
// ImageModel: a trained image encoder of the model registry (models), behind a narrow
// interface so that only encoders/*.cc include LibTorch.
//
// Kinds:
//   "cnn"          convolutional classifier; the vector is its last hidden layer, L2-normalized.
//   "vae"          variational autoencoder; the vector is the posterior mean μ(x). It can also
//                  decode latents to images, reconstruct images and score anomalies. A
//                  class-conditional VAE's vector is [μ(x), e(ĉ)], ĉ its class head's prediction
//                  (see ClassConditioning).
//   "gan"          DCGAN generator (and its discriminator); the vector of an image is a latent code z
//                  found by inversion (Invert): G(z) reproduces the image. It decodes latents
//                  (the generator) like a VAE, but has no encoder network and no likelihood.
//                  A class-conditional GAN's code is [z, e(c)] (see ClassConditioning).
//   "torchscript"  an imported TorchScript module (trusted files only); the vector is its output,
//                  flattened.
//
// Manifest (DATA_DIR/models/NAME/manifest.json) fields used here, beside the registry's common
// "name", "kind", "dim", "created":
//   "input": {"channels":1|3, "height":H, "width":W, "mean":[…per channel], "std":[…]}
//   "model_file": "weights.pt" (a torch::save archive of the module, or the TorchScript file)
//   "architecture": {…} (cnn/vae: the layer sizes needed to rebuild the module before loading)
//   "metrics": {…} (cnn: test_accuracy; vae: test_neg_elbo, test_reconstruction, test_kl;
//              gan: d_real, d_fake, sample_diversity, test_diversity)
//   "inversion": {"feature_model": NAME, "feature_weight": w} (gan, optional): the CNN whose
//              embedding adds a feature loss to inversion
//
// Preprocessing (the same for every kind): convert to input.channels, resize to height × width,
// scale to [0,1], then (x − mean) / std per channel.
//
// Thread safety and determinism: every method is const, safe to call from many threads at once,
// and gives the same output for the same input (eval mode, no dropout, fixed batch-norm stats).

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "images/image.h"

namespace latentdb::encoders {

struct InputSpec {
  int channels = 1;
  int height = 28;
  int width = 28;
  std::vector<float> mean{0.0f};
  std::vector<float> std{1.0f};
};

// Per-image anomaly scores of a VAE (natural-log units, summed over pixels / latent dims):
//   reconstruction_error  −log p(x|z) at z = μ (Bernoulli cross-entropy on [0,1] pixels)
//   kl                    KL(q(z|x) ‖ N(0, I))
//   neg_elbo              reconstruction_error + kl  (the anomaly score; higher = more unusual)
struct AnomalyScores {
  double reconstruction_error = 0;
  double kl = 0;
  double neg_elbo = 0;
};

// GAN inversion (Zhu et al. 2016, "Generative Visual Manipulation on the Natural Image
// Manifold"; Creswell & Bharath 2018): z minimizing ‖G(z) − x‖² (pixels in [0,1], mean over
// pixels) + feature_weight · ‖φ(G(z)) − φ(x)‖² (φ: the feature model's L2-normalized embedding,
// when the manifest names one) + 1e-3 · mean(z²) (keeps z where the prior has mass), by Adam from
// `starts` random starts per image; the start with the lowest loss is kept. A class-conditional
// GAN's starts are [z ~ N(0, I), e(c)] for the `starts` classes the feature model ranks highest for
// the image (when it classifies the GAN's classes; else classes 0, 1, … in turn), the prior term
// applies to z only, and the whole code is optimized.
struct InversionOptions {
  int starts = 4;       // 1…64
  int steps = 150;      // Adam steps, 1…5000
  double lr = 0.05;     // Adam's step size on z
  uint64_t seed = 0;    // the starts are drawn from N(0, I) with this seed: inversion is reproducible
};

struct Inversion {
  std::vector<float> latent;     // z, dim() floats
  images::Image image;           // G(z) at the model's input size (empty unless asked for)
  double pixel_error = 0;        // mean squared pixel error of G(z) against the image, pixels in [0,1]
  double feature_distance = 0;   // ‖φ(G(z)) − φ(x)‖ (0…2), 0 without a feature model
};

// A class-conditional GAN's or VAE's code (Mirza & Osindero 2014, "Conditional Generative
// Adversarial Nets"; Sohn et al. 2015 for the VAE): [z, e(c)], z the first noise_dim floats (prior
// N(0, I)) and e(c) the generator's or decoder's learned embedding of class c (the remaining dim() −
// noise_dim floats). A code drawn from the prior, or a VAE's encoding, has e(c) of one class
// exactly; inversion and edits move the whole code, class part included.
struct ClassConditioning {
  size_t noise_dim = 0;
  std::vector<std::string> class_names;        // the manifest's "classes", one per embedding
  std::vector<std::vector<float>> embeddings;  // e(c) for c = 0 … classes − 1
};

struct Reconstruction {
  std::vector<float> mean;  // μ(x), the stored vector ([μ(x), e(ĉ)] for a class-conditional VAE)
  images::Image image;      // decode(μ(x)) at the model's input size
  AnomalyScores scores;
};

// How many threads one Encode/Decode/Reconstruct call may use (LibTorch's intra-op threads; a
// process-wide setting; 0 = every core, the default). A caller that runs several calls at once —
// the ingest's workers — gives each a share of the cores instead of letting them oversubscribe.
void SetInferenceThreads(int threads);

class ImageModel {
 public:
  ~ImageModel();
  ImageModel(const ImageModel&) = delete;
  ImageModel& operator=(const ImageModel&) = delete;

  // Loads DATA_DIR/models/NAME. NotFound when there is no such model, InvalidArgument when it is
  // a word model, Corruption when the weights do not load.
  static Result<std::shared_ptr<ImageModel>> Open(const std::string& data_dir, const std::string& name);

  const std::string& name() const;
  const std::string& kind() const;  // "cnn" | "vae" | "gan" | "torchscript"
  size_t dim() const;
  const InputSpec& input() const;
  const nlohmann::json& manifest() const;
  // True for a VAE or a GAN: Decode works (and Reconstruct for a VAE, Invert for a GAN).
  bool generative() const;
  // A class-conditional GAN's or VAE's code layout; nullptr for every other model (the prior of
  // its codes is then N(0, I_dim)).
  const ClassConditioning* conditioning() const;

  // The image converted to input().channels and resized to input().height × width: what the
  // model sees. Encode/Reconstruct fit their inputs themselves (an image already fitted is used
  // as it is, not copied); callers fit right after decoding so that a large image is not kept.
  images::Image Fit(const images::Image& image) const;

  // One vector of dim() floats per image, in order. Batches internally.
  Result<std::vector<std::vector<float>>> Encode(const std::vector<images::Image>& images) const;
  Result<std::vector<float>> Encode(const images::Image& image) const;

  // CNN only (InvalidArgument otherwise): the classifier's predicted class of each image (an
  // index into the manifest's "classes").
  Result<std::vector<int>> Classify(const std::vector<images::Image>& images) const;

  // VAE or GAN (InvalidArgument otherwise, or when a latent's size is not dim()): images at the
  // model's input size, pixel values clamped to [0, 255]. A GAN's z is any real vector; its
  // prior is N(0, I).
  Result<std::vector<images::Image>> Decode(const std::vector<std::vector<float>>& latents) const;
  // VAE only: μ, decode(μ) and the anomaly scores of each image. Without `with_images` the
  // reconstructions are scored but not converted to images (Reconstruction::image left empty):
  // what an upsert needs.
  Result<std::vector<Reconstruction>> Reconstruct(const std::vector<images::Image>& images,
                                                  bool with_images = true) const;
  // GAN only (InvalidArgument otherwise): the latent code of each image (see InversionOptions).
  // Encode on a GAN is Invert with the default options. Cost: starts × steps generator passes
  // (forward and backward) per image.
  Result<std::vector<Inversion>> Invert(const std::vector<images::Image>& images, const InversionOptions& options,
                                        bool with_images = true) const;

 private:
  struct Impl;
  // Loads a GAN's inversion feature model into its Impl (gan_inversion.cc).
  friend Status OpenFeatureModel(const std::string& data_dir, const nlohmann::json& manifest, Impl* impl);
  explicit ImageModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace latentdb::encoders
