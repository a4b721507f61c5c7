#include "ingest/npy_source.h"

#include "formats/file_reader.h"
#include "formats/npy.h"

namespace latentdb::ingest {
namespace {

class NpySource final : public Source {
 public:
  explicit NpySource(std::string path) : Source(std::move(path), Format::kNpy) {}

  Status Open() {
    LDB_RETURN_IF_ERROR(file_.Open(path_));
    total_bytes_ = file_.size();
    LDB_ASSIGN_OR_RETURN(matrix_, formats::ReadNpyMatrixHeader(file_, path_));
    rows_ = matrix_.rows;
    dim_ = matrix_.dim;
    if (rows_ < matrix_.declared_rows) {
      warning_ = path_ + ": truncated: the header declares " + std::to_string(matrix_.declared_rows) +
                 " rows, the file holds " + std::to_string(rows_) + " complete rows";
      truncated_row_ = rows_;
    }
    return Status::Ok();
  }

  size_t dim() const override { return dim_; }
  std::optional<uint64_t> total_records() const override { return rows_; }

  Result<bool> Read(size_t max_records, RecordBatch* batch) override {
    const size_t row_bytes = matrix_.row_bytes();
    const uint64_t n = std::min<uint64_t>(max_records, rows_ - row_);
    if (n > 0) {
      const size_t off = batch->bytes.size();
      batch->bytes.resize(off + n * row_bytes);
      LDB_ASSIGN_OR_RETURN(size_t got, file_.Read(batch->bytes.data() + off, n * row_bytes));
      if (got < n * row_bytes) return Status::IOError(path_ + ": file shrank while reading");
      for (uint64_t i = 0; i < n; ++i) batch->records.push_back({row_ + i, off + i * row_bytes, row_bytes});
      batch->bytes_consumed += got;
      row_ += n;
    }
    if (row_ >= rows_) {
      if (truncated_row_ && !reported_) {
        reported_ = true;
        batch->bad.push_back({*truncated_row_, "short record: the file ends inside this row (truncated)"});
      }
      return false;
    }
    return true;
  }

  Status Decode(std::string_view record, uint64_t, DecodedRecord* out) const override {
    out->vector.resize(dim_);
    formats::DecodeNpyRow(matrix_, record.data(), out->vector.data());
    return Status::Ok();
  }

 private:
  formats::FileReader file_;
  formats::NpyMatrix matrix_;
  uint64_t rows_ = 0, dim_ = 0, row_ = 0;
  std::optional<uint64_t> truncated_row_;
  bool reported_ = false;
};

}  // namespace

Result<std::unique_ptr<Source>> OpenNpySource(const std::string& path) {
  auto s = std::make_unique<NpySource>(path);
  LDB_RETURN_IF_ERROR(s->Open());
  return std::unique_ptr<Source>(std::move(s));
}

}  // namespace latentdb::ingest
