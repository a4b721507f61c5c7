#include "common/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "common/file_util.h"

namespace latentdb {
namespace {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;
using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

std::string ArchiveError(archive* a) {
  const char* text = archive_error_string(a);
  return text ? text : "unknown libarchive error";
}

// A libarchive error as a Status: ENOSPC/EDQUOT become NoSpace (one policy, common/file_util.h).
Status WriteError(archive* a, const std::string& what, const std::string& path) {
  const int err = archive_errno(a);
  if (err == ENOSPC || err == EDQUOT) return ErrnoStatus(what, path, err);
  return Status::IOError(what + " " + path + ": " + ArchiveError(a));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Status WriteAllFd(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("writing", path, errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status WriteEntries(archive* a, const std::string& path, const std::vector<TarEntry>& entries) {
  std::vector<char> buf(1 << 20);
  for (const TarEntry& e : entries) {
    Fd in(::open(e.source_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) return ErrnoStatus("opening", e.source_path, errno);
    struct stat st {};
    if (::fstat(in.get(), &st) != 0) return ErrnoStatus("reading", e.source_path, errno);
    if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(e.source_path + " is not a regular file");
    EntryPtr entry(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_size(entry.get(), st.st_size);
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), st.st_mtime, 0);
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) return WriteError(a, "writing", path);
    int64_t left = st.st_size;
    while (left > 0) {
      const ssize_t r = ::read(in.get(), buf.data(), buf.size());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoStatus("reading", e.source_path, errno);
      if (r == 0) return Status::IOError(e.source_path + " shrank while it was archived");
      const la_ssize_t w = archive_write_data(a, buf.data(), static_cast<size_t>(r));
      if (w != r) return WriteError(a, "writing", path);
      left -= r;
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsSafeArchiveName(std::string_view name) {
  if (name.empty() || name.size() > 1024) return false;
  size_t start = 0;
  while (start <= name.size()) {
    const size_t slash = name.find('/', start);
    const std::string_view part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

Status WriteTar(const std::string& path, const std::vector<TarEntry>& entries) {
  for (const TarEntry& e : entries) {
    if (!IsSafeArchiveName(e.name)) return Status::InvalidArgument("unsafe archive entry name '" + e.name + "'");
  }
  // libarchive writes to a descriptor we own, so that the archive can be fsynced before it is
  // named done (the caller renames it into place).
  Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) return ErrnoStatus("creating", path, errno);
  Status status;
  {
    ArchivePtr a(archive_write_new(), &archive_write_free);
    archive_write_set_format_pax_restricted(a.get());
    archive_write_set_bytes_in_last_block(a.get(), 1);  // no padding past the end-of-archive blocks
    if (archive_write_open_fd(a.get(), out.get()) != ARCHIVE_OK) {
      status = WriteError(a.get(), "creating", path);
    } else {
      status = WriteEntries(a.get(), path, entries);
      if (archive_write_close(a.get()) != ARCHIVE_OK && status.ok()) status = WriteError(a.get(), "finishing", path);
    }
  }
  if (status.ok() && ::fsync(out.get()) != 0) status = ErrnoStatus("syncing", path, errno);
  if (!status.ok()) {
    ::unlink(path.c_str());
    return status;
  }
  if (::close(out.release()) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return ErrnoStatus("closing", path, err);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ExtractTar(const std::string& path, const std::string& dir, size_t max_entries) {
  ArchivePtr a(archive_read_new(), &archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK) {
    const int err = archive_errno(a.get());
    if (err == ENOENT) return Status::NotFound("no snapshot file " + path);
    return Status::Corruption(path + " is not a tar archive: " + ArchiveError(a.get()));
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  std::vector<char> buf(1 << 20);
  for (;;) {
    archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) return Status::Corruption(path + " is not a readable tar archive: " + ArchiveError(a.get()));
    const char* raw_name = archive_entry_pathname(entry);
    const std::string name = raw_name ? raw_name : "";
    if (!IsSafeArchiveName(name)) return Status::Corruption(path + " holds an entry with an unsafe name '" + name + "'");
    if (archive_entry_filetype(entry) != AE_IFREG) {
      return Status::Corruption(path + " holds '" + name + "', which is not a regular file");
    }
    if (!seen.insert(name).second) return Status::Corruption(path + " holds '" + name + "' twice");
    if (seen.size() > max_entries) return Status::Corruption(path + " holds more than " + std::to_string(max_entries) + " files");
    const std::string target = dir + "/" + name;
    if (const size_t slash = name.rfind('/'); slash != std::string::npos) {
      LDB_RETURN_IF_ERROR(CreateDirectories(dir + "/" + name.substr(0, slash)));
    }
    Fd out(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (out.get() < 0) return ErrnoStatus("creating", target, errno);
    for (;;) {
      const la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) return Status::Corruption(path + " is truncated or damaged in '" + name + "': " + ArchiveError(a.get()));
      LDB_RETURN_IF_ERROR(WriteAllFd(out.get(), buf.data(), static_cast<size_t>(n), target));
    }
    names.push_back(name);
  }
  return names;
}

}  // namespace latentdb
