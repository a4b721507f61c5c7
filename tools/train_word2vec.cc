// latentdb train word2vec: train a fastText word model and register it in the data directory.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "engine/database.h"
#include "words/trainer.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {

constexpr const char* kTrainUsage =
    "usage: latentdb train word2vec --corpus FILE [--corpus FILE…] --name NAME [--model skipgram|cbow]\n"
    "                               [--dim 100] [--epoch 5] [--min-count 5] [--window 5] [--threads N]\n"
    "                               [--minn 3] [--maxn 6] [--bucket 2000000] [--lr 0.05]\n"
    "                               [--analogies FILE] [--pairs FILE] [--data-dir DIR]\n"
    "  --bucket: hash buckets for the subword n-grams (model.bin holds bucket × dim floats)\n";

// --corpus may repeat, which Args does not allow: takes every "--corpus FILE" out of argv into
// *corpora and returns the rest for Args.
std::vector<char*> TakeCorpora(int argc, char** argv, std::vector<std::string>* corpora) {
  std::vector<char*> rest(argv, argv + 3);
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--corpus") == 0 && i + 1 < argc) {
      corpora->push_back(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  return rest;
}

// The fastText training parameters: the model, the integer flags and the learning rate.
Status ParseFastTextOptions(const Args& args, words::TrainOptions* ft) {
  ft->model = args.Get("model", "skipgram");
  if (ft->model != "skipgram" && ft->model != "cbow") return Status::InvalidArgument("--model is skipgram or cbow");
  struct IntFlag {
    const char* name;
    int* out;
    long def, min, max;
  };
  long hw = std::max(1u, std::thread::hardware_concurrency());
  for (const IntFlag& f : {IntFlag{"dim", &ft->dim, 100, 1, 4096}, IntFlag{"epoch", &ft->epoch, 5, 1, 1000},
                           IntFlag{"min-count", &ft->min_count, 5, 1, 1000000000}, IntFlag{"window", &ft->window, 5, 1, 100},
                           IntFlag{"threads", &ft->threads, hw, 1, 256}, IntFlag{"minn", &ft->minn, 3, 0, 20},
                           IntFlag{"maxn", &ft->maxn, 6, 0, 20}, IntFlag{"bucket", &ft->bucket, 2000000, 1, 100000000}}) {
    LDB_ASSIGN_OR_RETURN(const long v, args.GetInt(f.name, f.def, f.min, f.max));
    *f.out = static_cast<int>(v);
  }
  if (ft->maxn > 0 && ft->minn > ft->maxn) return Status::InvalidArgument("--minn must be <= --maxn");
  LDB_ASSIGN_OR_RETURN(ft->lr, args.GetDouble("lr", ft->lr, 1e-7, 10.0));
  return Status::Ok();
}

// Prints fastText-style progress lines: redrawn in place on a terminal, else one line per 10%.
// Called from the training threads.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(int threads) : threads_(threads), tty_(isatty(STDERR_FILENO)) {}
  ~ProgressPrinter() {
    if (tty_) std::fputc('\n', stderr);  // ends the redrawn line
  }

  void operator()(const words::TrainProgress& p) {
    std::lock_guard<std::mutex> lock(mutex_);
    int decile = static_cast<int>(p.progress * 10);
    if (!tty_ && decile == last_decile_) return;
    last_decile_ = decile;
    int64_t eta = p.eta_seconds;
    if (tty_) std::fputc('\r', stderr);
    std::fprintf(stderr, "Progress: %5.1f%%  words/sec: %9.0f  lr: %.6f  avg.loss: %.6f  ETA: %lldh%02lldm%02llds ",
                 100 * p.progress, p.words_per_sec_per_thread * threads_, p.lr, p.loss, (long long)(eta / 3600),
                 (long long)(eta / 60 % 60), (long long)(eta % 60));
    if (!tty_) std::fputc('\n', stderr);
  }

 private:
  const int threads_;
  const bool tty_;
  std::mutex mutex_;
  int last_decile_ = -1;
};

// The summary of a trained model's manifest: size and speed, then the scores it was evaluated on.
void PrintTrainedModel(const nlohmann::json& m, const words::TrainWordModelOptions& o) {
  const auto& t = m["training"];
  std::printf("trained word model '%s': %zu words x %d dims, %lld corpus tokens, %.1f s, %.0f words/s\n", o.name.c_str(),
              m["vocab_size"].get<size_t>(), o.fasttext.dim, (long long)m["corpus"]["tokens"].get<int64_t>(),
              t["seconds"].get<double>(), t["words_per_second"].get<double>());
  if (m["scores"].contains("analogies")) {
    const auto& a = m["scores"]["analogies"];
    std::printf("analogies: total %.2f%%  semantic %.2f%%  syntactic %.2f%%  (%zu skipped of %zu)\n",
                100 * a["total"].get<double>(), 100 * a["semantic"].get<double>(), 100 * a["syntactic"].get<double>(),
                a["skipped"].get<size_t>(), a["questions"].get<size_t>());
  }
  if (m["scores"].contains("pairs")) {
    const auto& p = m["scores"]["pairs"];
    std::printf("pairs: spearman %.4f  pearson %.4f  (%zu OOV)\n", p["spearman"].get<double>(), p["pearson"].get<double>(),
                p["oov"].get<size_t>());
  }
}

// Trains with progress lines on stderr; the printer ends its line before this returns.
Result<nlohmann::json> TrainWithProgress(engine::Database& db, const words::TrainWordModelOptions& o) {
  ProgressPrinter progress(o.fasttext.threads);
  return words::TrainWordModel(db, o, std::ref(progress));
}

}  // namespace

int TrainWord2VecCommand(int argc, char** argv) {
  words::TrainWordModelOptions o;
  std::vector<char*> rest = TakeCorpora(argc, argv, &o.corpora);
  auto args = Args::Parse(static_cast<int>(rest.size()), rest.data(), 3,
                          {"data-dir", "name", "model", "dim", "epoch", "min-count", "window", "threads", "minn", "maxn",
                           "bucket", "lr", "analogies", "pairs"},
                          {}, kTrainUsage);
  if (!args.ok()) return Fail(args.status(), kTrainUsage);
  if (o.corpora.empty() || !args->Has("name")) return Fail(Status::InvalidArgument("--corpus and --name are required"), kTrainUsage);
  o.name = args->Get("name");
  o.analogies = args->Get("analogies");
  o.pairs = args->Get("pairs");
  if (Status s = ParseFastTextOptions(*args, &o.fasttext); !s.ok()) return Fail(s, kTrainUsage);

  SetLogLevel(LogLevel::kWarn);  // the collection-open lines are noise here
  auto db = OpenDataDir(args->Get("data-dir", "./data"));
  if (!db.ok()) return Fail(db.status());
  auto m = TrainWithProgress(**db, o);
  (*db)->Close();
  if (!m.ok()) return Fail(m.status());
  PrintTrainedModel(*m, o);
  return 0;
}

}  // namespace latentdb::tools
