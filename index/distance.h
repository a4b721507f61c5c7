#pragma once
// Distance kernels used by every LatentDB index (flat scans, the HNSW graph walk, exact re-ranking).
//
// Debian's FAISS is compiled for baseline x86-64 (SSE2 only). These kernels are compiled three
// times (scalar, AVX2+FMA, AVX-512F) and the best one the CPU supports is chosen once, at run
// time, so the same binary still runs on a CPU without AVX.

#include <cstddef>
#include <cstdint>

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

// The largest |weight| dot_u8_i8 takes: a pair of products, 2·255·64, fits a signed 16-bit lane
// (vpmaddubsw saturates beyond), and dim·255·64 stays below 2^31 up to 131,596 dimensions.
inline constexpr int32_t kMaxDotU8Weight = 64;

// Kernels between a float query and quantized codes (see index/simd/kernels.h for each formula).
struct CodeKernels {
  float (*weighted_l2_u8)(const float* qp, const float* w, const uint8_t* c, size_t dim);
  // sum w[i]·c[i] in integers: 32 codes times 32 signed 8-bit weights per instruction (AVX2
  // vpmaddubsw, as Qdrant scores int8 codes against a quantized query). The caller keeps
  // |w[i]| ≤ kMaxDotU8Weight, so that nothing saturates and the sum fits.
  int32_t (*dot_u8_i8)(const int8_t* w, const uint8_t* c, size_t dim);
  float (*l2_sqr_f16)(const float* q, const uint16_t* h, size_t dim);
  float (*dot_f16)(const float* q, const uint16_t* h, size_t dim);
  uint32_t (*hamming)(const uint8_t* a, const uint8_t* b, size_t bytes);
  void (*half_to_float)(const uint16_t* h, float* out, size_t n);
  const char* name;  // "avx2" (AVX2, FMA, F16C and POPCNT) or "scalar"
};
const CodeKernels& QuantizedKernels();
const CodeKernels& ScalarQuantizedKernels();

// Forces the portable kernels (for tests that compare implementations).
const DistanceKernels& ScalarKernels();

inline float L2Sqr(const float* a, const float* b, size_t dim) { return Kernels().l2_sqr(a, b, dim); }
inline float InnerProduct(const float* a, const float* b, size_t dim) { return Kernels().inner_product(a, b, dim); }

// The one normalization routine of LatentDB: cosine collections (points and queries), the analogy
// matrix, word neighbours and text vectors all go through it.
//
// Scales v to unit L2 norm in place. The norm and the quotients are computed in double, where the
// square of any float (denormal 1e-45 up to 3.4e38) and their sum over 65536 dimensions neither
// underflow nor overflow; so every finite non-zero vector, however small ([1e-40, 0, 0, 0]) or
// large ([1e30, 0, 0, 0]), becomes a finite unit vector. (In float, 1e-40 squared is 0 and 1e30
// squared is inf, and 1/norm overflowed: the cause of `null` scores.)
//
// Zero vectors: an all-zero vector stays all-zero (Qdrant's rule), so its cosine with anything is
// 0. The caller must pass finite values; NaN/Inf are rejected before vectors reach an index.
void NormalizeInPlace(float* v, size_t dim);

// The Euclidean norm of v, computed in double (exact range as above; never overflows for floats).
double L2Norm(const float* v, size_t dim);

// The largest L2 norm a vector of an l2 or ip collection may have: with ||a||, ||b|| <= 1e18,
// ||a - b||^2 <= 4e36 and |a . b| <= 1e36 stay far below FLT_MAX (3.4e38), so float kernels can
// never overflow into an infinite or NaN score. (Cosine vectors are normalized first: any finite
// vector is fine there.)
inline constexpr double kMaxVectorNorm = 1e18;

// A score that JSON can carry. Scores come out of float kernels and FAISS; if one ever overflows
// (a vector stored before kMaxVectorNorm existed), +Inf becomes FLT_MAX and -Inf -FLT_MAX, and
// NaN becomes the worst finite score: FLT_MAX for a distance (`smaller_is_better`), -FLT_MAX for
// a similarity. Finite scores are returned unchanged.
float FiniteScore(float score, bool smaller_is_better);

// The position of the first NaN or ±Inf in v, or dim when every element is finite. The common
// all-finite case is one branch-free (vectorized) pass over the bits.
size_t FirstNonFinite(const float* v, size_t dim);

}  // namespace latentdb::index
