#include "ingest/point_json.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "images/image.h"

namespace latentdb::ingest {

void AppendFloatArray(const float* v, size_t n, std::string* out) {
  // At most 15 characters per float ("-1.17549435e-38") plus the comma.
  const size_t start = out->size();
  out->resize(start + 2 + n * 16);
  char* p = out->data() + start;
  char* end = out->data() + out->size();
  *p++ = '[';
  for (size_t i = 0; i < n; ++i) {
    if (i) *p++ = ',';
    if (v[i] == 0.0f && std::signbit(v[i])) {
      // to_chars writes "-0", which JSON parsers read as the integer 0: keep the sign.
      std::memcpy(p, "-0.0", 4);
      p += 4;
      continue;
    }
    p = std::to_chars(p, end, v[i]).ptr;
  }
  *p++ = ']';
  out->resize(static_cast<size_t>(p - out->data()));
}

void AppendPointJson(const engine::ExternalId& id, const float* v, size_t n, const std::string& payload_json,
                     std::string* out) {
  out->append("{\"id\":");
  out->append(id.ToJson().dump());
  out->append(",\"vector\":");
  AppendFloatArray(v, n, out);
  if (!payload_json.empty()) {
    out->append(",\"payload\":");
    out->append(payload_json);
  }
  out->push_back('}');
}

void AppendRawPointJson(const engine::ExternalId& id, const RawInput& raw, const std::string& payload_json,
                        std::string* out) {
  out->append("{\"id\":");
  out->append(id.ToJson().dump());
  if (raw.kind == RawInput::Kind::kImage) {
    out->append(",\"image\":\"");
    if (raw.width > 0) {  // raw pixels (IDX): the server takes image files, so send a PNG
      images::Image img;
      img.width = raw.width;
      img.height = raw.height;
      img.channels = raw.channels;
      img.pixels.assign(raw.bytes.begin(), raw.bytes.end());
      out->append(Base64Encode(images::EncodePng(img)));
    } else {
      out->append(Base64Encode(raw.bytes));
    }
    out->push_back('"');
  } else {
    out->append(",\"text\":");
    out->append(nlohmann::json(raw.bytes).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  if (!payload_json.empty()) {
    out->append(",\"payload\":");
    out->append(payload_json);
  }
  out->push_back('}');
}

}  // namespace latentdb::ingest
