// latentdb words neighbors|similarity|analogy|odd-one-out|vector: word lookups without a server.
#include <cstdio>
#include <cstring>

#include "common/logging.h"
#include "engine/database.h"
#include "words/word_model.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {

constexpr const char* kWordsUsage =
    "usage: latentdb words neighbors WORD --model NAME [--k 10]\n"
    "       latentdb words similarity A B --model NAME\n"
    "       latentdb words analogy --model NAME --positive W[,W…] [--negative W[,W…]] [--k 10]\n"
    "                              [--method 3cosadd|3cosmul] [--restrict-vocab N]\n"
    "       latentdb words odd-one-out W W … --model NAME\n"
    "       latentdb words vector --model NAME (--text \"…\" | W …)\n"
    "  all take [--data-dir DIR]; A:B::C:? is --positive B,C --negative A\n";

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size() && !s.empty()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

void PrintScores(const std::vector<words::WordScore>& hits) {
  for (const auto& h : hits) std::printf("%-30s %.6f\n", h.word.c_str(), h.score);
}

void PrintVector(const std::vector<float>& v) {
  for (size_t i = 0; i < v.size(); ++i) std::printf("%s%.7g", i ? " " : "", v[i]);
  std::printf("\n");
}

int WordsCommand(int argc, char** argv) {
  if (argc < 3) return Fail(Status::InvalidArgument("words needs a subcommand"), kWordsUsage);
  std::string sub = argv[2];
  auto args = Args::Parse(argc, argv, 3,
                          {"data-dir", "model", "k", "positive", "negative", "method", "restrict-vocab", "text"}, {}, kWordsUsage);
  if (!args.ok()) return Fail(args.status(), kWordsUsage);
  if (!args->Has("model")) return Fail(Status::InvalidArgument("--model is required"), kWordsUsage);
  auto k = args->GetInt("k", 10, 1, static_cast<long>(engine::kMaxK));
  auto restrict_vocab = args->GetInt("restrict-vocab", 0, 0, 1L << 40);
  for (const auto* r : {&k, &restrict_vocab}) {
    if (!r->ok()) return Fail(r->status(), kWordsUsage);
  }
  const auto& pos = args->positional();

  SetLogLevel(LogLevel::kWarn);  // the collection-open lines are noise here
  auto db = OpenDataDir(args->Get("data-dir", "./data"));
  if (!db.ok()) return Fail(db.status());
  auto model = words::WordModel::Open(db->get(), args->Get("model"));
  if (!model.ok()) return Fail(model.status());
  auto& m = **model;

  if (sub == "neighbors") {
    if (pos.size() != 1) return Fail(Status::InvalidArgument("neighbors takes one WORD"), kWordsUsage);
    auto r = m.Neighbors(pos[0], static_cast<size_t>(*k));
    if (!r.ok()) return Fail(r.status());
    PrintScores(*r);
  } else if (sub == "similarity") {
    if (pos.size() != 2) return Fail(Status::InvalidArgument("similarity takes two words"), kWordsUsage);
    auto r = m.Similarity(pos[0], pos[1]);
    if (!r.ok()) return Fail(r.status());
    std::printf("%.6f\n", *r);
  } else if (sub == "analogy") {
    std::string method = args->Get("method", "3cosadd");
    if (method != "3cosadd" && method != "3cosmul") return Fail(Status::InvalidArgument("--method is 3cosadd or 3cosmul"), kWordsUsage);
    auto r = m.Analogy(SplitCommas(args->Get("positive")), SplitCommas(args->Get("negative")), static_cast<size_t>(*k),
                       method == "3cosmul", static_cast<size_t>(*restrict_vocab));
    if (!r.ok()) return Fail(r.status());
    PrintScores(*r);
  } else if (sub == "odd-one-out") {
    auto r = m.OddOneOut(pos);
    if (!r.ok()) return Fail(r.status());
    std::printf("%s\n", r->word.c_str());
    PrintScores(r->scores);
  } else if (sub == "vector") {
    if (args->Has("text")) {
      auto r = m.TextVector(args->Get("text"));
      if (!r.ok()) return Fail(r.status());
      PrintVector(r->vector);
    } else {
      if (pos.empty()) return Fail(Status::InvalidArgument("vector takes --text or words"), kWordsUsage);
      for (const auto& w : pos) {
        auto r = m.Vector(w);
        if (!r.ok()) return Fail(r.status());
        std::printf("%s ", w.c_str());
        PrintVector(r->vector);
      }
    }
  } else {
    return Fail(Status::InvalidArgument("unknown words subcommand '" + sub + "'"), kWordsUsage);
  }
  return 0;
}

}  // namespace

static const CommandRegistrar kWords("words", "word lookups on a word model without a server", &WordsCommand);

}  // namespace latentdb::tools
