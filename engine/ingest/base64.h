#pragma once
// Standard base64 (RFC 4648, with padding), for image bytes sent to a server as JSON strings.
// (engine/images has the decoder the server uses; this encoder keeps the ingest tool's online
// path free of the image codec.)

#include <string>
#include <string_view>

namespace latentdb::engine::ingest {

// Appends the base64 text of `bytes` to `out`.
void AppendBase64(std::string_view bytes, std::string* out);

}  // namespace latentdb::engine::ingest
