#pragma once
// Training a word model with fastText (skipgram or CBOW, subword n-grams on) and registering it:
// DATA_DIR/models/NAME/model.bin, the collection NAME, and a manifest with the parameters, the
// corpus (files, bytes, tokens), training time and speed, and evaluation scores when evaluation
// files are given.

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/database.h"
#include "words/fasttext_model.h"

namespace latentdb::words {

struct TrainWordModelOptions {
  std::vector<std::string> corpora;  // concatenated when more than one
  std::string name;
  TrainOptions fasttext;             // .corpus is filled in
  std::string analogies, pairs;      // optional evaluation files
};

Result<nlohmann::json> TrainWordModel(engine::Database& db, const TrainWordModelOptions& options,
                                      const std::function<void(const TrainProgress&)>& progress);

// Runs the evaluation files (when given) on a registered model and stores the scores in its
// manifest; returns {"analogies":…, "pairs":…}.
Result<nlohmann::json> EvaluateAndRecord(engine::Database& db, const std::string& name, const std::string& analogies,
                                         const std::string& pairs, int threads);

}  // namespace latentdb::words
