#pragma once
// LineReader: reads a text file line by line through a large buffer. Lines end at '\n'; a '\r'
// before it is dropped; a last line without '\n' is still a line. A UTF-8 byte-order mark at the
// start of the file is not part of the first line (common/utf8_bom.h): every line-based source
// (CSV, JSONL, text) reads through here. Not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "formats/file_reader.h"

namespace latentdb::ingest {

constexpr size_t kMaxLineBytes = size_t{64} << 20;

class LineReader {
 public:
  Status Open(const std::string& path);
  uint64_t size() const { return file_.size(); }
  // The next line; false at the end of the file. The view stays valid until the next call.
  // Corruption for a line longer than kMaxLineBytes, IOError on a read error.
  Result<bool> Next(std::string_view* line);
  // Bytes of the file handed out as lines so far (for progress).
  uint64_t consumed() const { return consumed_; }

 private:
  std::string path_;
  formats::FileReader file_;
  std::string buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  bool first_line_ = true;
  uint64_t consumed_ = 0;
};

}  // namespace latentdb::ingest
