#pragma once
// A fast serializer for the points of PUT /collections/{c}/points. Floats are written with
// std::to_chars, the shortest text that reads back as the same float, so a vector survives the
// round trip bit for bit (negative zero is written "-0.0", which parsers keep as a float). NaN and Inf cannot be written (JSON has no such numbers): callers
// validate first.

#include <string>

#include "engine/external_id.h"
#include "ingest/item.h"

namespace latentdb::ingest {

// Appends `[x0,x1,…]`.
void AppendFloatArray(const float* v, size_t n, std::string* out);
// Appends `{"id":…,"vector":[…]}` or, when payload_json is not empty, `{"id":…,"vector":[…],"payload":…}`.
void AppendPointJson(const engine::ExternalId& id, const float* v, size_t n, const std::string& payload_json,
                     std::string* out);

// Appends `{"id":…,"text":"…"}` (raw.kind kText) or `{"id":…,"image":"<base64>"}` (kImage), with
// `"payload":…` when payload_json is not empty: a point for the server to encode with the
// collection's encoder.
void AppendRawPointJson(const engine::ExternalId& id, const RawInput& raw, const std::string& payload_json,
                        std::string* out);

}  // namespace latentdb::ingest
