#include "ingest/line_reader.h"

#include <cstring>

#include "common/utf8_bom.h"

namespace latentdb::ingest {

Status LineReader::Open(const std::string& path) {
  path_ = path;
  buf_.resize(1 << 20);
  return file_.Open(path);
}

Result<bool> LineReader::Next(std::string_view* line) {
  size_t scan_from = pos_;
  for (;;) {
    const char* nl = static_cast<const char*>(std::memchr(buf_.data() + scan_from, '\n', end_ - scan_from));
    if (nl || (eof_ && end_ > pos_)) {
      size_t stop = nl ? static_cast<size_t>(nl - buf_.data()) : end_;
      size_t len = stop - pos_;
      consumed_ += len + (nl ? 1 : 0);
      if (len > 0 && buf_[pos_ + len - 1] == '\r') --len;
      *line = std::string_view(buf_.data() + pos_, len);
      if (first_line_) *line = SkipUtf8Bom(*line);
      first_line_ = false;
      pos_ = nl ? stop + 1 : end_;
      return true;
    }
    if (eof_) return false;
    // Move the partial line to the front and read more, growing the buffer for long lines.
    const size_t partial = end_ - pos_;
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, partial);
      pos_ = 0;
      end_ = partial;
    }
    if (end_ == buf_.size()) {
      if (buf_.size() >= kMaxLineBytes) {
        return Status::Corruption(path_ + ": a line is longer than " + std::to_string(kMaxLineBytes >> 20) + " MiB");
      }
      buf_.resize(buf_.size() * 2);
    }
    scan_from = end_;
    LDB_ASSIGN_OR_RETURN(size_t got, file_.Read(buf_.data() + end_, buf_.size() - end_));
    if (got == 0) eof_ = true;
    end_ += got;
  }
}

}  // namespace latentdb::ingest
