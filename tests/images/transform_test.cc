// ConvertChannels and Resize.
#include <catch2/catch.hpp>

#include "images/image.h"
#include "tests/images/image_fixtures.h"

using namespace latentdb::images;
using namespace latentdb::testing::images;

namespace {

Image Constant(int w, int h, int channels, uint8_t value) {
  return Image{w, h, channels, std::vector<uint8_t>(static_cast<size_t>(w) * h * channels, value)};
}

uint8_t At(const Image& image, int x, int y, int c = 0) {
  return image.pixels[(static_cast<size_t>(y) * image.width + x) * image.channels + c];
}

}  // namespace

TEST_CASE("Resize of a constant image stays constant", "[images]") {
  for (auto [w, h] : {std::pair{28, 28}, std::pair{100, 7}, std::pair{3, 5}, std::pair{57, 31}, std::pair{1, 1}}) {
    for (int channels : {1, 3}) {
      const Image out = Resize(Constant(41, 29, channels, 173), w, h);
      REQUIRE(out.width == w);
      REQUIRE(out.height == h);
      REQUIRE(out.channels == channels);
      REQUIRE(out.pixels.size() == out.size());
      for (uint8_t v : out.pixels) REQUIRE(v == 173);
    }
  }
}

TEST_CASE("56x56 to 28x28 averages 2x2 blocks", "[images]") {
  const Image src = Pattern(56, 56, 3);
  const Image out = Resize(src, 28, 28);
  REQUIRE(out.width == 28);
  REQUIRE(out.height == 28);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x)
      for (int c = 0; c < 3; ++c) {
        const int sum = At(src, 2 * x, 2 * y, c) + At(src, 2 * x + 1, 2 * y, c) + At(src, 2 * x, 2 * y + 1, c) +
                        At(src, 2 * x + 1, 2 * y + 1, c);
        REQUIRE(At(out, x, y, c) == (sum + 2) / 4);
      }
}

TEST_CASE("Non-integer downscale weights partial pixels by their overlap", "[images]") {
  // 3 → 2: output 0 covers source [0, 1.5): (a + b/2) / 1.5.
  const Image src{3, 1, 1, {0, 90, 180}};
  const Image out = Resize(src, 2, 1);
  CHECK(At(out, 0, 0) == 30);   // (0 + 45) / 1.5
  CHECK(At(out, 1, 0) == 150);  // (45 + 180) / 1.5
}

TEST_CASE("Upscale interpolates between pixel centres and keeps the edges", "[images]") {
  const Image src{2, 1, 1, {0, 200}};
  const Image out = Resize(src, 4, 1);
  // Centres of the 4 outputs map to source x = -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  CHECK(out.pixels == std::vector<uint8_t>{0, 50, 150, 200});
  CHECK(Resize(src, 2, 1).pixels == src.pixels);
}

TEST_CASE("ConvertChannels: gray to RGB replicates, RGB to gray is luma", "[images]") {
  const Image gray{2, 1, 1, {10, 200}};
  const Image rgb = ConvertChannels(gray, 3);
  CHECK(rgb.channels == 3);
  CHECK(rgb.pixels == std::vector<uint8_t>{10, 10, 10, 200, 200, 200});
  CHECK(ConvertChannels(rgb, 1).pixels == gray.pixels);

  const Image colours{3, 1, 3, {255, 0, 0, 0, 255, 0, 0, 0, 255}};
  CHECK(ConvertChannels(colours, 1).pixels == std::vector<uint8_t>{76, 150, 29});
  CHECK(ConvertChannels(colours, 3).pixels == colours.pixels);
}
