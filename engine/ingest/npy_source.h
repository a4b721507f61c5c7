#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0) holding a C-order 2-D matrix (n, d) of
// little-endian float32 ('<f4') or uint8 ('|u1'); each row is one record, uint8 becomes float as
// is. Anything else (float64, big-endian, Fortran order, 1-D or 3-D shapes, object arrays) is
// rejected with UnsupportedMedia naming what was found. A file shorter than its header says is
// read up to its last complete row and reported truncated.

#include <memory>

#include "engine/ingest/source.h"

namespace latentdb::engine::ingest {

Result<std::unique_ptr<Source>> OpenNpySource(const std::string& path);

// The parts of an .npy header dict this reader uses. Exposed for tests.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<uint64_t> shape;
};
// Parses the Python-literal dict, e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }".
Result<NpyHeader> ParseNpyHeaderDict(const std::string& text);

}  // namespace latentdb::engine::ingest
