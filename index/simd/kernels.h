#pragma once
// Per-ISA kernel entry points; each is defined in a translation unit compiled for that ISA.
#include <cstddef>

namespace latentdb::index::simd {
float L2SqrScalar(const float* a, const float* b, size_t d);
float InnerProductScalar(const float* a, const float* b, size_t d);
float L2SqrAvx2(const float* a, const float* b, size_t d);
float InnerProductAvx2(const float* a, const float* b, size_t d);
float L2SqrAvx512(const float* a, const float* b, size_t d);
float InnerProductAvx512(const float* a, const float* b, size_t d);

// Four distances from one query: the query is loaded once per step for four rows.
void L2SqrBatch4Scalar(const float* q, const float* const* x, size_t d, float* out);
void InnerProductBatch4Scalar(const float* q, const float* const* x, size_t d, float* out);
void L2SqrBatch4Avx2(const float* q, const float* const* x, size_t d, float* out);
void InnerProductBatch4Avx2(const float* q, const float* const* x, size_t d, float* out);
}  // namespace latentdb::index::simd
