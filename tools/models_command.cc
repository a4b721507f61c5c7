// latentdb models import|list|show|delete: the model registry of a data directory (models):
// word models (words) and image models (encoders).
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "common/dir_lock.h"
#include "common/logging.h"
#include "engine/database.h"
#include "encoders/torchscript_import.h"
#include "words/importer.h"
#include "models/model_registry.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

using nlohmann::json;

namespace {

constexpr const char* kModelsUsage =
    "usage: latentdb models import PATH --name NAME [--format auto|word2vec|word2vec-bin|glove|vec|fasttext-bin|wink-json]\n"
    "                              [--limit N] [--index FACTORY] [--data-dir DIR]\n"
    "       latentdb models import MODEL.pt --name NAME --input CxHxW [--mean m1,m2,m3] [--std s1,s2,s3]\n"
    "                              [--data-dir DIR]   (a TorchScript image encoder: trusted files only)\n"
    "       latentdb models list [--data-dir DIR]\n"
    "       latentdb models show NAME [--data-dir DIR]\n"
    "       latentdb models delete NAME [--data-dir DIR]   (the model directory and its collection)\n";

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "0.5,0.4,0.3" → floats; InvalidArgument unless there are exactly `n` numbers.
Result<std::vector<float>> ParseFloats(const std::string& text, size_t n, const char* flag) {
  std::vector<float> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    float v = std::strtof(part.c_str(), &end);
    if (part.empty() || *end) return Status::InvalidArgument(std::string("--") + flag + ": '" + part + "' is not a number");
    out.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (out.size() != n) return Status::InvalidArgument(std::string("--") + flag + " needs one value per channel (" + std::to_string(n) + ")");
  return out;
}

int ImportTorchScript(const Args& args) {
  encoders::InputSpec spec;
  if (!args.Has("input") || std::sscanf(args.Get("input").c_str(), "%dx%dx%d", &spec.channels, &spec.height, &spec.width) != 3) {
    return Fail(Status::InvalidArgument("--input CxHxW is required for a TorchScript model, e.g. 3x224x224"), kModelsUsage);
  }
  const size_t c = spec.channels > 0 ? static_cast<size_t>(spec.channels) : 1;
  auto mean = ParseFloats(args.Get("mean", ""), c, "mean");
  auto std = ParseFloats(args.Get("std", ""), c, "std");
  spec.mean = args.Has("mean") ? (mean.ok() ? *mean : std::vector<float>{}) : std::vector<float>(c, 0.0f);
  spec.std = args.Has("std") ? (std.ok() ? *std : std::vector<float>{}) : std::vector<float>(c, 1.0f);
  if (args.Has("mean") && !mean.ok()) return Fail(mean.status(), kModelsUsage);
  if (args.Has("std") && !std.ok()) return Fail(std.status(), kModelsUsage);
  // The import writes into the data directory without opening the database: take its lock
  // itself, as every writer does (a word import takes it through Database::Open).
  const std::string data_dir = args.Get("data-dir", "./data");
  auto lock = DirLock::Acquire(data_dir);
  if (!lock.ok()) return Fail(lock.status());
  auto m = encoders::ImportTorchScript(data_dir, args.positional()[0], args.Get("name"), spec);
  if (!m.ok()) return Fail(m.status());
  std::printf("imported TorchScript model '%s': %dx%dx%d -> %zu dims\n", args.Get("name").c_str(), spec.channels, spec.height,
              spec.width, (*m)["dim"].get<size_t>());
  return 0;
}

int Import(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 3, {"data-dir", "name", "format", "limit", "index", "input", "mean", "std"}, {}, kModelsUsage);
  if (!args.ok()) return Fail(args.status(), kModelsUsage);
  if (args->positional().size() != 1) return Fail(Status::InvalidArgument("models import takes one PATH"), kModelsUsage);
  if (!args->Has("name")) return Fail(Status::InvalidArgument("--name is required"), kModelsUsage);
  const std::string& path = args->positional()[0];
  if (args->Get("format") == "torchscript" ||
      (!args->Has("format") && (EndsWith(path, ".pt") || EndsWith(path, ".pth") || EndsWith(path, ".ptl")))) {
    return ImportTorchScript(*args);
  }
  auto format = formats::ParseVectorFormat(args->Get("format", "auto"));
  if (!format.ok()) return Fail(format.status(), kModelsUsage);
  auto limit = args->GetInt("limit", 0, 0, 1L << 40);
  if (!limit.ok()) return Fail(limit.status(), kModelsUsage);

  SetLogLevel(LogLevel::kWarn);  // the collection-open lines are noise here
  auto db = OpenDataDir(args->Get("data-dir", "./data"));
  if (!db.ok()) return Fail(db.status());
  words::ImportOptions o;
  o.path = args->positional()[0];
  o.name = args->Get("name");
  o.format = *format;
  o.limit = static_cast<size_t>(*limit);
  o.index = args->Get("index", "");
  bool tty = isatty(STDERR_FILENO);
  auto m = words::ImportWordModel(**db, o, [tty](size_t n) {
    if (tty) std::fprintf(stderr, "\r%zu words imported", n);
  });
  if (tty) std::fputc('\n', stderr);
  (*db)->Close();
  if (!m.ok()) return Fail(m.status());
  std::printf("imported word model '%s': %zu words x %zu dims (%s)\n", o.name.c_str(), (*m)["vocab_size"].get<size_t>(),
              (*m)["dim"].get<size_t>(), (*m)["format"].get<std::string>().c_str());
  // gensim's rule: the header's count is what is read. Say so when the file has more.
  if (size_t extra = m->value("rows_after_declared", size_t{0}); extra > 0) {
    std::fprintf(stderr, "latentdb: warning: %s has %zu more rows after the %zu its header declares; they were not imported\n",
                 o.path.c_str(), extra, (*m)["declared_words"].get<size_t>());
  }
  // Every word left out is said, with the count and the first one (the manifest keeps both).
  struct Reason {
    const char* key;
    const char* what;
  };
  const json skipped = m->value("skipped", json::object());
  const json examples = m->value("skipped_examples", json::object());
  for (const Reason& r : {Reason{"duplicates", "duplicate words (the first occurrence of each was kept)"},
                          Reason{"invalid_utf8", "words that are not valid UTF-8"},
                          Reason{"too_long_or_empty", "words that are empty or longer than 512 bytes"}}) {
    const size_t n = skipped.value(r.key, size_t{0});
    if (n == 0) continue;
    std::fprintf(stderr, "latentdb: warning: %s: skipped %zu %s; the first: '%s'\n", o.path.c_str(), n, r.what,
                 examples.value(r.key, std::string("?")).c_str());
  }
  return 0;
}

int List(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 3, {"data-dir"}, {}, kModelsUsage);
  if (!args.ok()) return Fail(args.status(), kModelsUsage);
  for (const auto& m : models::ListManifests(args->Get("data-dir", "./data"))) {
    if (m.contains("error")) {
      std::printf("%-24s ERROR %s\n", m["name"].get<std::string>().c_str(), m["error"].get<std::string>().c_str());
    } else {
      std::string kind = m.value("kind", std::string("word2vec"));
      if (kind == "word2vec") {
        std::printf("%-24s %-12s %8zu words  dim %zu%s\n", m["name"].get<std::string>().c_str(),
                    m.value("format", std::string("?")).c_str(), m.value("vocab_size", size_t{0}), m.value("dim", size_t{0}),
                    m.value("subwords", false) ? "  subwords" : "");
      } else {
        std::printf("%-24s %-12s image model  dim %zu  %s\n", m["name"].get<std::string>().c_str(), kind.c_str(),
                    m.value("dim", size_t{0}), m.contains("metrics") ? m["metrics"].dump().c_str() : "");
      }
    }
  }
  return 0;
}

int Show(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 3, {"data-dir"}, {}, kModelsUsage);
  if (!args.ok()) return Fail(args.status(), kModelsUsage);
  if (args->positional().size() != 1) return Fail(Status::InvalidArgument("models show takes one NAME"), kModelsUsage);
  auto m = models::ReadManifest(args->Get("data-dir", "./data"), args->positional()[0]);
  if (!m.ok()) return Fail(m.status());
  std::printf("%s\n", m->dump(2).c_str());
  return 0;
}

int Delete(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 3, {"data-dir"}, {}, kModelsUsage);
  if (!args.ok()) return Fail(args.status(), kModelsUsage);
  if (args->positional().size() != 1) return Fail(Status::InvalidArgument("models delete takes one NAME"), kModelsUsage);
  const std::string& name = args->positional()[0];
  SetLogLevel(LogLevel::kWarn);  // the collection-open lines are noise here
  const std::string data_dir = args->Get("data-dir", "./data");
  auto manifest = models::ReadManifest(data_dir, name);  // a corrupt manifest may still be deleted
  if (!manifest.ok() && manifest.status().code() != StatusCode::kCorruption) return Fail(manifest.status());
  // A word model's vectors are the collection of its name; an image model owns no collection
  // (collections bound to it keep their vectors).
  const bool word_model = !manifest.ok() || manifest->value("kind", std::string("word2vec")) == "word2vec";
  auto db = OpenDataDir(data_dir);
  if (!db.ok()) return Fail(db.status());
  Status s = word_model ? (*db)->DropCollection(name) : Status::Ok();
  if (!s.ok() && s.code() != StatusCode::kNotFound) return Fail(s);
  s = models::RemoveModelDir(data_dir, name);
  (*db)->Close();
  if (!s.ok()) return Fail(s);
  std::printf("deleted %s model '%s'\n", word_model ? "word" : manifest->value("kind", std::string()).c_str(), name.c_str());
  return 0;
}

int ModelsCommand(int argc, char** argv) {
  ExitOnHelp(argc, argv, 2, kModelsUsage);
  if (argc < 3) return Fail(Status::InvalidArgument("models needs a subcommand"), kModelsUsage);
  if (std::strcmp(argv[2], "import") == 0) return Import(argc, argv);
  if (std::strcmp(argv[2], "list") == 0) return List(argc, argv);
  if (std::strcmp(argv[2], "show") == 0) return Show(argc, argv);
  if (std::strcmp(argv[2], "delete") == 0) return Delete(argc, argv);
  return Fail(Status::InvalidArgument(std::string("unknown models subcommand '") + argv[2] + "'"), kModelsUsage);
}

}  // namespace

static const CommandRegistrar kModels("models", "import word-vector files or TorchScript image encoders; list, show, delete models", &ModelsCommand);

}  // namespace latentdb::tools
