#include "engine/words/vector_file.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace latentdb::words {

namespace {

constexpr uint32_t kFastTextMagic = 793712314;
using File = std::unique_ptr<FILE, int (*)(FILE*)>;

Result<File> Open(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  return f;
}

// One line without its '\n' (and '\r'); false at end of file.
bool ReadLine(FILE* f, std::string* line) {
  line->clear();
  int c;
  bool any = false;
  while ((c = std::getc(f)) != EOF) {
    any = true;
    if (c == '\n') break;
    line->push_back(static_cast<char>(c));
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return any;
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

// "COUNT DIM" with sane values.
bool ParseHeader(const std::string& line, VectorFileHeader* h) {
  auto parts = SplitSpaces(line);
  return parts.size() == 2 && ParseSize(parts[0], &h->declared_words) && ParseSize(parts[1], &h->dim);
}

// A text record "word v1 … vdim": fills wv; the error names the line.
Status ParseTextRecord(const std::string& line, size_t dim, size_t line_no, WordVector* wv) {
  auto parts = SplitSpaces(line);
  if (parts.size() != dim + 1) {
    return Status::Corruption("line " + std::to_string(line_no) + ": expected a word and " + std::to_string(dim) +
                              " numbers, found " + std::to_string(parts.size()) + " fields");
  }
  wv->word.assign(parts[0]);
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
    return Status::Corruption(path + ": dimension " + std::to_string(dim) + " out of range 1…" + std::to_string(kMaxWordDim));
  }
  return Status::Ok();
}

Status ReadText(FILE* f, const std::string& path, bool has_header, size_t limit,
                const std::function<Status(const VectorFileHeader&)>& on_header,
                const std::function<Status(WordVector&&)>& sink) {
  std::string line;
  size_t line_no = 0;
  VectorFileHeader h;
  WordVector wv;
  bool pending = false;  // glove: the first line is already a record
  if (has_header) {
    if (!ReadLine(f, &line) || !ParseHeader(line, &h)) return Status::Corruption(path + ": line 1 is not a 'COUNT DIM' header");
    line_no = 1;
  } else {
    while (ReadLine(f, &line)) {
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
  size_t n = 0;
  while (limit == 0 || n < limit) {
    if (!pending) {
      if (!ReadLine(f, &line)) break;
      ++line_no;
      if (line.empty() || line.find_first_not_of(" \t") == std::string::npos) continue;
    }
    pending = false;
    Status s = ParseTextRecord(line, h.dim, line_no, &wv);
    if (!s.ok()) return s.WithContext(path);
    LDB_RETURN_IF_ERROR(sink(std::move(wv)));
    wv = WordVector();
    ++n;
  }
  if (std::ferror(f)) return Status::IOError(path + ": read error");
  if (has_header && n < h.declared_words && (limit == 0 || n < limit)) {
    return Status::Corruption(path + ": truncated: the header declares " + std::to_string(h.declared_words) +
                              " words, the file has " + std::to_string(n));
  }
  return Status::Ok();
}

Status ReadBinary(FILE* f, const std::string& path, size_t limit,
                  const std::function<Status(const VectorFileHeader&)>& on_header,
                  const std::function<Status(WordVector&&)>& sink) {
  std::string line;
  VectorFileHeader h;
  if (!ReadLine(f, &line) || !ParseHeader(line, &h)) return Status::Corruption(path + ": line 1 is not a 'COUNT DIM' header");
  LDB_RETURN_IF_ERROR(CheckDim(h.dim, path));
  LDB_RETURN_IF_ERROR(on_header(h));
  size_t want = limit ? std::min(limit, h.declared_words) : h.declared_words;
  for (size_t n = 0; n < want; ++n) {
    WordVector wv;
    int c;
    while ((c = std::getc(f)) == '\n' || c == '\r') {
    }
    while (c != EOF && c != ' ') {
      if (wv.word.size() > 4096) {
        return Status::Corruption(path + ": word " + std::to_string(n + 1) + " is longer than 4096 bytes (not word2vec binary?)");
      }
      wv.word.push_back(static_cast<char>(c));
      c = std::getc(f);
    }
    wv.vector.resize(h.dim);
    if (c == EOF || std::fread(wv.vector.data(), sizeof(float), h.dim, f) != h.dim) {
      return Status::Corruption(path + ": truncated at word " + std::to_string(n + 1) + " of " +
                                std::to_string(h.declared_words));
    }
    for (float x : wv.vector) {
      if (!std::isfinite(x)) return Status::Corruption(path + ": word " + std::to_string(n + 1) + " has a non-finite value");
    }
    LDB_RETURN_IF_ERROR(sink(std::move(wv)));
  }
  return Status::Ok();
}

}  // namespace

Result<VectorFormat> ParseVectorFormat(const std::string& name) {
  if (name == "auto") return VectorFormat::kAuto;
  if (name == "word2vec") return VectorFormat::kWord2VecText;
  if (name == "word2vec-bin") return VectorFormat::kWord2VecBinary;
  if (name == "glove") return VectorFormat::kGlove;
  if (name == "vec") return VectorFormat::kFastTextVec;
  if (name == "fasttext-bin") return VectorFormat::kFastTextBin;
  return Status::InvalidArgument("unknown format '" + name + "' (auto, word2vec, word2vec-bin, glove, vec, fasttext-bin)");
}

const char* VectorFormatName(VectorFormat format) {
  switch (format) {
    case VectorFormat::kAuto: return "auto";
    case VectorFormat::kWord2VecText: return "word2vec";
    case VectorFormat::kWord2VecBinary: return "word2vec-bin";
    case VectorFormat::kGlove: return "glove";
    case VectorFormat::kFastTextVec: return "vec";
    case VectorFormat::kFastTextBin: return "fasttext-bin";
  }
  return "?";
}

Result<VectorFormat> DetectVectorFormat(const std::string& path) {
  LDB_ASSIGN_OR_RETURN(File f, Open(path));
  uint32_t magic = 0;
  if (std::fread(&magic, 4, 1, f.get()) == 1 && magic == kFastTextMagic) return VectorFormat::kFastTextBin;
  std::rewind(f.get());
  std::string line;
  if (!ReadLine(f.get(), &line)) return Status::Corruption(path + ": empty file");
  VectorFileHeader h;
  bool ends_bin = path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
  if (ParseHeader(line, &h)) {
    if (!ReadLine(f.get(), &line)) return VectorFormat::kWord2VecText;  // header only
    WordVector wv;
    if (h.dim > 0 && h.dim <= kMaxWordDim && ParseTextRecord(line, h.dim, 2, &wv).ok()) return VectorFormat::kWord2VecText;
    return VectorFormat::kWord2VecBinary;
  }
  if (ends_bin) return VectorFormat::kFastTextBin;
  return VectorFormat::kGlove;
}

Status ReadVectorFile(const std::string& path, VectorFormat format, size_t limit,
                      const std::function<Status(const VectorFileHeader&)>& on_header,
                      const std::function<Status(WordVector&&)>& sink) {
  LDB_ASSIGN_OR_RETURN(File f, Open(path));
  switch (format) {
    case VectorFormat::kWord2VecText:
    case VectorFormat::kFastTextVec:
      return ReadText(f.get(), path, true, limit, on_header, sink);
    case VectorFormat::kGlove:
      return ReadText(f.get(), path, false, limit, on_header, sink);
    case VectorFormat::kWord2VecBinary:
      return ReadBinary(f.get(), path, limit, on_header, sink);
    default:
      return Status::InvalidArgument(std::string("ReadVectorFile does not read format ") + VectorFormatName(format));
  }
}

}  // namespace latentdb::words
