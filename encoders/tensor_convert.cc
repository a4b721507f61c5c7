#include "encoders/tensor_convert.h"

#include <algorithm>
#include <cmath>

namespace latentdb::encoders {

images::Image FitToInput(const images::Image& image, const InputSpec& spec) {
  return images::Resize(images::ConvertChannels(image, spec.channels), spec.width, spec.height);
}

namespace {

// Interleaved uint8 (N × H × W × C) → normalized float N × C × H × W.
torch::Tensor Planar(const uint8_t* data, int64_t n, int64_t c, int64_t h, int64_t w) {
  auto bytes = torch::from_blob(const_cast<uint8_t*>(data), {n, h, w, c}, torch::kUInt8);
  return bytes.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f).contiguous();
}

torch::Tensor Normalize(torch::Tensor unit, const InputSpec& spec) {
  auto mean = torch::tensor(spec.mean, torch::kFloat32).view({1, -1, 1, 1});
  auto std = torch::tensor(spec.std, torch::kFloat32).view({1, -1, 1, 1});
  return unit.sub_(mean).div_(std);
}

}  // namespace

torch::Tensor InputTensor(const std::vector<const images::Image*>& fitted, const InputSpec& spec) {
  const size_t bytes = static_cast<size_t>(spec.channels) * spec.height * spec.width;
  std::vector<uint8_t> packed(fitted.size() * bytes);
  for (size_t i = 0; i < fitted.size(); ++i) std::copy(fitted[i]->pixels.begin(), fitted[i]->pixels.end(), packed.begin() + i * bytes);
  return Normalize(Planar(packed.data(), static_cast<int64_t>(fitted.size()), spec.channels, spec.height, spec.width), spec);
}

torch::Tensor DatasetUnitTensor(const ImageDataset& ds, size_t begin, size_t end) {
  return Planar(ds.image(begin), static_cast<int64_t>(end - begin), ds.channels, ds.height, ds.width);
}

torch::Tensor DatasetTensor(const ImageDataset& ds, size_t begin, size_t end, const InputSpec& spec) {
  return Normalize(DatasetUnitTensor(ds, begin, end), spec);
}

torch::Tensor ToUnitRange(const torch::Tensor& normalized, const InputSpec& spec) {
  auto mean = torch::tensor(spec.mean, torch::kFloat32).view({1, -1, 1, 1});
  auto std = torch::tensor(spec.std, torch::kFloat32).view({1, -1, 1, 1});
  return normalized * std + mean;
}

std::vector<images::Image> TensorToImages(const torch::Tensor& unit) {
  auto bytes = unit.clamp(0, 1).mul(255).round().to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
  const int64_t n = bytes.size(0), h = bytes.size(1), w = bytes.size(2), c = bytes.size(3);
  std::vector<images::Image> out(static_cast<size_t>(n));
  const uint8_t* p = bytes.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    auto& img = out[static_cast<size_t>(i)];
    img.width = static_cast<int>(w);
    img.height = static_cast<int>(h);
    img.channels = static_cast<int>(c);
    img.pixels.assign(p + i * h * w * c, p + (i + 1) * h * w * c);
  }
  return out;
}

std::vector<std::vector<float>> TensorRows(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat32).contiguous();
  const int64_t n = c.size(0), d = c.numel() / std::max<int64_t>(1, n);
  const float* p = c.data_ptr<float>();
  std::vector<std::vector<float>> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rows[static_cast<size_t>(i)].assign(p + i * d, p + (i + 1) * d);
  return rows;
}

torch::Tensor FittedBatch(const std::vector<images::Image>& images, size_t begin, size_t end, const InputSpec& spec) {
  std::vector<images::Image> refitted;
  refitted.reserve(end - begin);  // no reallocation: `fitted` points into it
  std::vector<const images::Image*> fitted;
  fitted.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const images::Image& image = images[i];
    if (image.channels == spec.channels && image.width == spec.width && image.height == spec.height) {
      fitted.push_back(&image);
    } else {
      refitted.push_back(FitToInput(image, spec));
      fitted.push_back(&refitted.back());
    }
  }
  return InputTensor(fitted, spec);
}


}  // namespace latentdb::encoders
