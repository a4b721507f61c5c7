// Word operations against gensim's formulas computed independently in the test: neighbors,
// similarity, analogy (3CosAdd, 3CosMul, restrict_vocab), odd-one-out, text vectors, errors.
#include <catch2/catch.hpp>

#include "engine/database.h"
#include "words/importer.h"
#include "words/word_model.h"
#include "tests/support/temp_dir.h"
#include "tests/words/words_test_util.h"

using namespace latentdb;
using namespace latentdb::words;
using latentdb::testing::TempDir;
using namespace latentdb::testing::words;

namespace {

struct Fixture {
  TempDir tmp;
  Vocab v = RandomVocab(300, 16, 7);
  std::unique_ptr<engine::Database> db;
  std::shared_ptr<WordModel> model;
  Fixture() {
    v.words[1] = "King";
    v.words[2] = "king";
    WriteText(v, tmp.Sub("m.txt"), true);
    engine::DatabaseOptions o;
    o.data_dir = tmp.Sub("data");
    o.persist_interval_seconds = 0;
    db = std::move(engine::Database::Open(o)).value();
    ImportOptions io;
    io.path = tmp.Sub("m.txt");
    io.name = "m";
    io.index = "HNSW32";  // neighbors must still be exact
    REQUIRE(ImportWordModel(*db, io).ok());
    model = std::move(WordModel::Open(db.get(), "m")).value();
  }
};

}  // namespace

TEST_CASE("words: neighbors and similarity equal gensim's most_similar and similarity", "[words]") {
  Fixture f;
  for (size_t q : {size_t{0}, size_t{2}, size_t{57}, size_t{299}}) {
    const std::string& w = f.v.words[q];
    auto got = f.model->Neighbors(w, 20);
    REQUIRE(got.ok());
    auto want = GensimAnalogy(f.v, {w}, {}, 20, false);
    REQUIRE(got->size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      CHECK((*got)[i].word == want[i].first);
      CHECK((*got)[i].score == Approx(want[i].second).margin(1e-5));
    }
  }
  auto s = f.model->Similarity("w10", "w20");
  REQUIRE(s.ok());
  CHECK(*s == Approx(Dot(Unit(f.v.vectors[10]), Unit(f.v.vectors[20]))).margin(1e-6));
  // Case-sensitive lookups.
  auto k1 = f.model->Vector("King"), k2 = f.model->Vector("king");
  REQUIRE((k1.ok() && k2.ok()));
  CHECK(k1->vector != k2->vector);
  // Unknown words name themselves; k is bounded.
  auto nf = f.model->Neighbors("nosuchword", 5);
  CHECK(nf.status().code() == StatusCode::kNotFound);
  CHECK(nf.status().message().find("nosuchword") != std::string::npos);
  CHECK(f.model->Neighbors("w3", 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(f.model->Neighbors("w3", 10001).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("words: analogy equals gensim's most_similar and most_similar_cosmul", "[words]") {
  Fixture f;
  for (bool cosmul : {false, true}) {
    auto got = f.model->Analogy({"w5", "w9"}, {"w12"}, 10, cosmul, 0);
    REQUIRE(got.ok());
    auto want = GensimAnalogy(f.v, {"w5", "w9"}, {"w12"}, 10, cosmul);
    REQUIRE(got->size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      CHECK((*got)[i].word == want[i].first);
      CHECK((*got)[i].score == Approx(want[i].second).margin(1e-5));
    }
  }
  // restrict_vocab: only the first N words (frequency order) are candidates.
  auto r = f.model->Analogy({"w5", "w9"}, {"w12"}, 10, false, 40);
  REQUIRE(r.ok());
  Vocab first40 = f.v;
  first40.words.resize(40);
  first40.vectors.resize(40);
  auto want = GensimAnalogy(first40, {"w5", "w9"}, {"w12"}, 10, false);
  REQUIRE(r->size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK((*r)[i].word == want[i].first);
  CHECK(f.model->Analogy({}, {}, 10, false, 0).status().code() == StatusCode::kInvalidArgument);
  auto nf = f.model->Analogy({"w3", "zzz"}, {"w4"}, 10, false, 0);
  CHECK(nf.status().code() == StatusCode::kNotFound);
  CHECK(nf.status().message().find("zzz") != std::string::npos);
}

TEST_CASE("words: analogy follows writes made after an earlier analogy (in-memory matrix dropped)", "[words]") {
  Fixture f;
  REQUIRE(f.model->Analogy({"w5", "w9"}, {"w12"}, 10, false, 0).ok());  // builds the matrix
  // A new word pointing exactly along w5 + w9 - w12 must come first, with cosine 1.
  std::vector<float> dir(f.v.dim);
  auto u5 = Unit(f.v.vectors[5]), u9 = Unit(f.v.vectors[9]), u12 = Unit(f.v.vectors[12]);
  for (size_t i = 0; i < dir.size(); ++i) dir[i] = static_cast<float>(u5[i] + u9[i] - u12[i]);
  auto upsert = [&](const std::vector<float>& vec) {
    REQUIRE(f.model->collection().Upsert({{engine::ExternalId(std::string("target")), vec, nlohmann::json::object()}}).ok());
  };
  auto top = [&]() {
    auto r = f.model->Analogy({"w5", "w9"}, {"w12"}, 10, false, 0);
    REQUIRE(r.ok());
    return *r;
  };
  upsert(dir);
  auto r = top();
  CHECK(r[0].word == "target");
  CHECK(r[0].score == Approx(1.0).margin(1e-5));
  // Replaced by the opposite direction: last of all, so not in the top 10.
  std::vector<float> neg = dir;
  for (auto& x : neg) x = -x;
  upsert(neg);
  for (const auto& s : top()) CHECK(s.word != "target");
  upsert(dir);
  CHECK(top()[0].word == "target");
  REQUIRE(f.model->collection().Delete({engine::ExternalId(std::string("target"))}).ok());
  for (const auto& s : top()) CHECK(s.word != "target");
  // An input that was deleted is unknown.
  REQUIRE(f.model->collection().Delete({engine::ExternalId(std::string("w9"))}).ok());
  CHECK(f.model->Analogy({"w5", "w9"}, {"w12"}, 10, false, 0).status().code() == StatusCode::kNotFound);
}

TEST_CASE("words: odd-one-out equals gensim's doesnt_match", "[words]") {
  Fixture f;
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<std::string> words = {f.v.words[10 + trial], f.v.words[40 + trial], f.v.words[70 + trial],
                                      f.v.words[100 + trial]};
    auto got = f.model->OddOneOut(words);
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    CHECK(got->word == GensimOddOneOut(f.v, words));
    CHECK(got->scores.size() == 4);
    CHECK(got->scores.front().word == got->word);
  }
  CHECK(f.model->OddOneOut({}).status().code() == StatusCode::kInvalidArgument);
  CHECK(f.model->OddOneOut({"w1", "nope"}).status().code() == StatusCode::kNotFound);
}

TEST_CASE("words: a text's vector is the mean of its words' unit vectors", "[words]") {
  Fixture f;
  auto r = f.model->TextVector("w3, w4 unknownword W5");
  REQUIRE(r.ok());
  CHECK(r->tokens == std::vector<std::string>{"w3", ",", "w4", "unknownword", "W5"});
  CHECK(r->unknown == std::vector<std::string>{",", "unknownword"});  // "W5" falls back to "w5"
  DVec want(f.v.dim, 0.0);
  for (size_t i : {3, 4, 5}) {
    auto u = Unit(f.v.vectors[i]);
    for (size_t d = 0; d < f.v.dim; ++d) want[d] += u[d] / 3;
  }
  for (size_t d = 0; d < f.v.dim; ++d) CHECK(r->vector[d] == Approx(want[d]).margin(1e-6));
  CHECK(f.model->TextVector("").status().code() == StatusCode::kInvalidArgument);
  CHECK(f.model->TextVector("nothing known here").status().code() == StatusCode::kNotFound);
}
