// Portable kernels over quantized codes (the fallback when the CPU lacks AVX2/FMA/F16C/POPCNT).
#include <cstring>

#include "index/simd/kernels.h"

namespace latentdb::index::simd {
namespace {
// IEEE 754 binary16 to binary32, all cases (zero, subnormal, normal, Inf/NaN).
float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalize
    exponent = 113;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
}  // namespace

float WeightedL2U8Scalar(const float* qp, const float* w, const uint8_t* c, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) {
    const float t = qp[i] - static_cast<float>(c[i]);
    s += w[i] * t * t;
  }
  return s;
}

int32_t DotU8I8Scalar(const int8_t* w, const uint8_t* c, size_t d) {
  int32_t s = 0;
  for (size_t i = 0; i < d; ++i) s += static_cast<int32_t>(w[i]) * static_cast<int32_t>(c[i]);
  return s;
}

float L2SqrF16Scalar(const float* q, const uint16_t* h, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) {
    const float t = q[i] - HalfToFloat(h[i]);
    s += t * t;
  }
  return s;
}

float DotF16Scalar(const float* q, const uint16_t* h, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) s += q[i] * HalfToFloat(h[i]);
  return s;
}

void HalfToFloatScalar(const uint16_t* h, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = HalfToFloat(h[i]);
}

uint32_t HammingScalar(const uint8_t* a, const uint8_t* b, size_t bytes) {
  uint32_t n = 0;
  for (size_t i = 0; i < bytes; ++i) {
    uint8_t x = a[i] ^ b[i];
    while (x) {
      x &= static_cast<uint8_t>(x - 1);
      ++n;
    }
  }
  return n;
}

}  // namespace latentdb::index::simd
