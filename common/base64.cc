// Base64Encode / Base64Decode: RFC 4648 standard alphabet with '=' padding.
#include <array>
#include <string>

#include "common/base64.h"

namespace latentdb {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> DecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kDecode = DecodeTable();

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.starts_with("data:")) {
    const size_t comma = text.find(',');
    if (comma == std::string_view::npos || text.substr(0, comma).find(";base64") == std::string_view::npos) {
      return Status::InvalidArgument("data URL without ';base64,'");
    }
    text.remove_prefix(comma + 1);
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t accumulator = 0;
  int bits = 0;       // pending bits in accumulator
  size_t symbols = 0; // alphabet characters seen
  size_t padding = 0;
  for (const char c : text) {
    if (IsSpace(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int8_t v = kDecode[static_cast<uint8_t>(c)];
    if (v < 0) return Status::InvalidArgument("invalid base64 character");
    if (padding > 0) return Status::InvalidArgument("invalid base64: data after '=' padding");
    ++symbols;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((accumulator >> bits) & 0xff);
    }
  }
  // A last quad of 2 or 3 symbols takes 2 or 1 '=' (or none: unpadded input is accepted), and
  // the bits the short quad leaves over must be zero (RFC 4648 §3.5 canonical encoding).
  const size_t tail = symbols % 4;
  if (tail == 1) return Status::InvalidArgument("invalid base64 length");
  if ((tail == 0 && padding != 0) || (tail != 0 && padding != 0 && padding != 4 - tail)) {
    return Status::InvalidArgument("invalid base64 padding");
  }
  if ((accumulator & ((1u << bits) - 1)) != 0) return Status::InvalidArgument("invalid base64: non-zero padding bits");
  return out;
}

}  // namespace latentdb
