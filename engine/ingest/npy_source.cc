#include "engine/ingest/npy_source.h"

#include <cstring>

#include "engine/ingest/file_reader.h"

namespace latentdb::engine::ingest {
namespace {

constexpr uint64_t kMaxDim = 65536;

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

class NpySource final : public Source {
 public:
  explicit NpySource(std::string path) : Source(std::move(path), Format::kNpy) {}

  Status Open() {
    LDB_RETURN_IF_ERROR(file_.Open(path_));
    total_bytes_ = file_.size();
    char pre[12];
    LDB_ASSIGN_OR_RETURN(size_t got, file_.Read(pre, 10));
    if (got < 10 || std::memcmp(pre, "\x93NUMPY", 6) != 0) {
      return Status::UnsupportedMedia(path_ + ": not a .npy file (bad magic)");
    }
    const unsigned major = static_cast<unsigned char>(pre[6]);
    uint64_t header_len = 0, data_start = 0;
    if (major == 1) {
      header_len = static_cast<unsigned char>(pre[8]) | (static_cast<unsigned>(static_cast<unsigned char>(pre[9])) << 8);
      data_start = 10 + header_len;
    } else if (major == 2 || major == 3) {
      LDB_ASSIGN_OR_RETURN(size_t more, file_.Read(pre + 10, 2));
      if (more < 2) return Status::Corruption(path_ + ": .npy header is cut short");
      uint32_t len;
      std::memcpy(&len, pre + 8, 4);
      header_len = len;
      data_start = 12 + header_len;
    } else {
      return Status::UnsupportedMedia(path_ + ": .npy format version " + std::to_string(major) + " is not supported");
    }
    if (header_len > (1u << 20)) return Status::Corruption(path_ + ": .npy header length " + std::to_string(header_len) + " is implausible");
    std::string dict(header_len, '\0');
    LDB_ASSIGN_OR_RETURN(size_t hl, file_.Read(dict.data(), header_len));
    if (hl < header_len) return Status::Corruption(path_ + ": .npy header is cut short");
    auto header = ParseNpyHeaderDict(dict);
    if (!header.ok()) return Status(header.status().code(), path_ + ": " + header.status().message());
    if (header->descr == "<f4" || header->descr == "=f4") {
      elem_size_ = 4;
    } else if (header->descr == "|u1" || header->descr == "<u1" || header->descr == "=u1") {
      elem_size_ = 1;
      uint8_ = true;
    } else {
      return Status::UnsupportedMedia(path_ + ": .npy dtype '" + header->descr +
                                      "' is not supported (only little-endian float32 '<f4' and uint8 '|u1'; convert with "
                                      "arr.astype(np.float32))");
    }
    if (header->fortran_order) {
      return Status::UnsupportedMedia(path_ + ": .npy array is in Fortran order (save it with np.ascontiguousarray)");
    }
    if (header->shape.size() != 2) {
      return Status::UnsupportedMedia(path_ + ": .npy array has " + std::to_string(header->shape.size()) +
                                      " dimensions; expected a 2-D matrix (rows, dim)");
    }
    rows_ = header->shape[0];
    dim_ = header->shape[1];
    if (dim_ == 0 || dim_ > kMaxDim) {
      return Status::UnsupportedMedia(path_ + ": .npy rows have " + std::to_string(dim_) + " elements (1…65536 supported)");
    }
    const uint64_t row_bytes = dim_ * elem_size_;
    const uint64_t available = file_.size() > data_start ? (file_.size() - data_start) / row_bytes : 0;
    if (available < rows_) {
      warning_ = path_ + ": truncated: the header declares " + std::to_string(rows_) + " rows, the file holds " +
                 std::to_string(available) + " complete rows";
      truncated_row_ = available;
      rows_ = available;
    }
    return file_.Seek(data_start);
  }

  size_t dim() const override { return dim_; }
  std::optional<uint64_t> total_records() const override { return rows_; }

  Result<bool> Read(size_t max_records, RecordBatch* batch) override {
    const size_t row_bytes = dim_ * elem_size_;
    const uint64_t n = std::min<uint64_t>(max_records, rows_ - row_);
    if (n > 0) {
      const size_t off = batch->bytes.size();
      batch->bytes.resize(off + n * row_bytes);
      LDB_ASSIGN_OR_RETURN(size_t got, file_.Read(batch->bytes.data() + off, n * row_bytes));
      if (got < n * row_bytes) return Status::IOError(path_ + ": file shrank while reading");
      for (uint64_t i = 0; i < n; ++i) batch->records.push_back({row_ + i, off + i * row_bytes, row_bytes});
      batch->bytes_consumed += got;
      row_ += n;
    }
    if (row_ >= rows_) {
      if (truncated_row_ && !reported_) {
        reported_ = true;
        batch->bad.push_back({*truncated_row_, "short record: the file ends inside this row (truncated)"});
      }
      return false;
    }
    return true;
  }

  Status Decode(std::string_view record, uint64_t, DecodedRecord* out) const override {
    out->vector.resize(dim_);
    if (uint8_) {
      const auto* p = reinterpret_cast<const unsigned char*>(record.data());
      for (size_t i = 0; i < dim_; ++i) out->vector[i] = static_cast<float>(p[i]);
    } else {
      std::memcpy(out->vector.data(), record.data(), dim_ * 4);
    }
    return Status::Ok();
  }

 private:
  FileReader file_;
  size_t elem_size_ = 4;
  bool uint8_ = false;
  uint64_t rows_ = 0, dim_ = 0, row_ = 0;
  std::optional<uint64_t> truncated_row_;
  bool reported_ = false;
};

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

Result<std::unique_ptr<Source>> OpenNpySource(const std::string& path) {
  auto s = std::make_unique<NpySource>(path);
  LDB_RETURN_IF_ERROR(s->Open());
  return std::unique_ptr<Source>(std::move(s));
}

}  // namespace latentdb::engine::ingest
