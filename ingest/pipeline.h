#pragma once
// RunIngest: the bounded ingest pipeline.
//
//   reader thread ──RecordBatch──▶ [queue] ──▶ N decode workers ──Item batch──▶ [queue] ──▶ writer
//   (Source::Read: cut records)              (Source::Decode, encoder hook,       (the calling
//                                             id, validation, Sink::Prepare)       thread: Sink::Write)
//
// Both queues hold at most 2×threads batches, so memory is bounded by batch size × threads,
// whatever the size of the sources. Items reach the writer in no particular order; that is fine
// because every item has a stable id and a write is an upsert: a run killed at any point and run
// again ends with exactly the source's items.
//
// Ids (--id-from):
//   line        the record's row (see source.h) as an unsigned integer id with one source; with
//               several sources, the string "<file name>:<row>" (file names must then differ)
//   path        image folders: the file's path relative to the folder ("cat/001.png"; with several
//               sources "<folder name>/<relative path>"); other sources: "<file name>:<row>"
//   field:NAME  the JSONL field / CSV column NAME (unsigned integer, or string)
//
// Bad items — undecodable records, wrong dimension, NaN/Inf, payloads that are not objects or not
// UTF-8, items the sink refuses — are skipped and counted with their reasons; a batch the sink
// refuses is split in halves until the bad item is found, so one bad item never costs its
// neighbours. Only a sink failure (I/O, server unreachable after retries, auth) stops the run.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/collection_config.h"
#include "ingest/encoder_hook.h"
#include "ingest/ingest_stats.h"
#include "ingest/progress.h"
#include "ingest/sink.h"
#include "ingest/source.h"

namespace latentdb::ingest {

struct IdRule {
  enum class Kind { kLine, kPath, kField };
  Kind kind = Kind::kLine;
  std::string field;  // kField
};
// "line", "path" or "field:NAME".
Result<IdRule> ParseIdRule(const std::string& text);

struct SourceSpec {
  std::string path;
  Format format = Format::kFvecs;
};

struct PipelineOptions {
  std::string collection;
  engine::CollectionConfig wanted;          // metric, index, … for a new collection; dim comes from the data
  bool metric_given = false;        // warn when an existing collection differs
  bool index_given = false;
  size_t batch = 1000;              // items per write
  int threads = 2;                  // decode workers
  IdRule id_rule;
  bool resume = false;              // skip ids already stored
  // Records with raw input (text, image bytes) need a model: either `encoder`, which encodes them
  // on the workers (offline), or `server_encoder`, a model the server encodes with (online): such
  // records are sent raw ("text" / base64 "image") and the collection must be bound to that model.
  // The collection's dimension comes from the model when it is created.
  const ItemEncoder* encoder = nullptr;
  std::optional<EncoderInfo> server_encoder;
  bool show_progress = true;
  ProgressOptions progress;         // total_items/total_bytes are filled in from the sources
};

struct IngestReport {
  std::string sink;          // Sink::Describe()
  std::string collection;
  engine::CollectionConfig config;   // of the collection written
  bool created = false;
  size_t sources_opened = 0;
  std::vector<std::string> warnings;  // file-level notes (truncated files, config mismatches)
  uint64_t read = 0, stored = 0, already_stored = 0, skipped = 0;
  std::map<std::string, uint64_t> skip_counts;
  std::vector<std::string> first_skips;
  size_t points_after = 0;
  uint64_t retries = 0;      // requests the sink sent again (online)
  double seconds = 0;
  Status error;  // a fatal error that stopped the run (OK when it ran to the end)
};

// Opens the sources, ensures the collection, runs the pipeline to the end. The sink must be
// Open()ed. A non-OK Result means nothing was written (bad options, no readable source, no
// dimension); a run that started returns a report, with `error` set if it was stopped.
Result<IngestReport> RunIngest(const std::vector<SourceSpec>& specs, const SourceOptions& source_options, Sink* sink,
                               const PipelineOptions& options);

// The end-of-run summary, several lines.
std::string FormatSummary(const IngestReport& report);

}  // namespace latentdb::ingest
