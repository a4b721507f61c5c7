// fastText .bin: validation before the library sees a file (truncated and corrupted copies of a
// real model), training on a tiny corpus, and OOV subword vectors compared with fastText's own
// getWordVector.
#include <catch2/catch.hpp>
#include <fasttext/fasttext.h>

#include <cstring>
#include <fstream>
#include <random>

#include "common/file_util.h"
#include "engine/database.h"
#include "formats/fasttext_file.h"
#include "words/fasttext_model.h"
#include "words/importer.h"
#include "models/model_registry.h"
#include "words/word_model.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::words;
using namespace latentdb::formats;
using latentdb::testing::TempDir;

namespace {

void WriteBytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::vector<float> LibraryVector(const std::string& model_path, const std::string& word) {
  fasttext::FastText ft;
  ft.loadModel(model_path);
  fasttext::Vector v(ft.getDimension());
  ft.getWordVector(v, word);
  return std::vector<float>(v.data(), v.data() + v.size());
}

// A tiny model trained in the test (dim 10, one epoch, small bucket table).
std::string TrainTiny(const TempDir& tmp) {
  TrainOptions o;
  o.corpus = std::string(LATENTDB_FIXTURES_DIR) + "/lee_background.cor";
  o.dim = 10;
  o.epoch = 1;
  o.threads = 1;
  o.bucket = 20000;
  auto m = FastTextModel::Train(o, nullptr);
  REQUIRE(m.ok());
  CHECK((*m)->dim() == 10);
  CHECK((*m)->vocab_size() > 500);
  std::string path = tmp.Sub("tiny.bin");
  REQUIRE((*m)->Save(path).ok());
  return path;
}

}  // namespace

TEST_CASE("words: truncated or corrupted fastText files are refused before the library loads them", "[words]") {
  std::string src = std::string(LATENTDB_FIXTURES_DIR) + "/lee_fasttext_new.bin";
  REQUIRE(PathExists(src));
  auto ok = InspectFastTextFile(src);
  REQUIRE(ok.ok());
  CHECK(ok->dim == 10);
  std::string bytes = *ReadWholeFile(src);
  TempDir tmp;
  std::string path = tmp.Sub("x.bin");
  for (size_t cut : {size_t{0}, size_t{3}, size_t{8}, size_t{40}, size_t{70}, size_t{100}, bytes.size() / 3, bytes.size() / 2,
                     bytes.size() - 41, bytes.size() - 1}) {
    WriteBytes(path, bytes.substr(0, cut));
    auto r = InspectFastTextFile(path);
    INFO("cut at " << cut << ": " << r.status().ToString());
    CHECK(!r.ok());
    CHECK(!FastTextModel::Load(path).ok());
  }
  // A dimension the matrices do not have.
  std::string bad = bytes;
  int32_t dim = 11;
  std::memcpy(&bad[8], &dim, 4);
  WriteBytes(path, bad);
  CHECK(InspectFastTextFile(path).status().code() == StatusCode::kCorruption);
  // A dictionary that claims 29,999,999 words (fastText would try to read them all).
  bad = bytes;
  int32_t huge = 29999999;
  std::memcpy(&bad[64], &huge, 4);
  std::memcpy(&bad[68], &huge, 4);
  WriteBytes(path, bad);
  CHECK(!InspectFastTextFile(path).ok());
  // Trailing garbage.
  WriteBytes(path, bytes + "junk");
  CHECK(InspectFastTextFile(path).status().code() == StatusCode::kCorruption);
  // The old-format fixture.
  auto old = FastTextModel::Load(std::string(LATENTDB_FIXTURES_DIR) + "/lee_fasttext.bin");
  CHECK(old.status().code() == StatusCode::kUnsupportedMedia);
}

TEST_CASE("words: a model trained here imports with subwords equal to fastText's own vectors", "[words]") {
  REQUIRE(PathExists(std::string(LATENTDB_FIXTURES_DIR) + "/lee_background.cor"));
  TempDir tmp;
  std::string bin = TrainTiny(tmp);
  REQUIRE(InspectFastTextFile(bin).ok());
  engine::DatabaseOptions dbo;
  dbo.data_dir = tmp.Sub("data");
  dbo.persist_interval_seconds = 0;
  auto db = engine::Database::Open(dbo);
  REQUIRE(db.ok());
  ImportOptions o;
  o.path = bin;
  o.name = "tiny";
  auto m = ImportWordModel(**db, o);
  REQUIRE(m.ok());
  CHECK((*m)["subwords"] == true);
  CHECK(PathExists(models::ModelDir(dbo.data_dir, "tiny") + "/model.bin"));
  auto wm = WordModel::Open(db->get(), "tiny");
  REQUIRE(wm.ok());
  REQUIRE((*wm)->has_subwords());
  // In vocabulary: the stored vector is fastText's word vector.
  auto in = (*wm)->Vector("government");
  REQUIRE(in.ok());
  CHECK(!in->oov);
  auto lib = LibraryVector(bin, "government");
  for (size_t i = 0; i < lib.size(); ++i) CHECK(in->vector[i] == Approx(lib[i]).margin(1e-6));
  // Out of vocabulary: subwords, equal to fastText's getWordVector.
  for (std::string w : {"governmentalistic", "xqzptest", "Überzeugung"}) {
    INFO(w);
    REQUIRE(!(*wm)->InVocabulary(w));
    auto oov = (*wm)->Vector(w);
    REQUIRE(oov.ok());
    CHECK(oov->oov);
    auto want = LibraryVector(bin, w);
    for (size_t i = 0; i < want.size(); ++i) CHECK(oov->vector[i] == Approx(want[i]).margin(1e-6));
  }
  // Neighbors of an OOV word: exact cosine ranking of the whole vocabulary.
  auto nn = (*wm)->Neighbors("governmentalistic", 5);
  REQUIRE(nn.ok());
  CHECK(nn->size() == 5);
}

TEST_CASE("words: fastText files with random bytes changed in the header and dictionary never crash", "[words]") {
  std::string src = std::string(LATENTDB_FIXTURES_DIR) + "/crime-and-punishment.bin";
  REQUIRE(PathExists(src));
  std::string bytes = *ReadWholeFile(src);
  TempDir tmp;
  std::mt19937 rng(42);
  size_t loaded = 0, refused = 0;
  for (int i = 0; i < 60; ++i) {
    std::string bad = bytes;
    size_t pos = rng() % std::min<size_t>(bytes.size(), 4000);
    bad[pos] = static_cast<char>(rng() & 0xFF);
    std::string path = tmp.Sub("f" + std::to_string(i) + ".bin");
    WriteBytes(path, bad);
    auto m = FastTextModel::Load(path);  // either loads or says why; never aborts
    if (m.ok()) {
      ++loaded;
      CHECK((*m)->WordVector("zzzz").size() == static_cast<size_t>((*m)->dim()));
    } else {
      ++refused;
    }
  }
  CHECK(loaded + refused == 60);
}

namespace {

// fastText's header: int32 magic, version, then the arguments (int32 dim, ws, epoch, minCount,
// neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate; double t), then the dictionary
// (int32 size, nwords, nlabels; int64 ntokens, pruneidx_size; entries from byte 92).
constexpr size_t kDimAt = 8, kBucketAt = 40, kMinnAt = 44, kMaxnAt = 48, kSizeAt = 64, kNwordsAt = 68, kEntriesAt = 92;

std::string Patched(std::string bytes, size_t at, int32_t value) {
  std::memcpy(&bytes[at], &value, 4);
  return bytes;
}

}  // namespace

TEST_CASE("words: fastText header fields the library divides or allocates by are refused before it sees the file",
          "[words][fasttext]") {
  TempDir tmp;
  // A real model without subwords: maxn 0, so fastText saves bucket 0 and the input matrix has
  // exactly nwords rows. Turning n-grams on in its header keeps every size consistent, and
  // fastText would then hash n-grams modulo a bucket count of 0 while loading: SIGFPE.
  TrainOptions o;
  o.corpus = std::string(LATENTDB_FIXTURES_DIR) + "/lee_background.cor";
  o.dim = 8;
  o.epoch = 1;
  o.threads = 1;
  o.maxn = 0;
  o.minn = 0;
  auto trained = FastTextModel::Train(o, nullptr);
  REQUIRE(trained.ok());
  const std::string plain = tmp.Sub("plain.bin");
  REQUIRE((*trained)->Save(plain).ok());
  auto info = InspectFastTextFile(plain);
  REQUIRE(info.ok());
  REQUIRE(info->bucket == 0);
  REQUIRE(info->maxn == 0);
  const std::string bytes = *ReadWholeFile(plain);
  const std::string path = tmp.Sub("x.bin");

  WriteBytes(path, Patched(Patched(bytes, kMinnAt, 3), kMaxnAt, 6));
  auto r = InspectFastTextFile(path);
  INFO(r.status().ToString());
  REQUIRE(!r.ok());  // REQUIRE: loading it would kill this test process
  CHECK(r.status().message().find("bucket count is 0") != std::string::npos);
  CHECK(!FastTextModel::Load(path).ok());
  // The command line: an error and exit code 1, not a signal.
  std::string out;
  CHECK(latentdb::testing::RunLatentdb({"models", "import", path, "--name", "x", "--data-dir", tmp.Sub("data")}, &out) == 1);
  CHECK(out.find("bucket count is 0") != std::string::npos);
  CHECK(!PathExists(models::ModelDir(tmp.Sub("data"), "x")));

  // The same checks on the real fixture (subwords on, bucket 1000), one field at a time.
  const std::string real = *ReadWholeFile(std::string(LATENTDB_FIXTURES_DIR) + "/lee_fasttext_new.bin");
  REQUIRE(InspectFastTextFile(std::string(LATENTDB_FIXTURES_DIR) + "/lee_fasttext_new.bin").ok());
  int64_t negative = -5;
  std::string negative_count = real;
  std::memcpy(&negative_count[kEntriesAt + 4], &negative, 8);  // "the\0" then its int64 count
  std::string bad_type = real;
  bad_type[kEntriesAt + 4 + 8] = 2;
  struct Case {
    const char* what;
    std::string file;
    const char* error;
  };
  for (const auto& c : {Case{"bucket 0 with n-grams on", Patched(real, kBucketAt, 0), "bucket count is 0"},
                        Case{"minn > maxn", Patched(real, kMinnAt, 7), "minn 7 is greater than maxn 6"},
                        Case{"dim 0", Patched(real, kDimAt, 0), "dimension 0 out of range"},
                        Case{"dim huge", Patched(real, kDimAt, 1 << 30), "out of range"},
                        Case{"negative bucket", Patched(real, kBucketAt, -1), "out of range"},
                        Case{"no words", Patched(Patched(real, kSizeAt, 0), kNwordsAt, 0), "no words"},
                        Case{"nwords beyond the file", Patched(Patched(real, kSizeAt, 20000000), kNwordsAt, 20000000), "truncated"},
                        Case{"a negative count", negative_count, "has the count -5"},
                        Case{"an entry type that is neither word nor label", bad_type, "has the type 2"}}) {
    INFO(c.what);
    WriteBytes(path, c.file);
    auto bad = InspectFastTextFile(path);
    INFO(bad.status().ToString());
    REQUIRE(!bad.ok());
    CHECK(bad.status().message().find(c.error) != std::string::npos);
    CHECK(!FastTextModel::Load(path).ok());
  }
}
