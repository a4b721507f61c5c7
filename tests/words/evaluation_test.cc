// Evaluation with gensim's conventions on a vocabulary built so the answers are known.
#include <catch2/catch.hpp>

#include <fstream>

#include "engine/database.h"
#include "words/evaluation.h"
#include "words/importer.h"
#include "words/trainer.h"
#include "words/word_model.h"
#include "tests/support/temp_dir.h"
#include "tests/words/words_test_util.h"

using namespace latentdb;
using namespace latentdb::words;
using latentdb::testing::TempDir;
using namespace latentdb::testing::words;

TEST_CASE("words: Pearson and Spearman match hand-computed values", "[words]") {
  std::vector<double> x = {1, 2, 3, 4, 5}, y = {2, 4, 6, 8, 10};
  CHECK(Pearson(x, y) == Approx(1.0));
  CHECK(Spearman(x, {5, 4, 3, 2, 1}) == Approx(-1.0));
  // Ties get average ranks: y ranks = 1.5 1.5 3 4 5 -> 9.5 / sqrt(10 * 9.5) = 0.9746794
  CHECK(Spearman(x, {1, 1, 2, 3, 4}) == Approx(0.9746794).margin(1e-6));
  // scipy.stats.pearsonr([1,2,3,4],[1,3,2,5]) = 0.8315218
  CHECK(Pearson({1, 2, 3, 4}, {1, 3, 2, 5}) == Approx(0.8315218).margin(1e-6));
}

TEST_CASE("words: analogy evaluation: case-insensitive, skipped questions, sections", "[words]") {
  TempDir tmp;
  // man:woman::king:queen holds exactly with these vectors; "big:bigger::small:?" does not.
  Vocab v;
  v.dim = 4;
  v.words = {"man", "woman", "King", "queen", "king", "big", "bigger", "small", "smaller", "other"};
  v.vectors = {{1, 0, 0, 0.1f}, {1, 1, 0, 0.1f}, {0, 0, 1, 0.1f},  {0, 1, 1, 0.1f},  {0, 0, 1, 0.2f},
               {0, 0, 0, 1},    {1, 0, 0, 1},    {0, -1, 0, 1},     {0, 1, -1, -1},   {0.2f, 0.1f, 0.9f, 0}};
  WriteText(v, tmp.Sub("v.txt"), true);
  std::ofstream(tmp.Sub("q.txt")) << ": family\nMAN WOMAN king queen\nman woman unknownword queen\n"
                                  << ": gram1\nbig bigger small smaller\n";
  std::ofstream(tmp.Sub("p.tsv")) << "# comment\nman\twoman\t5\nking\tqueen\t7\nbig\tsmall\t1\nfoo\tbar\t3\n";
  engine::DatabaseOptions o;
  o.data_dir = tmp.Sub("data");
  o.persist_interval_seconds = 0;
  auto db = std::move(engine::Database::Open(o)).value();
  ImportOptions io;
  io.path = tmp.Sub("v.txt");
  io.name = "v";
  REQUIRE(ImportWordModel(*db, io).ok());
  auto vocab = EvalVocabulary::Load(*db->GetCollection("v").value());
  REQUIRE(vocab.ok());
  CHECK(vocab->size() == 10);
  CHECK(vocab->Find("KING") == 2);  // the most frequent case variant
  auto a = EvaluateAnalogies(*vocab, tmp.Sub("q.txt"), 2);
  REQUIRE(a.ok());
  CHECK(a->questions == 3);
  CHECK(a->skipped == 1);
  REQUIRE(a->sections.size() == 2);
  CHECK(a->sections[0].correct == 1);  // KING + WOMAN - MAN -> queen
  CHECK(a->sections[0].incorrect == 0);
  CHECK(a->sections[1].correct + a->sections[1].incorrect == 1);
  CHECK(a->total.correct + a->total.incorrect == 2);
  CHECK(a->semantic.correct == 1);
  auto p = EvaluatePairs(*vocab, tmp.Sub("p.tsv"));
  REQUIRE(p.ok());
  CHECK(p->pairs == 3);
  CHECK(p->oov == 1);
  CHECK(p->oov_ratio_percent == Approx(25.0));
  std::vector<double> model;
  for (auto [x, y] : {std::pair{0, 1}, std::pair{2, 3}, std::pair{5, 7}}) model.push_back(Dot(Unit(v.vectors[x]), Unit(v.vectors[y])));
  CHECK(p->spearman == Approx(Spearman({5, 7, 1}, model)));
  CHECK(p->pearson == Approx(Pearson({5, 7, 1}, model)));
}

TEST_CASE("words: evaluation sets and training corpora that start with a UTF-8 byte-order mark read as without it",
          "[words][bom]") {
  const std::string bom = "\xEF\xBB\xBF";
  TempDir tmp;
  Vocab v;
  v.dim = 3;
  v.words = {"man", "woman", "king", "queen"};
  v.vectors = {{1, 0, 0}, {1, 1, 0}, {0, 0, 1}, {0, 1, 1}};
  WriteText(v, tmp.Sub("v.txt"), true);
  // With the mark, the first line is no longer ": family" (a question before any section) and
  // the first pair's word is not "man".
  std::ofstream(tmp.Sub("q.txt")) << bom << ": family\nman woman king queen\n";
  std::ofstream(tmp.Sub("p.tsv")) << bom << "man\twoman\t5\nking\tqueen\t7\nman\tqueen\t1\n";
  engine::DatabaseOptions o;
  o.data_dir = tmp.Sub("data");
  o.persist_interval_seconds = 0;
  auto db = std::move(engine::Database::Open(o)).value();
  ImportOptions io;
  io.path = tmp.Sub("v.txt");
  io.name = "v";
  REQUIRE(ImportWordModel(*db, io).ok());
  auto vocab = EvalVocabulary::Load(*db->GetCollection("v").value());
  REQUIRE(vocab.ok());
  auto a = EvaluateAnalogies(*vocab, tmp.Sub("q.txt"), 1);
  INFO(a.status().ToString());
  REQUIRE(a.ok());
  REQUIRE(a->sections.size() == 1);
  CHECK(a->sections[0].name == "family");
  CHECK(a->questions == 1);
  CHECK(a->skipped == 0);
  auto p = EvaluatePairs(*vocab, tmp.Sub("p.tsv"));
  REQUIRE(p.ok());
  CHECK(p->pairs == 3);
  CHECK(p->oov == 0);
  // Evaluation sets must be regular files: /dev/zero would be read forever as one line.
  CHECK(EvaluateAnalogies(*vocab, "/dev/zero", 1).status().code() == StatusCode::kInvalidArgument);
  CHECK(EvaluatePairs(*vocab, tmp.path()).status().code() == StatusCode::kInvalidArgument);

  // A training corpus: fastText reads the file as it is, so the mark would glue onto the first word.
  std::ofstream corpus(tmp.Sub("corpus.txt"));
  corpus << bom << "alpha beta gamma delta\n";
  for (int i = 0; i < 30; ++i) corpus << "beta gamma delta alpha epsilon\n";
  corpus.close();
  TrainWordModelOptions t;
  t.corpora = {tmp.Sub("corpus.txt")};
  t.name = "bom";
  t.fasttext.dim = 4;
  t.fasttext.epoch = 1;
  t.fasttext.threads = 1;
  t.fasttext.min_count = 1;
  t.fasttext.maxn = 0;
  auto m = TrainWordModel(*db, t, nullptr);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  auto wm = WordModel::Open(db.get(), "bom");
  REQUIRE(wm.ok());
  CHECK((*wm)->InVocabulary("alpha"));
  CHECK(!(*wm)->InVocabulary(bom + "alpha"));
  CHECK((*m)["vocab_size"] == 6);  // five words and fastText's end-of-line token </s>
}
