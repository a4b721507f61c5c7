#pragma once
// The units that flow through the ingest pipeline.
//
//   Source::Read   -> RecordBatch  (raw bytes of records, cut by the reader thread)
//   Source::Decode -> DecodedRecord (a vector, or raw text/image bytes that an encoder must turn
//                                    into a vector, plus payload and an optional id field)
//   pipeline       -> Item          (id assigned, vector validated, ready for a Sink)

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/external_id.h"

namespace latentdb::ingest {

// One record as the reader cut it: bytes [offset, offset + size) of RecordBatch::bytes.
struct RecordRef {
  uint64_t row = 0;  // 0-based position of the record in its source (the default id)
  size_t offset = 0;
  size_t size = 0;
};

// A record the reader already knows is bad (e.g. a short last record of a truncated file).
struct BadRecord {
  uint64_t row = 0;
  std::string reason;  // "category: detail"
};

struct RecordBatch {
  size_t source = 0;  // index of the source in the pipeline's list
  std::string bytes;
  std::vector<RecordRef> records;
  std::vector<BadRecord> bad;
  uint64_t bytes_consumed = 0;  // source bytes this batch covers (for progress)

  std::string_view record(const RecordRef& r) const { return std::string_view(bytes).substr(r.offset, r.size); }
  void Clear() {
    bytes.clear();
    records.clear();
    bad.clear();
    bytes_consumed = 0;
  }
};

// Input that still needs an encoder (text line, image file bytes).
struct RawInput {
  enum class Kind { kNone, kText, kImage };
  Kind kind = Kind::kNone;
  std::string bytes;
  // kImage only: when width > 0, `bytes` holds width × height × channels raw 8-bit pixels
  // (row-major, channels interleaved) instead of an image file — an IDX record, for instance.
  int width = 0;
  int height = 0;
  int channels = 0;
};

struct DecodedRecord {
  std::vector<float> vector;                // empty when raw.kind != kNone
  nlohmann::json payload;                   // object or null
  std::optional<engine::ExternalId> field_id;  // set when the id comes from a field (--id-from field:NAME)
  std::optional<std::string> path;          // per-record path for --id-from path (image folders)
  RawInput raw;

  bool needs_encoding() const { return raw.kind != RawInput::Kind::kNone; }
};

// A validated point on its way to the sink: a vector, or — when the server encodes (online with
// an encoder) — the raw input, sent as "text" / "image" (base64) for the server's model.
struct Item {
  engine::ExternalId id;
  std::vector<float> vector;
  RawInput raw;            // kNone unless the server encodes
  nlohmann::json payload;  // object or null
  std::string wire;        // the sink's pre-serialized form (filled by Sink::Prepare on a worker)
  size_t source = 0;
  uint64_t row = 0;
};

}  // namespace latentdb::ingest
