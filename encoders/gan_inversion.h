#pragma once
// The GAN's part of ImageModel (gan_inversion.cc): its pixel range, its feature model and
// inversion. Internal to encoders (includes LibTorch).

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>

#include "common/result.h"
#include "encoders/model_impl.h"

namespace latentdb::encoders {

// The generator's tanh output in [−1, 1] as pixels in [0, 1].
torch::Tensor GanPixels(const torch::Tensor& generated);

// Loads the feature model the manifest's "inversion" names (a CNN with the GAN's input shape) into
// impl->feature_model; nothing when the manifest names none. Corruption when it is named but does
// not load or does not fit (inversion would silently change meaning without it).
Status OpenFeatureModel(const std::string& data_dir, const nlohmann::json& manifest, ImageModel::Impl* impl);

}  // namespace latentdb::encoders
