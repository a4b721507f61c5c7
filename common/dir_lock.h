#pragma once
// An exclusive lock on a data directory, held for the life of the object.
// A second process (server, offline ingest) that tries to lock the same directory fails at once
// with a message that names the lock file, instead of corrupting the first one's files.

#include <memory>
#include <string>

#include "common/result.h"

namespace latentdb {

class DirLock {
 public:
  // Creates `dir` if needed and takes an flock on `dir`/LOCK.latentdb. Busy if another process
  // holds it; the message names the lock file and the holder's pid when known.
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  DirLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace latentdb
