#pragma once
// Internal to images: JPEG decoding through libjpeg-turbo (decode_jpeg.cc).

#include <string_view>

#include "common/result.h"
#include "images/container.h"
#include "images/image.h"

namespace latentdb::images::internal {

// Decodes a JPEG whose header ReadDeclaredSize read as `declared` (already checked against the
// pixel limit and by CheckComplete) into 1 channel (grayscale) or 3 (YCbCr, RGB, and CMYK/YCCK
// converted as Adobe writes them). InvalidArgument for corrupt data, including the warnings
// libjpeg would otherwise decode through; UnsupportedMedia for valid JPEG this libjpeg cannot
// decode (12-bit samples). std::bad_alloc propagates. Thread-safe (no shared state).
Result<Image> DecodeJpeg(std::string_view bytes, DeclaredSize declared);

}  // namespace latentdb::images::internal
