// latentdb ingest: bulk-load vector files into a collection, offline (straight into a data
// directory) or online (over HTTP to a running server). See docs/ingest.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "engine/ingest/encoder_hook.h"
#include "engine/ingest/pipeline.h"
#include "engine/ingest/sink.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {

namespace ingest = engine::ingest;

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

int IngestCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 2,
                          {"collection", "data-dir", "url", "format", "metric", "index", "batch", "threads", "id-from",
                           "vector-field", "payload-field", "vector-prefix", "labels", "encoder", "api-key", "text-field",
                           "image-field", "checkpoint-seconds"},
                          {"resume", "strict", "quiet"});
  if (!args.ok()) return Usage(args.status().message());
  const std::string collection = args->Get("collection");
  if (collection.empty()) return Usage("--collection is required");
  if (Status s = engine::ValidateCollectionName(collection); !s.ok()) return Usage(s.message());
  if (args->positional().empty()) return Usage("give at least one SOURCE file");
  if (args->Has("url") && args->Has("data-dir")) return Usage("give --url (online) or --data-dir (offline), not both");

  auto batch = args->GetInt("batch", 1000, 1, 65536);
  auto checkpoint_seconds = args->GetDouble("checkpoint-seconds", 10, 0, 86400);
  if (!checkpoint_seconds.ok()) return Usage(checkpoint_seconds.status().message());
  const long cores = std::max(1u, std::thread::hardware_concurrency());
  auto threads = args->GetInt("threads", cores, 1, 256);
  for (const auto* r : {&batch, &threads}) {
    if (!r->ok()) return Usage(r->status().message());
  }

  ingest::PipelineOptions po;
  po.collection = collection;
  po.batch = static_cast<size_t>(*batch);
  po.threads = static_cast<int>(*threads);
  po.resume = args->Has("resume");
  if (args->Has("metric")) {
    auto m = index::ParseMetric(args->Get("metric"));
    if (!m.ok()) return Usage(m.status().message());
    po.wanted.metric = *m;
    po.metric_given = true;
  }
  if (args->Has("index")) {
    po.wanted.index = args->Get("index");
    po.index_given = true;
  }
  auto rule = ingest::ParseIdRule(args->Get("id-from", "line"));
  if (!rule.ok()) return Usage(rule.status().message());
  po.id_rule = *rule;

  ingest::SourceOptions so;
  if (po.id_rule.kind == ingest::IdRule::Kind::kField) so.id_field = po.id_rule.field;
  so.vector_field = args->Get("vector-field", "vector");
  so.text_field = args->Get("text-field", "text");
  so.image_field = args->Get("image-field", "image");
  so.payload_fields = SplitList(args->Get("payload-field"));
  so.vector_prefix = args->Get("vector-prefix");
  so.labels_path = args->Get("labels");

  std::vector<ingest::SourceSpec> specs;
  std::optional<ingest::Format> forced;
  if (args->Has("format")) {
    auto f = ingest::ParseFormat(args->Get("format"));
    if (!f.ok()) return Usage(f.status().message());
    forced = *f;
  }
  for (const auto& path : args->positional()) {
    ingest::SourceSpec spec{path, ingest::Format::kFvecs};
    if (forced) {
      spec.format = *forced;
    } else {
      auto f = ingest::DetectFormat(path);
      if (!f.ok()) return Usage(f.status().message());
      spec.format = *f;
    }
    specs.push_back(spec);
  }

  std::unique_ptr<ingest::Sink> sink;
  const bool online = args->Has("url");
  const std::string data_dir = args->Get("data-dir", "./data");
  if (online) {
    ingest::OnlineSinkOptions oo;
    oo.url = args->Get("url");
    const char* env_key = std::getenv("LATENTDB_API_KEY");
    oo.api_key = args->Get("api-key", env_key ? env_key : "");
    sink = ingest::MakeOnlineSink(oo);
  } else {
    ingest::OfflineSinkOptions oo;
    oo.data_dir = data_dir;
    oo.checkpoint_seconds = *checkpoint_seconds;
    sink = ingest::MakeOfflineSink(oo);
  }
  // Fails at once when a server holds the data directory (Busy) or the server is unreachable.
  if (Status s = sink->Open(); !s.ok()) {
    std::fprintf(stderr, "latentdb ingest: %s\n", s.message().c_str());
    return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }

  // The encoder: a model of the data directory's registry (offline: loaded here and run on the
  // workers), or of the server's (online: the server encodes the raw inputs the tool sends).
  std::unique_ptr<ingest::ItemEncoder> encoder;
  if (args->Has("encoder")) {
    const std::string name = args->Get("encoder");
    auto manifest = sink->ModelManifest(name);
    if (!manifest.ok()) {
      const bool missing = manifest.status().code() == StatusCode::kNotFound;
      std::fprintf(stderr, "latentdb ingest: %s\n",
                   (missing ? "unknown encoder/model '" + name + "': " : std::string()).append(manifest.status().message()).c_str());
      return missing ? 2 : 1;
    }
    auto info = ingest::EncoderInfoFromManifest(name, *manifest);
    if (!info.ok()) return Usage(info.status().message());
    if (online) {
      po.server_encoder = *info;
    } else {
      auto e = ingest::MakeItemEncoder(*info, {data_dir, sink->database()});
      if (!e.ok()) {
        std::fprintf(stderr, "latentdb ingest: encoder '%s': %s\n", name.c_str(), e.status().message().c_str());
        return e.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
      }
      encoder = std::move(*e);
      po.encoder = encoder.get();
    }
  }

  po.show_progress = !args->Has("quiet");
  po.progress.out = stderr;
  po.progress.terminal = isatty(STDERR_FILENO) == 1;
  auto report = ingest::RunIngest(specs, so, sink.get(), po);
  if (!report.ok()) {
    std::fprintf(stderr, "latentdb ingest: %s\n", report.status().message().c_str());
    return report.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::fputs(ingest::FormatSummary(*report).c_str(), stdout);
  std::fflush(stdout);
  if (!report->error.ok()) return 1;
  if (args->Has("strict") && report->skipped > 0) {
    std::fprintf(stderr, "latentdb ingest: --strict: %llu item(s) skipped\n",
                 static_cast<unsigned long long>(report->skipped));
    return 1;
  }
  return 0;
}

}  // namespace

static const CommandRegistrar kIngest("ingest", "bulk-load vectors (fvecs, npy, jsonl, csv, idx) or, with an encoder, texts and image folders into a collection",
                                      &IngestCommand);

}  // namespace latentdb::tools
