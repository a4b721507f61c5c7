#pragma once
// Images as LatentDB handles them: 8-bit pixels, row-major, channels interleaved (1 = gray,
// 3 = RGB). Decoding untrusted bytes (JPEG with libjpeg-turbo; PNG, BMP, GIF first frame with
// stb), resizing, channel conversion and PNG encoding. No LibTorch here: the encoders turn an Image into a tensor.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace latentdb::images {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;             // 1 (gray) or 3 (RGB)
  std::vector<uint8_t> pixels;  // width * height * channels bytes

  size_t size() const { return static_cast<size_t>(width) * height * channels; }
};

struct DecodeLimits {
  // Largest accepted width × height, checked against the header before any pixel is decoded.
  uint64_t max_pixels = 40'000'000;
};

// "png", "jpeg", "bmp", "gif" from the first bytes; "" when none matches.
std::string_view SniffFormat(std::string_view bytes);

// What a file declares, read from its header alone (no pixel decoded: microseconds whatever the
// size), so that callers can charge an image against a budget before decoding it. For a GIF
// the size is its logical screen, which is what decoding allocates.
struct ImageInfo {
  std::string_view format;  // as SniffFormat
  uint32_t width = 0;
  uint32_t height = 0;
  uint64_t pixels() const { return uint64_t{width} * height; }
};
// UnsupportedMedia (not PNG/JPEG/BMP/GIF), InvalidArgument (empty, header cut short or
// malformed). Zero sizes are returned as they are (Decode refuses them).
Result<ImageInfo> Inspect(std::string_view bytes);

// Decodes a whole file's bytes into 1 or 3 channels (alpha dropped; gray stays gray).
// Errors: UnsupportedMedia (not PNG/JPEG/BMP/GIF), PayloadTooLarge (declared size over the
// limit), InvalidArgument (zero size, truncated or corrupt data; the message says which).
// Thread-safe.
Result<Image> Decode(std::string_view bytes, const DecodeLimits& limits = {});

// Converts between gray and RGB (luma for RGB → gray). Same image when channels already match.
Image ConvertChannels(const Image& image, int channels);
// Area-averaging downscale / bilinear upscale to width × height. Same image when sizes match.
Image Resize(const Image& image, int width, int height);

// PNG bytes of the image (deflate via stb_image_write).
std::string EncodePng(const Image& image);

}  // namespace latentdb::images
