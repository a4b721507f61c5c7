// DecodeJpeg: JPEG through Debian's libjpeg-turbo (the decoder every browser and Pillow use,
// fuzzed continuously by OSS-Fuzz) instead of stb_image, whose 2.27 JPEG decoder reads outside
// its Huffman tables on corrupt input (found by fuzz/image_decode; see fuzz/README.md).
//
// libjpeg reports fatal errors through error_exit, which must not return: it longjmps back to
// DecodeInto. Nothing with a destructor lives in DecodeInto's frame between setjmp and the
// jump, so no C++ cleanup is skipped; the output vector belongs to the caller.
//
// Stricter than libjpeg's defaults, in the same spirit as the PNG and BMP checks of decode.cc:
// a warning that means the pixels are wrong ("Corrupt JPEG data: …", premature end of file) is
// an error, not a gray patch; a progressive file may have at most kMaxScans scans (each one
// re-walks the whole coefficient buffer: a few KB of scans can otherwise cost minutes, the
// limit TurboJPEG applies too); libjpeg's working memory is capped by the declared size.
#include <csetjmp>
#include <cstdio>
#include <new>
#include <string>

#include "images/container.h"
#include "images/image.h"

#include <jerror.h>
#include <jpeglib.h>

namespace latentdb::images::internal {
namespace {

constexpr int kMaxScans = 500;
// libjpeg's per-image working memory beyond the coefficient buffers (tables, row groups).
constexpr long kMemorySlack = 16L << 20;

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool unsupported;  // the file is valid JPEG this build cannot decode (12-bit samples)
};

[[noreturn]] void Fail(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  err->unsupported = cinfo->err->msg_code == JERR_BAD_PRECISION;
  std::longjmp(err->jump, 1);
}

// Level -1 is a warning; higher levels are trace messages, which are ignored.
void OnMessage(j_common_ptr cinfo, int level) {
  if (level != -1) return;
  switch (cinfo->err->msg_code) {
    case JWRN_EXTRANEOUS_DATA:  // padding between segments: common in real files, harmless
    case JWRN_JFIF_MAJOR:
    case JWRN_ADOBE_XFORM:
    case JWRN_BOGUS_ICC:  // LatentDB does not read ICC profiles
      return;
    default:
      Fail(cinfo);
  }
}

void LimitScans(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "progressive jpeg with over %d scans", kMaxScans);
    err->unsupported = false;
    std::longjmp(err->jump, 2);
  }
}

enum class Outcome { kOk, kFailed, kSizeMismatch };

// Fills *pixels (resized here) with width × height × channels bytes. On kFailed, err.message
// says why. Keeps only trivially destructible locals (see the file comment).
Outcome DecodeInto(std::string_view bytes, DeclaredSize declared, ErrorManager& err, int& channels,
                   std::vector<uint8_t>& pixels) {
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = Fail;
  err.pub.emit_message = OnMessage;
  err.message[0] = '\0';
  err.unsupported = false;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Outcome::kFailed;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use =
      static_cast<long>(16 * uint64_t{declared.width} * declared.height) + kMemorySlack;
  progress.progress_monitor = LimitScans;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.image_width != declared.width || cinfo.image_height != declared.height) {
    jpeg_destroy_decompress(&cinfo);
    return Outcome::kSizeMismatch;
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  const bool gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&cinfo);

  const size_t stride = size_t{cinfo.output_width} * cinfo.output_components;
  try {
    pixels.resize(stride * cinfo.output_height);  // bounded: the declared size passed the limit
  } catch (const std::bad_alloc&) {
    jpeg_destroy_decompress(&cinfo);
    throw;  // the callers' policy for memory exhaustion (503 on the server)
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels.data() + size_t{cinfo.output_scanline} * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  channels = cinfo.output_components;
  jpeg_destroy_decompress(&cinfo);
  return Outcome::kOk;
}

// Adobe's CMYK JPEGs store inverted ink values (255 = no ink), so R = C·K / 255 and so on: the
// conversion Photoshop-written files expect, and what stb_image did before this decoder.
std::vector<uint8_t> CmykToRgb(const std::vector<uint8_t>& cmyk, size_t pixel_count) {
  std::vector<uint8_t> rgb(pixel_count * 3);
  for (size_t i = 0; i < pixel_count; ++i) {
    const unsigned k = cmyk[i * 4 + 3];
    for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = static_cast<uint8_t>((cmyk[i * 4 + c] * k + 127) / 255);
  }
  return rgb;
}

}  // namespace

Result<Image> DecodeJpeg(std::string_view bytes, DeclaredSize declared) {
  ErrorManager err;
  int channels = 0;
  std::vector<uint8_t> pixels;
  const Outcome outcome = DecodeInto(bytes, declared, err, channels, pixels);
  if (outcome == Outcome::kSizeMismatch) {
    return Status::InvalidArgument("corrupt jpeg image: its frame header disagrees with its first one");
  }
  if (outcome == Outcome::kFailed) {
    if (err.unsupported) return Status::UnsupportedMedia(std::string("unsupported jpeg image (") + err.message + ")");
    return Status::InvalidArgument(std::string("corrupt or truncated jpeg image (") + err.message + ")");
  }
  Image image;
  image.width = static_cast<int>(declared.width);
  image.height = static_cast<int>(declared.height);
  const size_t pixel_count = size_t{declared.width} * declared.height;
  if (channels == 4) {
    image.channels = 3;
    image.pixels = CmykToRgb(pixels, pixel_count);
  } else {
    image.channels = channels;
    image.pixels = std::move(pixels);
  }
  return image;
}

}  // namespace latentdb::images::internal
