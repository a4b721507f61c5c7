#pragma once
// CodeFile: the quantized codes of an index kept in a file of their own and memory-mapped, for
// collections whose codes must not be held in RAM (Qdrant's "on_disk": true and
// "always_ram": false). The pages are the page cache's: the kernel keeps the ones the graph walk
// touches and drops the others under memory pressure, so the codes are never pinned and count
// in no process's anonymous memory.
//
// Layout: rows of `code_size` bytes, back to back, from offset 0; nothing else. The index file
// that owns the codes (index/vector_index.h, format version 3) records the file's name, how many
// rows it covers and their CRC-32; rows are only ever appended, never rewritten, so rows a saved
// index file covers stay as they were saved. Rows past that count (appended after the save, then
// a crash) are ignored when the file is opened and overwritten by the writes replayed from the
// store. A rebuilt index writes a new file (a new name): the old one stays until no saved index
// file names it (RemoveStaleCodeFiles).
//
// Room is reserved ahead with posix_fallocate, so a full disk is an error from Reserve() (before
// any write is acknowledged), never a SIGBUS on a store into a hole of the mapping.
//
// Thread-safety: const methods may run concurrently; Reserve/Append need exclusive access (the
// index's owner provides it). Reserve() can move the mapping: pointers from data() are valid
// until the next Reserve or Append.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::index {

class CodeFile {
 public:
  // A new, empty file at `path` (which must not exist). IOError/NoSpace on failure.
  static Result<std::unique_ptr<CodeFile>> Create(const std::string& path, size_t code_size);
  // An existing file whose first `rows` rows must have CRC-32 `crc`: Corruption when the file is
  // shorter or the checksum differs, NotFound when it does not exist. Rows past `rows` are dropped.
  static Result<std::unique_ptr<CodeFile>> Open(const std::string& path, size_t code_size, size_t rows, uint32_t crc);
  ~CodeFile();
  CodeFile(const CodeFile&) = delete;
  CodeFile& operator=(const CodeFile&) = delete;

  // Makes room for `rows` rows in all (allocated on disk and mapped). NoSpace when the disk is full.
  Status Reserve(size_t rows);
  // Appends n rows (n × code_size bytes); the room must have been reserved (else Internal).
  Status Append(const uint8_t* codes, size_t n);
  // Writes the rows so far to disk (msync + fdatasync, and the directory entry once).
  Status Sync();

  const uint8_t* data() const { return base_; }
  uint8_t* mutable_row(size_t row) { return base_ + row * code_size_; }
  size_t rows() const { return rows_; }
  size_t code_size() const { return code_size_; }
  uint32_t crc() const { return crc_; }  // CRC-32 of rows [0, rows())
  const std::string& path() const { return path_; }
  std::string name() const;  // the file name without its directory

 private:
  CodeFile(std::string path, int fd, size_t code_size);
  Status Map(size_t bytes);

  std::string path_;
  int fd_;
  size_t code_size_;
  uint8_t* base_ = nullptr;
  size_t mapped_ = 0;  // bytes mapped (and allocated in the file)
  size_t rows_ = 0;
  uint32_t crc_ = 0;
  bool dir_synced_ = false;
};

// "<prefix>.<16 hex digits>.codes" for a new code file of the index file `prefix`
// (e.g. "/data/index/7.index" → "/data/index/7.index.3f9c0a1b2c4d5e6f.codes").
std::string NewCodeFileName(const std::string& prefix);
// Whether `name` (no directory) is a code file name of the index file `prefix`.
bool IsCodeFileName(const std::string& prefix, const std::string& name);
// Removes the code files of `prefix` other than those in `keep` (names without directory).
// Errors other than a vanished file are returned; the rest are still attempted.
Status RemoveStaleCodeFiles(const std::string& prefix, const std::vector<std::string>& keep);

}  // namespace latentdb::index
