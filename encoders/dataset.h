#pragma once
// ImageDataset: labelled images in memory, the training and evaluation input of the encoders.
// Torch-free: the trainer turns it into tensors.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "images/image.h"

namespace latentdb::encoders {

struct ImageDataset {
  int channels = 1;
  int height = 0;
  int width = 0;
  // size() images of height × width × channels bytes each, row-major, channels interleaved.
  std::vector<uint8_t> pixels;
  // One class index per image; class_names[label] names it.
  std::vector<int> labels;
  std::vector<std::string> class_names;

  size_t image_bytes() const { return static_cast<size_t>(channels) * height * width; }
  size_t size() const { return labels.size(); }
  const uint8_t* image(size_t i) const { return pixels.data() + i * image_bytes(); }
  images::Image ImageAt(size_t i) const;
  // Every image, in order (a copy: size() × image_bytes() bytes).
  std::vector<images::Image> Images() const;
  // The first n images (all when n >= size()).
  ImageDataset Head(size_t n) const;
};

// The ten Fashion-MNIST class names, in label order.
const std::vector<std::string>& FashionMnistClasses();

// A dataset from a folder with one sub-folder per class (sorted names = labels); every image file
// below a class folder is decoded, converted to `channels` and resized to height × width.
// Files that fail to decode are skipped and counted in *skipped (with the first reason in
// *first_skip_reason). InvalidArgument when there are no class folders or no images.
Result<ImageDataset> LoadImageFolder(const std::string& dir, int channels, int height, int width, size_t* skipped,
                                     std::string* first_skip_reason);

// Splits off every k-th image as a held-out test set (deterministic).
void SplitEveryKth(const ImageDataset& all, size_t k, ImageDataset* train, ImageDataset* test);

}  // namespace latentdb::encoders
