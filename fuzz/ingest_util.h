#pragma once
// Shared by the ingest fuzz targets: reads a source to its end the way the ingest pipeline does
// (Read in batches on one thread, Decode on each record) and checks what every source promises.

#include <memory>

#include "ingest/source.h"
#include "fuzz/fuzz_util.h"

namespace latentdb::fuzz {

// Properties: rows increase; records lie inside their batch; payloads are objects or null;
// reading stops (a source that keeps producing empty batches would hang). The dimension and
// finiteness of decoded vectors are not the source's job: the pipeline checks them per record.
inline void DrainSource(ingest::Source& source) {
  using ingest::DecodedRecord;
  using ingest::RecordBatch;
  RecordBatch batch;
  bool first = true;
  uint64_t last_row = 0;
  for (int round = 0; round < 100000; ++round) {
    batch.Clear();
    auto more = source.Read(64, &batch);
    for (const auto& ref : batch.records) {
      Check(first || ref.row > last_row, "rows increase");
      first = false;
      last_row = ref.row;
      Check(ref.offset + ref.size <= batch.bytes.size(), "records lie inside the batch");
      DecodedRecord out;
      Status st = source.Decode(batch.record(ref), ref.row, &out);
      if (!st.ok()) {
        Check(!st.message().empty(), "a skipped record has a reason");
        continue;
      }
      Check(out.payload.is_null() || out.payload.is_object(), "payloads are objects or null");
    }
    if (!more.ok() || !*more) return;
  }
  Check(false, "a source ends");
}

}  // namespace latentdb::fuzz
