#include "common/json_parser.h"

#include <charconv>
#include <cmath>
#include <vector>

namespace latentdb {
namespace {

using nlohmann::json;

class Parser {
 public:
  Parser(std::string_view text, int max_depth, size_t max_values)
      : p_(text.data()), begin_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth),
        max_values_(max_values) {}

  Result<json> Run() {
    json root;
    SkipSpace();
    if (!ParseValue(&root, 0)) return Fail();
    SkipSpace();
    if (p_ != end_) {
      error_ = "unexpected trailing characters";
      return Fail();
    }
    return root;
  }

 private:
  Status Fail() const {
    if (too_many_values_) {
      return Status::PayloadTooLarge("JSON body holds more than " + std::to_string(max_values_) +
                                     " values (numbers, strings, …); send it in smaller requests");
    }
    return Status::InvalidArgument("malformed JSON at byte " + std::to_string(p_ - begin_) + ": " + error_);
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Expect(char c, const char* what) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    error_ = p_ == end_ ? std::string("unexpected end of input, expected ") + what : std::string("expected ") + what;
    return false;
  }

  bool ParseValue(json* out, int depth) {
    // Every value costs a json node (16 bytes, more for containers) whatever its text length:
    // counting them bounds the document's memory before it is built, not after.
    if (++values_ > max_values_) {
      too_many_values_ = true;
      error_ = "too many values";
      return false;
    }
    if (p_ == end_) {
      error_ = "unexpected end of input";
      return false;
    }
    switch (*p_) {
      case '{': return ParseObject(out, depth + 1);
      case '[': return ParseArray(out, depth + 1);
      case '"': {
        std::string s;
        if (!ParseString(&s)) return false;
        *out = std::move(s);
        return true;
      }
      case 't': return ParseLiteral("true", json(true), out);
      case 'f': return ParseLiteral("false", json(false), out);
      case 'n': return ParseLiteral("null", json(nullptr), out);
      default: return ParseNumber(out);
    }
  }

  bool CheckDepth(int depth) {
    if (depth > max_depth_) {
      error_ = "nesting is deeper than the limit of " + std::to_string(max_depth_);
      return false;
    }
    return true;
  }

  bool ParseObject(json* out, int depth) {
    if (!CheckDepth(depth)) return false;
    ++p_;  // '{'
    *out = json::object();
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (p_ == end_ || *p_ != '"') {
        error_ = "expected a string key";
        return false;
      }
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (!Expect(':', "':'")) return false;
      SkipSpace();
      json value;
      if (!ParseValue(&value, depth)) return false;
      (*out)[std::move(key)] = std::move(value);  // a repeated key keeps the last value, as nlohmann does
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      return Expect('}', "',' or '}'");
    }
  }

  bool ParseArray(json* out, int depth) {
    if (!CheckDepth(depth)) return false;
    ++p_;  // '['
    *out = json::array();
    auto& arr = out->get_ref<json::array_t&>();
    SkipSpace();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      SkipSpace();
      arr.emplace_back();
      if (!ParseValue(&arr.back(), depth)) return false;
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      return Expect(']', "',' or ']'");
    }
  }

  bool ParseLiteral(std::string_view word, json value, json* out) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      error_ = "invalid literal";
      return false;
    }
    p_ += word.size();
    *out = std::move(value);
    return true;
  }

  bool ParseNumber(json* out) {
    const char* start = p_;
    const char* q = p_;
    bool negative = false, is_float = false;
    if (q < end_ && *q == '-') negative = true, ++q;
    if (q == end_ || !(*q >= '0' && *q <= '9')) {
      error_ = "invalid value";
      return false;
    }
    if (*q == '0') {
      ++q;
    } else {
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
    }
    if (q < end_ && *q == '.') {
      is_float = true;
      ++q;
      if (q == end_ || !(*q >= '0' && *q <= '9')) {
        error_ = "digits expected after '.'";
        return false;
      }
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
    }
    if (q < end_ && (*q == 'e' || *q == 'E')) {
      is_float = true;
      ++q;
      if (q < end_ && (*q == '+' || *q == '-')) ++q;
      if (q == end_ || !(*q >= '0' && *q <= '9')) {
        error_ = "digits expected in exponent";
        return false;
      }
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
    }
    if (!is_float) {
      if (negative) {
        int64_t v;
        auto r = std::from_chars(start, q, v);
        if (r.ec == std::errc() && r.ptr == q) {
          *out = v;
          p_ = q;
          return true;
        }
      } else {
        uint64_t v;
        auto r = std::from_chars(start, q, v);
        if (r.ec == std::errc() && r.ptr == q) {
          *out = v;
          p_ = q;
          return true;
        }
      }
      // Too large for 64 bits: fall through to a double, as nlohmann does.
    }
    double d;
    auto r = std::from_chars(start, q, d);
    if (r.ec == std::errc::result_out_of_range) {
      // Underflow to zero is harmless; overflow to infinity is not a number JSON can carry.
      double probe = std::strtod(std::string(start, q).c_str(), nullptr);
      if (std::isinf(probe)) {
        error_ = "number out of range";
        return false;
      }
      d = probe;
    } else if (r.ec != std::errc() || r.ptr != q) {
      error_ = "invalid number";
      return false;
    }
    *out = d;
    p_ = q;
    return true;
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool ReadHex4(uint32_t* cp) {
    if (end_ - p_ < 4) {
      error_ = "truncated \\u escape";
      return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = Hex(p_[i]);
      if (h < 0) {
        error_ = "invalid \\u escape";
        return false;
      }
      v = v * 16 + static_cast<uint32_t>(h);
    }
    p_ += 4;
    *cp = v;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Length of the valid UTF-8 sequence at p (0 if invalid).
  size_t Utf8Length(const unsigned char* p, size_t left) const {
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
    else return 0;
    if (left < n) return 0;
    for (size_t i = 1; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    return n;
  }

  bool ParseString(std::string* out) {
    ++p_;  // opening quote
    while (true) {
      const char* run = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20 &&
             static_cast<unsigned char>(*p_) < 0x80) {
        ++p_;
      }
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) {
        error_ = "unterminated string";
        return false;
      }
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) {
        error_ = "control character in string";
        return false;
      }
      if (c >= 0x80) {
        size_t n = Utf8Length(reinterpret_cast<const unsigned char*>(p_), static_cast<size_t>(end_ - p_));
        if (n == 0) {
          error_ = "invalid UTF-8 in string";
          return false;
        }
        out->append(p_, n);
        p_ += n;
        continue;
      }
      // Backslash escape.
      ++p_;
      if (p_ == end_) {
        error_ = "unterminated escape";
        return false;
      }
      char e = *p_++;
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!ReadHex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
              error_ = "unpaired surrogate";
              return false;
            }
            p_ += 2;
            if (!ReadHex4(&lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) {
              error_ = "unpaired surrogate";
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            error_ = "unpaired surrogate";
            return false;
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          error_ = "invalid escape";
          return false;
      }
    }
  }

  const char* p_;
  const char* begin_;
  const char* end_;
  int max_depth_;
  size_t max_values_;
  size_t values_ = 0;
  bool too_many_values_ = false;
  std::string error_;
};

}  // namespace

Result<nlohmann::json> ParseJson(std::string_view text, int max_depth, size_t max_values) {
  return Parser(text, max_depth, max_values).Run();
}

}  // namespace latentdb
