// Compiled with -mavx2 -mfma; only called when the CPU reports both.
#include <immintrin.h>

#include "index/simd/kernels.h"

namespace latentdb::index::simd {
namespace {
inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  sums = _mm_add_ss(sums, shuf);
  return _mm_cvtss_f32(sums);
}
}  // namespace

// Four independent accumulators: with one or two, the FMA latency chain (4 cycles per step)
// bounds the loop; with four, loads are the limit (784-d: ~100 cycles instead of ~200).
float L2SqrAvx2(const float* a, const float* b, size_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    acc2 = _mm256_fmadd_ps(d2, d2, acc2);
    acc3 = _mm256_fmadd_ps(d3, d3, acc3);
  }
  for (; i + 8 <= d; i += 8) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
  }
  float s = HorizontalSum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < d; ++i) { float t = a[i] - b[i]; s += t * t; }
  return s;
}

float InnerProductAvx2(const float* a, const float* b, size_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= d; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float s = HorizontalSum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < d; ++i) s += a[i] * b[i];
  return s;
}

void L2SqrBatch4Avx2(const float* q, const float* const* x, size_t d, float* out) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 v = _mm256_loadu_ps(q + i);
    __m256 d0 = _mm256_sub_ps(v, _mm256_loadu_ps(x0 + i));
    __m256 d1 = _mm256_sub_ps(v, _mm256_loadu_ps(x1 + i));
    __m256 d2 = _mm256_sub_ps(v, _mm256_loadu_ps(x2 + i));
    __m256 d3 = _mm256_sub_ps(v, _mm256_loadu_ps(x3 + i));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    acc2 = _mm256_fmadd_ps(d2, d2, acc2);
    acc3 = _mm256_fmadd_ps(d3, d3, acc3);
  }
  out[0] = HorizontalSum(acc0);
  out[1] = HorizontalSum(acc1);
  out[2] = HorizontalSum(acc2);
  out[3] = HorizontalSum(acc3);
  for (; i < d; ++i) {
    float t0 = q[i] - x0[i], t1 = q[i] - x1[i], t2 = q[i] - x2[i], t3 = q[i] - x3[i];
    out[0] += t0 * t0;
    out[1] += t1 * t1;
    out[2] += t2 * t2;
    out[3] += t3 * t3;
  }
}

void InnerProductBatch4Avx2(const float* q, const float* const* x, size_t d, float* out) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 v = _mm256_loadu_ps(q + i);
    acc0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x0 + i), acc0);
    acc1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x1 + i), acc1);
    acc2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x2 + i), acc2);
    acc3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(x3 + i), acc3);
  }
  out[0] = HorizontalSum(acc0);
  out[1] = HorizontalSum(acc1);
  out[2] = HorizontalSum(acc2);
  out[3] = HorizontalSum(acc3);
  for (; i < d; ++i) {
    out[0] += q[i] * x0[i];
    out[1] += q[i] * x1[i];
    out[2] += q[i] * x2[i];
    out[3] += q[i] * x3[i];
  }
}

}  // namespace latentdb::index::simd
