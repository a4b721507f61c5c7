#pragma once
// Files the project writes are published atomically: write a temporary file, rename it over the
// target. A crash of the process leaves either the old file or the new one; with `sync` the file
// and its directory are fsynced too, so that a power loss does the same.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace latentdb {

// Streams a file to `path + ".tmp"` and publishes it with Commit(). The CRC-32 of everything
// appended so far is kept as it goes (for a trailing checksum without a second pass). A writer
// destroyed without a successful Commit() removes its temporary file. Not thread-safe.
class AtomicFileWriter {
 public:
  static Result<std::unique_ptr<AtomicFileWriter>> Create(const std::string& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  Status Append(std::string_view bytes);
  uint32_t crc() const { return crc_; }
  uint64_t size() const { return size_; }
  // Closes the temporary file and renames it over the target; with `sync`, fsyncs the file before
  // and the directory after.
  Status Commit(bool sync);

 private:
  AtomicFileWriter(std::string path, int fd);
  Status Flush();  // writes out buffer_
  Status WriteAll(std::string_view bytes);

  std::string path_, tmp_;
  int fd_ = -1;
  std::string buffer_;  // small appends are gathered into large writes
  uint32_t crc_ = 0;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// The whole of `contents` through an AtomicFileWriter, synced.
Status WriteFileAtomically(const std::string& path, std::string_view contents);
Result<std::string> ReadWholeFile(const std::string& path);
Status CreateDirectories(const std::string& path);
bool PathExists(const std::string& path);
Status RemoveFileIfExists(const std::string& path);

// The Status of a failed system call on `path` with errno `err`: NoSpace ("the disk is full",
// HTTP 507) for ENOSPC and EDQUOT, IOError otherwise. One policy for every file LatentDB writes.
Status ErrnoStatus(const std::string& what, const std::string& path, int err);
// fsyncs the directory that holds `path`, so that a new or renamed entry survives a power loss.
Status FsyncDirectoryOf(const std::string& path);
// fsyncs the existing file `path` (written before, not necessarily by this process).
Status FsyncFile(const std::string& path);
// Appends `bytes` to `path` (created when absent, mode 0644), unsynced: FsyncFile when the file
// is complete. Errors as ErrnoStatus.
Status AppendToFile(const std::string& path, std::string_view bytes);

// CRC-32 (zlib polynomial) of a byte range, for file checksums.
uint32_t Crc32(std::string_view data, uint32_t seed = 0);

// Every input file that is read to its end goes through this first (model files, word-vector
// files, evaluation sets): Ok for an existing regular file;
// InvalidArgument "PATH is not a regular file" for a device (/dev/zero never ends), FIFO (blocks),
// socket or directory; NotFound when it does not exist.
Status RequireRegularFile(const std::string& path);

}  // namespace latentdb
