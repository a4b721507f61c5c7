#include "index/simd/kernels.h"

namespace latentdb::index::simd {

// Four independent accumulators let the compiler pipeline the loop even without vector ISA.
float L2SqrScalar(const float* a, const float* b, size_t d) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1], d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
    s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
  }
  for (; i < d; ++i) { float t = a[i] - b[i]; s0 += t * t; }
  return (s0 + s1) + (s2 + s3);
}

float InnerProductScalar(const float* a, const float* b, size_t d) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3];
  }
  for (; i < d; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

void L2SqrBatch4Scalar(const float* q, const float* const* x, size_t d, float* out) {
  for (int r = 0; r < 4; ++r) out[r] = L2SqrScalar(q, x[r], d);
}

void InnerProductBatch4Scalar(const float* q, const float* const* x, size_t d, float* out) {
  for (int r = 0; r < 4; ++r) out[r] = InnerProductScalar(q, x[r], d);
}

}  // namespace latentdb::index::simd
