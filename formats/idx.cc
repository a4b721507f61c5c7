#include "formats/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace latentdb::formats {
namespace {

constexpr size_t kReadChunk = size_t{16} << 20;  // grow the output this much at a time

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

uint32_t DecodeBE32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

const char* IdxTypeName(unsigned char code) {
  switch (code) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
  }
  return nullptr;
}

// A gzip-or-plain input file (zlib reads uncompressed files transparently).
class InputFile {
 public:
  explicit InputFile(std::string path) : path_(std::move(path)) {}
  ~InputFile() {
    if (file_) gzclose(file_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  Status Open() {
    errno = 0;
    file_ = gzopen(path_.c_str(), "rb");
    if (!file_) {
      const int e = errno;
      if (e == ENOENT) return Status::NotFound("IDX file '" + path_ + "' does not exist");
      return Status::IOError("cannot open IDX file '" + path_ + "': " + (e ? std::strerror(e) : "out of memory"));
    }
    gzbuffer(file_, 1u << 20);
    return Status::Ok();
  }

  // Reads up to n bytes into buf; fewer only at the end of the data.
  Result<size_t> Read(void* buf, size_t n) {
    size_t total = 0;
    auto* out = static_cast<unsigned char*>(buf);
    while (total < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - total, 1u << 30));
      errno = 0;
      const int got = gzread(file_, out + total, chunk);
      if (got < 0) return ReadError();
      if (got == 0) {
        // End of data, or a gzip stream that stopped early (zlib reports that as an error).
        int errnum = Z_OK;
        gzerror(file_, &errnum);
        if (errnum != Z_OK) return ReadError();
        break;
      }
      total += static_cast<size_t>(got);
    }
    return total;
  }

  const std::string& path() const { return path_; }

 private:
  Status ReadError() {
    int errnum = Z_OK;
    const char* msg = gzerror(file_, &errnum);
    if (errnum == Z_ERRNO) {
      const int e = errno;
      return Status::IOError("reading IDX file '" + path_ + "': " + (e ? std::strerror(e) : "read error"));
    }
    if (errnum == Z_MEM_ERROR) return Status::IOError("reading IDX file '" + path_ + "': out of memory");
    // Z_DATA_ERROR (bad gzip data) or Z_BUF_ERROR (gzip stream cut short).
    return Status::Corruption("IDX file '" + path_ + "': damaged gzip stream (" + (msg ? msg : "unknown error") + ")");
  }

  std::string path_;
  gzFile file_ = nullptr;
};

// Opens `path`, reads and checks the header: magic `want_magic`, then `ndims` sizes.
Status ReadHeader(InputFile& in, uint32_t want_magic, const char* what, std::vector<uint32_t>* dims) {
  LDB_RETURN_IF_ERROR(in.Open());
  unsigned char magic_bytes[4];
  LDB_ASSIGN_OR_RETURN(size_t got, in.Read(magic_bytes, sizeof magic_bytes));
  if (got < sizeof magic_bytes) {
    return Status::Corruption("IDX file '" + in.path() + "' is truncated: " + std::to_string(got) +
                              " bytes, too short for a header");
  }
  const uint32_t magic = DecodeBE32(magic_bytes);
  if (magic != want_magic) {
    const char* type = IdxTypeName(magic_bytes[2]);
    if (magic_bytes[0] != 0 || magic_bytes[1] != 0 || type == nullptr || magic_bytes[3] == 0) {
      return Status::UnsupportedMedia("'" + in.path() + "' is not an IDX file (bad magic " + Hex32(magic) +
                                      "; expected " + Hex32(want_magic) + " for " + what + ")");
    }
    return Status::UnsupportedMedia("IDX file '" + in.path() + "' holds " + type + " data with " +
                                    std::to_string(magic_bytes[3]) + " dimension(s) (magic " + Hex32(magic) +
                                    "); expected " + what + " (magic " + Hex32(want_magic) + ")");
  }
  const size_t ndims = magic_bytes[3];
  std::vector<unsigned char> raw(4 * ndims);
  LDB_ASSIGN_OR_RETURN(got, in.Read(raw.data(), raw.size()));
  if (got < raw.size()) {
    return Status::Corruption("IDX file '" + in.path() + "' is truncated inside its header (" +
                              std::to_string(4 + got) + " of " + std::to_string(4 + raw.size()) + " bytes)");
  }
  dims->resize(ndims);
  for (size_t i = 0; i < ndims; ++i) (*dims)[i] = DecodeBE32(raw.data() + 4 * i);
  return Status::Ok();
}

// Reads `count` items of `item_bytes` each (item_bytes > 0, count × item_bytes <= kMaxIdxBytes).
Status ReadItems(InputFile& in, uint64_t count, uint64_t item_bytes, uint64_t declared, const char* items,
                 std::vector<uint8_t>* out) {
  const uint64_t want = count * item_bytes;
  out->clear();
  out->reserve(static_cast<size_t>(std::min<uint64_t>(want, kReadChunk)));
  uint64_t have = 0;
  while (have < want) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(want - have, kReadChunk));
    out->resize(static_cast<size_t>(have) + chunk);
    LDB_ASSIGN_OR_RETURN(size_t got, in.Read(out->data() + have, chunk));
    have += got;
    if (got < chunk) {
      return Status::Corruption("IDX file '" + in.path() + "' is truncated: its header declares " +
                                std::to_string(declared) + " " + items + ", but the data ends after " +
                                std::to_string(have / item_bytes) + " complete one(s) (" + std::to_string(have) +
                                " of " + std::to_string(want) + " bytes)");
    }
  }
  if (count == declared) {
    // Everything declared was read: read on to the end of the gzip stream so that zlib checks its
    // CRC (a damaged stream can inflate without error up to there). Trailing bytes are ignored, and so is a
    // gzip trailer cut short after complete data (zlib's gzread does not report that).
    unsigned char probe[4096];
    LDB_ASSIGN_OR_RETURN(size_t extra, in.Read(probe, sizeof probe));
    (void)extra;
  }
  return Status::Ok();
}

Status TooLarge(const std::string& path, const std::string& what, uint64_t bytes_or_more) {
  return Status::PayloadTooLarge("IDX file '" + path + "': " + what + " would need " +
                                 (bytes_or_more == UINT64_MAX ? std::string("more than 2^64")
                                                              : std::to_string(bytes_or_more)) +
                                 " bytes, over the limit of " + std::to_string(kMaxIdxBytes));
}

}  // namespace

Result<IdxImages> ReadIdxImages(const std::string& path, size_t limit) {
  InputFile in(path);
  std::vector<uint32_t> dims;
  LDB_RETURN_IF_ERROR(ReadHeader(in, kIdxImagesMagic, "uint8 images [n, rows, cols]", &dims));
  const uint64_t declared = dims[0], rows = dims[1], cols = dims[2];
  if (rows == 0 || cols == 0) {
    return Status::Corruption("IDX file '" + path + "' declares empty images (" + std::to_string(rows) + "x" +
                              std::to_string(cols) + ")");
  }
  const uint64_t image_bytes = rows * cols;  // < 2^64: both factors are < 2^32
  if (image_bytes > kMaxIdxBytes) return TooLarge(path, "one image", image_bytes);
  const uint64_t count = std::min<uint64_t>(declared, limit);
  if (count > kMaxIdxBytes / image_bytes) {
    return TooLarge(path, std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols),
                    count * image_bytes);  // count < 2^32 and image_bytes <= 2^31: no overflow
  }
  IdxImages images;
  images.rows = static_cast<size_t>(rows);
  images.cols = static_cast<size_t>(cols);
  LDB_RETURN_IF_ERROR(ReadItems(in, count, image_bytes, declared, "images", &images.pixels));
  images.count = static_cast<size_t>(count);
  return images;
}

Result<std::vector<uint8_t>> ReadIdxLabels(const std::string& path, size_t limit) {
  InputFile in(path);
  std::vector<uint32_t> dims;
  LDB_RETURN_IF_ERROR(ReadHeader(in, kIdxLabelsMagic, "uint8 labels [n]", &dims));
  const uint64_t declared = dims[0];
  const uint64_t count = std::min<uint64_t>(declared, limit);
  if (count > kMaxIdxBytes) return TooLarge(path, std::to_string(count) + " labels", count);
  std::vector<uint8_t> labels;
  LDB_RETURN_IF_ERROR(ReadItems(in, count, 1, declared, "labels", &labels));
  return labels;
}

}  // namespace latentdb::formats
