#pragma once
// The ANN-benchmark vector formats (TEXMEX, http://corpus-texmex.irisa.fr/): each record is a
// little-endian int32 dimension d followed by d elements — float32 (.fvecs), uint8 (.bvecs) or
// int32 (.ivecs). Elements become floats as they are (no scaling). ingest/vecs_source.h frames
// a file into records; this header knows what a record's bytes mean.

#include <cstddef>
#include <cstdint>

namespace latentdb::formats {

enum class VecsElement { kFloat32, kUint8, kInt32 };

// A record's dimension field must lie in 1…kMaxVecsDim; outside it the framing is lost.
constexpr int32_t kMaxVecsDim = 65536;

constexpr size_t VecsElementSize(VecsElement e) { return e == VecsElement::kUint8 ? 1 : 4; }

// The `dim` elements at `bytes` (dim × VecsElementSize bytes) as floats in `out`.
void DecodeVecsRecord(VecsElement element, const char* bytes, size_t dim, float* out);

}  // namespace latentdb::formats
