#pragma once
// The word-model encoder of the ingest pipeline: a text's vector is words::WordModel::TextVector —
// the mean of the unit vectors of its tokens that have a vector (in the vocabulary, or from
// subwords when the model has a fastText .bin) — exactly what the server computes for a "text"
// upsert. A text without tokens, or none of whose tokens has a vector, is skipped as "bad text: …".

#include <memory>
#include <string>

#include "engine/ingest/encoder_hook.h"

namespace latentdb::engine::ingest {

// Opens word model NAME of `db` (its collection must stay open while the encoder is used).
Result<std::unique_ptr<ItemEncoder>> MakeWordItemEncoder(engine::Database* db, const std::string& name);

}  // namespace latentdb::engine::ingest
