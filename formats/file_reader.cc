#include "formats/file_reader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace latentdb::formats {

FileReader::~FileReader() {
  if (file_) std::fclose(file_);
}

Status FileReader::Open(const std::string& path) {
  path_ = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("'" + path + "' does not exist");
    return Status::IOError("cannot stat '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("'" + path + "' is not a regular file");
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) return Status::IOError("cannot open '" + path + "': " + std::strerror(errno));
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  size_ = static_cast<uint64_t>(st.st_size);
  return Status::Ok();
}

Result<size_t> FileReader::Read(void* buf, size_t n) {
  size_t got = std::fread(buf, 1, n, file_);
  position_ += got;
  if (got < n && std::ferror(file_)) return Status::IOError("reading '" + path_ + "': " + std::strerror(errno));
  return got;
}

Status FileReader::Seek(uint64_t offset) {
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0) {
    return Status::IOError("seeking in '" + path_ + "': " + std::strerror(errno));
  }
  position_ = offset;
  return Status::Ok();
}

}  // namespace latentdb::formats
