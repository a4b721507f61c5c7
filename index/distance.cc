#include "index/distance.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

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

}  // namespace

const DistanceKernels& Kernels() {
  static const DistanceKernels kernels = SelectKernels();
  return kernels;
}

const DistanceKernels& ScalarKernels() {
  static const DistanceKernels kernels{simd::L2SqrScalar, simd::InnerProductScalar, simd::L2SqrBatch4Scalar,
                                       simd::InnerProductBatch4Scalar, "scalar"};
  return kernels;
}

void NormalizeInPlace(float* v, size_t dim) {
  double norm = 0;
  for (size_t i = 0; i < dim; ++i) norm += static_cast<double>(v[i]) * v[i];
  if (norm <= 0) return;
  float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (size_t i = 0; i < dim; ++i) v[i] *= inv;
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
