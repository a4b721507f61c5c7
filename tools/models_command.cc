// latentdb models import|list|show|delete: the word models of a data directory (engine/words).
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "common/logging.h"
#include "engine/database.h"
#include "engine/words/importer.h"
#include "engine/models/model_registry.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {

constexpr const char* kModelsUsage =
    "usage: latentdb models import PATH --name NAME [--format auto|word2vec|word2vec-bin|glove|vec|fasttext-bin]\n"
    "                              [--limit N] [--index FACTORY] [--data-dir DIR]\n"
    "       latentdb models list [--data-dir DIR]\n"
    "       latentdb models show NAME [--data-dir DIR]\n"
    "       latentdb models delete NAME [--data-dir DIR]   (the model directory and its collection)\n";

int Import(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 3, {"data-dir", "name", "format", "limit", "index"}, {});
  if (!args.ok()) return Fail(args.status(), kModelsUsage);
  if (args->positional().size() != 1) return Fail(Status::InvalidArgument("models import takes one PATH"), kModelsUsage);
  if (!args->Has("name")) return Fail(Status::InvalidArgument("--name is required"), kModelsUsage);
  auto format = words::ParseVectorFormat(args->Get("format", "auto"));
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
  return 0;
}

int List(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 3, {"data-dir"}, {});
  if (!args.ok()) return Fail(args.status(), kModelsUsage);
  for (const auto& m : models::ListManifests(args->Get("data-dir", "./data"))) {
    if (m.contains("error")) {
      std::printf("%-24s ERROR %s\n", m["name"].get<std::string>().c_str(), m["error"].get<std::string>().c_str());
    } else {
      std::printf("%-24s %-12s %8zu words  dim %zu%s\n", m["name"].get<std::string>().c_str(),
                  m.value("format", std::string("?")).c_str(), m.value("vocab_size", size_t{0}), m.value("dim", size_t{0}),
                  m.value("subwords", false) ? "  subwords" : "");
    }
  }
  return 0;
}

int Show(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 3, {"data-dir"}, {});
  if (!args.ok()) return Fail(args.status(), kModelsUsage);
  if (args->positional().size() != 1) return Fail(Status::InvalidArgument("models show takes one NAME"), kModelsUsage);
  auto m = models::ReadManifest(args->Get("data-dir", "./data"), args->positional()[0]);
  if (!m.ok()) return Fail(m.status());
  std::printf("%s\n", m->dump(2).c_str());
  return 0;
}

int Delete(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, 3, {"data-dir"}, {});
  if (!args.ok()) return Fail(args.status(), kModelsUsage);
  if (args->positional().size() != 1) return Fail(Status::InvalidArgument("models delete takes one NAME"), kModelsUsage);
  const std::string& name = args->positional()[0];
  SetLogLevel(LogLevel::kWarn);  // the collection-open lines are noise here
  const std::string data_dir = args->Get("data-dir", "./data");
  auto manifest = models::ReadManifest(data_dir, name);  // a corrupt manifest may still be deleted
  if (!manifest.ok() && manifest.status().code() != StatusCode::kCorruption) return Fail(manifest.status());
  auto db = OpenDataDir(data_dir);
  if (!db.ok()) return Fail(db.status());
  Status s = (*db)->DropCollection(name);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return Fail(s);
  s = models::RemoveModelDir(data_dir, name);
  (*db)->Close();
  if (!s.ok()) return Fail(s);
  std::printf("deleted word model '%s'\n", name.c_str());
  return 0;
}

int ModelsCommand(int argc, char** argv) {
  if (argc < 3) return Fail(Status::InvalidArgument("models needs a subcommand"), kModelsUsage);
  if (std::strcmp(argv[2], "import") == 0) return Import(argc, argv);
  if (std::strcmp(argv[2], "list") == 0) return List(argc, argv);
  if (std::strcmp(argv[2], "show") == 0) return Show(argc, argv);
  if (std::strcmp(argv[2], "delete") == 0) return Delete(argc, argv);
  return Fail(Status::InvalidArgument(std::string("unknown models subcommand '") + argv[2] + "'"), kModelsUsage);
}

}  // namespace

static const CommandRegistrar kModels("models", "import word-vector files as word models; list, show, delete", &ModelsCommand);

}  // namespace latentdb::tools
