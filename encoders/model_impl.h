#pragma once
// ImageModel's private state, shared by image_model.cc (inference) and the trainer/importer, which
// build models in memory. Internal to encoders (includes LibTorch).

#include <torch/script.h>
#include <torch/torch.h>

#include <optional>
#include <string>

#include "encoders/image_model.h"
#include "encoders/nets.h"

namespace latentdb::encoders {

struct ImageModel::Impl {
  std::string name;
  std::string kind;
  size_t dim = 0;
  InputSpec input;
  nlohmann::json manifest;
  // Exactly one of these is set, by kind. Inference does not change them (eval mode, no grad), so
  // concurrent forward passes are safe; `mutable` because LibTorch's forward is not const.
  mutable CnnNet cnn{nullptr};
  mutable VaeNet vae{nullptr};
  mutable GanNet gan{nullptr};
  // GAN: the CNN whose embedding inversion matches (manifest "inversion"), and the loss weight.
  std::shared_ptr<ImageModel> feature_model;
  double feature_weight = 0;
  // GAN: set when it is class-conditional.
  std::optional<ClassConditioning> conditioning;
  mutable std::optional<torch::jit::Module> script;
};

// InputSpec ⇄ the manifest's "input" object.
nlohmann::json InputSpecToJson(const InputSpec& spec);
Result<InputSpec> InputSpecFromJson(const nlohmann::json& j);

}  // namespace latentdb::encoders
