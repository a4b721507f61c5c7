#include "index/code_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <random>
#include <string_view>

#include "common/file_util.h"

namespace latentdb::index {
namespace {

constexpr size_t kMinReserve = size_t{1} << 20;  // bytes; then 1.5× per step

std::string DirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

std::string BaseOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

size_t RoundToPages(size_t bytes) {
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

CodeFile::CodeFile(std::string path, int fd, size_t code_size) : path_(std::move(path)), fd_(fd), code_size_(code_size) {}

CodeFile::~CodeFile() {
  if (base_) ::munmap(base_, mapped_);
  if (fd_ >= 0) ::close(fd_);
}

std::string CodeFile::name() const { return fd_ < 0 ? std::string() : BaseOf(path_); }

std::unique_ptr<CodeFile> CodeFile::CreateAnonymous(size_t code_size) {
  return std::unique_ptr<CodeFile>(new CodeFile("anonymous code rows", -1, code_size == 0 ? 1 : code_size));
}

Result<std::unique_ptr<CodeFile>> CodeFile::Create(const std::string& path, size_t code_size) {
  if (code_size == 0) return Status::InvalidArgument("code size must be positive");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("creating code file", path, errno);
  return std::unique_ptr<CodeFile>(new CodeFile(path, fd, code_size));
}

Result<std::unique_ptr<CodeFile>> CodeFile::Open(const std::string& path, size_t code_size, size_t rows, uint32_t crc) {
  if (code_size == 0) return Status::InvalidArgument("code size must be positive");
  LDB_RETURN_IF_ERROR(RequireRegularFile(path));
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("opening code file '" + path + "': " + std::strerror(errno));
    return ErrnoStatus("opening code file", path, errno);
  }
  std::unique_ptr<CodeFile> file(new CodeFile(path, fd, code_size));
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus("stat of code file", path, errno);
  const auto size = static_cast<size_t>(st.st_size);
  if (rows > size / code_size) {
    return Status::Corruption("code file '" + path + "' holds " + std::to_string(size / code_size) +
                              " rows, its index file " + std::to_string(rows));
  }
  if (size > 0) LDB_RETURN_IF_ERROR(file->Map(size));
  file->rows_ = rows;
  file->crc_ = Crc32(std::string_view(reinterpret_cast<const char*>(file->base_), rows * code_size));
  if (file->crc_ != crc) return Status::Corruption("code file '" + path + "': checksum mismatch");
  return file;
}

Status CodeFile::Map(size_t bytes) {
  const bool anonymous = fd_ < 0;
  void* p = base_       ? ::mremap(base_, mapped_, bytes, MREMAP_MAYMOVE)
            : anonymous ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                        : ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) return ErrnoStatus("mapping", path_, errno);
  base_ = static_cast<uint8_t*>(p);
  mapped_ = bytes;
  // A file: the graph walk reads rows in no order, and read-ahead would fetch pages it never uses.
  // Memory: 2 MiB pages where the kernel offers them (fewer TLB misses on the same random reads).
  (void)::madvise(base_, mapped_, anonymous ? MADV_HUGEPAGE : MADV_RANDOM);
  return Status::Ok();
}

Status CodeFile::Reserve(size_t rows) {
  if (rows > (SIZE_MAX / 2) / code_size_) return Status::InvalidArgument("too many rows for a code file");
  const size_t need = rows * code_size_;
  if (need <= mapped_) return Status::Ok();
  const size_t bytes = RoundToPages(std::max({need, mapped_ + mapped_ / 2, kMinReserve}));
  if (fd_ < 0) return Map(bytes);
  // Allocated, not just sized: a store into a hole of a full disk would be a SIGBUS.
  if (const int err = ::posix_fallocate(fd_, 0, static_cast<off_t>(bytes)); err != 0) {
    if (bytes > need) {  // the growth margin may not fit where the rows themselves do
      const size_t exact = RoundToPages(need);
      if (::posix_fallocate(fd_, 0, static_cast<off_t>(exact)) == 0) return Map(exact);
    }
    return ErrnoStatus("allocating room in code file", path_, err);
  }
  return Map(bytes);
}

Status CodeFile::Append(const uint8_t* codes, size_t n) {
  const size_t bytes = n * code_size_;
  if ((rows_ + n) * code_size_ > mapped_) return Status::Internal("code file '" + path_ + "': append without reserved room");
  if (bytes == 0) return Status::Ok();
  std::memcpy(base_ + rows_ * code_size_, codes, bytes);
  crc_ = Crc32(std::string_view(reinterpret_cast<const char*>(codes), bytes), crc_);
  rows_ += n;
  return Status::Ok();
}

Status CodeFile::Sync() {
  if (fd_ < 0) return Status::Ok();
  if (base_ && rows_ > 0 && ::msync(base_, RoundToPages(rows_ * code_size_), MS_SYNC) != 0) {
    return ErrnoStatus("writing code file", path_, errno);
  }
  if (::fdatasync(fd_) != 0) return ErrnoStatus("syncing code file", path_, errno);
  if (!dir_synced_) {
    LDB_RETURN_IF_ERROR(FsyncDirectoryOf(path_));
    dir_synced_ = true;
  }
  return Status::Ok();
}

std::string CodeFilePath(const std::string& prefix, const std::string& name) { return DirOf(prefix) + "/" + name; }

std::string NewCodeFileName(const std::string& prefix) {
  std::random_device rd;
  const uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(r));
  return prefix + "." + hex + ".codes";
}

bool IsCodeFileName(const std::string& prefix, const std::string& name) {
  const std::string base = BaseOf(prefix) + ".";
  constexpr std::string_view kSuffix = ".codes";
  if (name.size() != base.size() + 16 + kSuffix.size() || name.compare(0, base.size(), base) != 0 ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return false;
  }
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(base.size()),
                     name.begin() + static_cast<std::ptrdiff_t>(base.size() + 16),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status RemoveStaleCodeFiles(const std::string& prefix, const std::vector<std::string>& keep) {
  const std::string dir = DirOf(prefix);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return errno == ENOENT ? Status::Ok() : ErrnoStatus("listing directory", dir, errno);
  Status result;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (!IsCodeFileName(prefix, name) || std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    const std::string path = CodeFilePath(prefix, name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT && result.ok()) result = ErrnoStatus("removing", path, errno);
  }
  ::closedir(d);
  return result;
}

}  // namespace latentdb::index
