#include "index/distance.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "index/simd/kernels.h"

namespace latentdb::index {
namespace {

DistanceKernels SelectKernels() {
  // LATENTDB_SIMD=scalar|avx2 caps the choice (for benchmarks and debugging).
  const char* cap = std::getenv("LATENTDB_SIMD");
  bool allow512 = !cap || std::strcmp(cap, "avx512") == 0;
  bool allow2 = !cap || std::strcmp(cap, "scalar") != 0;
  __builtin_cpu_init();
  if (allow512 && __builtin_cpu_supports("avx512f")) {
    // AVX-512 rows use the AVX2 batch kernel: with four rows in flight, loads bound it either way.
    return {simd::L2SqrAvx512, simd::InnerProductAvx512, simd::L2SqrBatch4Avx2, simd::InnerProductBatch4Avx2,
            "avx512"};
  }
  if (allow2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return {simd::L2SqrAvx2, simd::InnerProductAvx2, simd::L2SqrBatch4Avx2, simd::InnerProductBatch4Avx2, "avx2"};
  }
  return {simd::L2SqrScalar, simd::InnerProductScalar, simd::L2SqrBatch4Scalar, simd::InnerProductBatch4Scalar,
          "scalar"};
}

constexpr CodeKernels kScalarCodeKernels{simd::WeightedL2U8Scalar, simd::DotU8I8Scalar, simd::L2SqrF16Scalar,
                                         simd::DotF16Scalar, simd::HammingScalar, simd::HalfToFloatScalar, "scalar"};

CodeKernels SelectCodeKernels() {
  const char* cap = std::getenv("LATENTDB_SIMD");
  const bool allow = !cap || std::strcmp(cap, "scalar") != 0;
  __builtin_cpu_init();
  if (allow && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
      __builtin_cpu_supports("popcnt")) {
    return {simd::WeightedL2U8Avx2, simd::DotU8I8Avx2,    simd::L2SqrF16Avx2,   simd::DotF16Avx2,
            simd::HammingPopcnt,    simd::HalfToFloatF16c, "avx2"};
  }
  return kScalarCodeKernels;
}

}  // namespace

const CodeKernels& QuantizedKernels() {
  static const CodeKernels kernels = SelectCodeKernels();
  return kernels;
}

const CodeKernels& ScalarQuantizedKernels() { return kScalarCodeKernels; }

const DistanceKernels& Kernels() {
  static const DistanceKernels kernels = SelectKernels();
  return kernels;
}

const DistanceKernels& ScalarKernels() {
  static const DistanceKernels kernels{simd::L2SqrScalar, simd::InnerProductScalar, simd::L2SqrBatch4Scalar,
                                       simd::InnerProductBatch4Scalar, "scalar"};
  return kernels;
}

double L2Norm(const float* v, size_t dim) {
  double sum = 0;
  for (size_t i = 0; i < dim; ++i) sum += static_cast<double>(v[i]) * v[i];
  return std::sqrt(sum);
}

void NormalizeInPlace(float* v, size_t dim) {
  const double norm = L2Norm(v, dim);
  if (!(norm > 0)) return;  // all zero (or NaN, which callers never pass): left as it is
  // Divide in double: 1 / norm as a float is +Inf for norms below ~3e-39.
  for (size_t i = 0; i < dim; ++i) v[i] = static_cast<float>(static_cast<double>(v[i]) / norm);
}

float FiniteScore(float score, bool smaller_is_better) {
  constexpr float kMax = std::numeric_limits<float>::max();
  if (std::isnan(score)) return smaller_is_better ? kMax : -kMax;
  return std::clamp(score, -kMax, kMax);
}

size_t FirstNonFinite(const float* v, size_t dim) {
  // A float is NaN or ±Inf exactly when its exponent bits are all ones.
  constexpr uint32_t kExponent = 0x7f800000u;
  uint32_t any = 0;
  for (size_t i = 0; i < dim; ++i) {
    uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    any |= static_cast<uint32_t>((bits & kExponent) == kExponent);
  }
  if (any == 0) return dim;
  for (size_t i = 0; i < dim; ++i) {
    if (!std::isfinite(v[i])) return i;
  }
  return dim;
}

}  // namespace latentdb::index
