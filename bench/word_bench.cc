// word_bench: the word-model benchmarks of issue 3, in one run.
//
// 1. Training speed: `latentdb train word2vec`'s code path (words::TrainWordModel) against the
//    fastText CLI (/usr/bin/fasttext, Debian package `fasttext`) with the same parameters on the
//    same corpus (the first --train-lines lines of --corpus), alternating, --rounds rounds each.
//    Speed = corpus tokens × epochs / seconds from the start until training ends (dictionary
//    building included, saving excluded: for the CLI, until it prints "Progress: 100.0%", which
//    it does before saving). fastText's own words/s/thread figure is printed beside it.
// 2. Latency on a 100k-word model (real vectors: fastText skipgram, 1 epoch, min-count 2, no
//    subwords, on the whole --corpus; the --vocab most frequent words imported with an HNSW32
//    index; built once and cached in --work-dir): neighbors and analogy, exact (words API, an
//    exhaustive cosine scan) and indexed (HNSW search), in process and over HTTP (the Beast server
//    on a real loopback socket, one keep-alive client), p50/p99 and QPS of --queries sequential
//    queries on one client thread, with recall@10 of the indexed results against the exact ones.
//
// Reproduce (from the repository root; the corpus is `latentdb corpus default`'s):
//   build-words/tools/latentdb corpus default --out /tmp/corpus-en.txt
//   build-words/bench/word_bench --corpus /tmp/corpus-en.txt --train-lines 100000 --rounds 2
//       --threads 2 --queries 1000 --analogies ../shared/data/questions-words.txt   (one line)
// Options: --epoch 1 --fasttext /usr/bin/fasttext --vocab 100000 --work-dir /tmp/word_bench
//          --skip-train --skip-latency. Prints tables, then one JSON line with every number.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "engine/collection.h"
#include "engine/database.h"
#include "words/fasttext_model.h"
#include "words/importer.h"
#include "words/trainer.h"
#include "words/word_model.h"
#include "http/api.h"
#include "client/http_client.h"
#include "http/server.h"

namespace latentdb::bench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr size_t kK = 10;

struct Options {
  std::string corpus;
  std::string fasttext = "/usr/bin/fasttext";
  std::string work_dir = "/tmp/word_bench";
  std::string analogies = "../shared/data/questions-words.txt";
  size_t train_lines = 100000;
  int rounds = 2;
  int threads = 2;
  int epoch = 1;
  size_t vocab = 100000;
  size_t queries = 1000;
  bool skip_train = false, skip_latency = false;
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> long {
      std::string v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end || n <= 0) Die(a + " needs a positive integer, not '" + v + "'");
      return n;
    };
    if (a == "--corpus") o.corpus = value();
    else if (a == "--fasttext") o.fasttext = value();
    else if (a == "--work-dir") o.work_dir = value();
    else if (a == "--analogies") o.analogies = value();
    else if (a == "--train-lines") o.train_lines = static_cast<size_t>(number());
    else if (a == "--rounds") o.rounds = static_cast<int>(number());
    else if (a == "--threads") o.threads = static_cast<int>(number());
    else if (a == "--epoch") o.epoch = static_cast<int>(number());
    else if (a == "--vocab") o.vocab = static_cast<size_t>(number());
    else if (a == "--queries") o.queries = static_cast<size_t>(number());
    else if (a == "--skip-train") o.skip_train = true;
    else if (a == "--skip-latency") o.skip_latency = true;
    else Die("unknown option " + a + " (see the comment at the top of bench/word_bench.cc)");
  }
  if (o.corpus.empty()) Die("--corpus FILE is required (build it with `latentdb corpus default --out FILE`)");
  return o;
}

std::unique_ptr<engine::Database> OpenDb(const std::string& dir) {
  engine::DatabaseOptions dbo;
  dbo.data_dir = dir;
  dbo.persist_interval_seconds = 0;
  return Check(engine::Database::Open(dbo), "opening " + dir);
}

// ---------------------------------------------------------------- training speed

// The default model's parameters (scripts/demo.d/10-words.sh) except the epochs.
words::TrainOptions BenchTrainOptions(const Options& o, const std::string& corpus) {
  words::TrainOptions t;
  t.corpus = corpus;
  t.model = "skipgram";
  t.dim = 100;
  t.epoch = o.epoch;
  t.min_count = 5;
  t.window = 5;
  t.threads = o.threads;
  t.minn = 3;
  t.maxn = 5;
  t.neg = 5;
  t.lr = 0.05;
  t.bucket = 200000;
  return t;
}

struct TrainRun {
  double train_seconds = 0;  // start → end of training (dictionary included, saving excluded)
  double total_seconds = 0;  // also saving (and for LatentDB registering the collection)
  double lib_words_per_s = 0;  // fastText's own figure: words/s/thread × threads, last reported
};

TrainRun RunLatentDb(const Options& o, const std::string& corpus, int64_t* tokens) {
  const std::string dir = o.work_dir + "/train-latentdb";
  fs::remove_all(dir);
  auto db = OpenDb(dir);
  words::TrainWordModelOptions to;
  to.corpora = {corpus};
  to.name = "bench_train";
  to.fasttext = BenchTrainOptions(o, corpus);
  double last_wst = 0;
  auto start = Clock::now();
  auto manifest = Check(words::TrainWordModel(*db, to, [&](const words::TrainProgress& p) {
                          last_wst = p.words_per_sec_per_thread;
                        }),
                        "training with words::TrainWordModel");
  TrainRun r;
  r.total_seconds = Seconds(start);
  r.train_seconds = manifest["training"]["seconds"].get<double>();
  r.lib_words_per_s = last_wst * o.threads;
  *tokens = manifest["corpus"]["tokens"].get<int64_t>();
  db->Close();
  db.reset();
  fs::remove_all(dir);
  return r;
}

TrainRun RunFastTextCli(const Options& o, const std::string& corpus) {
  const words::TrainOptions t = BenchTrainOptions(o, corpus);
  const std::string out = o.work_dir + "/fasttext-cli";
  char cmd[2048];
  std::snprintf(cmd, sizeof cmd,
                "'%s' %s -input '%s' -output '%s' -dim %d -epoch %d -minCount %d -ws %d -thread %d -minn %d -maxn %d "
                "-neg %d -lr %g -bucket %d -verbose 2 2>&1",
                o.fasttext.c_str(), t.model.c_str(), corpus.c_str(), out.c_str(), t.dim, t.epoch, t.min_count, t.window,
                t.threads, t.minn, t.maxn, t.neg, t.lr, t.bucket);
  auto start = Clock::now();
  FILE* p = popen(cmd, "r");
  if (!p) Die("cannot run " + o.fasttext);
  TrainRun r;
  std::string line, log;
  int c;
  auto end_of_line = [&]() {
    // "Progress: 100.0% words/sec/thread:   53687 lr: …": training has ended, saving starts.
    if (r.train_seconds == 0 && line.find("Progress: 100.0%") != std::string::npos) {
      r.train_seconds = Seconds(start);
      size_t w = line.find("words/sec/thread:");
      if (w != std::string::npos) r.lib_words_per_s = std::atof(line.c_str() + w + 17) * o.threads;
    }
    log += line + "\n";
    line.clear();
  };
  while ((c = std::fgetc(p)) != EOF) {
    if (c == '\r' || c == '\n') {
      end_of_line();
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
  end_of_line();
  int rc = pclose(p);
  r.total_seconds = Seconds(start);
  if (rc != 0 || r.train_seconds == 0) Die("fasttext CLI failed (status " + std::to_string(rc) + "):\n" + log.substr(0, 2000));
  fs::remove(out + ".bin");
  fs::remove(out + ".vec");
  return r;
}

json TrainingBench(const Options& o) {
  // The corpus prefix both trainers read.
  const std::string prefix = o.work_dir + "/train-prefix.txt";
  {
    std::ifstream in(o.corpus);
    if (!in) Die("cannot open " + o.corpus);
    std::ofstream out(prefix);
    std::string line;
    for (size_t n = 0; n < o.train_lines && std::getline(in, line); ++n) out << line << '\n';
    if (!out) Die("cannot write " + prefix);
  }
  std::printf("\n== training speed: skipgram, dim 100, epoch %d, min-count 5, window 5, neg 5, n-grams 3-5, "
              "200k buckets, %d threads; first %zu lines of %s\n",
              o.epoch, o.threads, o.train_lines, o.corpus.c_str());
  std::printf("%-6s %-26s %10s %12s %14s %10s\n", "round", "trainer", "train s", "words/s", "fastText w/s", "total s");
  int64_t tokens = 0;
  std::vector<TrainRun> ldb, cli;
  json rounds = json::array();
  for (int r = 0; r < o.rounds; ++r) {
    // Alternate which one goes first, so a load change on a shared machine hits both alike.
    for (int turn = 0; turn < 2; ++turn) {
      const bool ours = (turn == 0) == (r % 2 == 0);
      TrainRun run = ours ? RunLatentDb(o, prefix, &tokens) : RunFastTextCli(o, prefix);
      (ours ? ldb : cli).push_back(run);
      double wps = tokens > 0 ? double(tokens) * o.epoch / run.train_seconds : 0;
      std::printf("%-6d %-26s %10.2f %12.0f %14.0f %10.2f\n", r + 1,
                  ours ? "latentdb train word2vec" : "fasttext skipgram (CLI)", run.train_seconds, wps,
                  run.lib_words_per_s, run.total_seconds);
      std::fflush(stdout);
      rounds.push_back({{"round", r + 1}, {"trainer", ours ? "latentdb" : "fasttext_cli"}, {"train_seconds", run.train_seconds},
                        {"total_seconds", run.total_seconds}, {"fasttext_words_per_s", run.lib_words_per_s}});
    }
  }
  // CLI runs before the first LatentDB run have no token count yet: fill in the rates now.
  for (auto& r : rounds) r["words_per_s"] = double(tokens) * o.epoch / r["train_seconds"].get<double>();
  auto best = [](const std::vector<TrainRun>& v) {
    double b = 1e300;
    for (const auto& r : v) b = std::min(b, r.train_seconds);
    return b;
  };
  auto mean = [](const std::vector<TrainRun>& v) {
    double s = 0;
    for (const auto& r : v) s += r.train_seconds;
    return s / v.size();
  };
  const double ldb_best = double(tokens) * o.epoch / best(ldb), cli_best = double(tokens) * o.epoch / best(cli);
  const double ldb_mean = double(tokens) * o.epoch / mean(ldb), cli_mean = double(tokens) * o.epoch / mean(cli);
  std::printf("corpus prefix: %lld tokens. words/s, best run: latentdb %.0f, fasttext CLI %.0f -> ratio %.3f; "
              "mean of runs: %.0f vs %.0f -> ratio %.3f  [%s: target >= 0.95]\n",
              (long long)tokens, ldb_best, cli_best, ldb_best / cli_best, ldb_mean, cli_mean, ldb_mean / cli_mean,
              ldb_best / cli_best >= 0.95 ? "PASS" : "FAIL");
  fs::remove(prefix);
  return {{"tokens", tokens}, {"epoch", o.epoch}, {"threads", o.threads}, {"rounds", rounds},
          {"latentdb_words_per_s_best", ldb_best}, {"fasttext_cli_words_per_s_best", cli_best},
          {"ratio_best", ldb_best / cli_best}, {"ratio_mean", ldb_mean / cli_mean}};
}

// ---------------------------------------------------------------- latency

const char* kLatencyModel = "bench_words";

// Trains the 100k-word model once (cached in work_dir/latency-data).
void EnsureLatencyModel(const Options& o, engine::Database& db) {
  if (db.GetCollection(kLatencyModel).ok()) return;
  std::printf("\n[setup] training the latency model (skipgram, 1 epoch, min-count 2, no subwords) on %s ...\n",
              o.corpus.c_str());
  std::fflush(stdout);
  words::TrainOptions t;
  t.corpus = o.corpus;
  t.epoch = 1;
  t.min_count = 2;
  t.minn = 0;
  t.maxn = 0;
  t.threads = o.threads;
  auto start = Clock::now();
  auto model = Check(words::FastTextModel::Train(t, nullptr), "training the latency model");
  if (model->vocab_size() < o.vocab) {
    Die("the corpus has only " + std::to_string(model->vocab_size()) + " words with count >= 2; --vocab asks for " +
        std::to_string(o.vocab));
  }
  const std::string vec = o.work_dir + "/latency-model.vec";
  {
    std::ofstream out(vec);
    out << o.vocab << ' ' << model->dim() << '\n';
    char buf[32];
    for (size_t i = 0; i < o.vocab; ++i) {
      std::string w = model->Word(i);
      out << w;
      for (float x : model->WordVector(w)) {
        std::snprintf(buf, sizeof buf, " %.7g", x);
        out << buf;
      }
      out << '\n';
    }
    if (!out) Die("cannot write " + vec);
  }
  words::ImportOptions io;
  io.path = vec;
  io.name = kLatencyModel;
  io.format = formats::VectorFormat::kWord2VecText;
  io.index = "HNSW32";
  Check(words::ImportWordModel(db, io), "importing the latency model");
  fs::remove(vec);
  Check(db.PersistIndexes(), "saving the index");
  std::printf("[setup] %zu words x %d dims in %.1f s\n", o.vocab, model->dim(), Seconds(start));
  std::fflush(stdout);
}

struct Latency {
  std::vector<double> ms;
  double total_s = 0;
  double Pct(double p) const {
    std::vector<double> s = ms;
    std::sort(s.begin(), s.end());
    return s.empty() ? 0 : s[std::min(s.size() - 1, static_cast<size_t>(p * s.size()))];
  }
  double qps() const { return total_s > 0 ? ms.size() / total_s : 0; }
};

Latency Measure(size_t n, const std::function<void(size_t)>& op) {
  for (size_t i = 0; i < std::min<size_t>(n, 20); ++i) op(i);  // warm-up
  Latency l;
  l.ms.reserve(n);
  auto all = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    auto t = Clock::now();
    op(i);
    l.ms.push_back(1000 * Seconds(t));
  }
  l.total_s = Seconds(all);
  return l;
}

double Recall(const std::vector<std::string>& exact, const std::vector<std::string>& approx) {
  if (exact.empty()) return 1.0;
  std::set<std::string> e(exact.begin(), exact.end());
  size_t hit = 0;
  for (const auto& w : approx) hit += e.count(w);
  return double(hit) / exact.size();
}

struct Triple {
  std::string a, b, c;  // b - a + c
};

std::vector<Triple> AnalogyQueries(const Options& o, const words::WordModel& m, const std::vector<std::string>& vocab,
                                   std::mt19937_64& rng) {
  std::vector<Triple> out;
  std::ifstream in(o.analogies);
  std::string line;
  while (in && std::getline(in, line)) {
    if (line.empty() || line[0] == ':') continue;
    for (auto& ch : line) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    char a[256], b[256], c[256], d[256];
    if (std::sscanf(line.c_str(), "%255s %255s %255s %255s", a, b, c, d) != 4) continue;
    if (m.InVocabulary(a) && m.InVocabulary(b) && m.InVocabulary(c)) out.push_back({a, b, c});
  }
  std::shuffle(out.begin(), out.end(), rng);
  if (out.size() > o.queries) out.resize(o.queries);
  std::uniform_int_distribution<size_t> pick(0, vocab.size() - 1);
  while (out.size() < o.queries) out.push_back({vocab[pick(rng)], vocab[pick(rng)], vocab[pick(rng)]});
  return out;
}

json LatencyBench(const Options& o) {
  const std::string dir = o.work_dir + "/latency-data";
  auto db = OpenDb(dir);
  EnsureLatencyModel(o, *db);
  auto model = Check(words::WordModel::Open(db.get(), kLatencyModel), "opening the latency model");
  auto collection = Check(db->GetCollection(kLatencyModel), "the latency model's collection");
  const size_t n_words = collection->size();

  std::vector<std::string> vocab;
  {
    std::optional<engine::ExternalId> offset;
    do {
      auto page = Check(collection->Scroll(engine::kMaxK, offset, nullptr, false, false), "listing the vocabulary");
      for (const auto& p : page.points) vocab.push_back(p.id.ToJson().get<std::string>());
      offset = page.next_offset;
    } while (offset);
  }
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<size_t> pick(0, vocab.size() - 1);
  std::vector<std::string> words(o.queries);
  for (auto& w : words) w = vocab[pick(rng)];
  const std::vector<Triple> triples = AnalogyQueries(o, *model, vocab, rng);
  std::vector<std::vector<std::string>> odd(o.queries);
  for (auto& q : odd) q = {vocab[pick(rng)], vocab[pick(rng)], vocab[pick(rng)], vocab[pick(rng)]};

  auto first_analogy = Clock::now();
  Check(model->Analogy({triples[0].b, triples[0].c}, {triples[0].a}, kK, false, 0), "first analogy");
  const double matrix_ms = 1000 * Seconds(first_analogy);

  std::vector<std::vector<std::string>> exact_nb(o.queries), hnsw_nb(o.queries), exact_an(o.queries),
      hnsw_an(o.queries);
  auto names = [](const std::vector<words::WordScore>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(s.word);
    return out;
  };
  auto hnsw_search = [&](engine::SearchQuery q) {
    q.with_payload = false;
    auto hits = Check(collection->Search(q), "HNSW search");
    std::vector<std::string> out;
    for (const auto& h : hits) out.push_back(h.id.ToJson().get<std::string>());
    return out;
  };
  // 3CosAdd's target, as gensim: unit(mean(unit(b), unit(c), -unit(a))); the index normalizes it.
  auto analogy_vector = [&](const Triple& t) {
    auto ua = words::UnitVector(Check(model->Vector(t.a), "vector").vector);
    auto ub = words::UnitVector(Check(model->Vector(t.b), "vector").vector);
    auto uc = words::UnitVector(Check(model->Vector(t.c), "vector").vector);
    std::vector<float> v(ua.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = (ub[i] + uc[i] - ua[i]) / 3;
    return v;
  };

  struct Row {
    std::string name;
    Latency l;
    double recall = -1;
  };
  std::vector<Row> rows;
  rows.push_back({"neighbors exact, in process", Measure(o.queries, [&](size_t i) {
                    exact_nb[i] = names(Check(model->Neighbors(words[i], kK), "neighbors"));
                  })});
  rows.push_back({"neighbors HNSW, in process", Measure(o.queries, [&](size_t i) {
                    engine::SearchQuery q;
                    q.id = engine::ExternalId(words[i]);
                    q.k = kK;
                    hnsw_nb[i] = hnsw_search(q);
                  })});
  double rsum = 0;
  for (size_t i = 0; i < o.queries; ++i) rsum += Recall(exact_nb[i], hnsw_nb[i]);
  rows.back().recall = rsum / o.queries;
  rows.push_back({"analogy exact, in process", Measure(o.queries, [&](size_t i) {
                    const Triple& t = triples[i];
                    exact_an[i] = names(Check(model->Analogy({t.b, t.c}, {t.a}, kK, false, 0), "analogy"));
                  })});
  rows.push_back({"analogy HNSW, in process", Measure(o.queries, [&](size_t i) {
                    const Triple& t = triples[i];
                    engine::SearchQuery q;
                    q.vector = analogy_vector(t);
                    q.k = kK + 3;
                    std::vector<std::string> got;
                    for (auto& w : hnsw_search(q)) {
                      if (w != t.a && w != t.b && w != t.c && got.size() < kK) got.push_back(w);
                    }
                    hnsw_an[i] = std::move(got);
                  })});
  rsum = 0;
  for (size_t i = 0; i < o.queries; ++i) rsum += Recall(exact_an[i], hnsw_an[i]);
  rows.back().recall = rsum / o.queries;
  rows.push_back({"odd-one-out (4 words), in process", Measure(o.queries, [&](size_t i) {
                    Check(model->OddOneOut(odd[i]), "odd-one-out");
                  })});

  // Over HTTP: the Beast server on a loopback socket, one keep-alive connection.
  http::Api api(db.get());
  http::ServerOptions so;
  so.host = "127.0.0.1";
  so.port = 0;
  so.threads = 2;
  http::Server server(so, &api);
  Check(server.Start(), "starting the HTTP server");
  client::HttpClient client("127.0.0.1", server.port());
  size_t mismatches = 0;
  auto call = [&](const std::string& method, const std::string& target, const json& body) {
    auto r = Check(client.Request(method, target, body.is_null() ? std::string() : body.dump()), "HTTP " + target);
    if (r.status != 200) Die("HTTP " + method + " " + target + " -> " + std::to_string(r.status) + ": " + r.body);
    json envelope = json::parse(r.body, nullptr, false);
    if (envelope.is_discarded() || !envelope.contains("result")) Die("HTTP " + target + ": unexpected body " + r.body);
    return envelope["result"];
  };
  const std::string base = std::string("/words/") + kLatencyModel;
  rows.push_back({"neighbors exact, HTTP", Measure(o.queries, [&](size_t i) {
                    json r = call("GET", base + "/" + client::PercentEncodeSegment(words[i]) + "/neighbors?k=10", nullptr);
                    if (r.empty() || r[0]["word"] != exact_nb[i][0]) ++mismatches;
                  })});
  std::vector<std::vector<std::string>> http_nb(o.queries);
  rows.push_back({"neighbors HNSW, HTTP", Measure(o.queries, [&](size_t i) {
                    json r = call("POST", std::string("/collections/") + kLatencyModel + "/search",
                                  {{"id", words[i]}, {"k", kK}, {"with_payload", false}});
                    http_nb[i].clear();
                    for (const auto& h : r) http_nb[i].push_back(h["id"].get<std::string>());
                  })});
  rsum = 0;
  for (size_t i = 0; i < o.queries; ++i) rsum += Recall(exact_nb[i], http_nb[i]);
  rows.back().recall = rsum / o.queries;
  rows.push_back({"analogy exact, HTTP", Measure(o.queries, [&](size_t i) {
                    const Triple& t = triples[i];
                    json r = call("POST", base + "/analogy", {{"positive", {t.b, t.c}}, {"negative", {t.a}}, {"k", kK}});
                    if (r.empty() || r[0]["word"] != exact_an[i][0]) ++mismatches;
                  })});
  rows.push_back({"odd-one-out (4 words), HTTP", Measure(o.queries, [&](size_t i) {
                    call("POST", base + "/odd-one-out", {{"words", odd[i]}});
                  })});

  // Text upserts: 8-word texts into a collection whose encoder is the model, over HTTP in batches
  // of 500 (the server encodes them through the inference layer), against the pure encoding rate
  // of the same texts in process (WordModel::TextVector, the same computation) as the baseline.
  const size_t n_texts = std::max<size_t>(10 * o.queries, 5000), text_batch = 500;
  std::vector<std::string> texts(n_texts);
  for (auto& t : texts) {
    for (int w = 0; w < 8; ++w) t += (w ? " " : "") + vocab[pick(rng)];
  }
  auto encode_start = Clock::now();
  for (const auto& t : texts) Check(model->TextVector(t), "encoding a text");
  const double encode_per_s = static_cast<double>(n_texts) / Seconds(encode_start);
  (void)client.Request("DELETE", "/collections/bench_texts");  // left by an earlier run in the same work dir
  call("PUT", "/collections/bench_texts", {{"metric", "cosine"}, {"index", "Flat"}, {"encoder", kLatencyModel}});
  auto upsert_start = Clock::now();
  for (size_t begin = 0; begin < n_texts; begin += text_batch) {
    json points = json::array();
    for (size_t i = begin; i < std::min(n_texts, begin + text_batch); ++i) points.push_back({{"id", i}, {"text", texts[i]}});
    call("PUT", "/collections/bench_texts/points", {{"points", std::move(points)}});
  }
  const double upsert_per_s = static_cast<double>(n_texts) / Seconds(upsert_start);
  const size_t stored = call("GET", "/collections/bench_texts", nullptr)["points_count"].get<size_t>();
  server.Stop();

  std::printf("\n== latency: %zu-word model, dim %zu, HNSW32 (ef default), k = %zu, %zu queries, one client thread "
              "(first analogy after opening: %.0f ms, builds the in-memory unit matrix)\n",
              n_words, model->dim(), kK, o.queries, matrix_ms);
  std::printf("%-36s %9s %9s %9s %10s\n", "operation", "p50 ms", "p99 ms", "QPS", "recall@10");
  json out = json::array();
  for (const auto& r : rows) {
    std::printf("%-36s %9.3f %9.3f %9.0f", r.name.c_str(), r.l.Pct(0.5), r.l.Pct(0.99), r.l.qps());
    if (r.recall >= 0) std::printf(" %10.4f", r.recall);
    std::printf("\n");
    json j = {{"operation", r.name}, {"p50_ms", r.l.Pct(0.5)}, {"p99_ms", r.l.Pct(0.99)}, {"qps", r.l.qps()}};
    if (r.recall >= 0) j["recall_at_10"] = r.recall;
    out.push_back(j);
  }
  std::printf("HTTP top-1 differing from in process: %zu (expected 0)\n", mismatches);
  std::printf("text upserts over HTTP (8-word texts, batches of %zu, one connection): %.0f texts/s = %.2fx the pure "
              "encoding rate in process (%.0f texts/s); %zu of %zu stored\n",
              text_batch, upsert_per_s, upsert_per_s / encode_per_s, encode_per_s, stored, n_texts);
  db->Close();
  return {{"words", n_words}, {"dim", model->dim()}, {"queries", o.queries}, {"first_analogy_ms", matrix_ms},
          {"http_mismatches", mismatches}, {"rows", out},
          {"text_upsert", {{"texts", n_texts}, {"batch", text_batch}, {"stored", stored}, {"http_texts_per_s", upsert_per_s},
                           {"encode_texts_per_s", encode_per_s}, {"ratio", upsert_per_s / encode_per_s}}}};
}

}  // namespace
}  // namespace latentdb::bench

int main(int argc, char** argv) {
  using namespace latentdb::bench;
  Dying().program = "word_bench";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // tables survive a Die() mid-run
  Options o = ParseOptions(argc, argv);
  std::error_code ec;
  fs::create_directories(o.work_dir, ec);
  if (ec) Die("cannot create " + o.work_dir + ": " + ec.message());
  json report;
  if (!o.skip_train) report["training"] = TrainingBench(o);
  if (!o.skip_latency) report["latency"] = LatencyBench(o);
  std::printf("\n%s\n", report.dump().c_str());
  return 0;
}
