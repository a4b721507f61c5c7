// Fuzz target: image decoding (images): format sniffing, the container checks and stb
// behind them, then the transforms an encoder applies (channel conversion, resizing to a model's
// input), PNG re-encoding, and base64 decoding of the same bytes (images arrive base64 in JSON).
//
// Properties: a decoded image has the size it declares; its PNG re-encoding decodes to the same
// pixels.

#include <cstdint>
#include <string_view>

#include "common/base64.h"
#include "images/image.h"
#include "fuzz/fuzz_util.h"

using latentdb::fuzz::Check;
namespace images = latentdb::images;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)latentdb::Base64Decode(bytes);
  (void)images::SniffFormat(bytes);

  // A smaller pixel limit than the server's, so that one input stays fast; the limit is what
  // is being tested, not its value.
  images::DecodeLimits limits;
  limits.max_pixels = 1 << 20;
  auto decoded = images::Decode(bytes, limits);
  if (!decoded.ok()) return 0;
  const images::Image& img = *decoded;
  Check(img.width > 0 && img.height > 0, "positive size");
  Check(img.channels == 1 || img.channels == 3, "gray or RGB");
  Check(static_cast<uint64_t>(img.width) * img.height <= limits.max_pixels, "within the pixel limit");
  Check(img.pixels.size() == img.size(), "pixel buffer matches the size");

  images::Image gray = images::ConvertChannels(img, 1);
  images::Image rgb = images::ConvertChannels(img, 3);
  Check(gray.pixels.size() == gray.size() && rgb.pixels.size() == rgb.size(), "converted buffers match");
  images::Image small = images::Resize(gray, 28, 28);
  Check(small.width == 28 && small.height == 28 && small.pixels.size() == small.size(), "resized to 28x28");
  images::Image large = images::Resize(rgb, 37, 5);
  Check(large.pixels.size() == large.size(), "resized buffer matches");

  if (img.size() <= (1 << 16)) {
    auto again = images::Decode(images::EncodePng(img), limits);
    Check(again.ok(), "a re-encoded PNG decodes");
    Check(again->width == img.width && again->height == img.height && again->channels == img.channels &&
              again->pixels == img.pixels,
          "PNG round trip keeps the pixels");
  }
  return 0;
}
