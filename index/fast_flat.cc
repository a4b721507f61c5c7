#include "index/fast_flat.h"

#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/IDSelector.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

#include "index/distance.h"
#include "index/top_k.h"

namespace latentdb::index {
namespace {

class FastDistanceComputer : public faiss::FlatCodesDistanceComputer {
 public:
  FastDistanceComputer(const FastFlatIndex& index)
      : faiss::FlatCodesDistanceComputer(index.codes.data(), index.code_size),
        dim_(static_cast<size_t>(index.d)),
        l2_(index.metric_type == faiss::METRIC_L2),
        fn_(l2_ ? Kernels().l2_sqr : Kernels().inner_product) {}

  void set_query(const float* x) override { query_ = x; }
  float distance_to_code(const uint8_t* code) override {
    return fn_(query_, reinterpret_cast<const float*>(code), dim_);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return fn_(Row(i), Row(j), dim_);
  }

 private:
  const float* Row(idx_t i) const { return reinterpret_cast<const float*>(codes + i * code_size); }
  size_t dim_;
  bool l2_;
  DistanceFn fn_;
  const float* query_ = nullptr;
};

}  // namespace

faiss::FlatCodesDistanceComputer* FastFlatIndex::get_FlatCodesDistanceComputer() const {
  return new FastDistanceComputer(*this);
}

void FastFlatIndex::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                           const faiss::SearchParameters* params) const {
  const faiss::IDSelector* sel = params ? params->sel : nullptr;
  const bool l2 = metric_type == faiss::METRIC_L2;
  const DistanceFn fn = l2 ? Kernels().l2_sqr : Kernels().inner_product;
  const size_t dim = static_cast<size_t>(d);
  const float* base = vectors();
  for (idx_t q = 0; q < n; ++q) {
    const float* query = x + q * dim;
    // Keys "smaller is better": the distance for L2, −ip for IP. NaN (inf − inf from vectors
    // stored before the norm limit) ranks last; the engine turns it into a finite score
    // (index::FiniteScore).
    TopK top(static_cast<size_t>(k));
    for (idx_t i = 0; i < ntotal; ++i) {
      if (sel && !sel->is_member(i)) continue;
      const float dist = fn(query, base + i * dim, dim);
      top.Push(l2 ? dist : -dist, i);
    }
    const auto heap = top.TakeSorted();
    for (idx_t j = 0; j < k; ++j) {
      if (j < static_cast<idx_t>(heap.size())) {
        distances[q * k + j] = l2 ? heap[j].first : -heap[j].first;
        labels[q * k + j] = heap[j].second;
      } else {
        distances[q * k + j] = l2 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
        labels[q * k + j] = -1;
      }
    }
  }
}

FastFlatIndex* ConvertToFastFlat(faiss::IndexFlat* flat) {
  auto* fast = new FastFlatIndex(flat->d, flat->metric_type);
  fast->codes.swap(flat->codes);
  fast->ntotal = flat->ntotal;
  flat->ntotal = 0;
  return fast;
}

}  // namespace latentdb::index
