#pragma once
// WordModel: the word operations over one registered word model — its collection (the vectors)
// and, when the model has one, its fastText .bin (vectors for words outside the vocabulary).
//
// Semantics are gensim's KeyedVectors on the same vectors:
//   Neighbors(w, k)      most_similar(w): exact cosine ranking of the vocabulary, w excluded
//   Similarity(a, b)     similarity(a, b): cosine
//   Analogy(…)           most_similar(positive, negative) (3CosAdd) / most_similar_cosmul (3CosMul),
//                        restrict_vocab = the first N words in frequency order
//   OddOneOut(words)     doesnt_match: the word whose unit vector has the lowest cosine to the
//                        unit mean of the words' unit vectors
//   TextVector(text)     fastText's sentence vector: mean of the unit-normalized vectors of the
//                        text's tokens (see tokenize.h; a token is looked up as written, then
//                        lower-cased; tokens with no vector are skipped and reported)
// Word lookups are case-sensitive. A word outside the vocabulary gets its subword vector when the
// model has a fastText .bin, else NotFound naming the word.
// Thread-safety: all methods may be called concurrently.

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/database.h"
#include "words/fasttext_model.h"

namespace latentdb::words {

struct WordScore {
  std::string word;
  float score = 0;
};

struct WordVectorResult {
  std::vector<float> vector;
  bool oov = false;  // from subwords
};

struct OddOneOutResult {
  std::string word;
  std::vector<WordScore> scores;  // each word's cosine to the mean, lowest first
};

struct TextVectorResult {
  std::vector<float> vector;
  std::vector<std::string> tokens;   // all tokens of the text
  std::vector<std::string> unknown;  // tokens without a vector (skipped)
};

constexpr size_t kMaxWordsPerRequest = 1000;

class WordModel {
 public:
  // Reads the manifest, finds the collection, loads the fastText .bin when there is one.
  static Result<std::shared_ptr<WordModel>> Open(engine::Database* db, const std::string& name);

  const std::string& name() const { return name_; }
  const nlohmann::json& manifest() const { return manifest_; }
  size_t dim() const;
  // True when the model has a fastText .bin with subwords (loaded on the first OOV lookup).
  bool has_subwords() const { return !fasttext_path_.empty(); }
  engine::Collection& collection() const { return *collection_; }

  bool InVocabulary(const std::string& word) const;
  Result<WordVectorResult> Vector(const std::string& word) const;
  Result<std::vector<WordScore>> Neighbors(const std::string& word, size_t k) const;
  Result<double> Similarity(const std::string& a, const std::string& b) const;
  Result<std::vector<WordScore>> Analogy(const std::vector<std::string>& positive, const std::vector<std::string>& negative,
                                         size_t k, bool cosmul, size_t restrict_vocab) const;
  Result<OddOneOutResult> OddOneOut(const std::vector<std::string>& words) const;
  Result<TextVectorResult> TextVector(const std::string& text) const;

 private:
  WordModel() = default;
  std::string name_;
  nlohmann::json manifest_;
  // The fastText model (hundreds of MB) is loaded on first need, not at Open: most lookups are
  // in the vocabulary and answered from the collection.
  Result<const FastTextModel*> Subwords() const;

  std::shared_ptr<engine::Collection> collection_;
  std::string fasttext_path_;  // "" when the model has no subwords
  mutable std::once_flag fasttext_once_;
  mutable std::unique_ptr<FastTextModel> fasttext_;
  mutable Status fasttext_status_;
};

std::vector<float> UnitVector(const std::vector<float>& v);

}  // namespace latentdb::words
