#include "encoders/dataset.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "common/file_util.h"

namespace latentdb::encoders {

namespace fs = std::filesystem;

images::Image ImageDataset::ImageAt(size_t i) const {
  images::Image img;
  img.width = width;
  img.height = height;
  img.channels = channels;
  img.pixels.assign(image(i), image(i) + image_bytes());
  return img;
}

std::vector<images::Image> ImageDataset::Images() const {
  std::vector<images::Image> out;
  out.reserve(size());
  for (size_t i = 0; i < size(); ++i) out.push_back(ImageAt(i));
  return out;
}

ImageDataset ImageDataset::Head(size_t n) const {
  ImageDataset out = *this;
  n = std::min(n, size());
  out.labels.resize(n);
  out.pixels.resize(n * image_bytes());
  return out;
}

const std::vector<std::string>& FashionMnistClasses() {
  static const std::vector<std::string> kNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                  "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return kNames;
}

namespace {

bool IsImageFile(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".gif";
}

}  // namespace

Result<ImageDataset> LoadImageFolder(const std::string& dir, int channels, int height, int width, size_t* skipped,
                                     std::string* first_skip_reason) {
  ImageDataset ds;
  ds.channels = channels;
  ds.height = height;
  ds.width = width;
  *skipped = 0;
  std::error_code ec;
  std::vector<fs::path> classes;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) classes.push_back(e.path());
  }
  if (ec) return Status::IOError("reading " + dir + ": " + ec.message());
  std::sort(classes.begin(), classes.end());
  if (classes.empty()) return Status::InvalidArgument(dir + " has no class sub-folders (one folder per class)");
  for (size_t label = 0; label < classes.size(); ++label) {
    ds.class_names.push_back(classes[label].filename().string());
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(classes[label], ec)) {
      if (e.is_regular_file() && IsImageFile(e.path())) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto bytes = ReadWholeFile(f.string());
      Result<images::Image> img = bytes.ok() ? images::Decode(*bytes) : Result<images::Image>(bytes.status());
      if (!img.ok()) {
        if ((*skipped)++ == 0) *first_skip_reason = f.string() + ": " + img.status().message();
        continue;
      }
      images::Image fitted = images::Resize(images::ConvertChannels(*img, channels), width, height);
      ds.pixels.insert(ds.pixels.end(), fitted.pixels.begin(), fitted.pixels.end());
      ds.labels.push_back(static_cast<int>(label));
    }
  }
  if (ds.size() == 0) return Status::InvalidArgument(dir + " has no readable images");
  return ds;
}

void SplitEveryKth(const ImageDataset& all, size_t k, ImageDataset* train, ImageDataset* test) {
  for (ImageDataset* d : {train, test}) {
    *d = ImageDataset{all.channels, all.height, all.width, {}, {}, all.class_names};
  }
  for (size_t i = 0; i < all.size(); ++i) {
    ImageDataset* d = (k > 1 && i % k == k - 1) ? test : train;
    d->pixels.insert(d->pixels.end(), all.image(i), all.image(i) + all.image_bytes());
    d->labels.push_back(all.labels[i]);
  }
}

}  // namespace latentdb::encoders
