// latentdb ingest: bulk-load vector files into a collection, offline (straight into a data
// directory) or online (over HTTP to a running server). See docs/ingest.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <thread>

#include "ingest/encoder_hook.h"
#include "ingest/pipeline.h"
#include "ingest/sink.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {


constexpr const char* kIngestUsage =
    "usage: latentdb ingest --collection NAME SOURCE... [--data-dir DIR | --url http://HOST:PORT]\n"
    "         [--format fvecs|bvecs|ivecs|npy|jsonl|csv|idx|text|images] [--metric l2|ip|cosine] [--index HNSW32]\n"
    "         [--batch 1000] [--threads N] [--id-from line|path|field:NAME] [--vector-field vector]\n"
    "         [--payload-field NAME[,NAME...]|*] [--vector-prefix PREFIX] [--labels IDX_LABELS_FILE]\n"
    "         [--text-field text] [--image-field image]\n"
    "         [--encoder MODEL] [--api-key KEY] [--resume] [--strict] [--quiet] [--checkpoint-seconds 10]\n"
    "  offline (default, --data-dir ./data) writes the data directory directly; it must not be served.\n"
    "    It writes no WAL: what is stored becomes durable at a checkpoint (every --checkpoint-seconds,\n"
    "    every 64 MB of writes, and at the end; 0 = only those two). A killed run loses at most the\n"
    "    writes since the last checkpoint; run it again (ids are stable) or with --resume.\n"
    "  online (--url) sends batches to a running server. See docs/ingest.md.\n";

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "latentdb ingest: %s\n%s", message.c_str(), kIngestUsage);
  return 2;
}

// A step of the run failed: exit code 2 when the input was refused (InvalidArgument), else 1.
// Like tools::Fail, but ingest's messages start with "latentdb ingest:" and print no usage.
int RunFailed(const Status& s, const std::string& prefix = "") {
  std::fprintf(stderr, "latentdb ingest: %s%s\n", prefix.c_str(), s.message().c_str());
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

// The options every run needs, checked before anything else.
Status CheckRequired(const Args& args) {
  const std::string collection = args.Get("collection");
  if (collection.empty()) return Status::InvalidArgument("--collection is required");
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(collection));
  if (args.positional().empty()) return Status::InvalidArgument("give at least one SOURCE file");
  if (args.Has("url") && args.Has("data-dir")) {
    return Status::InvalidArgument("give --url (online) or --data-dir (offline), not both");
  }
  return Status::Ok();
}

// Where the items go: a running server (--url) or a data directory (--data-dir).
struct Destination {
  bool online = false;
  std::string url, api_key;        // online
  std::string data_dir;            // offline, and where an offline encoder's model is registered
  double checkpoint_seconds = 10;  // offline
};

Result<Destination> ParseDestination(const Args& args) {
  Destination d;
  LDB_ASSIGN_OR_RETURN(d.checkpoint_seconds, args.GetDouble("checkpoint-seconds", 10, 0, 86400));
  d.online = args.Has("url");
  d.data_dir = args.Get("data-dir", "./data");
  if (d.online) {
    d.url = args.Get("url");
    const char* env_key = std::getenv("LATENTDB_API_KEY");
    d.api_key = args.Get("api-key", env_key ? env_key : "");
  }
  return d;
}

// Batching, threads, --resume, the new collection's metric and index, the id rule.
Result<ingest::PipelineOptions> ParsePipelineOptions(const Args& args) {
  ingest::PipelineOptions po;
  po.collection = args.Get("collection");
  LDB_ASSIGN_OR_RETURN(const long batch, args.GetInt("batch", 1000, 1, 65536));
  const long cores = std::max(1u, std::thread::hardware_concurrency());
  LDB_ASSIGN_OR_RETURN(const long threads, args.GetInt("threads", cores, 1, 256));
  po.batch = static_cast<size_t>(batch);
  po.threads = static_cast<int>(threads);
  po.resume = args.Has("resume");
  if (args.Has("metric")) {
    LDB_ASSIGN_OR_RETURN(po.wanted.metric, index::ParseMetric(args.Get("metric")));
    po.metric_given = true;
  }
  if (args.Has("index")) {
    po.wanted.index = args.Get("index");
    po.index_given = true;
  }
  LDB_ASSIGN_OR_RETURN(po.id_rule, ingest::ParseIdRule(args.Get("id-from", "line")));
  po.show_progress = !args.Has("quiet");
  po.progress.out = stderr;
  po.progress.terminal = isatty(STDERR_FILENO) == 1;
  return po;
}

// Which fields of a record hold what (JSONL / CSV), and the IDX labels file.
ingest::SourceOptions ParseSourceOptions(const Args& args, const ingest::IdRule& id_rule) {
  ingest::SourceOptions so;
  if (id_rule.kind == ingest::IdRule::Kind::kField) so.id_field = id_rule.field;
  so.vector_field = args.Get("vector-field", "vector");
  so.text_field = args.Get("text-field", "text");
  so.image_field = args.Get("image-field", "image");
  so.payload_fields = SplitList(args.Get("payload-field"));
  so.vector_prefix = args.Get("vector-prefix");
  so.labels_path = args.Get("labels");
  return so;
}

// The SOURCE files with their formats: --format for all of them, else each one's own.
Result<std::vector<ingest::SourceSpec>> ParseSourceSpecs(const Args& args) {
  std::optional<ingest::Format> forced;
  if (args.Has("format")) {
    LDB_ASSIGN_OR_RETURN(forced, ingest::ParseFormat(args.Get("format")));
  }
  std::vector<ingest::SourceSpec> specs;
  for (const auto& path : args.positional()) {
    ingest::SourceSpec spec{path, ingest::Format::kFvecs};
    if (forced) {
      spec.format = *forced;
    } else {
      LDB_ASSIGN_OR_RETURN(spec.format, ingest::DetectFormat(path));
    }
    specs.push_back(spec);
  }
  return specs;
}

std::unique_ptr<ingest::Sink> MakeSink(const Destination& d) {
  if (d.online) {
    ingest::OnlineSinkOptions oo;
    oo.url = d.url;
    oo.api_key = d.api_key;
    return ingest::MakeOnlineSink(oo);
  }
  ingest::OfflineSinkOptions oo;
  oo.data_dir = d.data_dir;
  oo.checkpoint_seconds = d.checkpoint_seconds;
  return ingest::MakeOfflineSink(oo);
}

// --encoder MODEL: a model of the data directory's registry (offline: loaded here and run on the
// workers), or of the server's (online: the server encodes the raw inputs the tool sends).
// Returns 0, or the exit code after reporting why the model cannot be used.
int SetUpEncoder(const std::string& name, const Destination& d, ingest::Sink* sink, ingest::PipelineOptions* po,
                 std::unique_ptr<ingest::ItemEncoder>* encoder) {
  auto manifest = sink->ModelManifest(name);
  if (!manifest.ok()) {
    const bool missing = manifest.status().code() == StatusCode::kNotFound;
    std::fprintf(stderr, "latentdb ingest: %s\n",
                 (missing ? "unknown encoder/model '" + name + "': " : std::string()).append(manifest.status().message()).c_str());
    return missing ? 2 : 1;
  }
  auto info = ingest::EncoderInfoFromManifest(name, *manifest);
  if (!info.ok()) return Usage(info.status().message());
  if (d.online) {
    po->server_encoder = *info;
    return 0;
  }
  auto e = ingest::MakeItemEncoder(*info, {d.data_dir, sink->database()});
  if (!e.ok()) return RunFailed(e.status(), "encoder '" + name + "': ");
  *encoder = std::move(*e);
  po->encoder = encoder->get();
  return 0;
}

// Prints the summary; a stopped run, or a skipped item under --strict, fails the command.
int Report(const ingest::IngestReport& report, bool strict) {
  std::fputs(ingest::FormatSummary(report).c_str(), stdout);
  std::fflush(stdout);
  if (!report.error.ok()) return 1;
  if (strict && report.skipped > 0) {
    std::fprintf(stderr, "latentdb ingest: --strict: %llu item(s) skipped\n", static_cast<unsigned long long>(report.skipped));
    return 1;
  }
  return 0;
}

int IngestCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 2,
                          {"collection", "data-dir", "url", "format", "metric", "index", "batch", "threads", "id-from",
                           "vector-field", "payload-field", "vector-prefix", "labels", "encoder", "api-key", "text-field",
                           "image-field", "checkpoint-seconds"},
                          {"resume", "strict", "quiet"}, kIngestUsage);
  if (!args.ok()) return Usage(args.status().message());
  if (Status s = CheckRequired(*args); !s.ok()) return Usage(s.message());
  auto destination = ParseDestination(*args);
  if (!destination.ok()) return Usage(destination.status().message());
  auto po = ParsePipelineOptions(*args);
  if (!po.ok()) return Usage(po.status().message());
  const ingest::SourceOptions so = ParseSourceOptions(*args, po->id_rule);
  auto specs = ParseSourceSpecs(*args);
  if (!specs.ok()) return Usage(specs.status().message());

  std::unique_ptr<ingest::Sink> sink = MakeSink(*destination);
  // Fails at once when a server holds the data directory (Busy) or the server is unreachable.
  if (Status s = sink->Open(); !s.ok()) return RunFailed(s);
  std::unique_ptr<ingest::ItemEncoder> encoder;
  if (args->Has("encoder")) {
    if (int code = SetUpEncoder(args->Get("encoder"), *destination, sink.get(), &*po, &encoder); code != 0) return code;
  }

  auto report = ingest::RunIngest(*specs, so, sink.get(), *po);
  if (!report.ok()) return RunFailed(report.status());
  return Report(*report, args->Has("strict"));
}

}  // namespace

static const CommandRegistrar kIngest("ingest", "bulk-load vectors (fvecs, npy, jsonl, csv, idx) or, with an encoder, texts and image folders into a collection",
                                      &IngestCommand, Heap::kLarge);

}  // namespace latentdb::tools
