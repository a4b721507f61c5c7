#pragma once
// Image files written in memory for the image tests: synthetic pixels, JPEG and BMP through
// stb_image_write, GIFs assembled by hand, and bare PNG headers declaring arbitrary sizes.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "images/image.h"

#include <stb/stb_image_write.h>

namespace latentdb::testing::images {

using latentdb::images::Image;

// A deterministic gradient-and-noise pattern (smooth enough for JPEG to keep close).
inline Image Pattern(int width, int height, int channels) {
  Image image{width, height, channels, {}};
  image.pixels.resize(image.size());
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        image.pixels[(static_cast<size_t>(y) * width + x) * channels + c] =
            static_cast<uint8_t>((x * 7 + y * 3 + c * 60) % 256);
  return image;
}

inline void AppendTo(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
}

inline std::string Jpeg(const Image& image, int quality = 95) {
  std::string out;
  stbi_write_jpg_to_func(AppendTo, &out, image.width, image.height, image.channels, image.pixels.data(), quality);
  return out;
}

inline std::string Bmp(const Image& image) {
  std::string out;
  stbi_write_bmp_to_func(AppendTo, &out, image.width, image.height, image.channels, image.pixels.data());
  return out;
}

inline void PutLe16(std::string& s, int v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}

inline void PutBe32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xff);
}

// A PNG signature and IHDR chunk (8-bit RGB) declaring width × height, and nothing else.
inline std::string PngHeader(uint32_t width, uint32_t height) {
  std::string s("\x89PNG\r\n\x1a\n", 8);
  PutBe32(s, 13);
  s += "IHDR";
  PutBe32(s, width);
  PutBe32(s, height);
  s += std::string("\x08\x02\x00\x00\x00", 5);
  PutBe32(s, 0);  // CRC (stb does not check it)
  return s;
}

// One GIF frame: palette indices, row-major.
struct GifFrame {
  std::vector<uint8_t> indices;
};

// A GIF with a 4-colour global palette and the given frames (all width × height), LZW-coded
// "uncompressed": 9-bit literal codes with a clear code every 100 literals, so the code width
// never grows. GIF87a for one frame, GIF89a for several.
inline std::string Gif(int width, int height, const uint8_t palette[4][3], const std::vector<GifFrame>& frames) {
  std::string s = frames.size() > 1 ? "GIF89a" : "GIF87a";
  PutLe16(s, width);
  PutLe16(s, height);
  s += static_cast<char>(0x81);  // global colour table of 2^(1+1) entries
  s += '\0';                     // background colour index
  s += '\0';                     // pixel aspect ratio
  for (int i = 0; i < 4; ++i)
    for (int c = 0; c < 3; ++c) s += static_cast<char>(palette[i][c]);
  for (const GifFrame& frame : frames) {
    s += ',';
    PutLe16(s, 0);
    PutLe16(s, 0);
    PutLe16(s, width);
    PutLe16(s, height);
    s += '\0';  // no local table, not interlaced
    s += static_cast<char>(8);  // LZW minimum code size: clear = 256, end = 257
    std::string data;
    uint32_t bits = 0;
    int count = 0;
    auto emit = [&](uint32_t code) {
      bits |= code << count;
      count += 9;
      while (count >= 8) {
        data += static_cast<char>(bits & 0xff);
        bits >>= 8;
        count -= 8;
      }
    };
    emit(256);
    for (size_t i = 0; i < frame.indices.size(); ++i) {
      if (i > 0 && i % 100 == 0) emit(256);
      emit(frame.indices[i]);
    }
    emit(257);
    if (count > 0) data += static_cast<char>(bits & 0xff);
    for (size_t at = 0; at < data.size(); at += 255) {
      const size_t n = std::min<size_t>(255, data.size() - at);
      s += static_cast<char>(n);
      s += data.substr(at, n);
    }
    s += '\0';  // block terminator
  }
  s += ';';  // trailer
  return s;
}

}  // namespace latentdb::testing::images
