#pragma once
// Image files for the ingest tests, in their real formats: PNG and JPEG through stb_image_write
// (compiled privately into image_files.cc), BMP written by hand.

#include <cstdint>
#include <string>
#include <vector>

namespace latentdb::testing {

// A deterministic w × h image with `channels` (1 or 3) interleaved 8-bit channels: a diagonal
// gradient shifted by `seed`.
std::vector<uint8_t> PatternPixels(int w, int h, int channels, int seed);
// Whole files' bytes.
std::string PngBytes(int w, int h, int channels, const std::vector<uint8_t>& pixels);
std::string JpegBytes(int w, int h, int channels, const std::vector<uint8_t>& pixels);
// 24-bit uncompressed BMP (bottom-up rows, BGR, rows padded to 4 bytes).
std::string BmpBytes(int w, int h, int channels, const std::vector<uint8_t>& pixels);

}  // namespace latentdb::testing
