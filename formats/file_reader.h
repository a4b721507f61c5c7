#pragma once
// FileReader: a plain sequential binary file reader with a large buffer (stdio), for the sources.
// Not thread-safe.

#include <cstdint>
#include <cstdio>
#include <string>

#include "common/result.h"

namespace latentdb::formats {

class FileReader {
 public:
  FileReader() = default;
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // NotFound / IOError; also fails for a directory.
  Status Open(const std::string& path);
  uint64_t size() const { return size_; }
  uint64_t position() const { return position_; }
  // Reads up to n bytes; returns how many were read (fewer only at the end of the file).
  // IOError on a read error.
  Result<size_t> Read(void* buf, size_t n);
  Status Seek(uint64_t offset);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
  uint64_t position_ = 0;
};

}  // namespace latentdb::formats
