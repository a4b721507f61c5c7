// Decoding every supported format from files the test writes: exact PNG round trips, close JPEG,
// BMP, GIF (first frame only), channel handling, format sniffing.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>

#include "images/image.h"
#include "tests/images/image_fixtures.h"

using namespace latentdb;
using namespace latentdb::images;
using namespace latentdb::testing::images;

namespace {

double MeanAbsDiff(const Image& a, const Image& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / a.pixels.size();
}

const uint8_t kPalette[4][3] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {10, 20, 250}};

}  // namespace

TEST_CASE("PNG round trip is exact for gray and RGB", "[images]") {
  for (int channels : {1, 3}) {
    const Image original = Pattern(37, 23, channels);
    const std::string png = EncodePng(original);
    REQUIRE(SniffFormat(png) == "png");
    auto decoded = Decode(png);
    REQUIRE(decoded.ok());
    CHECK(decoded->width == 37);
    CHECK(decoded->height == 23);
    CHECK(decoded->channels == channels);
    CHECK(decoded->pixels == original.pixels);
  }
}

TEST_CASE("EncodePng of an empty image is empty", "[images]") {
  CHECK(EncodePng(Image{}).empty());
}

TEST_CASE("JPEG decodes close to the original", "[images]") {
  // stb_image_write always writes 3-component JPEGs, gray input included.
  for (int channels : {1, 3}) {
    const Image original = Pattern(64, 48, channels);
    const std::string jpeg = Jpeg(original);
    REQUIRE(SniffFormat(jpeg) == "jpeg");
    auto decoded = Decode(jpeg);
    REQUIRE(decoded.ok());
    CHECK(decoded->width == 64);
    CHECK(decoded->height == 48);
    REQUIRE(decoded->channels == 3);
    CHECK(MeanAbsDiff(ConvertChannels(*decoded, channels), original) < 6.0);
  }
}

TEST_CASE("BMP decodes exactly (gray is stored as 24-bit RGB)", "[images]") {
  const Image original = Pattern(13, 9, 3);  // odd width: rows are padded to 4 bytes
  const std::string bmp = Bmp(original);
  REQUIRE(SniffFormat(bmp) == "bmp");
  auto decoded = Decode(bmp);
  REQUIRE(decoded.ok());
  CHECK(decoded->channels == 3);
  CHECK(decoded->pixels == original.pixels);

  auto gray = Decode(Bmp(Pattern(8, 8, 1)));
  REQUIRE(gray.ok());
  CHECK(ConvertChannels(*gray, 1).pixels == Pattern(8, 8, 1).pixels);
}

TEST_CASE("GIF decodes its first frame to RGB", "[images]") {
  const int w = 15, h = 11;  // 165 pixels: crosses a clear code
  GifFrame first, second;
  for (int i = 0; i < w * h; ++i) {
    first.indices.push_back(static_cast<uint8_t>(i % 4));
    second.indices.push_back(1);
  }
  for (const auto& frames : {std::vector<GifFrame>{first}, std::vector<GifFrame>{first, second}}) {
    const std::string gif = Gif(w, h, kPalette, frames);
    REQUIRE(SniffFormat(gif) == "gif");
    auto decoded = Decode(gif);
    REQUIRE(decoded.ok());
    CHECK(decoded->width == w);
    CHECK(decoded->height == h);
    REQUIRE(decoded->channels == 3);
    for (int i = 0; i < w * h; ++i) {
      const uint8_t* rgb = &decoded->pixels[3 * i];
      INFO("pixel " << i << " of " << frames.size() << " frames");
      REQUIRE(rgb[0] == kPalette[i % 4][0]);
      REQUIRE(rgb[1] == kPalette[i % 4][1]);
      REQUIRE(rgb[2] == kPalette[i % 4][2]);
    }
  }
}

TEST_CASE("Alpha is dropped: RGBA becomes RGB, gray+alpha stays gray", "[images]") {
  for (int stored : {2, 4}) {
    Image rgba = Pattern(10, 6, stored);
    const std::string png = EncodePng(rgba);
    auto decoded = Decode(png);
    REQUIRE(decoded.ok());
    const int colour = stored - 1;
    CHECK(decoded->channels == colour);
    for (int i = 0; i < 60; ++i)
      for (int c = 0; c < colour; ++c) REQUIRE(decoded->pixels[i * colour + c] == rgba.pixels[i * stored + c]);
  }
}

TEST_CASE("SniffFormat recognizes magic bytes only", "[images]") {
  CHECK(SniffFormat("\x89PNG\r\n\x1a\n....") == "png");
  CHECK(SniffFormat("\xff\xd8\xff\xe0") == "jpeg");
  CHECK(SniffFormat("GIF89a") == "gif");
  CHECK(SniffFormat("GIF87a") == "gif");
  CHECK(SniffFormat("BM" + std::string(12, '\0')) == "bmp");
  CHECK(SniffFormat("BM") == "");
  CHECK(SniffFormat("\x89PNG") == "");
  CHECK(SniffFormat("GIF88a") == "");
  CHECK(SniffFormat("") == "");
  CHECK(SniffFormat("P6\n1 1\n255\n") == "");
}
