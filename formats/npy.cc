#include "formats/npy.h"

#include <cstring>

namespace latentdb::formats {
namespace {

// The text after `'key':` with leading spaces removed; npos when the key is absent.
size_t ValueStart(const std::string& text, const std::string& key) {
  for (const char* quote : {"'", "\""}) {
    const std::string k = std::string(quote) + key + quote;
    size_t p = text.find(k);
    if (p == std::string::npos) continue;
    p = text.find(':', p + k.size());
    if (p == std::string::npos) return p;
    ++p;
    while (p < text.size() && text[p] == ' ') ++p;
    return p;
  }
  return std::string::npos;
}

}  // namespace

Result<NpyHeader> ParseNpyHeaderDict(const std::string& text) {
  NpyHeader h;
  size_t p = ValueStart(text, "descr");
  if (p == std::string::npos || p >= text.size() || (text[p] != '\'' && text[p] != '"')) {
    return Status::UnsupportedMedia(".npy header has no string 'descr' (structured dtypes are not supported)");
  }
  size_t end = text.find(text[p], p + 1);
  if (end == std::string::npos) return Status::Corruption(".npy header: unterminated 'descr'");
  h.descr = text.substr(p + 1, end - p - 1);

  p = ValueStart(text, "fortran_order");
  if (p == std::string::npos) return Status::Corruption(".npy header has no 'fortran_order'");
  if (text.compare(p, 4, "True") == 0) {
    h.fortran_order = true;
  } else if (text.compare(p, 5, "False") != 0) {
    return Status::Corruption(".npy header: 'fortran_order' is neither True nor False");
  }

  p = ValueStart(text, "shape");
  if (p == std::string::npos || p >= text.size() || text[p] != '(') return Status::Corruption(".npy header has no 'shape' tuple");
  end = text.find(')', p);
  if (end == std::string::npos) return Status::Corruption(".npy header: unterminated 'shape'");
  std::string tuple = text.substr(p + 1, end - p - 1);
  size_t i = 0;
  while (i < tuple.size()) {
    while (i < tuple.size() && (tuple[i] == ' ' || tuple[i] == ',')) ++i;
    if (i >= tuple.size()) break;
    uint64_t v = 0;
    size_t digits = 0;
    while (i < tuple.size() && tuple[i] >= '0' && tuple[i] <= '9') {
      if (v > (UINT64_MAX - 9) / 10) return Status::Corruption(".npy header: shape value overflows");
      v = v * 10 + static_cast<uint64_t>(tuple[i] - '0');
      ++i;
      ++digits;
    }
    while (i < tuple.size() && tuple[i] == 'L') ++i;  // Python 2 longs
    if (digits == 0) return Status::Corruption(".npy header: bad 'shape' (" + tuple + ")");
    h.shape.push_back(v);
  }
  return h;
}

Result<NpyMatrix> ReadNpyMatrixHeader(FileReader& file, const std::string& path) {
  char pre[12];
  LDB_RETURN_IF_ERROR(file.Seek(0));
  LDB_ASSIGN_OR_RETURN(size_t got, file.Read(pre, 10));
  if (got < 10 || std::memcmp(pre, "\x93NUMPY", 6) != 0) {
    return Status::UnsupportedMedia(path + ": not a .npy file (bad magic)");
  }
  const unsigned major = static_cast<unsigned char>(pre[6]);
  uint64_t header_len = 0;
  NpyMatrix m;
  if (major == 1) {
    header_len = static_cast<unsigned char>(pre[8]) | (static_cast<unsigned>(static_cast<unsigned char>(pre[9])) << 8);
    m.data_start = 10 + header_len;
  } else if (major == 2 || major == 3) {
    LDB_ASSIGN_OR_RETURN(size_t more, file.Read(pre + 10, 2));
    if (more < 2) return Status::Corruption(path + ": .npy header is cut short");
    uint32_t len;
    std::memcpy(&len, pre + 8, 4);
    header_len = len;
    m.data_start = 12 + header_len;
  } else {
    return Status::UnsupportedMedia(path + ": .npy format version " + std::to_string(major) + " is not supported");
  }
  if (header_len > (1u << 20)) return Status::Corruption(path + ": .npy header length " + std::to_string(header_len) + " is implausible");
  std::string dict(header_len, '\0');
  LDB_ASSIGN_OR_RETURN(size_t hl, file.Read(dict.data(), header_len));
  if (hl < header_len) return Status::Corruption(path + ": .npy header is cut short");
  auto header = ParseNpyHeaderDict(dict);
  if (!header.ok()) return Status(header.status().code(), path + ": " + header.status().message());
  if (header->descr == "<f4" || header->descr == "=f4") {
    m.element = NpyMatrix::Element::kFloat32;
    m.element_size = 4;
  } else if (header->descr == "|u1" || header->descr == "<u1" || header->descr == "=u1") {
    m.element = NpyMatrix::Element::kUint8;
    m.element_size = 1;
  } else {
    return Status::UnsupportedMedia(path + ": .npy dtype '" + header->descr +
                                    "' is not supported (only little-endian float32 '<f4' and uint8 '|u1'; convert with "
                                    "arr.astype(np.float32))");
  }
  if (header->fortran_order) {
    return Status::UnsupportedMedia(path + ": .npy array is in Fortran order (save it with np.ascontiguousarray)");
  }
  if (header->shape.size() != 2) {
    return Status::UnsupportedMedia(path + ": .npy array has " + std::to_string(header->shape.size()) +
                                    " dimensions; expected a 2-D matrix (rows, dim)");
  }
  m.declared_rows = header->shape[0];
  m.dim = header->shape[1];
  if (m.dim == 0 || m.dim > kMaxNpyDim) {
    return Status::UnsupportedMedia(path + ": .npy rows have " + std::to_string(m.dim) + " elements (1…65536 supported)");
  }
  const uint64_t available = file.size() > m.data_start ? (file.size() - m.data_start) / m.row_bytes() : 0;
  m.rows = std::min(m.declared_rows, available);
  LDB_RETURN_IF_ERROR(file.Seek(m.data_start));
  return m;
}

void DecodeNpyRow(const NpyMatrix& m, const char* bytes, float* out) {
  if (m.element == NpyMatrix::Element::kUint8) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes);
    for (size_t i = 0; i < m.dim; ++i) out[i] = static_cast<float>(p[i]);
  } else {
    std::memcpy(out, bytes, m.dim * 4);
  }
}

}  // namespace latentdb::formats
