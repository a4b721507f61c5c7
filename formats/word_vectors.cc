#include "formats/word_vectors.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/utf8_bom.h"
#include "common/file_util.h"
#include "formats/wink_json.h"

namespace latentdb::formats {

namespace {

constexpr uint32_t kFastTextMagic = 793712314;
// A text line of kMaxWordDim numbers written with %.9g plus a long word fits many times over;
// a longer "line" is a file without line breaks, not a vector file.
constexpr size_t kMaxLineBytes = size_t{64} << 20;
constexpr size_t kMaxBinaryWordBytes = 4096;
// How much of the first record format detection reads as a line.
constexpr size_t kProbeLineBytes = size_t{4} << 20;
// Records of a binary candidate checked before it is taken for word2vec binary.
constexpr size_t kBinaryProbeRecords = 16;
using File = std::unique_ptr<FILE, int (*)(FILE*)>;

Result<File> Open(const std::string& path) {
  LDB_RETURN_IF_ERROR(RequireRegularFile(path));
  File f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  return f;
}

// One line without its '\n' (and '\r') into *line; *got is false at end of file. Corruption for a
// line longer than kMaxLineBytes.
Status ReadLine(FILE* f, const std::string& path, std::string* line, bool* got, size_t max_bytes = kMaxLineBytes) {
  line->clear();
  int c;
  bool any = false;
  while ((c = std::getc(f)) != EOF) {
    any = true;
    if (c == '\n') break;
    if (line->size() >= max_bytes) {
      return Status::Corruption(path + ": a line is longer than " + std::to_string(max_bytes >> 20) +
                                " MiB: not a word-vector text file");
    }
    line->push_back(static_cast<char>(c));
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  if (std::ferror(f)) return Status::IOError(path + ": read error");
  *got = any;
  return Status::Ok();
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool ParseSize(std::string_view s, size_t* out) {
  if (s.empty() || s.size() > 12) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

bool ParseFloat(std::string_view s, float* out) {
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  float v = std::strtof(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || tmp.empty() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool IsBlankLine(const std::string& line) { return line.find_first_not_of(" \t") == std::string::npos; }

char HexDigit(unsigned v) { return "0123456789abcdef"[v & 15]; }

std::string HexByte(unsigned char c) { return std::string("0x") + HexDigit(c >> 4) + HexDigit(c); }

// A word that is not valid UTF-8 (gensim's default, unicode_errors='strict', refuses the file
// too): "the word 'ab\xff' is not valid UTF-8 (byte 0xff at offset 2)", or "" when it is valid.
std::string InvalidUtf8Problem(std::string_view word) {
  const size_t bad = FirstInvalidUtf8(word);
  if (bad == std::string_view::npos) return {};
  return "the word '" + PrintableWord(word) + "' is not valid UTF-8 (byte " +
         HexByte(static_cast<unsigned char>(word[bad])) + " at offset " + std::to_string(bad) +
         "); gensim refuses such files too (unicode_errors='strict'): re-encode the file as UTF-8";
}

// "PATH: message" → "message", to nest one reader's error inside another message.
std::string WithoutPath(const std::string& message, const std::string& path) {
  const std::string prefix = path + ": ";
  return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
}

// "COUNT DIM" with sane values.
bool ParseHeader(const std::string& line, VectorFileHeader* h) {
  auto parts = SplitSpaces(line);
  return parts.size() == 2 && ParseSize(parts[0], &h->declared_words) && ParseSize(parts[1], &h->dim);
}

// Positive evidence of a text record: a word, then up to the end of the line only printable
// ASCII and tabs (numbers, signs, exponents — and the malformed text the reader must report
// with its line number). Raw float32 bytes practically never look like that: every negative
// value has a byte >= 0x80 and random mantissa bytes are control or high bytes 5 times in 8, so
// a binary vector of more than a couple of dimensions is never all printable.
bool LooksLikeTextRecord(std::string_view line) {
  const size_t start = line.find_first_not_of(" \t");  // leading blanks: the text reader skips them
  if (start == std::string_view::npos) return false;
  line.remove_prefix(start);
  size_t sep = line.find_first_of(" \t");
  if (sep == std::string_view::npos || sep == 0) return false;
  for (char ch : line.substr(sep)) {
    const auto u = static_cast<unsigned char>(ch);
    if (u != '\t' && (u < 0x20 || u > 0x7E)) return false;
  }
  return line.find_first_not_of(" \t", sep) != std::string_view::npos;
}

// A text record "word v1 … vdim": fills wv; the error names the line.
Status ParseTextRecord(const std::string& line, size_t dim, size_t line_no, WordVector* wv) {
  auto parts = SplitSpaces(line);
  if (parts.size() != dim + 1) {
    return Status::Corruption("line " + std::to_string(line_no) + ": expected a word and " + std::to_string(dim) +
                              " numbers, found " + std::to_string(parts.size()) + " fields" +
                              (parts.size() > dim + 1 ? " (a word with a space in it, or one number too many)" : ""));
  }
  wv->word.assign(parts[0]);
  if (std::string problem = InvalidUtf8Problem(wv->word); !problem.empty()) {
    return Status::Corruption("line " + std::to_string(line_no) + ": " + problem);
  }
  wv->vector.resize(dim);
  for (size_t i = 0; i < dim; ++i) {
    if (!ParseFloat(parts[i + 1], &wv->vector[i])) {
      return Status::Corruption("line " + std::to_string(line_no) + ": '" + std::string(parts[i + 1].substr(0, 40)) +
                                "' is not a finite number");
    }
  }
  return Status::Ok();
}

Status CheckDim(size_t dim, const std::string& path) {
  if (dim == 0 || dim > kMaxWordDim) {
    return Status::Corruption(path + ": the vectors' dimension " + std::to_string(dim) + " (from the first line) is outside 1…" +
                              std::to_string(kMaxWordDim) + ": not a word-vector file");
  }
  return Status::Ok();
}

Status ReadText(FILE* f, const std::string& path, bool has_header, size_t limit,
                const std::function<Status(const VectorFileHeader&)>& on_header,
                const std::function<Status(WordVector&&)>& sink, VectorFileReport* report) {
  std::string line;
  bool got = false;
  size_t line_no = 0;
  VectorFileHeader h;
  WordVector wv;
  bool pending = false;  // glove: the first line is already a record
  if (has_header) {
    LDB_RETURN_IF_ERROR(ReadLine(f, path, &line, &got));
    if (!got || !ParseHeader(line, &h)) return Status::Corruption(path + ": line 1 is not a 'COUNT DIM' header");
    line_no = 1;
  } else {
    for (;;) {
      LDB_RETURN_IF_ERROR(ReadLine(f, path, &line, &got));
      if (!got) break;
      ++line_no;
      if (!line.empty()) break;
    }
    auto parts = SplitSpaces(line);
    if (parts.size() < 2) return Status::Corruption(path + ": empty file or first line has no vector");
    h.dim = parts.size() - 1;
    pending = true;
  }
  LDB_RETURN_IF_ERROR(CheckDim(h.dim, path));
  LDB_RETURN_IF_ERROR(on_header(h));
  // With a header, exactly the declared rows are vectors (gensim's load_word2vec_format reads
  // `count` lines and ignores the rest); lines after them are counted and reported, not read.
  size_t want = has_header ? h.declared_words : SIZE_MAX;
  if (limit != 0) want = std::min(want, limit);
  size_t n = 0;
  while (n < want) {
    if (!pending) {
      LDB_RETURN_IF_ERROR(ReadLine(f, path, &line, &got));
      if (!got) break;
      ++line_no;
      if (IsBlankLine(line)) continue;
    }
    pending = false;
    Status s = ParseTextRecord(line, h.dim, line_no, &wv);
    if (!s.ok()) return s.WithContext(path);
    LDB_RETURN_IF_ERROR(sink(std::move(wv)));
    wv = WordVector();
    ++n;
  }
  if (has_header && n < h.declared_words && (limit == 0 || n < limit)) {
    return Status::Corruption(path + ": truncated: the header declares " + std::to_string(h.declared_words) +
                              " words, the file has " + std::to_string(n));
  }
  if (has_header && n == h.declared_words && report) {
    for (;;) {
      LDB_RETURN_IF_ERROR(ReadLine(f, path, &line, &got));
      if (!got) break;
      if (!IsBlankLine(line)) ++report->rows_after_declared;
    }
  }
  return Status::Ok();
}

// One binary record: optional '\n' separators, "word ", dim float32. `n` is 0-based. The word must
// be valid UTF-8 when `check_utf8` (not while probing the format: a binary file with a bad word is
// still binary, and its reader then names the word).
Status ReadBinaryRecord(FILE* f, const std::string& path, size_t n, size_t dim, size_t declared, WordVector* wv,
                        bool check_utf8 = true) {
  wv->word.clear();
  int c;
  while ((c = std::getc(f)) == '\n' || c == '\r') {
  }
  const std::string which = "word " + std::to_string(n + 1) + " of " + std::to_string(declared);
  while (c != EOF && c != ' ') {
    if (c < 0x20 || c == 0x7F) {
      return Status::Corruption(path + ": " + which + " contains the control byte " + std::to_string(c) +
                                " (not word2vec binary, or the header count is wrong)");
    }
    if (wv->word.size() >= kMaxBinaryWordBytes) {
      return Status::Corruption(path + ": " + which + " is longer than " + std::to_string(kMaxBinaryWordBytes) +
                                " bytes (not word2vec binary?)");
    }
    wv->word.push_back(static_cast<char>(c));
    c = std::getc(f);
  }
  if (c == EOF) return Status::Corruption(path + ": truncated at " + which);
  if (wv->word.empty()) return Status::Corruption(path + ": " + which + " is empty");
  if (check_utf8) {
    if (std::string problem = InvalidUtf8Problem(wv->word); !problem.empty()) {
      return Status::Corruption(path + ": " + which + ": " + problem);
    }
  }
  wv->vector.resize(dim);
  if (std::fread(wv->vector.data(), sizeof(float), dim, f) != dim) {
    return Status::Corruption(path + ": truncated at " + which);
  }
  for (float x : wv->vector) {
    if (!std::isfinite(x)) return Status::Corruption(path + ": " + which + " has a non-finite value");
  }
  return Status::Ok();
}

// After the last declared record only line breaks (and spaces) may follow: anything else means
// the count is wrong or the file is not word2vec binary, and is refused rather than ignored.
Status CheckNoTrailingBytes(FILE* f, const std::string& path, size_t declared) {
  int c;
  while ((c = std::getc(f)) == '\n' || c == '\r' || c == ' ') {
  }
  if (c == EOF) return Status::Ok();
  const off_t at = ftello(f) - 1;
  fseeko(f, 0, SEEK_END);
  const off_t size = ftello(f);
  return Status::Corruption(path + ": " + std::to_string(size - at) + " unexpected bytes after the " +
                            std::to_string(declared) + " words the header declares");
}

Status ReadBinary(FILE* f, const std::string& path, size_t limit,
                  const std::function<Status(const VectorFileHeader&)>& on_header,
                  const std::function<Status(WordVector&&)>& sink) {
  std::string line;
  bool got = false;
  VectorFileHeader h;
  LDB_RETURN_IF_ERROR(ReadLine(f, path, &line, &got));
  if (!got || !ParseHeader(line, &h)) return Status::Corruption(path + ": line 1 is not a 'COUNT DIM' header");
  LDB_RETURN_IF_ERROR(CheckDim(h.dim, path));
  LDB_RETURN_IF_ERROR(on_header(h));
  size_t want = limit ? std::min(limit, h.declared_words) : h.declared_words;
  for (size_t n = 0; n < want; ++n) {
    WordVector wv;
    LDB_RETURN_IF_ERROR(ReadBinaryRecord(f, path, n, h.dim, h.declared_words, &wv));
    LDB_RETURN_IF_ERROR(sink(std::move(wv)));
  }
  if (want == h.declared_words) return CheckNoTrailingBytes(f, path, h.declared_words);
  return Status::Ok();
}

// Positive evidence of word2vec binary after a "COUNT DIM" header (f is just after it): the first
// records (up to kBinaryProbeRecords, all of them in a small file) read as binary records, and a
// file read to its declared end has nothing after it.
Status ProbeBinary(FILE* f, const std::string& path, const VectorFileHeader& h) {
  LDB_RETURN_IF_ERROR(CheckDim(h.dim, path));
  const size_t probe = std::min(h.declared_words, kBinaryProbeRecords);
  WordVector wv;
  for (size_t n = 0; n < probe; ++n) {
    LDB_RETURN_IF_ERROR(ReadBinaryRecord(f, path, n, h.dim, h.declared_words, &wv, /*check_utf8=*/false));
  }
  if (probe == h.declared_words) return CheckNoTrailingBytes(f, path, h.declared_words);
  return Status::Ok();
}

}  // namespace

size_t FirstInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t j = 1; ok && j < len; ++j) ok = (p[i + j] & 0xC0) == 0x80;
    if (ok && len == 2 && c < 0xC2) ok = false;                                   // overlong
    if (ok && len == 3 && c == 0xE0 && p[i + 1] < 0xA0) ok = false;               // overlong
    if (ok && len == 3 && c == 0xED && p[i + 1] >= 0xA0) ok = false;              // surrogate
    if (ok && len == 4 && (c > 0xF4 || (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] >= 0x90))) ok = false;
    if (!ok) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string PrintableWord(std::string_view word, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < word.size()) {
    if (i >= max_bytes) return out + "…";
    const auto c = static_cast<unsigned char>(word[i]);
    // A valid multi-byte character stays as it is; a stray byte is shown as \xNN.
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len > 1 && i + len <= word.size() && FirstInvalidUtf8(word.substr(i, len)) == std::string_view::npos) {
      out.append(word.substr(i, len));
      i += len;
      continue;
    }
    if (c < 0x20 || c >= 0x7F || c == '\\' || c == '\'') {
      out += "\\x";
      out += HexDigit(c >> 4);
      out += HexDigit(c);
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  return out;
}

Result<VectorFormat> ParseVectorFormat(const std::string& name) {
  if (name == "auto") return VectorFormat::kAuto;
  if (name == "word2vec") return VectorFormat::kWord2VecText;
  if (name == "word2vec-bin") return VectorFormat::kWord2VecBinary;
  if (name == "glove") return VectorFormat::kGlove;
  if (name == "vec") return VectorFormat::kFastTextVec;
  if (name == "fasttext-bin") return VectorFormat::kFastTextBin;
  if (name == "wink-json") return VectorFormat::kWinkJson;
  return Status::InvalidArgument("unknown format '" + name +
                                 "' (auto, word2vec, word2vec-bin, glove, vec, fasttext-bin, wink-json)");
}

const char* VectorFormatName(VectorFormat format) {
  switch (format) {
    case VectorFormat::kAuto: return "auto";
    case VectorFormat::kWord2VecText: return "word2vec";
    case VectorFormat::kWord2VecBinary: return "word2vec-bin";
    case VectorFormat::kGlove: return "glove";
    case VectorFormat::kFastTextVec: return "vec";
    case VectorFormat::kFastTextBin: return "fasttext-bin";
    case VectorFormat::kWinkJson: return "wink-json";
  }
  return "?";
}

Result<VectorFormat> DetectVectorFormat(const std::string& path) {
  LDB_ASSIGN_OR_RETURN(File f, Open(path));
  uint32_t magic = 0;
  if (std::fread(&magic, 4, 1, f.get()) == 1 && magic == kFastTextMagic) return VectorFormat::kFastTextBin;
  LDB_ASSIGN_OR_RETURN(bool json, LooksLikeWinkJson(path));  // one line of 307 MB: before ReadLine
  if (json) return VectorFormat::kWinkJson;
  std::rewind(f.get());
  SkipUtf8Bom(f.get());
  std::string line;
  bool got = false;
  LDB_RETURN_IF_ERROR(ReadLine(f.get(), path, &line, &got));
  if (!got) return Status::Corruption(path + ": empty file");
  VectorFileHeader h;
  const bool ends_bin = path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
  if (ParseHeader(line, &h)) {
    // Text or binary, decided only on positive evidence. Text when the first record looks like
    // text: a word, then only printable ASCII (a malformed text line included, whose error the
    // text reader then reports with its line number). This comes first because text can parse as
    // binary: lines of three short numbers are exactly 12 bytes, three float32s. Binary when the
    // first records (all of them in a small file) parse as binary records and nothing but line
    // breaks follows the declared count. Anything else is an error naming both readings.
    // A header that cannot be right is that error, whatever follows it.
    LDB_RETURN_IF_ERROR(CheckDim(h.dim, path));
    const off_t records = ftello(f.get());
    size_t line_no = 1;
    bool more = false;
    Status text;
    bool long_line = false;
    do {
      // Binary files written by gensim have no line breaks: look at a bounded prefix only.
      text = ReadLine(f.get(), path, &line, &more, kProbeLineBytes);
      if (text.code() == StatusCode::kIOError) return text;
      long_line = !text.ok();
      ++line_no;
    } while (!long_line && more && IsBlankLine(line));
    if (!long_line && !more) return VectorFormat::kWord2VecText;  // a header only: the text reader reports it
    WordVector wv;
    if (!long_line) text = ParseTextRecord(line, h.dim, line_no, &wv);
    const bool text_like = !long_line && LooksLikeTextRecord(line);
    if (text_like) return VectorFormat::kWord2VecText;
    if (fseeko(f.get(), records, SEEK_SET) != 0) return Status::IOError(path + ": seek failed");
    Status binary = ProbeBinary(f.get(), path, h);
    if (binary.ok()) return VectorFormat::kWord2VecBinary;
    // Both readings in plain words, neither empty: the text reading's own error, or why the
    // record does not look like text when it parses (it always names the line).
    std::string as_text;
    if (long_line) {
      as_text = "line " + std::to_string(line_no) + " is longer than " + std::to_string(kProbeLineBytes >> 20) +
                " MiB without a line break";
    } else if (!text.ok()) {
      as_text = WithoutPath(text.message(), path);
    } else {
      as_text = "line " + std::to_string(line_no) + " is not a 'word v1 … v" + std::to_string(h.dim) +
                "' text record (bytes outside printable ASCII after the word)";
    }
    return Status::Corruption(path + ": not word2vec text (" + as_text + ") and not word2vec binary (" +
                              WithoutPath(binary.message(), path) + "); give --format if you know the format");
  }
  if (LooksLikeTextRecord(line)) return VectorFormat::kGlove;
  if (ends_bin) return VectorFormat::kFastTextBin;  // refused with a clear message by the fastText checks
  return Status::Corruption(path + ": line 1 is neither a 'COUNT DIM' header nor a 'word v1 … vN' text vector, "
                            "and the file is not a fastText model: not a word-vector file");
}

Status ReadVectorFile(const std::string& path, VectorFormat format, size_t limit,
                      const std::function<Status(const VectorFileHeader&)>& on_header,
                      const std::function<Status(WordVector&&)>& sink, VectorFileReport* report) {
  LDB_ASSIGN_OR_RETURN(File f, Open(path));
  SkipUtf8Bom(f.get());
  switch (format) {
    case VectorFormat::kWord2VecText:
    case VectorFormat::kFastTextVec:
      return ReadText(f.get(), path, true, limit, on_header, sink, report);
    case VectorFormat::kGlove:
      return ReadText(f.get(), path, false, limit, on_header, sink, report);
    case VectorFormat::kWord2VecBinary:
      return ReadBinary(f.get(), path, limit, on_header, sink);
    case VectorFormat::kWinkJson:
      return ReadWinkJsonFile(path, limit, on_header, sink);
    default:
      return Status::InvalidArgument(std::string("ReadVectorFile does not read format ") + VectorFormatName(format));
  }
}

}  // namespace latentdb::formats
