#include "index/exact_scorer.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "index/distance.h"

namespace latentdb::index {
namespace {
// Below this, terms of a squared norm may be subnormal floats and lose their precision; each is
// then under 1.2e-38, so at any dimension LatentDB allows they are noise against 1e-30.
constexpr float kMinSquaredNorm = 1e-30f;

// ‖v‖ from the SIMD kernel, or nothing when the squared norm leaves float's normal range (then
// the caller normalizes in double, as the index does at insert).
std::optional<float> FloatNorm(const float* v, size_t dim) {
  const float squared_norm = InnerProduct(v, v, dim);
  if (!std::isfinite(squared_norm) || squared_norm < kMinSquaredNorm) return std::nullopt;
  return std::sqrt(squared_norm);
}
}  // namespace

ExactScorer::ExactScorer(Metric metric, const float* query, size_t dim)
    : metric_(metric), l2_(metric == Metric::kL2), dim_(dim), query_(query, query + dim) {
  if (metric_ == Metric::kCosine) {
    if (const auto norm = FloatNorm(query, dim_)) {
      query_scale_ = 1.0f / *norm;
    } else {
      NormalizeInPlace(query_.data(), dim_);
    }
    row_.resize(dim_);
  }
}

float ExactScorer::Score(const float* x) {
  switch (metric_) {
    case Metric::kL2: return std::sqrt(std::max(0.0f, L2Sqr(query_.data(), x, dim_)));
    case Metric::kInnerProduct: return InnerProduct(query_.data(), x, dim_);
    case Metric::kCosine: {
      // q·x / (‖q‖·‖x‖) in the SIMD kernels. Normalizing the row first (in double, as the index does
      // at insert) cost more than the rest of a rescoring at 784-d (measured by
      // bench/scale_bench); it stays for rows whose squared norm leaves float's normal range.
      if (const auto norm = FloatNorm(x, dim_)) return InnerProduct(query_.data(), x, dim_) * query_scale_ / *norm;
      std::copy(x, x + dim_, row_.begin());
      NormalizeInPlace(row_.data(), dim_);
      return InnerProduct(query_.data(), row_.data(), dim_) * query_scale_;
    }
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
