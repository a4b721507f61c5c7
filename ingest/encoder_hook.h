#pragma once
// ItemEncoder: the pipeline's hook for sources whose records carry raw input (a text line, image
// bytes) instead of a vector. Worker threads hand it the raw inputs of a batch and get one vector
// (or one skip reason) per input back.
//
// Models come from the data directory's model registry and are encoded through the inference
// layer (inference), exactly as the server encodes its "text" and "image" inputs, so
// ingested and queried inputs match: word models encode text, image models encode image bytes
// (decoded with a limit of 40 megapixels per image) or raw pixels, in one batch per call; a VAE
// adds its anomaly scores to the payload (inference::AddAnomalyScores).

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/item.h"

namespace latentdb::engine {
class Database;
}

namespace latentdb::ingest {

// One encoded input: the vector and fields to add to the point's payload (null when none).
struct EncodedInput {
  std::vector<float> vector;
  nlohmann::json payload;
};

class ItemEncoder {
 public:
  virtual ~ItemEncoder() = default;
  virtual const std::string& name() const = 0;
  // Dimension of the vectors it produces (the collection's dimension when it is created).
  virtual size_t dim() const = 0;
  // Whether it can encode this kind of input (text models refuse images and vice versa).
  virtual bool Accepts(RawInput::Kind kind) const = 0;
  // One result per input, in order: a vector of dim() floats (and payload fields), or the reason
  // to skip the input, "category: detail" ("corrupt image: …", "bad text: …"). Called from
  // several worker threads at once: must be thread-safe.
  virtual std::vector<Result<EncodedInput>> Encode(const std::vector<const RawInput*>& inputs) const = 0;
  // Called once before a run: `workers` threads will call Encode at once. A model that can use
  // several cores per call gives each call its share.
  virtual void SetConcurrency(int /*workers*/) const {}
};

// What a registered model encodes, read from its manifest (no loading).
struct EncoderInfo {
  std::string name;
  std::string kind;  // manifest "kind"
  size_t dim = 0;
  RawInput::Kind input = RawInput::Kind::kNone;  // kText for word models, kImage for image models
};
// InvalidArgument when the manifest has no usable "kind" / "dim".
Result<EncoderInfo> EncoderInfoFromManifest(const std::string& name, const nlohmann::json& manifest);

// Where the models live. `db` is the open data directory (word models read their vectors from
// their collection); image models read DATA_DIR/models/NAME.
struct EncoderContext {
  std::string data_dir;
  engine::Database* db = nullptr;
};

// Loads the model described by `info` (through inference::LoadEncoder). NotFound / Corruption
// from the model loaders; InvalidArgument for a word model without `db`.
Result<std::unique_ptr<ItemEncoder>> MakeItemEncoder(const EncoderInfo& info, const EncoderContext& context);

}  // namespace latentdb::ingest
