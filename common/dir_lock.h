#pragma once
// An exclusive lock on a data directory, held for the life of the object.
// Every process that writes into a data directory holds it: the server, offline ingest, and the
// one-shot commands (models import|delete, train word2vec|cnn|vae, eval) — through Database::Open
// or, for those that write model files without opening the database (train cnn|vae, TorchScript
// import), by taking it directly. A second one fails at once with a message that names the
// directory, the lock file and the holder's pid, instead of corrupting the first one's files.

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
