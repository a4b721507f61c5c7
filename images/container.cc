// ReadDeclaredSize and CheckComplete: bounds-checked reads of PNG, JPEG, BMP and GIF headers.
#include "images/container.h"

#include <string>

namespace latentdb::images::internal {
namespace {

uint8_t Byte(std::string_view b, size_t at) { return static_cast<uint8_t>(b[at]); }
uint32_t Be16(std::string_view b, size_t at) { return (Byte(b, at) << 8) | Byte(b, at + 1); }
uint32_t Le16(std::string_view b, size_t at) { return Byte(b, at) | (Byte(b, at + 1) << 8); }
uint32_t Be32(std::string_view b, size_t at) { return (Be16(b, at) << 16) | Be16(b, at + 2); }
uint32_t Le32(std::string_view b, size_t at) { return Le16(b, at) | (Le16(b, at + 2) << 16); }

Status Truncated(std::string_view format) {
  return Status::InvalidArgument("truncated or corrupt " + std::string(format) + " header");
}

// Walks the marker segments up to the first start-of-frame (SOF0…SOF15 but DHT, JPG, DAC).
Result<DeclaredSize> JpegSize(std::string_view b) {
  size_t at = 2;
  for (;;) {
    if (at >= b.size()) return Truncated("jpeg");
    if (Byte(b, at) != 0xff) return Status::InvalidArgument("corrupt jpeg: expected a marker");
    while (at < b.size() && Byte(b, at) == 0xff) ++at;  // 0xff and fill bytes before the code
    if (at >= b.size()) return Truncated("jpeg");
    const uint8_t marker = Byte(b, at++);
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;  // no length field
    if (marker == 0xd9 || marker == 0xda) {
      return Status::InvalidArgument("corrupt jpeg: no frame header before the image data");
    }
    if (at + 2 > b.size()) return Truncated("jpeg");
    const uint32_t length = Be16(b, at);
    if (length < 2) return Truncated("jpeg");
    const bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (sof) {
      if (at + 7 > b.size()) return Truncated("jpeg");
      return DeclaredSize{Be16(b, at + 5), Be16(b, at + 3)};
    }
    at += length;
  }
}

// A DHT segment's tables: each declares up to 256 codes. Kept from the stb decoder (whose Huffman
// builder wrote past its arrays on more): libjpeg refuses them too, this says so earlier.
Status CheckHuffmanTables(std::string_view segment) {
  size_t at = 0;
  while (at < segment.size()) {
    if (at + 17 > segment.size()) return Status::InvalidArgument("corrupt jpeg: short Huffman table");
    size_t codes = 0;
    for (size_t i = 1; i <= 16; ++i) codes += Byte(segment, at + i);
    if (codes > 256) return Status::InvalidArgument("corrupt jpeg: Huffman table with over 256 codes");
    at += 17 + codes;
  }
  if (at != segment.size()) return Status::InvalidArgument("corrupt jpeg: bad Huffman table length");
  return Status::Ok();
}

// Walks every marker segment and the entropy-coded data after each SOS up to EOI: checks the
// Huffman tables and that the file is not cut short (stb decodes a truncated scan as gray).
Status CheckJpegSegments(std::string_view b) {
  size_t at = 2;
  while (at < b.size()) {
    if (Byte(b, at) != 0xff) return Status::InvalidArgument("corrupt jpeg: expected a marker");
    while (at < b.size() && Byte(b, at) == 0xff) ++at;
    if (at >= b.size()) break;
    const uint8_t marker = Byte(b, at++);
    if (marker == 0xd9) return Status::Ok();                              // EOI
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;  // no length field
    if (at + 2 > b.size()) break;
    const size_t length = Be16(b, at);
    if (length < 2) return Status::InvalidArgument("corrupt jpeg: bad segment length");
    if (at + length > b.size()) break;
    if (marker == 0xc4) LDB_RETURN_IF_ERROR(CheckHuffmanTables(b.substr(at + 2, length - 2)));
    at += length;
    if (marker == 0xda) {  // entropy-coded data: 0xff is followed by 0x00 (stuffing) or RSTn
      while (at < b.size()) {
        if (Byte(b, at) == 0xff && at + 1 < b.size()) {
          const uint8_t next = Byte(b, at + 1);
          if (next != 0x00 && !(next >= 0xd0 && next <= 0xd7)) break;
        }
        ++at;
      }
    }
  }
  return Status::InvalidArgument("truncated jpeg: no end-of-image marker");
}

// Walks the chunks (length, type, data, CRC) from the signature to IEND: every chunk must lie
// whole inside the file (PNG limits lengths to 2^31 - 1).
Status CheckPngChunks(std::string_view b) {
  size_t at = 8;
  while (at + 8 <= b.size()) {
    const uint64_t length = Be32(b, at);
    if (length > 0x7fffffffu) return Status::InvalidArgument("corrupt png: chunk length over 2^31 - 1");
    if (at + 12 + length > b.size()) break;
    if (b.substr(at + 4, 4) == "IEND") return Status::Ok();
    at += 12 + length;
  }
  return Status::InvalidArgument("truncated png: its chunks end before IEND");
}

}  // namespace

Result<DeclaredSize> ReadDeclaredSize(std::string_view format, std::string_view b) {
  if (format == "png") {
    if (b.size() < 24 || b.substr(12, 4) != "IHDR") return Truncated("png");
    return DeclaredSize{Be32(b, 16), Be32(b, 20)};
  }
  if (format == "gif") {
    if (b.size() < 10) return Truncated("gif");
    return DeclaredSize{Le16(b, 6), Le16(b, 8)};
  }
  if (format == "bmp") {
    if (b.size() < 26) return Truncated("bmp");
    if (Le32(b, 14) == 12) return DeclaredSize{Le16(b, 18), Le16(b, 20)};  // OS/2 BITMAPCOREHEADER
    // Signed 32-bit; a negative height means top-down rows.
    const int64_t width = static_cast<int32_t>(Le32(b, 18));
    const int64_t height = static_cast<int32_t>(Le32(b, 22));
    if (width < 0) return Status::InvalidArgument("corrupt bmp: negative width");
    return DeclaredSize{static_cast<uint32_t>(width), static_cast<uint32_t>(height < 0 ? -height : height)};
  }
  if (format == "jpeg") return JpegSize(b);
  return Status::UnsupportedMedia("unsupported image format '" + std::string(format) + "'");
}

Status CheckComplete(std::string_view format, std::string_view b, DeclaredSize size) {
  if (format == "png") return CheckPngChunks(b);
  if (format == "jpeg") return CheckJpegSegments(b);
  if (format == "bmp" && b.size() >= 34 && Le32(b, 14) >= 40) {
    const uint32_t compression = Le32(b, 30);
    if (compression != 0 && compression != 3) return Status::Ok();  // RLE: stb bounds-checks it
    const uint64_t bpp = Le16(b, 28);
    const uint64_t stride = (bpp * size.width + 31) / 32 * 4;
    const uint64_t needed = Le32(b, 10) + stride * size.height;
    if (needed > b.size()) {
      return Status::InvalidArgument("truncated bmp: its pixels need " + std::to_string(needed) +
                                     " bytes, the file has " + std::to_string(b.size()));
    }
  }
  return Status::Ok();
}

}  // namespace latentdb::images::internal
