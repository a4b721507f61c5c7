#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0, as numpy.lib.format writes them) holding a
// C-order 2-D matrix (rows, dim) of little-endian float32 ('<f4') or uint8 ('|u1'). Anything else
// (float64, big-endian, Fortran order, 1-D or 3-D shapes, object arrays) is UnsupportedMedia
// naming what was found; a damaged header is Corruption. Readers only; not thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "formats/file_reader.h"

namespace latentdb::formats {

constexpr uint64_t kMaxNpyDim = 65536;

// The parts of an .npy header dict this reader uses. Exposed for tests.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<uint64_t> shape;
};
// Parses the Python-literal dict, e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }".
Result<NpyHeader> ParseNpyHeaderDict(const std::string& text);

// A matrix as its header declares it, checked against the file's size.
struct NpyMatrix {
  enum class Element { kFloat32, kUint8 };
  Element element = Element::kFloat32;
  size_t element_size = 4;  // bytes
  uint64_t declared_rows = 0;
  uint64_t rows = 0;        // complete rows in the file: declared_rows, or fewer when truncated
  uint64_t dim = 0;         // 1…kMaxNpyDim
  uint64_t data_start = 0;  // byte offset of row 0
  uint64_t row_bytes() const { return dim * element_size; }
};

// Reads and checks the header of the open `file` (named `path` in messages) from its start;
// leaves the file positioned at data_start.
Result<NpyMatrix> ReadNpyMatrixHeader(FileReader& file, const std::string& path);

// Row `bytes` (row_bytes() of them) as floats: float32 copied, uint8 converted as is.
void DecodeNpyRow(const NpyMatrix& m, const char* bytes, float* out);

}  // namespace latentdb::formats
