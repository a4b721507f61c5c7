#include "ingest/vecs_source.h"

#include "formats/vecs.h"

namespace latentdb::ingest {
namespace {

class VecsSource final : public Source {
 public:
  VecsSource(std::string path, Format format) : Source(std::move(path), format) {
    element_ = format == Format::kBvecs   ? formats::VecsElement::kUint8
               : format == Format::kIvecs ? formats::VecsElement::kInt32
                                          : formats::VecsElement::kFloat32;
    elem_size_ = formats::VecsElementSize(element_);
  }

  Status Open() {
    LDB_RETURN_IF_ERROR(file_.Open(path_));
    total_bytes_ = file_.size();
    if (file_.size() == 0) return Status::Ok();  // empty: no records
    int32_t d = 0;
    LDB_ASSIGN_OR_RETURN(size_t got, file_.Read(&d, 4));
    if (got < 4) return Status::Corruption(path_ + ": file is shorter than one record header");
    if (d <= 0 || d > formats::kMaxVecsDim) {
      return Status::Corruption(path_ + ": first record has dimension " + std::to_string(d) + " (not a " +
                                FormatName(format_) + " file?)");
    }
    dim_ = static_cast<size_t>(d);
    const uint64_t rec = 4 + dim_ * elem_size_;
    total_ = file_.size() / rec;
    if (file_.size() % rec != 0) {
      warning_ = path_ + ": size " + std::to_string(file_.size()) + " is not a multiple of the record size " +
                 std::to_string(rec) + " (truncated or mixed dimensions)";
    }
    return file_.Seek(0);
  }

  size_t dim() const override { return dim_; }
  std::optional<uint64_t> total_records() const override { return total_; }

  Result<bool> Read(size_t max_records, RecordBatch* batch) override {
    for (size_t n = 0; n < max_records; ++n) {
      if (done_) return false;
      const uint64_t start = file_.position();
      int32_t d = 0;
      LDB_ASSIGN_OR_RETURN(size_t got, file_.Read(&d, 4));
      if (got == 0) {
        done_ = true;
        return false;
      }
      if (got < 4) {
        done_ = true;
        batch->bad.push_back({row_, "short record: the file ends inside the record header (truncated)"});
        batch->bytes_consumed += got;
        return false;
      }
      if (d <= 0 || d > formats::kMaxVecsDim) {
        done_ = true;
        return Status::Corruption("record " + std::to_string(row_) + " at byte " + std::to_string(start) +
                                  " has dimension field " + std::to_string(d) + "; the rest of the file is unreadable");
      }
      const size_t want = static_cast<size_t>(d) * elem_size_;
      const size_t off = batch->bytes.size();
      batch->bytes.resize(off + want);
      LDB_ASSIGN_OR_RETURN(size_t body, file_.Read(batch->bytes.data() + off, want));
      batch->bytes_consumed += 4 + body;
      if (body < want) {
        batch->bytes.resize(off);
        done_ = true;
        batch->bad.push_back({row_, "short record: " + std::to_string(body) + " of " + std::to_string(want) +
                                        " bytes before the end of the file (truncated)"});
        return false;
      }
      batch->records.push_back({row_, off, want});
      ++row_;
    }
    return true;
  }

  Status Decode(std::string_view record, uint64_t /*row*/, DecodedRecord* out) const override {
    const size_t d = record.size() / elem_size_;
    out->vector.resize(d);
    formats::DecodeVecsRecord(element_, record.data(), d, out->vector.data());
    return Status::Ok();
  }

 private:
  formats::FileReader file_;
  formats::VecsElement element_;
  size_t elem_size_ = 4;
  size_t dim_ = 0;
  uint64_t total_ = 0;
  uint64_t row_ = 0;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<Source>> OpenVecsSource(const std::string& path, Format format) {
  auto s = std::make_unique<VecsSource>(path, format);
  LDB_RETURN_IF_ERROR(s->Open());
  return std::unique_ptr<Source>(std::move(s));
}

}  // namespace latentdb::ingest
