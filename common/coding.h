#pragma once
// Fixed-width integer encoding for keys and file formats.
// Big-endian where byte order must sort like the number (RocksDB keys), little-endian elsewhere.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace latentdb {

inline void PutFixed64BE(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) { buf[i] = static_cast<char>(v & 0xff); v >>= 8; }
  out->append(buf, 8);
}
inline void PutFixed32BE(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) { buf[i] = static_cast<char>(v & 0xff); v >>= 8; }
  out->append(buf, 4);
}
inline uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint32_t DecodeFixed32BE(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline void PutFixed64LE(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) { buf[i] = static_cast<char>(v & 0xff); v >>= 8; }
  out->append(buf, 8);
}
inline void PutFixed32LE(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) { buf[i] = static_cast<char>(v & 0xff); v >>= 8; }
  out->append(buf, 4);
}
inline uint64_t DecodeFixed64LE(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint32_t DecodeFixed32LE(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Reads fixed-width fields from a byte string, tracking whether it ran past the end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool ReadU32(uint32_t* v) {
    if (!Has(4)) return false;
    *v = DecodeFixed32LE(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool ReadU64(uint64_t* v) {
    if (!Has(8)) return false;
    *v = DecodeFixed64LE(data_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool ReadBytes(size_t n, std::string_view* out) {
    if (!Has(n)) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  bool Has(size_t n) const { return data_.size() - pos_ >= n; }
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace latentdb
