// Decode: untrusted bytes → Image. JPEG goes to libjpeg-turbo (decode_jpeg.cc); PNG, BMP and
// GIF to stb_image. Both sit behind the same guards:
//  1. the format is sniffed first (UnsupportedMedia otherwise), so no decoder guesses;
//  2. the declared width × height is read from the header by container.cc and checked against
//     DecodeLimits before any pixel is decoded (PayloadTooLarge), zero sizes refused;
//  3. every allocation stb makes is capped by what that declared size needs (stb_alloc.h), so
//     a lying chunk length or a deflate bomb fails as corrupt data instead of exhausting memory;
//  4. truncation stb would paper over (PNG without IEND, BMP short of rows) is refused.
// Only the first frame of a GIF is decoded (stbi_load_from_memory never walks further frames).
// Channels: gray and gray+alpha → 1, RGB, RGBA and palettes (a GIF is always RGBA) → 3. Alpha is
// dropped, not composited: the colour channels are kept as stored.
#include <climits>
#include <memory>
#include <string>

#include "images/container.h"
#include "images/decode_jpeg.h"
#include "images/image.h"
#include "images/stb_alloc.h"

#include <stb/stb_image.h>

namespace latentdb::images {
namespace {

// stb rejects larger sides on its own (STBI_MAX_DIMENSIONS); refuse them first, with our code.
constexpr uint32_t kMaxSide = uint32_t{1} << 24;
// Room for stb's bookkeeping and tables on top of the size-proportional buffers.
constexpr size_t kAllocationSlack = size_t{1} << 20;

Status DecodeFailure(std::string_view format) {
  const char* reason = stbi_failure_reason();  // thread-local in this stb (see stb_image_impl.cc)
  const std::string why = reason ? reason : "unknown error";
  if (why == "too large") return Status::PayloadTooLarge(std::string(format) + " image is too large to decode");
  return Status::InvalidArgument("corrupt or truncated " + std::string(format) + " image (" + why + ")");
}

// Drops alpha (n = 2 or 4) from stb's interleaved output.
std::vector<uint8_t> KeepColour(const stbi_uc* data, size_t pixel_count, int stored, int kept) {
  std::vector<uint8_t> out(pixel_count * kept);
  if (stored == kept) {
    out.assign(data, data + out.size());
    return out;
  }
  for (size_t i = 0; i < pixel_count; ++i)
    for (int c = 0; c < kept; ++c) out[i * kept + c] = data[i * stored + c];
  return out;
}

}  // namespace

Result<ImageInfo> Inspect(std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("empty image (zero bytes)");
  const std::string_view format = SniffFormat(bytes);
  if (format.empty()) {
    return Status::UnsupportedMedia("unsupported image format (expected PNG, JPEG, BMP or GIF)");
  }
  LDB_ASSIGN_OR_RETURN(const internal::DeclaredSize declared, internal::ReadDeclaredSize(format, bytes));
  return ImageInfo{format, declared.width, declared.height};
}

Result<Image> Decode(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.empty()) return Status::InvalidArgument("empty image (zero bytes)");
  const std::string_view format = SniffFormat(bytes);
  if (format.empty()) {
    return Status::UnsupportedMedia("unsupported image format (expected PNG, JPEG, BMP or GIF)");
  }
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return Status::PayloadTooLarge("image file is over 2 GiB");

  LDB_ASSIGN_OR_RETURN(const internal::DeclaredSize declared, internal::ReadDeclaredSize(format, bytes));
  const std::string dims = std::to_string(declared.width) + "x" + std::to_string(declared.height);
  if (declared.width == 0 || declared.height == 0) {
    return Status::InvalidArgument("zero-size " + std::string(format) + " image (" + dims + ")");
  }
  const uint64_t pixels = uint64_t{declared.width} * declared.height;
  if (pixels > limits.max_pixels || declared.width > kMaxSide || declared.height > kMaxSide) {
    return Status::PayloadTooLarge(std::string(format) + " image of " + dims + " pixels is over the limit of " +
                                   std::to_string(limits.max_pixels) + " pixels");
  }
  LDB_RETURN_IF_ERROR(internal::CheckComplete(format, bytes, declared));
  if (format == "jpeg") return internal::DecodeJpeg(bytes, declared);

  int w = 0, h = 0, stored = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> decoded(nullptr, stbi_image_free);
  {
    // 16-bit RGBA is 8 bytes a pixel, and stb rounds growing buffers up to twice their need.
    internal::ScopedAllocationLimit cap(16 * pixels + 2 * bytes.size() + kAllocationSlack);
    decoded.reset(stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                        static_cast<int>(bytes.size()), &w, &h, &stored, 0));
    if (!decoded) return DecodeFailure(format);
  }
  if (static_cast<uint32_t>(w) != declared.width || static_cast<uint32_t>(h) != declared.height ||
      stored < 1 || stored > 4) {
    return Status::InvalidArgument("corrupt " + std::string(format) + " image: decoded " + std::to_string(w) + "x" +
                                   std::to_string(h) + " differs from its header's " + dims);
  }
  Image image;
  image.width = w;
  image.height = h;
  image.channels = stored <= 2 ? 1 : 3;
  image.pixels = KeepColour(decoded.get(), pixels, stored, image.channels);
  return image;
}

}  // namespace latentdb::images
