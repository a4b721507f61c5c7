#pragma once
// Training of the built-in image models (CNN classifier, convolutional VAE, DCGAN) on an ImageDataset,
// and registration of the result in the data directory's model registry (manifest + weights.pt).
//
// The model is written to DATA_DIR/models/NAME/weights.pt and the manifest last, so a model whose
// manifest exists is complete; a failed run removes what it wrote. AlreadyExists when NAME is taken.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "encoders/dataset.h"

namespace latentdb::encoders {

struct TrainImageOptions {
  std::string kind = "cnn";  // "cnn" | "vae" | "gan"
  std::string name;
  int dim = 128;       // CNN: hidden-layer (embedding) size
  int latent = 16;     // VAE and GAN: latent dimension (the GAN's default, set by the CLI, is 64)
  double beta = 1.0;   // VAE: weight of the KL term
  int epochs = 0;      // 0 = the kind's default (CNN 3, VAE 5, GAN 5)
  // Channels of the two convolutions (both kinds): the main speed/quality knob on a CPU.
  int conv1 = 16;
  int conv2 = 32;
  // GAN: channels of the generator's last hidden feature map and of the discriminator's first
  // convolution (see nets.h).
  int generator = 32;
  int discriminator = 32;
  // GAN, VAE: > 0 makes it class-conditional on the training data's labels (when it has ≥ 2
  // classes): the code is [z (latent floats), e(c) (class_embedding floats)] (nets.h). 0 (the
  // library's default; the CLI's is 16): unconditional, the code is z.
  int class_embedding = 0;
  // GAN: a CNN of the data directory (same input shape) whose embedding adds a feature loss to
  // inversion, recorded in the manifest's "inversion"; empty: pixel loss only.
  std::string feature_model;
  double feature_weight = 0.1;
  int batch_size = 128;
  double lr = 0;       // Adam's learning rate; 0 = the kind's default (CNN, VAE 1e-3; GAN 2e-4)
  uint64_t seed = 42;  // initialization, shuffling and the VAE's ε: a run is reproducible
  int threads = 0;     // LibTorch intra-op threads; 0 = the kind's default (CNN all cores; VAE, GAN 1)
  // Limits the batches per epoch (0 = all): for tests that want a few steps on a slice.
  size_t max_batches_per_epoch = 0;
};

struct TrainImageProgress {
  int epoch = 0;  // 1-based
  int epochs = 0;
  size_t batch = 0;  // 1-based within the epoch
  size_t batches = 0;
  double loss = 0;      // running mean of the epoch's training loss (per image; GAN: the generator's)
  double discriminator_loss = 0;  // GAN: running mean of the discriminator's loss
  double accuracy = 0;  // CNN: running training accuracy of the epoch
  double images_per_sec = 0;
  double eta_seconds = 0;
  bool epoch_done = false;  // the last call of an epoch; test metrics below are set
  // At epoch end: CNN {"accuracy","loss"}, VAE {"neg_elbo","reconstruction","kl"},
  // GAN {"d_real","d_fake","sample_diversity","test_diversity"}.
  nlohmann::json test_metrics;
};

using TrainImageProgressFn = std::function<void(const TrainImageProgress&)>;

// Trains, evaluates on `test` and registers the model. Returns its manifest, which records the
// architecture, the input normalization, the parameters, "metrics" on the test set (CNN:
// test_accuracy; VAE: test_neg_elbo, test_reconstruction, test_kl per image, at z = μ), the
// per-epoch history and the training time.
Result<nlohmann::json> TrainImageModel(const std::string& data_dir, const TrainImageOptions& options,
                                       const ImageDataset& train, const ImageDataset& test,
                                       const TrainImageProgressFn& progress = {});

}  // namespace latentdb::encoders
