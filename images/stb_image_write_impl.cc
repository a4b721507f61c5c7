// The one compilation of stb_image_write's implementation (PNG encoding in encode_png.cc; the
// tests also use its JPEG and BMP writers to make fixtures). LatentDB never changes its global
// settings (stbi_write_png_compression_level, stbi_write_force_png_filter,
// stbi_write_tga_with_rle), so concurrent writers are safe.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop
