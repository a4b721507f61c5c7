#include "index/exact_scorer.h"

#include <algorithm>
#include <cmath>

#include "index/distance.h"

namespace latentdb::index {

ExactScorer::ExactScorer(Metric metric, const float* query, size_t dim)
    : metric_(metric), l2_(metric == Metric::kL2), dim_(dim), query_(query, query + dim) {
  if (metric_ == Metric::kCosine) {
    NormalizeInPlace(query_.data(), dim_);
    row_.resize(dim_);
  }
}

float ExactScorer::Score(const float* x) {
  switch (metric_) {
    case Metric::kL2: return std::sqrt(std::max(0.0f, L2Sqr(query_.data(), x, dim_)));
    case Metric::kInnerProduct: return InnerProduct(query_.data(), x, dim_);
    case Metric::kCosine:
      std::copy(x, x + dim_, row_.begin());
      NormalizeInPlace(row_.data(), dim_);
      return InnerProduct(query_.data(), row_.data(), dim_);
  }
  return 0;
}

void ExactScorer::KeepBest(std::vector<Hit>* hits, size_t k) const {
  auto better = [this](const Hit& a, const Hit& b) {
    if (a.score != b.score) return Better(a.score, b.score);
    return a.id < b.id;
  };
  const size_t n = std::min(k, hits->size());
  std::partial_sort(hits->begin(), hits->begin() + static_cast<std::ptrdiff_t>(n), hits->end(), better);
  hits->resize(n);
}

}  // namespace latentdb::index
