#include "ingest/image_folder_source.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "formats/file_reader.h"

namespace latentdb::ingest {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxImageBytes = uint64_t{64} << 20;

struct ImageFile {
  std::string rel;  // '/'-separated, relative to the folder
  uint64_t size = 0;
};

class ImageFolderSource final : public Source {
 public:
  ImageFolderSource(std::string path, std::vector<ImageFile> files)
      : Source(std::move(path), Format::kImageFolder), files_(std::move(files)) {
    for (const auto& f : files_) total_bytes_ += f.size;
  }

  size_t dim() const override { return 0; }
  std::optional<uint64_t> total_records() const override { return files_.size(); }
  std::string RecordName(uint64_t row) const override {
    return row < files_.size() ? files_[row].rel : Source::RecordName(row);
  }

  Result<bool> Read(size_t max_records, RecordBatch* batch) override {
    for (size_t n = 0; n < max_records && next_ < files_.size(); ++n, ++next_) {
      const ImageFile& f = files_[next_];
      batch->bytes_consumed += f.size;
      std::string why;
      const size_t offset = batch->bytes.size();
      if (ReadFile(f, &batch->bytes, &why)) {
        batch->records.push_back({next_, offset, batch->bytes.size() - offset});
      } else {
        batch->bytes.resize(offset);
        batch->bad.push_back({next_, "unreadable file: " + f.rel + ": " + why});
      }
    }
    return next_ < files_.size();
  }

  Status Decode(std::string_view record, uint64_t row, DecodedRecord* out) const override {
    if (row >= files_.size()) return Status::Internal("image folder row out of range");
    const std::string& rel = files_[row].rel;
    out->raw.kind = RawInput::Kind::kImage;
    out->raw.bytes.assign(record.data(), record.size());
    out->path = rel;
    out->payload = nlohmann::json::object();
    if (const size_t slash = rel.find('/'); slash != std::string::npos) out->payload["label"] = rel.substr(0, slash);
    out->payload["path"] = rel;
    return Status::Ok();
  }

 private:
  bool ReadFile(const ImageFile& f, std::string* bytes, std::string* why) const {
    formats::FileReader r;
    Status s = r.Open(path_ + "/" + f.rel);
    if (!s.ok()) {
      *why = s.message();
      return false;
    }
    if (r.size() == 0) {
      *why = "empty file";
      return false;
    }
    if (r.size() > kMaxImageBytes) {
      *why = "larger than 64 MiB";
      return false;
    }
    const size_t offset = bytes->size();
    bytes->resize(offset + r.size());
    auto n = r.Read(bytes->data() + offset, r.size());
    if (!n.ok()) {
      *why = n.status().message();
      return false;
    }
    bytes->resize(offset + *n);  // a file that shrank meanwhile: what is there
    return true;
  }

  std::vector<ImageFile> files_;
  uint64_t next_ = 0;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

bool HasImageExtension(const std::string& name) {
  const std::string lower = Lower(name);
  for (const char* ext : {".png", ".jpg", ".jpeg", ".bmp", ".gif"}) {
    const size_t n = std::char_traits<char>::length(ext);
    if (lower.size() > n && lower.compare(lower.size() - n, n, ext) == 0) return true;
  }
  return false;
}

Result<std::unique_ptr<Source>> OpenImageFolderSource(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return Status::NotFound("image folder '" + path + "' is not a directory");
  const fs::path root(path);
  std::vector<ImageFile> files;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Status::IOError("cannot list '" + path + "': " + ec.message());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return Status::IOError("cannot list '" + path + "': " + ec.message());
    std::error_code fec;
    if (!it->is_regular_file(fec) || !HasImageExtension(it->path().filename().string())) continue;
    ImageFile f;
    f.rel = it->path().lexically_relative(root).generic_string();
    f.size = it->file_size(fec);
    if (fec) f.size = 0;
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(), [](const ImageFile& a, const ImageFile& b) { return a.rel < b.rel; });
  return std::unique_ptr<Source>(new ImageFolderSource(path, std::move(files)));
}

}  // namespace latentdb::ingest
