#pragma once
// Evaluation of a word model with gensim's conventions (KeyedVectors.evaluate_word_analogies and
// evaluate_word_pairs, case_insensitive=True):
//   - only the first `restrict_vocab` (300,000) words in frequency order are used;
//   - words are matched upper-cased; an upper-cased form maps to its most frequent variant;
//   - analogy "a b c d": predict with 3CosAdd over positive [b, c], negative [a]; the prediction is
//     the best word other than the three inputs (and their case variants) among the top 5;
//     questions with a word outside the vocabulary are skipped and counted;
//   - semantic = the first 5 sections of questions-words.txt, syntactic = the rest;
//   - word pairs: tab-separated "a b score" lines ('#' comments); pairs with an unknown word are
//     counted as OOV and left out; Pearson and Spearman (average ranks for ties) over the rest.

#include <nlohmann/json.hpp>

#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"

namespace latentdb::words {

// The first N words of a word collection, unit-normalized, in memory.
class EvalVocabulary {
 public:
  static Result<EvalVocabulary> Load(engine::Collection& collection, size_t restrict_vocab = 300000);
  size_t size() const { return words_.size(); }
  size_t dim() const { return dim_; }
  const std::string& word(size_t i) const { return words_[i]; }
  const float* unit(size_t i) const { return &unit_[i * dim_]; }
  // Index of the most frequent word whose upper-case form is `upper`; -1 when none.
  long Find(const std::string& upper) const;

 private:
  size_t dim_ = 0;
  std::vector<std::string> words_;
  std::vector<float> unit_;
  std::unordered_map<std::string, size_t> upper_;
};

std::string UpperAscii(std::string s);

struct AnalogySection {
  std::string name;
  size_t correct = 0, incorrect = 0;
  double accuracy() const { return correct + incorrect ? double(correct) / double(correct + incorrect) : 0; }
};

struct AnalogyEvaluation {
  std::vector<AnalogySection> sections;
  size_t questions = 0, skipped = 0;
  AnalogySection total, semantic, syntactic;
  nlohmann::json ToJson() const;
};

struct PairsEvaluation {
  size_t pairs = 0, oov = 0;
  double pearson = 0, spearman = 0;
  double oov_ratio_percent = 0;
  nlohmann::json ToJson() const;
};

Result<AnalogyEvaluation> EvaluateAnalogies(const EvalVocabulary& vocab, const std::string& path, int threads);
Result<PairsEvaluation> EvaluatePairs(const EvalVocabulary& vocab, const std::string& path);

// Pearson correlation; Spearman = Pearson of average ranks.
double Pearson(const std::vector<double>& x, const std::vector<double>& y);
double Spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace latentdb::words
