#pragma once
// ExactScorer: the exact score of stored vectors against one query, as VectorIndex scores its hits
// (Hit::score): the L2 distance, the inner product, or the cosine (both sides normalized). For
// whoever holds the exact vectors outside an index: rescoring a quantized index's candidates and
// scoring the points a payload index names (engine/collection.cc reads them from the store).
// The cosine is q·x / (‖q‖·‖x‖) in float; it equals the index's score (q̂·x̂, both normalized in
// double) to a few units in the last place, not bit for bit.
// Not thread-safe (a scratch row); one per search.

#include <cstdint>
#include <vector>

#include "index/vector_index.h"

namespace latentdb::index {

class ExactScorer {
 public:
  // `query` has `dim` finite floats; it is copied.
  ExactScorer(Metric metric, const float* query, size_t dim);
  // `x` has `dim` floats: a vector as stored (not normalized).
  float Score(const float* x);
  // Whether score a ranks before b (smaller first for L2, larger first otherwise).
  bool Better(float a, float b) const { return l2_ ? a < b : a > b; }
  // The best k of `hits`, best first, ties by id (the same order whatever order they came in).
  void KeepBest(std::vector<Hit>* hits, size_t k) const;

 private:
  Metric metric_;
  bool l2_;
  size_t dim_;
  std::vector<float> query_;   // as given; for cosine, normalized only when out of float's range
  float query_scale_ = 1.0f;   // cosine: 1 / ‖query_‖
  std::vector<float> row_;
};

}  // namespace latentdb::index
