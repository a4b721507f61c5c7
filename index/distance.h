#pragma once
// Distance kernels used by every LatentDB index (flat scans, the HNSW graph walk, exact re-ranking).
//
// Debian's FAISS is compiled for baseline x86-64 (SSE2 only). These kernels are compiled three
// times (scalar, AVX2+FMA, AVX-512F) and the best one the CPU supports is chosen once, at run
// time, so the same binary still runs on a CPU without AVX.

#include <cstddef>

namespace latentdb::index {

using DistanceFn = float (*)(const float* a, const float* b, size_t dim);
// out[r] = distance(q, x[r]) for r = 0..3.
using Batch4Fn = void (*)(const float* q, const float* const* x, size_t dim, float* out);

struct DistanceKernels {
  DistanceFn l2_sqr;         // sum (a_i - b_i)^2
  DistanceFn inner_product;  // sum a_i * b_i
  Batch4Fn l2_sqr_batch4;
  Batch4Fn inner_product_batch4;
  const char* name;          // "avx512", "avx2" or "scalar"
};

// The kernels selected for this CPU. Thread-safe; selection happens on first use.
const DistanceKernels& Kernels();

// Forces the portable kernels (for tests that compare implementations).
const DistanceKernels& ScalarKernels();

inline float L2Sqr(const float* a, const float* b, size_t dim) { return Kernels().l2_sqr(a, b, dim); }
inline float InnerProduct(const float* a, const float* b, size_t dim) { return Kernels().inner_product(a, b, dim); }

// Scales v to unit L2 norm in place; leaves an all-zero vector unchanged.
void NormalizeInPlace(float* v, size_t dim);

// The position of the first NaN or ±Inf in v, or dim when every element is finite. The common
// all-finite case is one branch-free (vectorized) pass over the bits.
size_t FirstNonFinite(const float* v, size_t dim);

}  // namespace latentdb::index
