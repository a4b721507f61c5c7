// latentdb eval words: analogy accuracy and word-pair correlations with gensim's conventions.
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/logging.h"
#include "engine/database.h"
#include "words/evaluation.h"
#include "words/trainer.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {

constexpr const char* kEvalUsage =
    "usage: latentdb eval words --model NAME [--analogies questions-words.txt] [--pairs wordsim353.tsv]\n"
    "                           [--threads N] [--json] [--data-dir DIR]\n"
    "  gensim conventions: first 300,000 words, case-insensitive, questions with unknown words skipped.\n"
    "  The scores are also stored in the model's manifest.\n";

int EvalCommand(int argc, char** argv) {
  ExitOnHelp(argc, argv, 2, kEvalUsage);
  if (argc < 3 || std::strcmp(argv[2], "words") != 0) return Fail(Status::InvalidArgument("eval needs 'words'"), kEvalUsage);
  auto args = Args::Parse(argc, argv, 3, {"data-dir", "model", "analogies", "pairs", "threads"}, {"json"}, kEvalUsage);
  if (!args.ok()) return Fail(args.status(), kEvalUsage);
  if (!args->Has("model")) return Fail(Status::InvalidArgument("--model is required"), kEvalUsage);
  if (!args->Has("analogies") && !args->Has("pairs")) return Fail(Status::InvalidArgument("give --analogies and/or --pairs"), kEvalUsage);
  auto threads = args->GetInt("threads", std::max(1u, std::thread::hardware_concurrency()), 1, 256);
  if (!threads.ok()) return Fail(threads.status(), kEvalUsage);
  SetLogLevel(LogLevel::kWarn);  // the collection-open lines are noise here
  auto db = OpenDataDir(args->Get("data-dir", "./data"));
  if (!db.ok()) return Fail(db.status());
  auto r = words::EvaluateAndRecord(**db, args->Get("model"), args->Get("analogies"), args->Get("pairs"),
                                    static_cast<int>(*threads));
  (*db)->Close();
  if (!r.ok()) return Fail(r.status());
  if (args->Has("json")) {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  if (r->contains("analogies")) {
    const auto& a = (*r)["analogies"];
    std::printf("analogies: %zu questions, %zu skipped (unknown words)\n", a["questions"].get<size_t>(), a["skipped"].get<size_t>());
    auto line = [](const nlohmann::json& s) {
      size_t c = s["correct"], i = s["incorrect"];
      std::printf("  %-32s %6.2f%%  (%zu/%zu)\n", s["section"].get<std::string>().c_str(), 100 * s["accuracy"].get<double>(), c, c + i);
    };
    for (const auto& s : a["sections"]) line(s);
    line(a["semantic"]);
    line(a["syntactic"]);
    line(a["total"]);
  }
  if (r->contains("pairs")) {
    const auto& p = (*r)["pairs"];
    std::printf("pairs: %zu used, %zu OOV (%.1f%%)  pearson %.4f  spearman %.4f\n", p["pairs"].get<size_t>(), p["oov"].get<size_t>(),
                p["oov_ratio_percent"].get<double>(), p["pearson"].get<double>(), p["spearman"].get<double>());
  }
  return 0;
}

}  // namespace

static const CommandRegistrar kEval("eval", "evaluate a word model (analogies, word-pair similarity)", &EvalCommand);

}  // namespace latentdb::tools
