#pragma once
// ItemEncoder: the pipeline's hook for sources whose records carry raw input (a text line, image
// bytes) instead of a vector. Worker threads hand it the raw inputs of a batch and get one vector
// (or one skip reason) per input back. No encoder exists in this build yet: MakeItemEncoder names
// the models it knows and fails for everything else; the CNN, VAE and word models plug in here.

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/ingest/item.h"

namespace latentdb::engine::ingest {

class ItemEncoder {
 public:
  virtual ~ItemEncoder() = default;
  virtual const std::string& name() const = 0;
  // Dimension of the vectors it produces (the collection's dimension when it is created).
  virtual size_t dim() const = 0;
  // Whether it can encode this kind of input (text models refuse images and vice versa).
  virtual bool Accepts(RawInput::Kind kind) const = 0;
  // One result per input, in order: a vector of dim() floats, or the reason to skip the input
  // ("corrupt image: …"). Called from several worker threads at once: must be thread-safe.
  virtual std::vector<Result<std::vector<float>>> Encode(const std::vector<const RawInput*>& inputs) const = 0;
};

// NotFound "unknown encoder/model 'NAME' …" for every name today.
Result<std::unique_ptr<ItemEncoder>> MakeItemEncoder(const std::string& name);

}  // namespace latentdb::engine::ingest
