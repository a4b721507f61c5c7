#pragma once
// Standard base64 (RFC 4648 §4: the "+/" alphabet, '=' padding): images in JSON bodies, and the
// keys and values of etcd's JSON gateway. Pure functions, thread-safe.

#include <string>
#include <string_view>

#include "common/result.h"

namespace latentdb {

// The padded encoding of `bytes`.
std::string Base64Encode(std::string_view bytes);
// The bytes of `text`. Lenient where JSON clients differ: a "data:<type>;base64," prefix (data
// URLs of images), whitespace anywhere and missing padding are accepted. InvalidArgument on
// characters outside the alphabet, misplaced padding or non-zero padding bits.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace latentdb
