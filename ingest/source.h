#pragma once
// Source: one input file (or folder) of the ingest tool, read as a stream of records.
//
// The reader thread calls Read() to cut the file into RecordBatches (cheap: copying bytes);
// worker threads call Decode() on each record (the expensive part: parsing JSON/CSV text,
// converting numbers). Decode() is const and thread-safe; Read() is called by one thread only.
//
// Rows: every record has a 0-based row, its position in the file — the record index for
// fvecs/bvecs/ivecs/npy/IDX, the line index for JSONL and text (line number − 1; blank lines keep
// their number but produce nothing), the data-row index for CSV (the header is not a row). The row
// is the default point id, so it must not depend on anything but the file's content.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/item.h"

namespace latentdb::ingest {

enum class Format { kFvecs, kBvecs, kIvecs, kNpy, kJsonl, kCsv, kIdx, kText, kImageFolder };

const char* FormatName(Format f);
// "fvecs", "bvecs", "ivecs", "npy", "jsonl", "csv", "idx", "text", "images".
Result<Format> ParseFormat(const std::string& name);
// From the extension (".fvecs", ".jsonl"/".ndjson", ".csv", ".npy", ".txt", "…-idx3-ubyte[.gz]",
// ".idx[.gz]") or, for a directory, kImageFolder. UnsupportedMedia when nothing matches.
Result<Format> DetectFormat(const std::string& path);

// How to read fields out of JSONL and CSV records (ignored by the binary formats).
struct SourceOptions {
  std::optional<std::string> id_field;     // --id-from field:NAME
  std::string vector_field = "vector";     // JSONL: the field holding the vector
  std::string payload_field = "payload";   // JSONL: the field holding the payload object
  std::string text_field = "text";         // JSONL: raw text for an encoder, used when a line has no vector
  std::string image_field = "image";       // JSONL: an image file path (relative to the JSONL file) for an encoder
  std::vector<std::string> payload_fields; // --payload-field a,b (JSONL: top-level fields; CSV: columns); "*" = all others
  std::string vector_prefix;               // CSV: vector columns are those whose name starts with it
  std::string labels_path;                 // IDX: a labels file ("" = look for the sibling *-labels-idx1-ubyte[.gz])
  bool idx_as_images = false;              // IDX: hand each image to an image encoder instead of reading its pixels as a vector
};

class Source {
 public:
  virtual ~Source() = default;

  const std::string& path() const { return path_; }
  Format format() const { return format_; }
  // Vector dimension of the records, known from the header or the first record; 0 when the
  // records carry no vector (they need an encoder) or none was found.
  virtual size_t dim() const = 0;
  // Number of records, when the format says so up front.
  virtual std::optional<uint64_t> total_records() const { return std::nullopt; }
  uint64_t total_bytes() const { return total_bytes_; }
  // A problem found when opening that does not stop reading (e.g. a truncated file whose complete
  // records are still read); "" when none.
  const std::string& warning() const { return warning_; }
  // How messages name a record: "row N", or, for an image folder, the file's relative path.
  virtual std::string RecordName(uint64_t row) const { return "row " + std::to_string(row); }

  // Appends up to `max_records` records to `batch`. Returns false when the source is exhausted.
  // An error means the rest of the file cannot be read (corrupt framing, I/O error); what was
  // appended before it is valid.
  virtual Result<bool> Read(size_t max_records, RecordBatch* batch) = 0;

  // Turns one record into a vector (or raw input) with payload. A non-OK Status is the reason the
  // record is skipped, "category: detail" (e.g. "bad JSON: …"). Thread-safe.
  virtual Status Decode(std::string_view record, uint64_t row, DecodedRecord* out) const = 0;

 protected:
  Source(std::string path, Format format) : path_(std::move(path)), format_(format) {}
  std::string path_;
  Format format_;
  uint64_t total_bytes_ = 0;
  std::string warning_;
};

// Opens `path` as `format`: reads the header (and, for JSONL/CSV, looks ahead for the dimension).
// Errors: NotFound/IOError (cannot open), UnsupportedMedia (a layout we do not read, e.g. npy
// float64), Corruption (a damaged header), InvalidArgument (options that do not fit the file).
Result<std::unique_ptr<Source>> OpenSource(const std::string& path, Format format, const SourceOptions& options);

}  // namespace latentdb::ingest
