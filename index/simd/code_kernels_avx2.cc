// Compiled with -mavx2 -mfma -mf16c -mpopcnt; only called when the CPU reports all four.
#include <immintrin.h>

#include <cstring>

#include "index/simd/kernels.h"

namespace latentdb::index::simd {
namespace {
inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  return _mm_cvtss_f32(_mm_add_ss(sums, shuf));
}
// Eight codes widened to floats.
inline __m256 LoadU8(const uint8_t* c) {
  __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(c));
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
}
inline __m256 LoadF16(const uint16_t* h) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)));
}
}  // namespace

// Two accumulators: the widening conversions, not the FMA latency, bound these loops.
float WeightedL2U8Avx2(const float* qp, const float* w, const uint8_t* c, size_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(qp + i), LoadU8(c + i));
    __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(qp + i + 8), LoadU8(c + i + 8));
    acc0 = _mm256_fmadd_ps(_mm256_mul_ps(t0, t0), _mm256_loadu_ps(w + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_mul_ps(t1, t1), _mm256_loadu_ps(w + i + 8), acc1);
  }
  for (; i + 8 <= d; i += 8) {
    __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(qp + i), LoadU8(c + i));
    acc0 = _mm256_fmadd_ps(_mm256_mul_ps(t0, t0), _mm256_loadu_ps(w + i), acc0);
  }
  float s = HorizontalSum(_mm256_add_ps(acc0, acc1));
  for (; i < d; ++i) {
    const float t = qp[i] - static_cast<float>(c[i]);
    s += w[i] * t * t;
  }
  return s;
}

float L2SqrF16Avx2(const float* q, const uint16_t* h, size_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), LoadF16(h + i));
    __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), LoadF16(h + i + 8));
    acc0 = _mm256_fmadd_ps(t0, t0, acc0);
    acc1 = _mm256_fmadd_ps(t1, t1, acc1);
  }
  for (; i + 8 <= d; i += 8) {
    __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), LoadF16(h + i));
    acc0 = _mm256_fmadd_ps(t0, t0, acc0);
  }
  float s = HorizontalSum(_mm256_add_ps(acc0, acc1));
  for (; i < d; ++i) {
    const float t = q[i] - _cvtsh_ss(h[i]);
    s += t * t;
  }
  return s;
}

// sum q[i] * code[i], the codes widened eight at a time by `load` and one at a time by `one`.
template <typename Code, typename Load8, typename Load1>
float DotCodes(const float* q, const Code* c, size_t d, Load8 load, Load1 one) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load(c + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load(c + i + 8), acc1);
  }
  for (; i + 8 <= d; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load(c + i), acc0);
  float s = HorizontalSum(_mm256_add_ps(acc0, acc1));
  for (; i < d; ++i) s += q[i] * one(c[i]);
  return s;
}

// 32 codes (unsigned) times 32 weights (signed, |w| ≤ 64) per vpmaddubsw, adjacent products
// summed into 16 bits (at most 2·255·64 = 32,640: no saturation), then widened into 32-bit sums
// by vpmaddwd with ones. Half the instructions a byte of widening the codes to 16 bits first.
int32_t DotU8I8Avx2(const int8_t* w, const uint8_t* c, size_t d) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  auto products = [&](size_t i) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i)),
                                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i))),
                             ones);
  };
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    acc0 = _mm256_add_epi32(acc0, products(i));
    acc1 = _mm256_add_epi32(acc1, products(i + 32));
  }
  for (; i + 32 <= d; i += 32) acc0 = _mm256_add_epi32(acc0, products(i));
  const __m256i acc = _mm256_add_epi32(acc0, acc1);
  __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(1, 0, 3, 2)));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(2, 3, 0, 1)));
  int32_t s = _mm_cvtsi128_si32(s4);
  for (; i < d; ++i) s += static_cast<int32_t>(w[i]) * static_cast<int32_t>(c[i]);
  return s;
}

float DotF16Avx2(const float* q, const uint16_t* h, size_t d) {
  return DotCodes(q, h, d, LoadF16, [](uint16_t x) { return _cvtsh_ss(x); });
}

void HalfToFloatF16c(const uint16_t* h, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, LoadF16(h + i));
  for (; i < n; ++i) out[i] = _cvtsh_ss(h[i]);
}

uint32_t HammingPopcnt(const uint8_t* a, const uint8_t* b, size_t bytes) {
  uint64_t n = 0;
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    n += static_cast<uint64_t>(_mm_popcnt_u64(x ^ y));
  }
  for (; i < bytes; ++i) n += static_cast<uint64_t>(_mm_popcnt_u32(static_cast<uint32_t>(a[i] ^ b[i])));
  return static_cast<uint32_t>(n);
}

}  // namespace latentdb::index::simd
