#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace latentdb {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  // A full disk or quota is the caller's to fix (and retry): its own code, HTTP 507.
  if (err == ENOSPC || err == EDQUOT) {
    return Status::NoSpace(what + " '" + path + "': the disk is full (" + std::strerror(err) +
                           "); retry once space is freed");
  }
  return Status::IOError(what + " '" + path + "': " + std::strerror(err));
}

namespace {

// Opens `path` with `flags` and fsyncs it; `what` names it in errors ("directory", "file").
Status FsyncPath(const std::string& path, int flags, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return ErrnoStatus("opening " + what, path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync of " + what, path, err);
  return Status::Ok();
}

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); `path` names it in errors.
Status WriteAllTo(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("writing", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Status FsyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return FsyncPath(dir, O_DIRECTORY, "directory");
}

Status FsyncFile(const std::string& path) { return FsyncPath(path, 0, "file"); }

Status AppendToFile(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("opening", path, errno);
  Status written = WriteAllTo(fd, bytes, path);
  ::close(fd);
  return written;
}

Result<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(const std::string& path) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("creating", tmp, errno);
  return std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(path, fd));
}

AtomicFileWriter::AtomicFileWriter(std::string path, int fd) : path_(std::move(path)), tmp_(path_ + ".tmp"), fd_(fd) {}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

Status AtomicFileWriter::Append(std::string_view bytes) {
  if (fd_ < 0) return Status::Internal("append to a closed file '" + tmp_ + "'");
  crc_ = Crc32(bytes, crc_);
  size_ += bytes.size();
  constexpr size_t kBuffer = 1 << 20;
  if (buffer_.size() + bytes.size() <= kBuffer) {
    buffer_.append(bytes);
    return Status::Ok();
  }
  LDB_RETURN_IF_ERROR(Flush());
  if (bytes.size() < kBuffer) {
    buffer_.append(bytes);
    return Status::Ok();
  }
  return WriteAll(bytes);  // a large block goes straight to the file, without a copy
}

Status AtomicFileWriter::Flush() {
  LDB_RETURN_IF_ERROR(WriteAll(buffer_));
  buffer_.clear();
  return Status::Ok();
}

Status AtomicFileWriter::WriteAll(std::string_view bytes) { return WriteAllTo(fd_, bytes, tmp_); }

Status AtomicFileWriter::Commit(bool sync) {
  if (fd_ < 0) return Status::Internal("commit of a closed file '" + tmp_ + "'");
  LDB_RETURN_IF_ERROR(Flush());
  if (sync && ::fsync(fd_) != 0) return ErrnoStatus("fsync of", tmp_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ErrnoStatus("closing", tmp_, errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) return ErrnoStatus("renaming over", path_, errno);
  committed_ = true;
  return sync ? FsyncDirectoryOf(path_) : Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  LDB_ASSIGN_OR_RETURN(auto file, AtomicFileWriter::Create(path));
  LDB_RETURN_IF_ERROR(file->Append(contents));
  return file->Commit(/*sync=*/true);
}

Result<std::string> ReadWholeFile(const std::string& path) {
  // One allocation of the file's size and read(2) into it: index files are hundreds of
  // megabytes, and a stream copy through a stringstream costs several passes over them.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("cannot open '" + path + "': " + std::strerror(errno));
    return ErrnoStatus("opening", path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = ErrnoStatus("stat of", path, errno);
    ::close(fd);
    return s;
  }
  std::string out;
  size_t filled = 0;
  out.resize(static_cast<size_t>(st.st_size));
  char probe[4096];  // reads past the stated size: the file may have grown since fstat
  for (;;) {
    const bool full = filled == out.size();
    ssize_t n = full ? ::read(fd, probe, sizeof probe) : ::read(fd, out.data() + filled, out.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = ErrnoStatus("reading", path, errno);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    if (full) out.append(probe, static_cast<size_t>(n));
    filled += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(filled);
  return out;
}

Status CreateDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IOError("creating directory '" + path + "': " + ec.message());
  return Status::Ok();
}

bool PathExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

Status RemoveFileIfExists(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) return Status::IOError("removing '" + path + "': " + ec.message());
  return Status::Ok();
}

uint32_t Crc32(std::string_view data, uint32_t seed) {
  uLong crc = seed;
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  size_t left = data.size();
  while (left > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    left -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

Status RequireRegularFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  }
  // A device (/dev/zero), FIFO or socket never ends or blocks; a directory has no bytes.
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + " is not a regular file");
  return Status::Ok();
}

}  // namespace latentdb
