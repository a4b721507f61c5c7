#pragma once
// Importing a word-vector file as a word model: the collection NAME (point id = word, insertion
// order = frequency rank, payload {"rank", "count" when the file has counts}, cosine metric,
// Flat below 20,000 words else HNSW32), created through engine::Database, plus
// DATA_DIR/models/NAME/manifest.json and, for fastText .bin files, a copy of the file as
// model.bin for out-of-vocabulary subword vectors.
//
// Text and word2vec-binary files are streamed once (one batch of vectors in memory at a time).
// fastText .bin files are validated, then loaded by the fastText library once.
// Duplicate words keep their first (most frequent) occurrence; words longer than 512 bytes are
// skipped, and so are words of a fastText model that are not valid UTF-8 (a text or word2vec
// binary file with such a word is refused with its line or word number, as gensim's default
// unicode_errors='strict'). Skips are counted in the manifest's "skipped" ({"duplicates",
// "invalid_utf8", "too_long_or_empty"}), the first word of each reason in "skipped_examples";
// `latentdb models import` prints a warning for each.
// On any failure nothing is left behind: the collection and the model directory are removed.
// The path must be a regular file (InvalidArgument for devices, FIFOs, directories). A text file
// whose header declares fewer rows than it has imports exactly the declared rows, as gensim's
// load_word2vec_format does; the manifest's "rows_after_declared" counts the rest (callers warn).

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "engine/database.h"
#include "words/fasttext_model.h"
#include "formats/word_vectors.h"

namespace latentdb::words {

struct ImportOptions {
  std::string path;
  std::string name;
  formats::VectorFormat format = formats::VectorFormat::kAuto;
  size_t limit = 0;             // keep the N most frequent words (0 = all)
  std::string index;            // FAISS factory string; "" = Flat below 20k words, else HNSW32
};

// Called every few thousand words with the number imported so far.
using ImportProgress = std::function<void(size_t words)>;

// Returns the manifest written.
Result<nlohmann::json> ImportWordModel(engine::Database& db, const ImportOptions& options,
                                       const ImportProgress& progress = {});

// Registers an already loaded fastText model (trained here): its words and vectors become the
// collection, `model_bin` (already saved in the model directory as model.bin) serves subwords.
// `extra` is merged into the manifest (parameters, corpus, scores).
Result<nlohmann::json> RegisterFastTextModel(engine::Database& db, const std::string& name, const FastTextModel& model,
                                             const nlohmann::json& extra, const ImportProgress& progress = {});

std::string DefaultIndexFor(size_t words);

}  // namespace latentdb::words
