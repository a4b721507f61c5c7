#pragma once
// A whole file mapped read-only into memory, for loading large files (index files are hundreds of
// megabytes to gigabytes): the bytes are the page cache's own, so loading costs no copy into a
// fresh buffer and no zeroing of one — on a VM each fresh anonymous page is a page fault, which
// made reading a 377 MB index file into a string a third of the time to open a million points.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace latentdb {

// Owns one read-only private mapping (mmap(2), pre-faulted with MAP_POPULATE); unmapped by the
// destructor. Errors from Open: NotFound for a missing file, InvalidArgument for one that is not
// a regular file, IOError otherwise. An empty file gives an empty view. The view is valid while
// the object lives; the project replaces files by rename (common/file_util.h), which leaves a
// mapping of the old file intact — truncating a mapped file in place would fault (SIGBUS) on
// the lost pages. Movable, not copyable; reading from many threads is safe.
class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile(void* data, size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace latentdb
