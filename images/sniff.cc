// SniffFormat: the image format from its magic bytes.
#include "images/image.h"

namespace latentdb::images {

std::string_view SniffFormat(std::string_view bytes) {
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) return "png";
  if (bytes.starts_with("\xff\xd8\xff")) return "jpeg";
  if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) return "gif";
  if (bytes.starts_with("BM") && bytes.size() >= 14) return "bmp";
  return "";
}

}  // namespace latentdb::images
