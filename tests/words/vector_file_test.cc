// Format readers (files the test writes, in every format, plus malformed and truncated ones) and
// the importer on every real file in tests/fixtures.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/file_util.h"
#include "engine/database.h"
#include "engine/words/importer.h"
#include "engine/models/model_registry.h"
#include "engine/words/tokenize.h"
#include "engine/words/vector_file.h"
#include "tests/support/temp_dir.h"
#include "tests/words/words_test_util.h"

using namespace latentdb;
using namespace latentdb::words;
using latentdb::testing::TempDir;
using namespace latentdb::testing::words;

namespace {

std::vector<WordVector> ReadAll(const std::string& path, VectorFormat f, size_t limit, Status* status) {
  std::vector<WordVector> out;
  *status = ReadVectorFile(
      path, f, limit, [](const VectorFileHeader&) { return Status::Ok(); },
      [&](WordVector&& wv) {
        out.push_back(std::move(wv));
        return Status::Ok();
      });
  return out;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::unique_ptr<engine::Database> OpenDb(const std::string& dir) {
  engine::DatabaseOptions o;
  o.data_dir = dir;
  o.persist_interval_seconds = 0;
  auto db = engine::Database::Open(o);
  REQUIRE(db.ok());
  return std::move(db).value();
}

}  // namespace

TEST_CASE("words: tokenize splits punctuation and keeps UTF-8 letters", "[words]") {
  auto t = Tokenize("Don't stop, Élan-vital!  x", false);
  std::vector<std::string> want = {"Don", "'", "t", "stop", ",", "Élan", "-", "vital", "!", "x"};
  CHECK(t == want);
  CHECK(Tokenize("ABC déF", true) == std::vector<std::string>{"abc", "déf"});
  std::string s = "ok\xff\xfe then \xc3\xa9 \xe2\x82";  // two bad bytes, é, a truncated sequence
  CHECK(StripInvalidUtf8(&s) == 4);
  CHECK(s == "ok then \xc3\xa9 ");
}

TEST_CASE("words: each format reads back exactly what was written", "[words]") {
  TempDir tmp;
  Vocab v = RandomVocab(50, 7, 1);
  WriteText(v, tmp.Sub("w2v.txt"), true);
  WriteText(v, tmp.Sub("glove.txt"), false);
  WriteBinary(v, tmp.Sub("w2v.bin"));
  struct Case {
    std::string file;
    VectorFormat format;
  };
  for (const auto& c : {Case{"w2v.txt", VectorFormat::kWord2VecText}, Case{"glove.txt", VectorFormat::kGlove},
                        Case{"w2v.bin", VectorFormat::kWord2VecBinary}}) {
    INFO(c.file);
    auto detected = DetectVectorFormat(tmp.Sub(c.file));
    REQUIRE(detected.ok());
    CHECK(*detected == c.format);
    Status s;
    auto got = ReadAll(tmp.Sub(c.file), c.format, 0, &s);
    REQUIRE(s.ok());
    REQUIRE(got.size() == v.words.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].word == v.words[i]);
      CHECK(got[i].vector == v.vectors[i]);  // %.9g round-trips float exactly
    }
    auto limited = ReadAll(tmp.Sub(c.file), c.format, 10, &s);
    CHECK(s.ok());
    CHECK(limited.size() == 10);
  }
}

TEST_CASE("words: malformed and truncated vector files give clear errors", "[words]") {
  TempDir tmp;
  Vocab v = RandomVocab(20, 4, 2);
  WriteBinary(v, tmp.Sub("full.bin"));
  std::string full = *ReadWholeFile(tmp.Sub("full.bin"));
  Status s;
  // Truncated binary at many points: always Corruption, never a crash.
  for (size_t cut : {size_t{5}, size_t{9}, size_t{30}, full.size() / 2, full.size() - 3}) {
    WriteBytes(tmp.Sub("cut.bin"), full.substr(0, cut));
    ReadAll(tmp.Sub("cut.bin"), VectorFormat::kWord2VecBinary, 0, &s);
    INFO("cut at " << cut << ": " << s.ToString());
    CHECK(s.code() == StatusCode::kCorruption);
  }
  WriteBytes(tmp.Sub("short.txt"), "3 2\na 1 2\nb 3 4\n");
  ReadAll(tmp.Sub("short.txt"), VectorFormat::kWord2VecText, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().find("truncated") != std::string::npos);
  WriteBytes(tmp.Sub("fields.txt"), "2 2\na 1 2\nb 3\n");
  ReadAll(tmp.Sub("fields.txt"), VectorFormat::kWord2VecText, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().find("line 3") != std::string::npos);
  WriteBytes(tmp.Sub("nan.txt"), "a 1 nan\n");
  ReadAll(tmp.Sub("nan.txt"), VectorFormat::kGlove, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  WriteBytes(tmp.Sub("empty.txt"), "");
  CHECK(!DetectVectorFormat(tmp.Sub("empty.txt")).ok());
  ReadAll(tmp.Sub("empty.txt"), VectorFormat::kGlove, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  WriteBytes(tmp.Sub("dim.txt"), "1 0\n");
  ReadAll(tmp.Sub("dim.txt"), VectorFormat::kWord2VecText, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(ReadVectorFile(tmp.Sub("missing"), VectorFormat::kGlove, 0, nullptr, nullptr).code() == StatusCode::kIOError);
}

TEST_CASE("words: the importer makes a collection of words in frequency order and a manifest", "[words]") {
  TempDir tmp;
  Vocab v = RandomVocab(30, 5, 3);
  v.words[20] = v.words[3];  // a duplicate: the first occurrence wins
  WriteBinary(v, tmp.Sub("m.bin"));
  auto db = OpenDb(tmp.Sub("data"));
  ImportOptions o;
  o.path = tmp.Sub("m.bin");
  o.name = "m";
  auto m = ImportWordModel(*db, o);
  REQUIRE(m.ok());
  CHECK((*m)["vocab_size"] == 29);
  CHECK((*m)["skipped"]["duplicates"] == 1);
  CHECK((*m)["format"] == "word2vec-bin");
  CHECK((*m)["sha256"].get<std::string>().size() == 64);
  auto c = db->GetCollection("m");
  REQUIRE(c.ok());
  CHECK((*c)->config().metric == index::Metric::kCosine);
  auto page = (*c)->Scroll(100, std::nullopt, nullptr, true, true);
  REQUIRE(page.ok());
  REQUIRE(page->points.size() == 29);
  CHECK(page->points[0].id.ToJson() == v.words[0]);
  CHECK(page->points[5].payload["rank"] == 5);
  CHECK(*page->points[3].vector == v.vectors[3]);
  auto manifest = models::ReadManifest(tmp.Sub("data"), "m");
  REQUIRE(manifest.ok());
  CHECK((*manifest)["dim"] == 5);
  // The name is taken now.
  CHECK(ImportWordModel(*db, o).status().code() == StatusCode::kAlreadyExists);
  // A failed import leaves nothing behind.
  WriteBytes(tmp.Sub("bad.txt"), "2 2\na 1 2\nb x y\n");
  o.path = tmp.Sub("bad.txt");
  o.name = "bad";
  CHECK(ImportWordModel(*db, o).status().code() == StatusCode::kCorruption);
  CHECK(!db->GetCollection("bad").ok());
  CHECK(!PathExists(models::ModelDir(tmp.Sub("data"), "bad")));
}

TEST_CASE("words: every real fixture file imports, the old fastText format is refused", "[words]") {
  std::string dir = LATENTDB_FIXTURES_DIR;
  REQUIRE(PathExists(dir + "/README.md"));
  TempDir tmp;
  auto db = OpenDb(tmp.Sub("data"));
  struct Case {
    std::string file;
    size_t words, dim;
    std::string format;
  };
  for (const auto& c : {Case{"lee_fasttext.vec", 1762, 10, "word2vec"}, Case{"euclidean_vectors.bin", 2747, 10, "word2vec-bin"},
                        Case{"test_glove.txt", 0, 50, "glove"}, Case{"crime-and-punishment.vec", 291, 5, "word2vec"},
                        Case{"crime-and-punishment.bin", 291, 5, "fasttext-bin"},
                        Case{"lee_fasttext_new.bin", 0, 10, "fasttext-bin"}}) {
    INFO(c.file);
    ImportOptions o;
    o.path = dir + "/" + c.file;
    o.name = "m" + std::to_string(std::hash<std::string>()(c.file) % 100000);
    auto m = ImportWordModel(*db, o);
    INFO(m.status().ToString());
    REQUIRE(m.ok());
    CHECK((*m)["format"] == c.format);
    CHECK((*m)["dim"] == c.dim);
    if (c.words) CHECK((*m)["vocab_size"] == c.words);
    CHECK((*m)["vocab_size"].get<size_t>() > 50);
  }
  ImportOptions old;
  old.path = dir + "/lee_fasttext.bin";
  old.name = "old";
  auto r = ImportWordModel(*db, old);
  CHECK(r.status().code() == StatusCode::kUnsupportedMedia);
  CHECK(r.status().message().find("not a fastText model in the current format") != std::string::npos);
  CHECK(!db->GetCollection("old").ok());
  // --limit keeps the most frequent words.
  ImportOptions lim;
  lim.path = dir + "/lee_fasttext.vec";
  lim.name = "lim";
  lim.limit = 100;
  auto l = ImportWordModel(*db, lim);
  REQUIRE(l.ok());
  CHECK((*l)["vocab_size"] == 100);
}
