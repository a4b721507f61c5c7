#pragma once
// Reader for IDX files, the format of MNIST and Fashion-MNIST: a big-endian header (magic, then one
// 32-bit size per dimension) followed by the raw elements. Only the two unsigned-byte layouts those
// data sets use are read:
//   0x00000803  images [count, rows, cols] of uint8
//   0x00000801  labels [count] of uint8
// Files may be plain or gzip-compressed (detected from the content, not the name).
//
// Every problem with the input is a Status, never a crash or an unbounded allocation:
//   NotFound / IOError   the file cannot be opened or read
//   UnsupportedMedia     not an IDX file, or an IDX type other than the one asked for
//   Corruption           the file ends before the header or the declared elements do, the gzip
//                        stream is damaged, or an image dimension is zero
//   PayloadTooLarge      the data to read would exceed kMaxIdxBytes (2^31 bytes)
// Memory grows with the bytes actually read, so a header that lies about its size costs nothing.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::formats {

constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;
constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 31;

struct IdxImages {
  size_t count = 0;  // images read (at most `limit`)
  size_t rows = 0;
  size_t cols = 0;
  std::vector<uint8_t> pixels;  // count × rows × cols, row-major

  size_t image_size() const { return rows * cols; }
  const uint8_t* image(size_t i) const { return pixels.data() + i * image_size(); }
};

// Reads the first min(limit, declared count) images.
Result<IdxImages> ReadIdxImages(const std::string& path, size_t limit = SIZE_MAX);
// Reads the first min(limit, declared count) labels.
Result<std::vector<uint8_t>> ReadIdxLabels(const std::string& path, size_t limit = SIZE_MAX);

}  // namespace latentdb::formats
