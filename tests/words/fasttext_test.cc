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
#include "engine/words/fasttext_file.h"
#include "engine/words/fasttext_model.h"
#include "engine/words/importer.h"
#include "engine/models/model_registry.h"
#include "engine/words/word_model.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using namespace latentdb::words;
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
