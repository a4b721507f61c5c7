// JPEG decoding (libjpeg-turbo behind images): files written by libjpeg-turbo's own
// encoder in every layout real cameras and tools produce (baseline, progressive, grayscale,
// chroma subsampling, restart intervals, arithmetic coding, Adobe CMYK), and the corrupt files
// that must be refused: the inputs the fuzzer found to break stb_image, corrupt entropy-coded
// data, and a progressive file with more scans than the decoder accepts.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "images/image.h"
#include "tests/images/image_fixtures.h"

#include <jpeglib.h>

using namespace latentdb;
using namespace latentdb::images;
using namespace latentdb::testing::images;

namespace {

struct JpegOptions {
  bool progressive = false;
  bool arithmetic = false;
  int restart_rows = 0;
  int h_subsampling = 1;  // luma sampling factor: 2 gives 4:2:x chroma
  int v_subsampling = 1;
  const jpeg_scan_info* scans = nullptr;
  int scan_count = 0;
};

// Writes `image` (1 channel: grayscale; 3: RGB stored as YCbCr; 4: CMYK stored with an Adobe
// marker, inverted as Photoshop writes it) with libjpeg-turbo's encoder at quality 95.
std::string LibjpegEncode(const Image& image, const JpegOptions& options = {}) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);  // the encoder cannot fail on these inputs
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = image.width;
  cinfo.image_height = image.height;
  cinfo.input_components = image.channels;
  cinfo.in_color_space = image.channels == 1 ? JCS_GRAYSCALE : image.channels == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  if (image.channels == 3) {
    cinfo.comp_info[0].h_samp_factor = options.h_subsampling;
    cinfo.comp_info[0].v_samp_factor = options.v_subsampling;
  }
  if (options.progressive) jpeg_simple_progression(&cinfo);
  if (options.scans) {
    cinfo.scan_info = options.scans;
    cinfo.num_scans = options.scan_count;
  }
  cinfo.arith_code = options.arithmetic;
  cinfo.restart_in_rows = options.restart_rows;
  jpeg_start_compress(&cinfo, TRUE);
  const size_t stride = static_cast<size_t>(image.width) * image.channels;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(image.pixels.data()) + cinfo.next_scanline * stride;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return out;
}

// Smooth colour fields (Pattern's wrap-around edges are what chroma subsampling blurs most).
Image Smooth(int width, int height, int channels) {
  Image image{width, height, channels, {}};
  image.pixels.resize(image.size());
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        image.pixels[(static_cast<size_t>(y) * width + x) * channels + c] =
            static_cast<uint8_t>(128 + 100 * std::sin(0.11 * x + 0.07 * y + 2.1 * c));
  return image;
}

double MeanAbsDiff(const Image& a, const Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / a.pixels.size();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Offset of the first byte of entropy-coded data (after the first SOS segment).
size_t ScanDataStart(const std::string& jpeg) {
  for (size_t at = 2; at + 4 <= jpeg.size();) {
    const uint8_t marker = static_cast<uint8_t>(jpeg[at + 1]);
    const size_t length = (static_cast<uint8_t>(jpeg[at + 2]) << 8) | static_cast<uint8_t>(jpeg[at + 3]);
    if (marker == 0xda) return at + 2 + length;
    at += 2 + length;
  }
  FAIL("no SOS segment");
  return 0;
}

}  // namespace

TEST_CASE("JPEGs written by libjpeg-turbo decode close to their pixels in every common layout", "[images]") {
  const Image rgb = Smooth(67, 45, 3);  // odd sizes: partial MCUs on both edges
  const Image gray = Smooth(67, 45, 1);
  struct Case {
    const char* name;
    const Image* image;
    JpegOptions options;
  };
  const std::vector<Case> cases = {
      {"baseline 4:4:4", &rgb, {}},
      {"baseline 4:2:0", &rgb, {.h_subsampling = 2, .v_subsampling = 2}},
      {"baseline 4:2:2", &rgb, {.h_subsampling = 2, .v_subsampling = 1}},
      {"progressive", &rgb, {.progressive = true}},
      {"progressive 4:2:0", &rgb, {.progressive = true, .h_subsampling = 2, .v_subsampling = 2}},
      {"arithmetic coding", &rgb, {.arithmetic = true}},
      {"restart interval every row", &rgb, {.restart_rows = 1}},
      {"grayscale", &gray, {}},
      {"grayscale progressive", &gray, {.progressive = true}},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      const std::string jpeg = LibjpegEncode(*c.image, c.options);
      REQUIRE(SniffFormat(jpeg) == "jpeg");
      auto decoded = Decode(jpeg);
      REQUIRE(decoded.ok());
      CHECK(decoded->width == 67);
      CHECK(decoded->height == 45);
      REQUIRE(decoded->channels == c.image->channels);
      CHECK(MeanAbsDiff(*decoded, *c.image) < 3.0);
    }
  }
}

TEST_CASE("An Adobe CMYK JPEG decodes to RGB as C·K/255 per channel", "[images]") {
  // Inverted CMYK (255 = no ink) as Photoshop stores it: K = 255 keeps C, M, Y as R, G, B.
  Image cmyk{40, 24, 4, {}};
  cmyk.pixels.resize(cmyk.size());
  const Image rgb = Pattern(40, 24, 3);
  for (size_t i = 0; i < size_t{40} * 24; ++i) {
    for (int c = 0; c < 3; ++c) cmyk.pixels[i * 4 + c] = rgb.pixels[i * 3 + c];
    cmyk.pixels[i * 4 + 3] = 255;
  }
  auto decoded = Decode(LibjpegEncode(cmyk));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->channels == 3);
  CHECK(MeanAbsDiff(*decoded, rgb) < 6.0);

  for (size_t i = 0; i < size_t{40} * 24; ++i) cmyk.pixels[i * 4 + 3] = 0;  // full black ink
  decoded = Decode(LibjpegEncode(cmyk));
  REQUIRE(decoded.ok());
  CHECK(MeanAbsDiff(*decoded, Image{40, 24, 3, std::vector<uint8_t>(40 * 24 * 3, 0)}) < 2.0);
}

TEST_CASE("The JPEGs fuzzing found to read outside stb_image's tables are refused as corrupt", "[images]") {
  // fuzz/crashes/image_decode: corrupt Huffman and quantization tables that made Debian's
  // stb_image 2.27 index its Huffman value table with c = -2,619,423 and overflow dc * dequant.
  // stb decoded some of them to garbage pixels; every one must be a 400 now.
  const std::filesystem::path dir = std::filesystem::path(LATENTDB_FUZZ_DIR) / "crashes" / "image_decode";
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string bytes = ReadFile(entry.path());
    if (SniffFormat(bytes) != "jpeg") continue;
    ++found;
    INFO(entry.path().filename().string());
    auto decoded = Decode(bytes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(found >= 5);
}

TEST_CASE("Corrupt entropy-coded data is refused, not decoded to a gray patch", "[images]") {
  const std::string good = LibjpegEncode(Pattern(64, 64, 3));
  const size_t start = ScanDataStart(good);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::string bad = good;
    for (size_t at = start + 16; at < bad.size() - 2; at += 1 + rng() % 7) {
      bad[at] = static_cast<char>(rng() % 0xff);  // never 0xff: the segment structure stays whole
    }
    auto decoded = Decode(bad);
    INFO("trial " << trial);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
    CHECK(decoded.status().message().find("jpeg") != std::string::npos);
  }
}

TEST_CASE("A progressive JPEG with more than 500 scans is refused", "[images]") {
  // Legal but costly: every scan walks the whole coefficient buffer again. One DC scan, then for
  // each of the 63 AC coefficients a first scan at Al = 3 and three refinements: 253 scans per
  // component; three components make 757.
  std::vector<jpeg_scan_info> scans;
  scans.push_back({3, {0, 1, 2, 0}, 0, 0, 0, 0});
  for (int component = 0; component < 3; ++component) {
    for (int k = 1; k <= 63; ++k) {
      scans.push_back({1, {component, 0, 0, 0}, k, k, 0, 3});
      for (int al = 2; al >= 0; --al) scans.push_back({1, {component, 0, 0, 0}, k, k, al + 1, al});
    }
  }
  const Image rgb = Pattern(16, 16, 3);
  const std::string many = LibjpegEncode(rgb, {.scans = scans.data(), .scan_count = static_cast<int>(scans.size())});
  auto decoded = Decode(many);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
  CHECK(decoded.status().message().find("scans") != std::string::npos);

  // One scan per coefficient and component without refinement (190 scans) is within the limit.
  std::vector<jpeg_scan_info> within = {{3, {0, 1, 2, 0}, 0, 0, 0, 0}};
  for (int component = 0; component < 3; ++component)
    for (int k = 1; k <= 63; ++k) within.push_back({1, {component, 0, 0, 0}, k, k, 0, 0});
  decoded = Decode(LibjpegEncode(rgb, {.scans = within.data(), .scan_count = static_cast<int>(within.size())}));
  REQUIRE(decoded.ok());
  CHECK(MeanAbsDiff(*decoded, rgb) < 6.0);
}

TEST_CASE("A 12-bit JPEG is refused as unsupported media, not as corrupt", "[images]") {
  // An extended sequential (SOF1) frame declaring 12-bit samples: valid JPEG that Debian's 8-bit
  // libjpeg-turbo build does not decode. The test patches the frame header of an 8-bit file.
  std::string jpeg = LibjpegEncode(Smooth(16, 16, 1));
  const size_t sof = jpeg.find("\xff\xc0");
  REQUIRE(sof != std::string::npos);
  jpeg[sof + 1] = '\xc1';
  jpeg[sof + 4] = 12;  // precision, after the marker and the 2-byte length
  auto decoded = Decode(jpeg);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == StatusCode::kUnsupportedMedia);
  CHECK(decoded.status().message().find("12") != std::string::npos);
}
