#include "engine/upsert_batch.h"

namespace latentdb::engine {

void UpsertBatch::Reserve(size_t points, size_t floats) {
  ids_.reserve(points);
  payloads_.reserve(points);
  offsets_.reserve(points + 1);
  block_.reserve(floats);
}

void UpsertBatch::Add(ExternalId id, std::span<const float> vector, nlohmann::json payload) {
  block_.insert(block_.end(), vector.begin(), vector.end());
  offsets_.push_back(block_.size());
  ids_.push_back(std::move(id));
  payloads_.push_back(std::move(payload));
}

float* UpsertBatch::AddUninitialized(ExternalId id, size_t dim, nlohmann::json payload) {
  const size_t start = block_.size();
  block_.resize(start + dim);
  offsets_.push_back(block_.size());
  ids_.push_back(std::move(id));
  payloads_.push_back(std::move(payload));
  return block_.data() + start;
}

}  // namespace latentdb::engine
