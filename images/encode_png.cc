// EncodePng: stb_image_write's PNG encoder, written into a string.
#include <string>

#include "images/image.h"

#include <stb/stb_image_write.h>

namespace latentdb::images {

// An empty string for an empty image (stb refuses to write one).
std::string EncodePng(const Image& image) {
  std::string out;
  if (image.width <= 0 || image.height <= 0 || image.pixels.size() < image.size()) return out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
  };
  if (!stbi_write_png_to_func(append, &out, image.width, image.height, image.channels, image.pixels.data(),
                              image.width * image.channels)) {
    out.clear();
  }
  return out;
}

}  // namespace latentdb::images
