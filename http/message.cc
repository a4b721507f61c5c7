#include "http/message.h"

#include <cctype>

namespace latentdb::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether every '%' starts a %XX escape. ParseTarget checks the path with it and leaves the
// decoding to the router, which decodes each segment once.
bool PercentEncodingValid(const std::string& in) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') continue;
    if (i + 2 >= in.size() || HexValue(in[i + 1]) < 0 || HexValue(in[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

}  // namespace

bool PercentDecode(const std::string& in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseTarget(const std::string& target, std::string* path, std::map<std::string, std::string>* query) {
  size_t q = target.find('?');
  *path = target.substr(0, q);
  if (!PercentEncodingValid(*path)) return false;
  if (q == std::string::npos) return true;
  std::string rest = target.substr(q + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t amp = rest.find('&', start);
    std::string pair = rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key, value;
      if (!PercentDecode(pair.substr(0, eq), true, &key)) return false;
      if (eq != std::string::npos && !PercentDecode(pair.substr(eq + 1), true, &value)) return false;
      (*query)[key] = value;
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return true;
}

}  // namespace latentdb::http
