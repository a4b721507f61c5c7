#include "words/tokenize.h"

namespace latentdb::words {

namespace {
bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsPunct(unsigned char c) { return c < 0x80 && !IsSpace(c) && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c >= 0x21; }
}  // namespace

std::vector<std::string> Tokenize(std::string_view text, bool lower) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (unsigned char c : text) {
    if (IsSpace(c) || c < 0x20) {
      flush();
    } else if (IsPunct(c)) {
      flush();
      out.emplace_back(1, static_cast<char>(c));
    } else {
      cur.push_back(lower && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
    }
  }
  flush();
  return out;
}

size_t StripInvalidUtf8(std::string* s) {
  std::string out;
  out.reserve(s->size());
  size_t dropped = 0, i = 0, n = s->size();
  const auto* p = reinterpret_cast<const unsigned char*>(s->data());
  while (i < n) {
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t j = 1; ok && j < len; ++j) ok = (p[i + j] & 0xC0) == 0x80;
    if (ok && len == 2 && c < 0xC2) ok = false;                      // overlong
    if (ok && len == 3 && c == 0xE0 && p[i + 1] < 0xA0) ok = false;  // overlong
    if (ok && len == 3 && c == 0xED && p[i + 1] >= 0xA0) ok = false; // surrogates
    if (ok && len == 4 && (c > 0xF4 || (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] >= 0x90))) ok = false;
    if (ok) {
      out.append(s->data() + i, len);
      i += len;
    } else {
      ++dropped;
      ++i;
    }
  }
  s->swap(out);
  return dropped;
}

}  // namespace latentdb::words
