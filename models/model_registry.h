#pragma once
// The model registry of a data directory: word models, CNNs, VAEs and imported TorchScript files.
//
//   DATA_DIR/models/NAME/manifest.json   what the model is (below)
//   DATA_DIR/models/NAME/<files>         the model's own files (model.bin for fastText, weights.pt
//                                        for the image models), named by the manifest
//
// Every manifest has "name", "kind" ("word2vec" | "cnn" | "vae" | "gan" | "torchscript"), "dim" (the
// vector dimension it produces), "created" (UTC, ISO 8601) and, per kind, what it needs:
// word models: "format", "source", "vocab_size", "parameters", "corpus", "scores", "sha256",
//   "model_file" ("model.bin" or null), "skipped". Their vectors live in the collection NAME
//   (point id = the word, insertion order = frequency rank, payload {"rank","count"}, cosine).
// image models: see encoders/image_model.h.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::models {

std::string ModelsDir(const std::string& data_dir);
std::string ModelDir(const std::string& data_dir, const std::string& name);
// ModelDir/model.bin when the manifest names a model file, else "".
std::string FastTextPath(const std::string& data_dir, const nlohmann::json& manifest);

// NotFound "model 'NAME' does not exist" when there is no manifest.
Result<nlohmann::json> ReadManifest(const std::string& data_dir, const std::string& name);
// Publishes the manifest atomically (creating the model directory).
Status WriteManifest(const std::string& data_dir, const std::string& name, const nlohmann::json& manifest);
// Every readable manifest, by name. Unreadable ones are reported in the list as {"name","error"}.
std::vector<nlohmann::json> ListManifests(const std::string& data_dir);
// Removes the model directory (not the collection).
Status RemoveModelDir(const std::string& data_dir, const std::string& name);

std::string NowIso8601();


}  // namespace latentdb::models
