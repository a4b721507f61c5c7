#pragma once
// Images ⇄ tensors, internal to encoders (includes LibTorch).

#include <torch/torch.h>

#include <vector>

#include "encoders/dataset.h"
#include "encoders/image_model.h"

namespace latentdb::encoders {

// The image converted to spec.channels and resized to spec.height × spec.width.
images::Image FitToInput(const images::Image& image, const InputSpec& spec);
// N × C × H × W: pixels scaled to [0,1], then (x − mean) / std per channel. Images must already
// have the spec's shape (FitToInput).
torch::Tensor InputTensor(const std::vector<const images::Image*>& fitted, const InputSpec& spec);
// Images [begin, end) of a dataset, normalized as InputTensor.
torch::Tensor DatasetTensor(const ImageDataset& ds, size_t begin, size_t end, const InputSpec& spec);
// Images [begin, end) of a dataset in [0,1], unnormalized (the VAE's Bernoulli targets).
torch::Tensor DatasetUnitTensor(const ImageDataset& ds, size_t begin, size_t end);
// Undoes InputTensor's normalization: back to [0,1].
torch::Tensor ToUnitRange(const torch::Tensor& normalized, const InputSpec& spec);
// Images [begin, end) as the model's input tensor, normalized as InputTensor. Images that already
// have the input's shape (decoded and fitted by the caller) are packed as they are; only the
// others are fitted here.
torch::Tensor FittedBatch(const std::vector<images::Image>& images, size_t begin, size_t end, const InputSpec& spec);
// N × C × H × W values in [0,1] → 8-bit images (clamped, rounded).
std::vector<images::Image> TensorToImages(const torch::Tensor& unit);
// N × D float tensor → rows.
std::vector<std::vector<float>> TensorRows(const torch::Tensor& t);

}  // namespace latentdb::encoders
