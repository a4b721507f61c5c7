#include "tests/ingest/image_files.h"

#include <cstring>

// stb_image_write with internal linkage, so it cannot clash with the image codec's copy.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace latentdb::testing {
namespace {

void Append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

void Put32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}

}  // namespace

std::vector<uint8_t> PatternPixels(int w, int h, int channels, int seed) {
  std::vector<uint8_t> p(static_cast<size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < channels; ++c) {
        p[(static_cast<size_t>(y) * w + x) * channels + c] = static_cast<uint8_t>((x * 7 + y * 3 + c * 50 + seed * 37) & 0xff);
      }
    }
  }
  return p;
}

std::string PngBytes(int w, int h, int channels, const std::vector<uint8_t>& pixels) {
  std::string out;
  stbi_write_png_to_func(Append, &out, w, h, channels, pixels.data(), w * channels);
  return out;
}

std::string JpegBytes(int w, int h, int channels, const std::vector<uint8_t>& pixels) {
  std::string out;
  stbi_write_jpg_to_func(Append, &out, w, h, channels, pixels.data(), 95);
  return out;
}

std::string BmpBytes(int w, int h, int channels, const std::vector<uint8_t>& pixels) {
  const uint32_t row = (static_cast<uint32_t>(w) * 3 + 3) & ~3u;
  const uint32_t data = row * static_cast<uint32_t>(h);
  std::string out = "BM";
  Put32(&out, 54 + data);
  Put32(&out, 0);
  Put32(&out, 54);
  Put32(&out, 40);
  Put32(&out, static_cast<uint32_t>(w));
  Put32(&out, static_cast<uint32_t>(h));
  Put16(&out, 1);
  Put16(&out, 24);
  for (int i = 0; i < 6; ++i) Put32(&out, 0);  // BI_RGB, size, resolution, palette
  for (int y = h - 1; y >= 0; --y) {
    const size_t start = out.size();
    for (int x = 0; x < w; ++x) {
      const uint8_t* px = &pixels[(static_cast<size_t>(y) * w + x) * channels];
      const uint8_t r = px[0], g = channels == 3 ? px[1] : px[0], b = channels == 3 ? px[2] : px[0];
      out.push_back(static_cast<char>(b));
      out.push_back(static_cast<char>(g));
      out.push_back(static_cast<char>(r));
    }
    out.resize(start + row, '\0');
  }
  return out;
}

}  // namespace latentdb::testing
