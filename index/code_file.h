#pragma once
// CodeFile: the rows of quantized codes an index scores, in one page-aligned mapping — either of
// a file of their own, for collections whose codes must not be held in RAM (Qdrant's
// "on_disk": true and "always_ram": false), or anonymous memory (codes in RAM).
//
// A file's pages are the page cache's: the kernel keeps the ones the graph walk touches and drops
// the others under memory pressure, so the codes are never pinned and count in no process's
// anonymous memory. Anonymous rows are the process's own (transparent huge pages where offered);
// the index file holds a copy of them.
//
// Why not FAISS's `codes` vector: its rows start 16 bytes past a cache line (malloc's header), so
// half of the 96-byte int8 rows of a 96-d collection straddle three cache lines instead of two.
// Measured (scale_bench, 1 M × 96-d, int8 rescored at recall@10 >= 0.99, head to head with float
// in one process): with the vector 1.02× float's queries/s, the same codes in a page-aligned file
// mapping 1.18× in the same run; with anonymous page-aligned rows in RAM, 1.14× in the next.
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
  // Rows in anonymous memory (no file: Sync() does nothing, name() is empty).
  static std::unique_ptr<CodeFile> CreateAnonymous(size_t code_size);
  // An existing file whose first `rows` rows must have CRC-32 `crc`: Corruption when the file is
  // shorter or the checksum differs, NotFound when it does not exist. Rows past `rows` are dropped.
  static Result<std::unique_ptr<CodeFile>> Open(const std::string& path, size_t code_size, size_t rows, uint32_t crc);
  ~CodeFile();
  CodeFile(const CodeFile&) = delete;
  CodeFile& operator=(const CodeFile&) = delete;

  // Makes room for `rows` rows in all (allocated on disk and mapped). NoSpace when the disk is full;
  // IOError when the memory cannot be mapped.
  Status Reserve(size_t rows);
  // Appends n rows (n × code_size bytes); the room must have been reserved (else Internal).
  Status Append(const uint8_t* codes, size_t n);
  // Writes the rows so far to disk (msync + fdatasync, and the directory entry once).
  Status Sync();

  const uint8_t* data() const { return base_; }
  size_t rows() const { return rows_; }
  size_t code_size() const { return code_size_; }
  uint32_t crc() const { return crc_; }  // CRC-32 of rows [0, rows())
  std::string name() const;  // the file name without its directory; empty for anonymous rows

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
// The path of the code file `name` (no directory) of the index file `prefix`: beside it.
std::string CodeFilePath(const std::string& prefix, const std::string& name);
// Whether `name` (no directory) is a code file name of the index file `prefix`.
bool IsCodeFileName(const std::string& prefix, const std::string& name);
// Removes the code files of `prefix` other than those in `keep` (names without directory).
// Errors other than a vanished file are returned; the rest are still attempted.
Status RemoveStaleCodeFiles(const std::string& prefix, const std::vector<std::string>& keep);

}  // namespace latentdb::index
