#pragma once
// The epoch loop every image trainer shares (trainer.cc: CNN, VAE; gan_trainer.cc: GAN).
// Internal to encoders (includes LibTorch).

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "encoders/dataset.h"
#include "encoders/image_model.h"
#include "encoders/trainer.h"

namespace latentdb::encoders {

using Clock = std::chrono::steady_clock;
inline double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// What one optimization step reports, summed over its batch.
struct StepResult {
  double loss = 0;                // the (generator's) training loss
  double correct = 0;             // CNN: correct predictions
  double discriminator_loss = 0;  // GAN: the discriminator's loss
};

// The tensors and settings one training run shares between its steps.
struct TrainingRun {
  const TrainImageOptions& o;
  int epochs;
  torch::Tensor x_train, x_test;  // normalized images, N × C × H × W
  const TrainImageProgressFn& progress;
};


// The epoch loop shared by every kind: shuffles, cuts batches, calls `step` (which returns the
// batch's summed losses and number of correct predictions) and reports progress.
template <typename StepFn, typename EvalFn>
nlohmann::json RunEpochs(const TrainImageOptions& o, int epochs, const torch::Tensor& x, const torch::Tensor& y, torch::nn::Module& net,
               StepFn step, EvalFn evaluate, const TrainImageProgressFn& progress) {
  const int64_t n = x.size(0);
  size_t batches = static_cast<size_t>((n + o.batch_size - 1) / o.batch_size);
  if (o.max_batches_per_epoch > 0) batches = std::min(batches, o.max_batches_per_epoch);
  const size_t total_batches = batches * static_cast<size_t>(epochs);
  nlohmann::json history = nlohmann::json::array();
  auto start = Clock::now();
  size_t done_batches = 0, done_images = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    net.train();
    torch::Tensor order = torch::randperm(n, torch::kInt64);
    double loss_sum = 0, correct = 0, discriminator_loss_sum = 0;
    size_t seen = 0;
    TrainImageProgress p;
    p.epoch = epoch;
    p.epochs = epochs;
    p.batches = batches;
    for (size_t b = 0; b < batches; ++b) {
      int64_t begin = static_cast<int64_t>(b) * o.batch_size;
      int64_t end = std::min<int64_t>(n, begin + o.batch_size);
      torch::Tensor idx = order.slice(0, begin, end);
      const StepResult r = step(x.index_select(0, idx), y.defined() ? y.index_select(0, idx) : y);
      loss_sum += r.loss;
      correct += r.correct;
      discriminator_loss_sum += r.discriminator_loss;
      seen += static_cast<size_t>(end - begin);
      ++done_batches;
      done_images += static_cast<size_t>(end - begin);
      if (progress) {
        double secs = Seconds(start);
        p.batch = b + 1;
        p.loss = loss_sum / seen;
        p.accuracy = correct / seen;
        p.discriminator_loss = discriminator_loss_sum / seen;
        p.images_per_sec = done_images / std::max(1e-9, secs);
        p.eta_seconds = secs / done_batches * (total_batches - done_batches);
        if (b + 1 < batches) progress(p);
      }
    }
    net.eval();
    nlohmann::json metrics = evaluate();
    history.push_back({{"epoch", epoch}, {"train_loss", loss_sum / std::max<size_t>(1, seen)},
                       {"train_accuracy", correct / std::max<size_t>(1, seen)},
                       {"train_discriminator_loss", discriminator_loss_sum / std::max<size_t>(1, seen)}, {"test", metrics},
                       {"seconds", Seconds(start)}});
    if (progress) {
      p.batch = batches;
      p.loss = loss_sum / std::max<size_t>(1, seen);
      p.accuracy = correct / std::max<size_t>(1, seen);
      p.discriminator_loss = discriminator_loss_sum / std::max<size_t>(1, seen);
      p.epoch_done = true;
      p.test_metrics = metrics;
      p.eta_seconds = Seconds(start) / done_batches * (total_batches - done_batches);
      progress(p);
    }
  }
  return history;
}


// One class index per image of `ds`, as the int64 tensor cross-entropy and embeddings take.
inline torch::Tensor Labels(const ImageDataset& ds) {
  return torch::tensor(std::vector<int64_t>(ds.labels.begin(), ds.labels.end()), torch::kInt64);
}

// A class-conditional model's class embedding e starts N(0, I), on the scale of z ~ N(0, I), so
// that the class part of a code weighs as much as the noise part from the first step.
inline void InitClassEmbedding(torch::nn::Embedding& embed) {
  torch::NoGradGuard no_grad;
  embed->weight.normal_(0.0, 1.0);
}

// The classes a class-conditional VAE or GAN is trained on: the training set's class count when
// o.class_embedding > 0 and there are ≥ 2 classes, else 0 (unconditional). Throws
// std::invalid_argument when an image's label names no class.
inline int ConditioningClasses(const TrainImageOptions& o, const ImageDataset& train, const ImageDataset& test) {
  if (o.class_embedding <= 0 || train.class_names.size() < 2) return 0;
  const int classes = static_cast<int>(train.class_names.size());
  for (const ImageDataset* ds : {&train, &test}) {
    for (int label : ds->labels) {
      if (label < 0 || label >= classes) throw std::invalid_argument("an image's label has no class name");
    }
  }
  return classes;
}

// Trains a GAN (gan_trainer.cc; class-conditional on the datasets' labels when
// run.o.class_embedding > 0 and there are ≥ 2 classes) and saves generator and discriminator to
// `weights_path`. Returns the manifest fields "dim", "architecture", "metrics", "history". Throws
// (LibTorch) on failure.
nlohmann::json TrainGan(const TrainingRun& run, const ImageDataset& train, const ImageDataset& test,
                        const std::string& weights_path);

}  // namespace latentdb::encoders
