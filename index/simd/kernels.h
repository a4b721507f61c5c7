#pragma once
// Per-ISA kernel entry points; each is defined in a translation unit compiled for that ISA.
#include <cstddef>
#include <cstdint>

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

// Kernels over quantized codes (index/quantized_storage.cc), one query against one stored code.
namespace latentdb::index::simd {
// sum w[i] * (qp[i] - c[i])^2: the squared L2 distance to an 8-bit scalar-quantized code, with
// the query moved into code units (qp) and the per-dimension step squared (w).
float WeightedL2U8Scalar(const float* qp, const float* w, const uint8_t* c, size_t d);
float WeightedL2U8Avx2(const float* qp, const float* w, const uint8_t* c, size_t d);
// sum w[i] * c[i] in 32-bit integers (the caller bounds |w[i]|: index/distance.h kMaxDotU8Weight)
int32_t DotU8I8Scalar(const int8_t* w, const uint8_t* c, size_t d);
int32_t DotU8I8Avx2(const int8_t* w, const uint8_t* c, size_t d);
// Against IEEE half-precision codes.
float L2SqrF16Scalar(const float* q, const uint16_t* h, size_t d);
float L2SqrF16Avx2(const float* q, const uint16_t* h, size_t d);
float DotF16Scalar(const float* q, const uint16_t* h, size_t d);
float DotF16Avx2(const float* q, const uint16_t* h, size_t d);
// out[i] = h[i] as a float, i < n.
void HalfToFloatScalar(const uint16_t* h, float* out, size_t n);
void HalfToFloatF16c(const uint16_t* h, float* out, size_t n);
// Number of differing bits.
uint32_t HammingScalar(const uint8_t* a, const uint8_t* b, size_t bytes);
uint32_t HammingPopcnt(const uint8_t* a, const uint8_t* b, size_t bytes);
}  // namespace latentdb::index::simd
