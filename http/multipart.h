#pragma once
// multipart/form-data bodies (RFC 7578): the one file field of a snapshot upload, as Qdrant's
// clients send it (`curl -F snapshot=@file`). Strict: a boundary from the Content-Type, parts
// delimited by CRLF "--" boundary, part headers up to an empty line. Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "common/result.h"

namespace latentdb::http {

// The bytes of the part named `field` (Content-Disposition: form-data; name="field") of `body`,
// whose Content-Type header is `content_type` (multipart/form-data; boundary=…): a view into
// `body`. InvalidArgument when the Content-Type has no boundary, the body is not well formed, or
// no part has that name.
Result<std::string_view> MultipartField(std::string_view content_type, std::string_view body, std::string_view field);

}  // namespace latentdb::http
