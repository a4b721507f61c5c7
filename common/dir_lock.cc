#include "common/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/file_util.h"

namespace latentdb {

Result<std::unique_ptr<DirLock>> DirLock::Acquire(const std::string& dir) {
  LDB_RETURN_IF_ERROR(CreateDirectories(dir));
  std::string path = dir + "/LOCK.latentdb";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("opening lock file '" + path + "': " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {0};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(" by pid ") + std::string(buf, static_cast<size_t>(n)) : "";
    if (err == EWOULDBLOCK) {
      return Status::Busy("data directory '" + dir + "' is in use: lock file '" + path + "' is held" +
                          holder + " (a latentdb server, offline ingest, model import or training runs on it; stop it first)");
    }
    return Status::IOError("locking '" + path + "': " + std::strerror(err));
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) {
    ssize_t ignored = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)ignored;  // the pid is informational only
  }
  return std::unique_ptr<DirLock>(new DirLock(fd, path));
}

DirLock::~DirLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace latentdb
