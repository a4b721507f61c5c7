// ConvertChannels and Resize.
//
// Resize is separable: each axis gets a list of (source index, weight) contributions per output
// index, applied first along rows, then along columns, in double precision, rounded once at the
// end. A shrinking axis uses area averaging (each output pixel is the mean of the source area it
// covers, fractional pixels weighted by overlap), so 56→28 averages exact 2×2 blocks; a growing
// axis uses bilinear interpolation between pixel centres (edges clamped). Weights sum to 1, so a
// constant image stays constant.
#include <algorithm>
#include <cmath>
#include <vector>

#include "images/image.h"

namespace latentdb::images {
namespace {

struct Contribution {
  int source;
  double weight;
};
using AxisWeights = std::vector<std::vector<Contribution>>;

AxisWeights AreaWeights(int src, int dst) {
  AxisWeights out(dst);
  const double scale = static_cast<double>(src) / dst;
  for (int i = 0; i < dst; ++i) {
    const double begin = i * scale, end = (i + 1) * scale;
    const int last = std::min(src - 1, static_cast<int>(std::ceil(end)) - 1);
    for (int j = static_cast<int>(std::floor(begin)); j <= last; ++j) {
      const double overlap = std::min(end, j + 1.0) - std::max(begin, static_cast<double>(j));
      if (overlap > 0) out[i].push_back({j, overlap / scale});
    }
  }
  return out;
}

AxisWeights BilinearWeights(int src, int dst) {
  AxisWeights out(dst);
  const double scale = static_cast<double>(src) / dst;
  for (int i = 0; i < dst; ++i) {
    const double centre = std::clamp((i + 0.5) * scale - 0.5, 0.0, src - 1.0);
    const int j0 = static_cast<int>(std::floor(centre));
    const int j1 = std::min(j0 + 1, src - 1);
    const double t = centre - j0;
    out[i].push_back({j0, 1.0 - t});
    if (j1 != j0 && t > 0) out[i].push_back({j1, t});
  }
  return out;
}

AxisWeights Weights(int src, int dst) { return dst <= src ? AreaWeights(src, dst) : BilinearWeights(src, dst); }

}  // namespace

// `channels` must be 1 or 3 (anything but 1 is treated as 3).
Image ConvertChannels(const Image& image, int channels) {
  channels = channels == 1 ? 1 : 3;
  if (image.channels == channels) return image;
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.channels = channels;
  const size_t count = static_cast<size_t>(image.width) * image.height;
  out.pixels.resize(count * channels);
  if (channels == 3) {  // gray → RGB
    for (size_t i = 0; i < count; ++i) {
      out.pixels[3 * i] = out.pixels[3 * i + 1] = out.pixels[3 * i + 2] = image.pixels[i];
    }
  } else {  // RGB → gray: ITU-R BT.601 luma, rounded
    for (size_t i = 0; i < count; ++i) {
      const uint32_t r = image.pixels[3 * i], g = image.pixels[3 * i + 1], b = image.pixels[3 * i + 2];
      out.pixels[i] = static_cast<uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000);
    }
  }
  return out;
}

// `width` and `height` must be positive; an empty source gives an empty image.
Image Resize(const Image& image, int width, int height) {
  if (image.width == width && image.height == height) return image;
  Image out;
  out.channels = image.channels;
  if (width <= 0 || height <= 0 || image.width <= 0 || image.height <= 0) return out;
  out.width = width;
  out.height = height;
  const int c = image.channels;
  const AxisWeights wx = Weights(image.width, width);
  const AxisWeights wy = Weights(image.height, height);

  // Rows first: image.height × width × c.
  std::vector<double> rows(static_cast<size_t>(image.height) * width * c, 0.0);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* src = image.pixels.data() + static_cast<size_t>(y) * image.width * c;
    double* dst = rows.data() + static_cast<size_t>(y) * width * c;
    for (int x = 0; x < width; ++x) {
      for (const Contribution& k : wx[x]) {
        for (int ch = 0; ch < c; ++ch) dst[x * c + ch] += k.weight * src[k.source * c + ch];
      }
    }
  }
  // Then columns, rounding to 8 bits.
  out.pixels.resize(out.size());
  std::vector<double> acc(static_cast<size_t>(width) * c);
  for (int y = 0; y < height; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (const Contribution& k : wy[y]) {
      const double* src = rows.data() + static_cast<size_t>(k.source) * width * c;
      for (size_t i = 0; i < acc.size(); ++i) acc[i] += k.weight * src[i];
    }
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * width * c;
    for (size_t i = 0; i < acc.size(); ++i) {
      dst[i] = static_cast<uint8_t>(std::clamp(std::lround(acc[i]), 0L, 255L));
    }
  }
  return out;
}

}  // namespace latentdb::images
