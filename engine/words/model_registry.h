#pragma once
// The word models of a data directory:
//
//   DATA_DIR/models/NAME/manifest.json   what the model is (below)
//   DATA_DIR/models/NAME/model.bin       the fastText model, when there is one (OOV subwords)
//
// The vectors themselves live in the collection NAME (RocksDB is the source of truth): point id =
// the word, insertion order = frequency rank, payload {"rank", "count" when known}, cosine metric.
//
// manifest.json: {"name", "kind":"word2vec", "format" (the source format or "trained"), "source",
// "dim", "vocab_size", "parameters":{…}, "corpus":{…} (trained models), "scores":{…},
// "sha256" (of the source file, or of model.bin), "model_file" ("model.bin" or null),
// "skipped":{…} (words not imported and why), "created" (UTC, ISO 8601)}.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::words {

std::string ModelsDir(const std::string& data_dir);
std::string ModelDir(const std::string& data_dir, const std::string& name);
// ModelDir/model.bin when the manifest names a model file, else "".
std::string FastTextPath(const std::string& data_dir, const nlohmann::json& manifest);

// NotFound "word model 'NAME' does not exist" when there is no manifest.
Result<nlohmann::json> ReadManifest(const std::string& data_dir, const std::string& name);
// Publishes the manifest atomically (creating the model directory).
Status WriteManifest(const std::string& data_dir, const std::string& name, const nlohmann::json& manifest);
// Every readable manifest, by name. Unreadable ones are reported in the list as {"name","error"}.
std::vector<nlohmann::json> ListManifests(const std::string& data_dir);
// Removes the model directory (not the collection).
Status RemoveModelDir(const std::string& data_dir, const std::string& name);

std::string NowIso8601();

}  // namespace latentdb::words
