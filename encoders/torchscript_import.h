#pragma once
// Registers a TorchScript file (torch.jit.save) as an image model of kind "torchscript". The file
// is copied into the model directory; its output dimension is found by running one zero input.
// TorchScript can run arbitrary operators: import only files from people you trust.

#include <nlohmann/json.hpp>

#include <string>

#include "common/result.h"
#include "encoders/image_model.h"

namespace latentdb::encoders {

// InvalidArgument when the file is not TorchScript or does not accept a 1 × C × H × W input;
// AlreadyExists when NAME is taken. Returns the manifest.
Result<nlohmann::json> ImportTorchScript(const std::string& data_dir, const std::string& path, const std::string& name,
                                         const InputSpec& input);

}  // namespace latentdb::encoders
