#pragma once
// The one place that knows which kinds of model exist: what each takes as input and how it is
// loaded as an Encoder (model_kinds.cc). A new kind (a GAN, say) is added here and nowhere else.

#include <memory>
#include <string>

#include "common/result.h"
#include "inference/encoder.h"

namespace latentdb::engine {
class Database;
}

namespace latentdb::inference {

// InputKind::kText for "word2vec"; kImage for "cnn", "vae", "torchscript". InvalidArgument for
// any other kind ("model 'NAME' has the unknown kind 'K'").
Result<InputKind> InputOfKind(const std::string& name, const std::string& kind);

// Loads registry model NAME, whose manifest says `kind`, as an Encoder. `db` is the open data
// directory (a word model's vectors are its collection). The loaders' errors pass through
// (NotFound, Corruption, IOError); InvalidArgument for an unknown kind, or a word model without
// `db`.
Result<std::shared_ptr<const Encoder>> LoadEncoder(const std::string& data_dir, engine::Database* db,
                                                   const std::string& name, const std::string& kind);

}  // namespace latentdb::inference
