#include "words/trainer.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "common/file_util.h"
#include "common/utf8_bom.h"
#include "words/evaluation.h"
#include "words/importer.h"
#include "models/model_registry.h"
#include "common/sha256.h"

namespace latentdb::words {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Status Concatenate(const std::vector<std::string>& files, const std::string& out_path) {
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(out_path.c_str(), "wb"), &std::fclose);
  if (!out) return Status::IOError("cannot create " + out_path);
  std::vector<char> buf(1 << 20);
  for (const auto& f : files) {
    std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(f.c_str(), "rb"), &std::fclose);
    if (!in) return Status::IOError("cannot open corpus " + f);
    // A BOM would become part of the first word of the corpus: drop it, keep any other first bytes.
    unsigned char head[3] = {0, 0, 0};
    size_t got = std::fread(head, 1, 3, in.get());
    if (!StartsWithUtf8Bom(std::string_view(reinterpret_cast<const char*>(head), got)) &&
        std::fwrite(head, 1, got, out.get()) != got) {
      return Status::IOError("writing " + out_path);
    }
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), in.get())) > 0) {
      if (std::fwrite(buf.data(), 1, n, out.get()) != n) return Status::IOError("writing " + out_path);
    }
    std::fputc('\n', out.get());
  }
  return Status::Ok();
}

bool FileStartsWithBom(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(path.c_str(), "rb"), &std::fclose);
  return in && SkipUtf8Bom(in.get());
}

}  // namespace

Result<json> EvaluateAndRecord(engine::Database& db, const std::string& name, const std::string& analogies,
                               const std::string& pairs, int threads) {
  LDB_ASSIGN_OR_RETURN(json manifest, models::ReadManifest(db.options().data_dir, name));
  LDB_ASSIGN_OR_RETURN(auto c, db.GetCollection(name));
  LDB_ASSIGN_OR_RETURN(auto vocab, EvalVocabulary::Load(*c));
  json scores = manifest.value("scores", json::object());
  json out = json::object();
  if (!analogies.empty()) {
    LDB_ASSIGN_OR_RETURN(auto a, EvaluateAnalogies(vocab, analogies, threads));
    out["analogies"] = a.ToJson();
    scores["analogies"] = {{"file", fs::path(analogies).filename().string()}, {"total", a.total.accuracy()},
                           {"semantic", a.semantic.accuracy()}, {"syntactic", a.syntactic.accuracy()},
                           {"questions", a.questions}, {"skipped", a.skipped}};
  }
  if (!pairs.empty()) {
    LDB_ASSIGN_OR_RETURN(auto p, EvaluatePairs(vocab, pairs));
    out["pairs"] = p.ToJson();
    scores["pairs"] = p.ToJson();
    scores["pairs"]["file"] = fs::path(pairs).filename().string();
  }
  manifest["scores"] = scores;
  LDB_RETURN_IF_ERROR(models::WriteManifest(db.options().data_dir, name, manifest));
  return out;
}

Result<json> TrainWordModel(engine::Database& db, const TrainWordModelOptions& o,
                            const std::function<void(const TrainProgress&)>& progress) {
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(o.name));
  if (o.corpora.empty()) return Status::InvalidArgument("no corpus given");
  if (db.GetCollection(o.name).ok() || PathExists(models::ModelDir(db.options().data_dir, o.name) + "/manifest.json")) {
    return Status::AlreadyExists("word model or collection '" + o.name + "' already exists");
  }
  uint64_t bytes = 0;
  for (const auto& f : o.corpora) {
    std::error_code ec;
    auto sz = fs::file_size(f, ec);
    if (ec) return Status::IOError("cannot read corpus " + f + ": " + ec.message());
    bytes += sz;
  }
  std::string dir = models::ModelDir(db.options().data_dir, o.name);
  LDB_RETURN_IF_ERROR(CreateDirectories(dir));
  TrainOptions ft = o.fasttext;
  std::string joined;
  // fastText reads one file as it is: several corpora, or one that starts with a UTF-8 BOM, go
  // through a joined copy without BOMs.
  if (o.corpora.size() == 1 && !FileStartsWithBom(o.corpora[0])) {
    ft.corpus = o.corpora[0];
  } else {
    joined = dir + "/corpus.tmp";
    LDB_RETURN_IF_ERROR(Concatenate(o.corpora, joined));
    ft.corpus = joined;
  }
  auto start = std::chrono::steady_clock::now();
  auto model = FastTextModel::Train(ft, progress);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!joined.empty()) (void)RemoveFileIfExists(joined);
  if (!model.ok()) {
    (void)models::RemoveModelDir(db.options().data_dir, o.name);
    return model.status();
  }
  std::string bin = dir + "/model.bin";
  Status s = (*model)->Save(bin);
  if (!s.ok()) {
    (void)models::RemoveModelDir(db.options().data_dir, o.name);
    return s;
  }
  json corpus_files = json::array();
  for (const auto& f : o.corpora) corpus_files.push_back(fs::absolute(f).string());
  int64_t tokens = (*model)->ntokens();
  json extra = {
      {"format", "trained"},
      {"source", nullptr},
      {"parameters",
       {{"model", ft.model}, {"dim", ft.dim}, {"epoch", ft.epoch}, {"min_count", ft.min_count}, {"window", ft.window},
        {"threads", ft.threads}, {"minn", ft.minn}, {"maxn", ft.maxn}, {"neg", ft.neg}, {"lr", ft.lr}, {"bucket", ft.bucket}}},
      {"corpus", {{"files", corpus_files}, {"bytes", bytes}, {"tokens", tokens}}},
      {"training", {{"seconds", secs}, {"words_per_second", secs > 0 ? double(tokens) * ft.epoch / secs : 0.0}}},
      {"scores", json::object()}};
  LDB_ASSIGN_OR_RETURN(json manifest, RegisterFastTextModel(db, o.name, **model, extra));
  if (!o.analogies.empty() || !o.pairs.empty()) {
    LDB_ASSIGN_OR_RETURN(json scores, EvaluateAndRecord(db, o.name, o.analogies, o.pairs, ft.threads));
    (void)scores;
    LDB_ASSIGN_OR_RETURN(manifest, models::ReadManifest(db.options().data_dir, o.name));
  }
  return manifest;
}

}  // namespace latentdb::words
