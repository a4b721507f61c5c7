#pragma once
// The UTF-8 byte-order mark (EF BB BF). Windows tools (Notepad, Excel's "CSV UTF-8") put it at the
// start of text files; it is not part of the text. Every text reader (CSV, JSONL, plain text and
// corpora, word-vector text files, evaluation sets) drops it at the start of a file through these
// helpers, so a BOM never becomes part of a column name, a word or a number.

#include <cstdio>
#include <string>
#include <string_view>

namespace latentdb {

inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// True when `s` starts with a BOM.
inline bool StartsWithUtf8Bom(std::string_view s) { return s.substr(0, kUtf8Bom.size()) == kUtf8Bom; }

// `s` without a leading BOM (the first line of a file).
inline std::string_view SkipUtf8Bom(std::string_view s) {
  return StartsWithUtf8Bom(s) ? s.substr(kUtf8Bom.size()) : s;
}

// Removes a leading BOM from `s` in place; true when there was one.
inline bool StripUtf8Bom(std::string* s) {
  if (!StartsWithUtf8Bom(*s)) return false;
  s->erase(0, kUtf8Bom.size());
  return true;
}

// At the start of a stdio stream: consumes a BOM if the stream begins with one, otherwise leaves
// the position where it was (the start). `f` must be positioned at offset 0 and seekable.
inline bool SkipUtf8Bom(std::FILE* f) {
  unsigned char b[3];
  size_t n = std::fread(b, 1, 3, f);
  if (n == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) return true;
  std::rewind(f);
  return false;
}

}  // namespace latentdb
