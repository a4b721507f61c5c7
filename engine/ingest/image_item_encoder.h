#pragma once
// The image-model encoder of the ingest pipeline (built when engine/encoders is). For each batch:
// every input's bytes go through images::Decode (PNG/JPEG/BMP/GIF, pixel limit checked against the
// header); an input that does not decode is skipped with its reason ("corrupt image: …",
// "unsupported image: …", "image too large: …") and the rest are encoded together by one
// encoders::ImageModel::Encode call (the model resizes and normalizes as its manifest says). For a
// VAE the batch goes through ImageModel::Reconstruct instead: the vector is the posterior mean and
// the payload gets the anomaly scores {"reconstruction_error", "kl", "neg_elbo"}.

#include <memory>
#include <string>

#include "engine/ingest/encoder_hook.h"

namespace latentdb::engine::ingest {

// Loads image model NAME of DATA_DIR (encoders::ImageModel::Open).
Result<std::unique_ptr<ItemEncoder>> MakeImageItemEncoder(const std::string& data_dir, const std::string& name);

}  // namespace latentdb::engine::ingest
