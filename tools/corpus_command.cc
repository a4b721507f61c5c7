// latentdb corpus default: build the default English corpus from Debian packages' text.
#include <cstdio>
#include <cstring>

#include "words/corpus.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {

constexpr const char* kCorpusUsage =
    "usage: latentdb corpus default --out FILE\n"
    "  GCIDE (dict-gcide), WordNet glosses (wordnet-base) and the KJV Bible (bible-kjv), tokenized:\n"
    "  lower-case, punctuation split off, one entry/gloss/verse per line.\n";

int CorpusCommand(int argc, char** argv) {
  ExitOnHelp(argc, argv, 2, kCorpusUsage);
  if (argc < 3 || std::strcmp(argv[2], "default") != 0) return Fail(Status::InvalidArgument("corpus needs 'default'"), kCorpusUsage);
  auto args = Args::Parse(argc, argv, 3, {"out"}, {}, kCorpusUsage);
  if (!args.ok()) return Fail(args.status(), kCorpusUsage);
  if (!args->Has("out")) return Fail(Status::InvalidArgument("--out is required"), kCorpusUsage);
  auto r = words::BuildDefaultCorpus(args->Get("out"));
  if (!r.ok()) return Fail(r.status());
  for (const auto& [source, rep] : r->items()) {
    if (rep.contains("missing")) {
      std::printf("%-8s skipped: %s\n", source.c_str(), rep["missing"].get<std::string>().c_str());
    } else {
      std::printf("%-8s %9zu lines %11zu tokens %6zu invalid UTF-8 bytes skipped\n", source.c_str(), rep["lines"].get<size_t>(),
                  rep["tokens"].get<size_t>(), rep["bad_utf8_bytes"].get<size_t>());
    }
  }
  return 0;
}

}  // namespace

static const CommandRegistrar kCorpus("corpus", "build the default English training corpus", &CorpusCommand);

}  // namespace latentdb::tools
