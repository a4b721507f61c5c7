#pragma once
// Internal to images: what an image file's container declares, read by LatentDB itself
// rather than by stb (stbi_info tries every format in turn and loses the first one's reason, and
// stb accepts some truncated files, filling the missing rows with black).

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace latentdb::images::internal {

struct DeclaredSize {
  uint32_t width = 0;
  uint32_t height = 0;
};

// The width and height in the header of a file whose format SniffFormat returned ("png",
// "jpeg", "bmp", "gif"; for GIF the logical screen). InvalidArgument when the header is cut
// short or malformed. Zero sizes are returned as they are: the caller decides.
Result<DeclaredSize> ReadDeclaredSize(std::string_view format, std::string_view bytes);

// Checks what stb does not: a PNG's chunks are whole up to IEND; a JPEG's segments are whole
// up to its EOI marker and its Huffman tables declare at most 256 codes each; an
// uncompressed BMP holds all the rows it declares. InvalidArgument otherwise; GIF passes.
Status CheckComplete(std::string_view format, std::string_view bytes, DeclaredSize size);

}  // namespace latentdb::images::internal
