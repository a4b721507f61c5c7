#include "ingest/idx_source.h"

#include <sys/stat.h>

#include <cstring>

#include "formats/idx.h"

namespace latentdb::ingest {
namespace {

class IdxSource final : public Source {
 public:
  IdxSource(std::string path, formats::IdxImages images, std::vector<uint8_t> labels, std::string warning, bool as_images)
      : Source(std::move(path), Format::kIdx), images_(std::move(images)), labels_(std::move(labels)), as_images_(as_images) {
    total_bytes_ = images_.pixels.size();
    warning_ = std::move(warning);
  }

  size_t dim() const override { return as_images_ ? 0 : images_.image_size(); }
  std::optional<uint64_t> total_records() const override { return images_.count; }

  Result<bool> Read(size_t max_records, RecordBatch* batch) override {
    const size_t d = images_.image_size();
    const size_t n = std::min(max_records, images_.count - next_);
    const size_t off = batch->bytes.size();
    // Record layout: the pixels, then one label byte when the image has a label.
    for (size_t i = 0; i < n; ++i) {
      const size_t row = next_ + i;
      const size_t start = batch->bytes.size();
      batch->bytes.append(reinterpret_cast<const char*>(images_.image(row)), d);
      if (row < labels_.size()) batch->bytes.push_back(static_cast<char>(labels_[row]));
      batch->records.push_back({row, start, batch->bytes.size() - start});
    }
    batch->bytes_consumed += batch->bytes.size() - off;
    next_ += n;
    return next_ < images_.count;
  }

  Status Decode(std::string_view record, uint64_t, DecodedRecord* out) const override {
    const size_t d = images_.image_size();
    const auto* p = reinterpret_cast<const unsigned char*>(record.data());
    if (record.size() > d) out->payload = nlohmann::json{{"label", static_cast<int>(p[d])}};
    if (as_images_) {
      out->raw.kind = RawInput::Kind::kImage;
      out->raw.bytes.assign(record.data(), d);
      out->raw.width = static_cast<int>(images_.cols);
      out->raw.height = static_cast<int>(images_.rows);
      out->raw.channels = 1;
      return Status::Ok();
    }
    out->vector.resize(d);
    for (size_t i = 0; i < d; ++i) out->vector[i] = static_cast<float>(p[i]);
    if (record.size() > d) out->payload = nlohmann::json{{"label", static_cast<int>(p[d])}};
    return Status::Ok();
  }

 private:
  formats::IdxImages images_;
  std::vector<uint8_t> labels_;
  bool as_images_ = false;
  size_t next_ = 0;
};

bool IsFile(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string SiblingLabelsPath(const std::string& images_path) {
  const size_t slash = images_path.rfind('/');
  const size_t base = slash == std::string::npos ? 0 : slash + 1;
  size_t p = images_path.find("images-idx3", base);
  if (p == std::string::npos) return "";
  std::string candidate = images_path;
  candidate.replace(p, std::strlen("images-idx3"), "labels-idx1");
  if (IsFile(candidate)) return candidate;
  // A compressed images file may sit beside an uncompressed labels file and vice versa.
  const std::string gz = ".gz";
  if (candidate.size() > gz.size() && candidate.compare(candidate.size() - gz.size(), gz.size(), gz) == 0) {
    candidate.resize(candidate.size() - gz.size());
  } else {
    candidate += gz;
  }
  return IsFile(candidate) ? candidate : "";
}

Result<std::unique_ptr<Source>> OpenIdxSource(const std::string& path, const std::string& labels_path, bool as_images) {
  auto images = formats::ReadIdxImages(path);
  if (!images.ok()) return images.status();
  std::vector<uint8_t> labels;
  std::string warning;
  const std::string lp = labels_path.empty() ? SiblingLabelsPath(path) : labels_path;
  if (!lp.empty()) {
    auto l = formats::ReadIdxLabels(lp);
    if (!l.ok()) return Status(l.status().code(), "labels for " + path + ": " + l.status().message());
    labels = std::move(*l);
    if (labels.size() != images->count) {
      warning = lp + " has " + std::to_string(labels.size()) + " labels for " + std::to_string(images->count) + " images";
    }
  }
  auto s = std::make_unique<IdxSource>(path, std::move(*images), std::move(labels), std::move(warning), as_images);
  return std::unique_ptr<Source>(std::move(s));
}

}  // namespace latentdb::ingest
