#pragma once
// UpsertBatch: the points of one upsert with their vectors laid out once, as one contiguous
// row-major block. The store writes each vector from the block and the index adds the whole
// block in one call: no per-point vector is allocated or copied between the encoder (or the
// request parser) and FAISS.
//
// Whoever has the vectors fills the batch (inference::EncodePoints for the server, the ingest
// sinks, the word importer); Collection::Upsert consumes it. A vector may have any length here:
// the collection checks each against its dimension and names the point that does not match, so
// while every vector has the collection's dimension `dim`, block() is a size() × dim matrix.
// Not thread-safe.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <span>
#include <vector>

#include "engine/external_id.h"

namespace latentdb::engine {

class UpsertBatch {
 public:
  UpsertBatch() = default;

  // Room for `points` points holding `floats` floats in all.
  void Reserve(size_t points, size_t floats);

  // Appends a point; its vector is copied into the block. `payload` is an object or null.
  void Add(ExternalId id, std::span<const float> vector, nlohmann::json payload);
  // Appends a point whose `dim` floats the caller writes at the returned pointer (valid until the
  // next Add or AddUninitialized): how an encoder's output lands in the block without a copy.
  float* AddUninitialized(ExternalId id, size_t dim, nlohmann::json payload);

  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  const ExternalId& id(size_t i) const { return ids_[i]; }
  std::span<const float> vector(size_t i) const {
    return {block_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  nlohmann::json& payload(size_t i) { return payloads_[i]; }
  const nlohmann::json& payload(size_t i) const { return payloads_[i]; }
  // Every vector, one after the other, in point order.
  const float* block() const { return block_.data(); }

 private:
  std::vector<ExternalId> ids_;
  std::vector<nlohmann::json> payloads_;
  std::vector<float> block_;
  std::vector<size_t> offsets_{0};  // vector i is block_[offsets_[i], offsets_[i + 1])
};

}  // namespace latentdb::engine
