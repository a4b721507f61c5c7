#include "words/importer.h"

#include <filesystem>
#include <unordered_set>

#include "common/file_util.h"
#include "formats/fasttext_file.h"
#include "models/model_registry.h"
#include "common/sha256.h"
#include "words/tokenize.h"

namespace latentdb::words {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kBatch = 4096;
constexpr size_t kMaxWordBytes = 512;

// Accumulates points and writes them to the collection in batches.
class WordWriter {
 public:
  WordWriter(std::shared_ptr<engine::Collection> c, const ImportProgress& progress) : c_(std::move(c)), progress_(progress) {}

  Status Add(std::string word, std::vector<float> vec, int64_t count) {
    if (word.empty() || word.size() > kMaxWordBytes) {
      Skip(&too_long_, "too_long_or_empty", word);
      return Status::Ok();
    }
    // Text and word2vec binary files refuse such words in their readers (as gensim); fastText
    // models (whose words are bytes) get here.
    if (formats::FirstInvalidUtf8(word) != std::string_view::npos) {
      Skip(&bad_utf8_, "invalid_utf8", word);
      return Status::Ok();
    }
    if (!seen_.insert(word).second) {
      Skip(&duplicates_, "duplicates", word);
      return Status::Ok();
    }
    json payload = {{"rank", rank_++}};
    if (count >= 0) payload["count"] = count;
    batch_.Add(engine::ExternalId(std::move(word)), vec, std::move(payload));
    if (batch_.size() >= kBatch) return Flush();
    return Status::Ok();
  }
  Status Flush() {
    if (batch_.empty()) return Status::Ok();
    Status s = c_->Upsert(std::move(batch_));
    batch_ = engine::UpsertBatch();
    if (progress_) progress_(rank_);
    return s;
  }
  size_t imported() const { return rank_; }
  json Skipped() const { return {{"duplicates", duplicates_}, {"invalid_utf8", bad_utf8_}, {"too_long_or_empty", too_long_}}; }
  // The first word skipped for each reason, printable (see formats::PrintableWord): {} when none was.
  const json& SkippedExamples() const { return examples_; }

 private:
  std::shared_ptr<engine::Collection> c_;
  const ImportProgress& progress_;
  engine::UpsertBatch batch_;
  void Skip(size_t* counter, const char* reason, const std::string& word) {
    if ((*counter)++ == 0) examples_[reason] = formats::PrintableWord(word);
  }

  std::unordered_set<std::string> seen_;
  json examples_ = json::object();
  size_t rank_ = 0, duplicates_ = 0, bad_utf8_ = 0, too_long_ = 0;
};

Status CheckFree(engine::Database& db, const std::string& name) {
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
  if (db.GetCollection(name).ok()) return Status::AlreadyExists("a collection named '" + name + "' already exists");
  if (PathExists(models::ModelDir(db.options().data_dir, name) + "/manifest.json")) {
    return Status::AlreadyExists("word model '" + name + "' already exists");
  }
  return Status::Ok();
}

Result<std::shared_ptr<engine::Collection>> CreateWordCollection(engine::Database& db, const std::string& name, size_t dim,
                                                                 const std::string& index) {
  engine::CollectionConfig cfg;
  cfg.dim = dim;
  cfg.metric = index::Metric::kCosine;
  cfg.index = index;
  return db.CreateCollection(name, cfg);
}

// Drops what a failed import created.
Status Cleanup(engine::Database& db, const std::string& name, const Status& error) {
  (void)db.DropCollection(name);
  (void)models::RemoveModelDir(db.options().data_dir, name);
  return error;
}

Result<json> ImportFastTextBin(engine::Database& db, const ImportOptions& o, json manifest, const ImportProgress& progress) {
  LDB_ASSIGN_OR_RETURN(formats::FastTextFileInfo info, formats::InspectFastTextFile(o.path));
  LDB_ASSIGN_OR_RETURN(auto model, FastTextModel::Load(o.path));
  manifest["parameters"] = {{"model", info.ModelName()}, {"dim", info.dim},     {"epoch", info.epoch},
                            {"min_count", info.min_count}, {"window", info.ws}, {"neg", info.neg},
                            {"minn", info.minn},           {"maxn", info.maxn}, {"bucket", info.bucket},
                            {"fasttext_version", info.version}};
  manifest["corpus"] = {{"tokens", info.ntokens}};
  std::string dir = models::ModelDir(db.options().data_dir, o.name);
  LDB_RETURN_IF_ERROR(CreateDirectories(dir));
  std::error_code ec;
  fs::copy_file(o.path, dir + "/model.bin", fs::copy_options::overwrite_existing, ec);
  if (ec) return Cleanup(db, o.name, Status::IOError("copying " + o.path + " to " + dir + ": " + ec.message()));
  manifest["model_file"] = "model.bin";
  manifest["limit"] = o.limit;
  return RegisterFastTextModel(db, o.name, *model, manifest, progress);
}

}  // namespace

std::string DefaultIndexFor(size_t words) { return words < 20000 ? "Flat" : "HNSW32"; }

Result<json> RegisterFastTextModel(engine::Database& db, const std::string& name, const FastTextModel& model,
                                   const json& extra, const ImportProgress& progress) {
  size_t n = model.vocab_size();
  size_t limit = extra.value("limit", size_t{0});
  if (limit) n = std::min(n, limit);
  auto c = CreateWordCollection(db, name, static_cast<size_t>(model.dim()), DefaultIndexFor(n));
  if (!c.ok()) return Cleanup(db, name, c.status());
  WordWriter w(*c, progress);
  for (size_t i = 0; i < n; ++i) {
    Status s = w.Add(model.Word(i), model.WordVector(model.Word(i)), model.Count(i));
    if (!s.ok()) return Cleanup(db, name, s);
  }
  Status s = w.Flush();
  if (!s.ok()) return Cleanup(db, name, s);
  json m = extra;
  m["name"] = name;
  m["kind"] = "word2vec";
  m["dim"] = model.dim();
  m["vocab_size"] = w.imported();
  m["skipped"] = w.Skipped();
  m["skipped_examples"] = w.SkippedExamples();
  m["subwords"] = model.has_subwords();
  m["model_file"] = "model.bin";
  m["index"] = (*c)->config().index;
  if (!m.contains("created")) m["created"] = models::NowIso8601();
  std::string bin = models::ModelDir(db.options().data_dir, name) + "/model.bin";
  if (!m.contains("sha256")) {
    auto sha = Sha256File(bin);
    if (!sha.ok()) return Cleanup(db, name, sha.status());
    m["sha256"] = *sha;
  }
  s = models::WriteManifest(db.options().data_dir, name, m);
  if (!s.ok()) return Cleanup(db, name, s);
  return m;
}

Result<json> ImportWordModel(engine::Database& db, const ImportOptions& o, const ImportProgress& progress) {
  LDB_RETURN_IF_ERROR(CheckFree(db, o.name));
  LDB_RETURN_IF_ERROR(RequireRegularFile(o.path));  // /dev/zero or a FIFO would never end
  formats::VectorFormat format = o.format;
  if (format == formats::VectorFormat::kAuto) {
    LDB_ASSIGN_OR_RETURN(format, formats::DetectVectorFormat(o.path));
  }
  LDB_ASSIGN_OR_RETURN(std::string sha, Sha256File(o.path));
  json manifest = {{"name", o.name},        {"kind", "word2vec"}, {"format", formats::VectorFormatName(format)},
                   {"source", fs::absolute(o.path).string()}, {"sha256", sha}, {"created", models::NowIso8601()},
                   {"model_file", nullptr}, {"scores", json::object()}};
  if (format == formats::VectorFormat::kFastTextBin) {
    return ImportFastTextBin(db, o, manifest, progress);
  }

  std::shared_ptr<engine::Collection> collection;
  std::unique_ptr<WordWriter> writer;
  size_t declared = 0, dim = 0;
  formats::VectorFileReport report;
  Status s = formats::ReadVectorFile(
      o.path, format, o.limit,
      [&](const formats::VectorFileHeader& h) -> Status {
        declared = h.declared_words;
        dim = h.dim;
        size_t expect = declared;
        if (expect == 0) {  // glove: estimate from the file size (about 9 bytes per number)
          std::error_code ec;
          expect = static_cast<size_t>(fs::file_size(o.path, ec) / (9 * h.dim + 8));
        }
        if (o.limit) expect = std::min(expect, o.limit);
        LDB_ASSIGN_OR_RETURN(collection, CreateWordCollection(db, o.name, h.dim, o.index.empty() ? DefaultIndexFor(expect) : o.index));
        writer = std::make_unique<WordWriter>(collection, progress);
        return Status::Ok();
      },
      [&](formats::WordVector&& wv) -> Status { return writer->Add(std::move(wv.word), std::move(wv.vector), -1); }, &report);
  if (s.ok() && writer) s = writer->Flush();
  if (s.ok() && (!writer || writer->imported() == 0)) s = Status::Corruption(o.path + ": no words");
  if (!s.ok()) {
    if (s.code() == StatusCode::kAlreadyExists) return s;
    return Cleanup(db, o.name, s);
  }
  manifest["dim"] = dim;
  manifest["vocab_size"] = writer->imported();
  manifest["declared_words"] = declared;
  manifest["rows_after_declared"] = report.rows_after_declared;
  manifest["limit"] = o.limit;
  manifest["skipped"] = writer->Skipped();
  manifest["skipped_examples"] = writer->SkippedExamples();
  manifest["subwords"] = false;
  manifest["index"] = collection->config().index;
  s = models::WriteManifest(db.options().data_dir, o.name, manifest);
  if (!s.ok()) return Cleanup(db, o.name, s);
  return manifest;
}

}  // namespace latentdb::words
