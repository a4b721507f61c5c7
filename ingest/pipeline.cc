#include "ingest/pipeline.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <thread>

#include "ingest/bounded_queue.h"
#include "index/distance.h"

namespace latentdb::ingest {
namespace {

std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// Everything the worker threads share, read-only while they run.
struct RunContext {
  std::vector<std::unique_ptr<Source>> sources;
  std::vector<std::string> labels;  // per source: the file name used in ids and messages
  size_t dim = 0;
  bool multi = false;
  bool resume = false;  // --resume on a collection that existed before the run
  const PipelineOptions* options = nullptr;
  Sink* sink = nullptr;
  IngestStats* stats = nullptr;

  std::string Where(size_t source, uint64_t row) const { return labels[source] + " " + sources[source]->RecordName(row); }
  // The kind of raw input the run can turn into points (kNone: none).
  RawInput::Kind Encodes() const {
    if (options->encoder) return options->encoder->Accepts(RawInput::Kind::kText) ? RawInput::Kind::kText : RawInput::Kind::kImage;
    if (options->server_encoder) return options->server_encoder->input;
    return RawInput::Kind::kNone;
  }
};

// Checks a decoded vector and payload against the collection. "category: detail" on failure.
Status Validate(const RunContext& ctx, const DecodedRecord& rec) {
  const std::vector<float>& v = rec.vector;
  const nlohmann::json& payload = rec.payload;
  if (!rec.needs_encoding() && v.size() != ctx.dim) {
    return Status::InvalidArgument("wrong dimension: " + std::to_string(v.size()) + ", the collection has " +
                                   std::to_string(ctx.dim));
  }
  if (const size_t i = index::FirstNonFinite(v.data(), v.size()); i != v.size()) {
    return Status::InvalidArgument("NaN/Inf: element " + std::to_string(i) + " is not finite");
  }
  if (!payload.is_null() && !payload.is_object()) return Status::InvalidArgument("bad payload: not a JSON object");
  if (!payload.is_null()) {
    try {
      (void)payload.dump();  // throws on invalid UTF-8, which the store would refuse later
    } catch (const std::exception&) {
      return Status::InvalidArgument("bad payload: strings are not valid UTF-8");
    }
  }
  return Status::Ok();
}

// The item's id under --id-from; false when the record lacks the id field.
bool MakeId(const RunContext& ctx, size_t source, uint64_t row, const DecodedRecord& rec, engine::ExternalId* id) {
  switch (ctx.options->id_rule.kind) {
    case IdRule::Kind::kField:
      if (!rec.field_id) return false;
      *id = *rec.field_id;
      return true;
    case IdRule::Kind::kPath:
      if (rec.path) {
        *id = engine::ExternalId(ctx.multi ? ctx.labels[source] + "/" + *rec.path : *rec.path);
      } else {
        *id = engine::ExternalId(ctx.labels[source] + ":" + std::to_string(row));
      }
      return true;
    case IdRule::Kind::kLine:
      *id = ctx.multi ? engine::ExternalId(ctx.labels[source] + ":" + std::to_string(row)) : engine::ExternalId(row);
      return true;
  }
  return false;
}

// Why a record that carries raw input (text, image) cannot be encoded in this run.
std::string NoEncoderReason(const RunContext& ctx, RawInput::Kind kind) {
  if (ctx.Encodes() == RawInput::Kind::kNone) return "needs an encoder: this record has no vector";
  return std::string("needs an encoder: no ") + (kind == RawInput::Kind::kText ? "text" : "image") + " model for this record";
}

// One batch on its way through a worker: the decoded records and which of them are still to be
// stored (a skipped record stays in place, so indexes into `batch.records` remain valid).
struct WorkingBatch {
  std::vector<DecodedRecord> recs;
  std::vector<bool> ok;
  std::vector<size_t> to_encode;  // records whose raw input the local encoder turns into vectors
};

// Decodes every record of the batch; skips the undecodable ones and raw inputs no model can encode.
WorkingBatch DecodeRecords(const RunContext& ctx, const RecordBatch& batch) {
  IngestStats& stats = *ctx.stats;
  const Source& src = *ctx.sources[batch.source];
  WorkingBatch work;
  work.recs.resize(batch.records.size());
  work.ok.assign(batch.records.size(), false);
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const RecordRef& r = batch.records[i];
    Status s = src.Decode(batch.record(r), r.row, &work.recs[i]);
    if (!s.ok()) {
      stats.Skip(s.message(), ctx.Where(batch.source, r.row));
      continue;
    }
    if (work.recs[i].needs_encoding()) {
      if (work.recs[i].raw.kind != ctx.Encodes()) {
        stats.Skip(NoEncoderReason(ctx, work.recs[i].raw.kind), ctx.Where(batch.source, r.row));
        continue;
      }
      if (ctx.options->encoder) work.to_encode.push_back(i);  // else the server encodes it
    }
    work.ok[i] = true;
  }
  return work;
}

// The encoder hook: one call per batch, so a model can batch its inputs. An input the model
// fails on is skipped with the model's reason.
void EncodeRawInputs(const RunContext& ctx, const RecordBatch& batch, WorkingBatch* work) {
  if (work->to_encode.empty()) return;
  std::vector<const RawInput*> inputs;
  for (size_t i : work->to_encode) inputs.push_back(&work->recs[i].raw);
  auto vectors = ctx.options->encoder->Encode(inputs);
  for (size_t k = 0; k < work->to_encode.size(); ++k) {
    const size_t i = work->to_encode[k];
    DecodedRecord& rec = work->recs[i];
    if (k < vectors.size() && vectors[k].ok()) {
      rec.vector = std::move(vectors[k]->vector);
      rec.raw = RawInput();
      if (vectors[k]->payload.is_object()) {  // e.g. a VAE's anomaly scores
        if (!rec.payload.is_object()) rec.payload = nlohmann::json::object();
        for (auto& [key, value] : vectors[k]->payload.items()) rec.payload[key] = std::move(value);
      }
    } else {
      work->ok[i] = false;
      ctx.stats->Skip(k < vectors.size() ? vectors[k].status().message() : "encoder: no output",
                      ctx.Where(batch.source, batch.records[i].row));
    }
  }
}

// The records still standing -> items with their ids, checked and prepared for the sink.
std::vector<Item> MakeItems(const RunContext& ctx, const RecordBatch& batch, WorkingBatch* work) {
  std::vector<Item> items;
  items.reserve(batch.records.size());
  for (size_t i = 0; i < batch.records.size(); ++i) {
    if (!work->ok[i]) continue;
    const uint64_t row = batch.records[i].row;
    DecodedRecord& rec = work->recs[i];
    Item item;
    Status s = Validate(ctx, rec);
    if (s.ok() && !MakeId(ctx, batch.source, row, rec, &item.id)) {
      s = Status::InvalidArgument("missing id: no field '" + ctx.options->id_rule.field + "'");
    }
    if (!s.ok()) {
      ctx.stats->Skip(s.message(), ctx.Where(batch.source, row));
      continue;
    }
    item.vector = std::move(rec.vector);
    item.raw = std::move(rec.raw);
    item.payload = std::move(rec.payload);
    item.source = batch.source;
    item.row = row;
    ctx.sink->Prepare(&item);
    items.push_back(std::move(item));
  }
  return items;
}

// Worker: records -> validated, sink-prepared items.
std::vector<Item> DecodeBatch(const RunContext& ctx, const RecordBatch& batch) {
  for (const auto& bad : batch.bad) ctx.stats->Skip(bad.reason, ctx.Where(batch.source, bad.row));
  WorkingBatch work = DecodeRecords(ctx, batch);
  EncodeRawInputs(ctx, batch, &work);
  return MakeItems(ctx, batch, &work);
}

bool Refusal(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kPayloadTooLarge;
}

// Writes, splitting a refused batch until the refused item is alone, which is then skipped.
Status WriteIsolating(const RunContext& ctx, std::span<const Item> items) {
  if (items.empty()) return Status::Ok();
  Status s = ctx.sink->Write(items);
  if (s.ok()) {
    ctx.stats->stored.fetch_add(items.size());
    return s;
  }
  if (!Refusal(s)) return s;
  if (items.size() == 1) {
    ctx.stats->Skip("refused by the collection: " + s.message(), ctx.Where(items[0].source, items[0].row));
    return Status::Ok();
  }
  const size_t half = items.size() / 2;
  LDB_RETURN_IF_ERROR(WriteIsolating(ctx, items.first(half)));
  return WriteIsolating(ctx, items.subspan(half));
}

Status Flush(const RunContext& ctx, std::vector<Item>* pending) {
  if (pending->empty()) return Status::Ok();
  if (ctx.resume) {
    std::vector<bool> stored;
    LDB_RETURN_IF_ERROR(ctx.sink->Stored(*pending, &stored));
    std::vector<Item> fresh;
    fresh.reserve(pending->size());
    for (size_t i = 0; i < pending->size(); ++i) {
      if (stored[i]) {
        ctx.stats->already_stored.fetch_add(1);
      } else {
        fresh.push_back(std::move((*pending)[i]));
      }
    }
    *pending = std::move(fresh);
  }
  Status s = WriteIsolating(ctx, *pending);
  pending->clear();
  return s;
}

// --id-from field: reads a field of the record, which only JSONL and CSV records have.
Status CheckIdRuleFits(const std::vector<SourceSpec>& specs, const IdRule& rule) {
  if (rule.kind != IdRule::Kind::kField) return Status::Ok();
  for (const auto& s : specs) {
    if (s.format != Format::kJsonl && s.format != Format::kCsv) {
      return Status::InvalidArgument("--id-from field: needs JSONL or CSV sources; '" + s.path + "' is " + FormatName(s.format));
    }
  }
  return Status::Ok();
}

// Text files and image folders hold no vectors: refused unless the run has a model for them.
Status CheckEncodable(const RunContext& ctx, const SourceSpec& spec) {
  if (spec.format != Format::kText && spec.format != Format::kImageFolder) return Status::Ok();
  const RawInput::Kind needed = spec.format == Format::kText ? RawInput::Kind::kText : RawInput::Kind::kImage;
  if (ctx.Encodes() == needed) return Status::Ok();
  return Status::InvalidArgument("'" + spec.path + "' (" + FormatName(spec.format) + ") has no vectors: it needs an encoder (--encoder MODEL, " +
                                 (needed == RawInput::Kind::kText ? "a word model" : "an image model") + ")");
}

// Opens every source into ctx: an unreadable file is reported and left out; the others still
// load. Options that do not fit a source stop the run.
Status OpenSources(const std::vector<SourceSpec>& specs, const SourceOptions& given_source_options, RunContext* ctx,
                   IngestReport* report) {
  // With an image encoder, IDX images go to the encoder instead of becoming 784-d pixel vectors.
  SourceOptions source_options = given_source_options;
  source_options.idx_as_images = ctx->Encodes() == RawInput::Kind::kImage;
  for (const auto& spec : specs) {
    LDB_RETURN_IF_ERROR(CheckEncodable(*ctx, spec));
    auto src = OpenSource(spec.path, spec.format, source_options);
    if (!src.ok()) {
      if (src.status().code() == StatusCode::kInvalidArgument) return src.status();  // options that do not fit
      ctx->stats->Skip("unreadable file: " + src.status().message(), spec.path);
      continue;
    }
    if (!(*src)->warning().empty()) report->warnings.push_back((*src)->warning());
    ctx->labels.push_back(BaseName(spec.path));
    ctx->sources.push_back(std::move(*src));
  }
  report->sources_opened = ctx->sources.size();
  if (ctx->sources.empty()) {
    auto first = ctx->stats->FirstSkips();
    return Status::IOError("no readable source" + (first.empty() ? std::string() : ": " + first.front()));
  }
  ctx->multi = ctx->sources.size() > 1;
  return Status::Ok();
}

// File names make the ids ("<file name>:<row>", "<folder>/<path>"): two sources with the same
// name would write over each other's points.
Status CheckLabelsDiffer(const RunContext& ctx) {
  if (!ctx.multi && ctx.options->id_rule.kind != IdRule::Kind::kPath) return Status::Ok();
  std::set<std::string> seen;
  for (const auto& l : ctx.labels) {
    if (!seen.insert(l).second) {
      return Status::InvalidArgument("two sources are named '" + l + "': ids '<file name>:<row>' would collide; rename one");
    }
  }
  return Status::Ok();
}

// The configuration a new collection gets. The dimension: the encoder's, else the first source
// that knows it (an existing collection's wins over both, in the sink).
engine::CollectionConfig WantedConfig(const RunContext& ctx) {
  const PipelineOptions& options = *ctx.options;
  engine::CollectionConfig wanted = options.wanted;
  wanted.dim = options.encoder ? options.encoder->dim() : options.server_encoder ? options.server_encoder->dim : 0;
  for (const auto& s : ctx.sources) {
    if (wanted.dim == 0) wanted.dim = s->dim();
  }
  if (options.encoder) wanted.encoder = options.encoder->name();
  if (options.server_encoder) wanted.encoder = options.server_encoder->name;
  return wanted;
}

// Vectors of another model (or raw inputs the server cannot encode) would not match the
// collection's queries: refused before anything is written.
Status CheckEncoderBinding(const std::string& collection, const engine::CollectionConfig& wanted, const engine::CollectionConfig& actual) {
  if (!wanted.encoder || actual.encoder == wanted.encoder) return Status::Ok();
  return Status::InvalidArgument("collection '" + collection + "' " +
                                 (actual.encoder ? "is bound to encoder '" + *actual.encoder + "'" : std::string("has no encoder")) +
                                 ", not '" + *wanted.encoder + "'");
}

// An existing collection keeps its metric and index: options asking for others are ignored,
// with a warning.
void WarnIgnoredOptions(const PipelineOptions& options, const engine::CollectionConfig& actual, IngestReport* report) {
  if (options.metric_given && actual.metric != options.wanted.metric) {
    report->warnings.push_back("collection '" + options.collection + "' exists with metric " + index::MetricName(actual.metric) +
                               "; --metric is ignored");
  }
  if (options.index_given && actual.index != options.wanted.index) {
    report->warnings.push_back("collection '" + options.collection + "' exists with index " + actual.index + "; --index is ignored");
  }
}

// Creates the collection or checks the existing one against the run; fills in ctx->dim and
// ctx->resume.
Status PrepareCollection(RunContext* ctx, IngestReport* report) {
  const PipelineOptions& options = *ctx->options;
  const engine::CollectionConfig wanted = WantedConfig(*ctx);
  LDB_ASSIGN_OR_RETURN(CollectionTarget target, ctx->sink->EnsureCollection(options.collection, wanted));
  report->config = target.config;
  report->created = target.created;
  ctx->dim = target.config.dim;
  LDB_RETURN_IF_ERROR(CheckEncoderBinding(options.collection, wanted, target.config));
  ctx->resume = options.resume && !target.created;  // a new collection holds nothing to skip
  if (!target.created) WarnIgnoredOptions(options, target.config, report);
  return Status::Ok();
}

// What the sources hold, for the progress display and the sink's sizing hint.
struct SourceTotals {
  std::optional<uint64_t> items;  // when every source knows its record count
  uint64_t bytes = 0;
};

SourceTotals CountTotals(const RunContext& ctx) {
  SourceTotals totals;
  uint64_t items = 0;
  bool all_known = true;
  for (const auto& s : ctx.sources) {
    totals.bytes += s->total_bytes();
    if (auto n = s->total_records()) items += *n;
    else all_known = false;
  }
  if (all_known) totals.items = items;
  return totals;
}

// The reader thread: cuts every source into batches of records, one source after the other.
// A read error ends that source (reported) and the run goes on with the next.
void ReadSources(const RunContext& ctx, size_t batch, BoundedQueue<RecordBatch>* records) {
  IngestStats& stats = *ctx.stats;
  for (size_t i = 0; i < ctx.sources.size(); ++i) {
    for (;;) {
      RecordBatch b;
      b.source = i;
      auto more = ctx.sources[i]->Read(batch, &b);
      stats.bytes_read.fetch_add(b.bytes_consumed);
      stats.read.fetch_add(b.records.size() + b.bad.size());
      if ((!b.records.empty() || !b.bad.empty()) && !records->Push(std::move(b))) return;  // cancelled
      if (!more.ok()) {
        stats.Skip("unreadable rest of file: " + more.status().message(), ctx.labels[i]);
        break;
      }
      if (!*more) break;
    }
  }
  records->Close();
}

// A decode worker; the last one to finish closes the queue of items.
void DecodeRecordBatches(const RunContext& ctx, BoundedQueue<RecordBatch>* records, BoundedQueue<std::vector<Item>>* decoded,
                         std::atomic<int>* workers_left) {
  while (auto b = records->Pop()) {
    auto items = DecodeBatch(ctx, *b);
    if (!items.empty() && !decoded->Push(std::move(items))) break;
  }
  if (workers_left->fetch_sub(1) == 1) decoded->Close();
}

// The writer: gathers items into writes of `batch`, until the workers are done or a write fails.
Status WriteDecoded(const RunContext& ctx, size_t batch, BoundedQueue<std::vector<Item>>* decoded) {
  std::vector<Item> pending;
  pending.reserve(batch);
  while (auto items = decoded->Pop()) {
    for (auto& it : *items) {
      pending.push_back(std::move(it));
      if (pending.size() >= batch) LDB_RETURN_IF_ERROR(Flush(ctx, &pending));
    }
  }
  return Flush(ctx, &pending);
}

// Runs the reader, the decode workers and, on this thread, the writer to the end. A write
// error cancels both queues so the other threads stop early.
Status RunPipeline(const RunContext& ctx) {
  const PipelineOptions& options = *ctx.options;
  const int threads = std::max(1, options.threads);
  if (options.encoder) options.encoder->SetConcurrency(threads);
  const size_t batch = std::max<size_t>(1, options.batch);
  BoundedQueue<RecordBatch> records(2 * static_cast<size_t>(threads));
  BoundedQueue<std::vector<Item>> decoded(2 * static_cast<size_t>(threads));
  std::atomic<int> workers_left{threads};

  std::thread reader([&] { ReadSources(ctx, batch, &records); });
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&] { DecodeRecordBatches(ctx, &records, &decoded, &workers_left); });
  }
  Status error = WriteDecoded(ctx, batch, &decoded);
  if (!error.ok()) {
    records.Cancel();
    decoded.Cancel();
  }
  reader.join();
  for (auto& w : workers) w.join();
  return error;
}

// The end of the run: what the sink holds now and what the counters say.
void FillReport(Sink* sink, const IngestStats& stats, Status error, IngestReport* report) {
  auto count = sink->Count();
  report->points_after = count.ok() ? *count : 0;
  report->retries = sink->retries();
  report->error = std::move(error);
  report->read = stats.read.load();
  report->stored = stats.stored.load();
  report->already_stored = stats.already_stored.load();
  report->skipped = stats.skipped();
  report->skip_counts = stats.SkipCounts();
  report->first_skips = stats.FirstSkips();
}

}  // namespace

Result<IdRule> ParseIdRule(const std::string& text) {
  IdRule r;
  if (text == "line") return r;
  if (text == "path") {
    r.kind = IdRule::Kind::kPath;
    return r;
  }
  if (text.rfind("field:", 0) == 0 && text.size() > 6) {
    r.kind = IdRule::Kind::kField;
    r.field = text.substr(6);
    return r;
  }
  return Status::InvalidArgument("--id-from must be line, path or field:NAME (got '" + text + "')");
}

Result<IngestReport> RunIngest(const std::vector<SourceSpec>& specs, const SourceOptions& source_options, Sink* sink,
                               const PipelineOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  IngestStats stats;
  IngestReport report;
  report.sink = sink->Describe();
  report.collection = options.collection;
  RunContext ctx;
  ctx.options = &options;
  ctx.sink = sink;
  ctx.stats = &stats;

  LDB_RETURN_IF_ERROR(CheckIdRuleFits(specs, options.id_rule));
  LDB_RETURN_IF_ERROR(OpenSources(specs, source_options, &ctx, &report));
  LDB_RETURN_IF_ERROR(CheckLabelsDiffer(ctx));
  LDB_RETURN_IF_ERROR(PrepareCollection(&ctx, &report));

  const SourceTotals totals = CountTotals(ctx);
  if (totals.items) sink->Expect(*totals.items);
  ProgressOptions progress_options = options.progress;
  if (totals.items) progress_options.total_items = totals.items;
  progress_options.total_bytes = totals.bytes;
  Progress progress(&stats, progress_options);
  if (options.show_progress) progress.Start();
  Status error = RunPipeline(ctx);
  progress.Stop();
  if (error.ok()) error = sink->Finish();

  FillReport(sink, stats, std::move(error), &report);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

std::string FormatSummary(const IngestReport& r) {
  char buf[256];
  std::string out;
  out += "ingest " + std::string(r.error.ok() ? "done" : "STOPPED") + ": collection '" + r.collection + "' (" +
         (r.created ? "created, " : "") + "dim " + std::to_string(r.config.dim) + ", " +
         index::MetricName(r.config.metric) + ", " + r.config.index + "), " + r.sink + "\n";
  for (const auto& w : r.warnings) out += "  warning: " + w + "\n";
  std::snprintf(buf, sizeof buf, "  read     %llu records from %zu source(s)\n", static_cast<unsigned long long>(r.read),
                r.sources_opened);
  out += buf;
  std::snprintf(buf, sizeof buf, "  stored   %llu\n", static_cast<unsigned long long>(r.stored));
  out += buf;
  if (r.already_stored) {
    std::snprintf(buf, sizeof buf, "  present  %llu (already stored; --resume)\n", static_cast<unsigned long long>(r.already_stored));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "  skipped  %llu\n", static_cast<unsigned long long>(r.skipped));
  out += buf;
  for (const auto& [category, n] : r.skip_counts) {
    std::snprintf(buf, sizeof buf, "    %-22s %llu\n", (category + ":").c_str(), static_cast<unsigned long long>(n));
    out += buf;
  }
  if (!r.first_skips.empty()) {
    out += "  first skipped:\n";
    for (const auto& s : r.first_skips) out += "    " + s + "\n";
  }
  std::snprintf(buf, sizeof buf, "  time     %.2f s (%.0f items/s)\n", r.seconds,
                r.seconds > 0 ? static_cast<double>(r.stored) / r.seconds : 0.0);
  out += buf;
  std::snprintf(buf, sizeof buf, "  points   %zu in the collection\n", r.points_after);
  out += buf;
  if (r.retries) {
    std::snprintf(buf, sizeof buf, "  retried  %llu request(s) after connection loss or 5xx\n",
                  static_cast<unsigned long long>(r.retries));
    out += buf;
  }
  if (!r.error.ok()) out += "  error: " + r.error.message() + "\n";
  return out;
}

}  // namespace latentdb::ingest
