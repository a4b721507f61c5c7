#pragma once
// FastTextModel: the one adapter over the fastText library (libfasttext 0.9.2). No fastText type
// or exception leaves this file pair: failures become Status.
//
// Loading always runs formats::InspectFastTextFile first (the library trusts the sizes in the file).
// Thread-safety: after Load, the const methods may run concurrently.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "formats/fasttext_file.h"

namespace fasttext {
class FastText;
}

namespace latentdb::words {

struct TrainOptions {
  std::string corpus;      // one plain-text file, tokens separated by whitespace
  std::string model = "skipgram";  // or "cbow"
  int dim = 100;
  int epoch = 5;
  int min_count = 5;
  int window = 5;
  int threads = 4;
  int minn = 3, maxn = 6;  // subword n-gram lengths (maxn 0 disables subwords)
  int neg = 5;
  double lr = 0.05;
  int bucket = 2000000;
};

struct TrainProgress {
  double progress = 0;       // 0…1
  double loss = 0;
  double words_per_sec_per_thread = 0;
  double lr = 0;
  int64_t eta_seconds = 0;
};

class FastTextModel {
 public:
  ~FastTextModel();
  // Validates then loads a .bin model.
  static Result<std::unique_ptr<FastTextModel>> Load(const std::string& path);
  // Trains on options.corpus; `progress` is called from a training thread now and then.
  static Result<std::unique_ptr<FastTextModel>> Train(const TrainOptions& options,
                                                      const std::function<void(const TrainProgress&)>& progress);
  Status Save(const std::string& path) const;

  int dim() const;
  size_t vocab_size() const;  // words (labels excluded), most frequent first
  std::string Word(size_t i) const;
  int64_t Count(size_t i) const;
  int64_t ntokens() const;
  bool has_subwords() const;
  // In-vocabulary: the word's vector as fastText computes it (word + its n-grams, averaged), the
  // same as the .vec file. Out of vocabulary: the mean of its n-gram vectors; all zeros when the
  // word has no n-grams (fastText's own behaviour).
  std::vector<float> WordVector(const std::string& word) const;
  bool Contains(const std::string& word) const;

 private:
  FastTextModel();
  std::unique_ptr<fasttext::FastText> ft_;
  std::vector<int64_t> counts_;
};

}  // namespace latentdb::words
