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
}  // namespace latentdb::index::simd
