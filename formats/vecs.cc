#include "formats/vecs.h"

#include <cstring>

namespace latentdb::formats {

void DecodeVecsRecord(VecsElement element, const char* bytes, size_t dim, float* out) {
  switch (element) {
    case VecsElement::kFloat32:
      std::memcpy(out, bytes, dim * 4);
      return;
    case VecsElement::kUint8: {
      const auto* p = reinterpret_cast<const unsigned char*>(bytes);
      for (size_t i = 0; i < dim; ++i) out[i] = static_cast<float>(p[i]);
      return;
    }
    case VecsElement::kInt32:
      for (size_t i = 0; i < dim; ++i) {
        int32_t v;
        std::memcpy(&v, bytes + i * 4, 4);
        out[i] = static_cast<float>(v);
      }
      return;
  }
}

}  // namespace latentdb::formats
