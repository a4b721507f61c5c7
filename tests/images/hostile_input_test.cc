// Untrusted bytes: truncated and corrupt files, lying headers, zero sizes, unknown formats, and a
// mutation loop over valid files of every format that must never crash (run it under
// `make asan-test` too). Decoding is also exercised from several threads at once.
#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include <zlib.h>

#include "images/image.h"
#include "tests/images/image_fixtures.h"

using namespace latentdb;
using namespace latentdb::images;
using namespace latentdb::testing::images;

namespace {

const uint8_t kPalette[4][3] = {{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 0, 255}};

std::string SmallGif() {
  GifFrame frame;
  for (int i = 0; i < 12 * 10; ++i) frame.indices.push_back(static_cast<uint8_t>((i / 3) % 4));
  return Gif(12, 10, kPalette, {frame});
}

// A decoded image must be self-consistent; a failure must carry one of the documented codes.
void CheckOutcome(const Result<Image>& r) {
  if (r.ok()) {
    REQUIRE(r->width > 0);
    REQUIRE(r->height > 0);
    REQUIRE((r->channels == 1 || r->channels == 3));
    REQUIRE(r->pixels.size() == r->size());
  } else {
    const StatusCode code = r.status().code();
    REQUIRE((code == StatusCode::kInvalidArgument || code == StatusCode::kUnsupportedMedia ||
             code == StatusCode::kPayloadTooLarge));
    REQUIRE(!r.status().message().empty());
  }
}

}  // namespace

TEST_CASE("Truncated PNG and JPEG are InvalidArgument", "[images]") {
  const Image image = Pattern(40, 30, 3);
  for (const std::string& file : {EncodePng(image), Jpeg(image)}) {
    for (size_t keep : {file.size() / 4, file.size() / 2, file.size() - 10, file.size() - 1}) {
      auto r = Decode(std::string_view(file).substr(0, keep));
      INFO(SniffFormat(file) << " cut to " << keep << " of " << file.size() << " bytes");
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
    }
  }
}

TEST_CASE("Truncated BMP is InvalidArgument, not a black-filled image", "[images]") {
  const std::string bmp = Bmp(Pattern(16, 16, 3));
  auto r = Decode(std::string_view(bmp).substr(0, bmp.size() - 100));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("truncated"));
}

TEST_CASE("A declared size over the limit is PayloadTooLarge before decoding", "[images]") {
  // 100000 × 100000: far beyond the default limit; the file has no pixel data at all.
  auto huge = Decode(PngHeader(100000, 100000));
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().code() == StatusCode::kPayloadTooLarge);

  // 7000 × 7000 = 49 M pixels: within stb's own sanity bounds, over the default 40 M limit.
  auto over = Decode(PngHeader(7000, 7000));
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == StatusCode::kPayloadTooLarge);
  CHECK_THAT(over.status().message(), Catch::Contains("7000x7000"));

  // A valid image is refused by a tighter limit, and accepted at exactly its size.
  const std::string png = EncodePng(Pattern(64, 64, 1));
  auto tight = Decode(png, DecodeLimits{.max_pixels = 64 * 64 - 1});
  REQUIRE_FALSE(tight.ok());
  CHECK(tight.status().code() == StatusCode::kPayloadTooLarge);
  CHECK(Decode(png, DecodeLimits{.max_pixels = 64 * 64}).ok());
  for (const std::string& file : {Jpeg(Pattern(64, 64, 3)), Bmp(Pattern(64, 64, 3))}) {
    auto r = Decode(file, DecodeLimits{.max_pixels = 100});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kPayloadTooLarge);
  }
}

TEST_CASE("Zero-size images and empty input are InvalidArgument", "[images]") {
  for (auto [w, h] : {std::pair{0u, 10u}, std::pair{10u, 0u}, std::pair{0u, 0u}}) {
    auto r = Decode(PngHeader(w, h));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("zero-size"));
  }
  GifFrame none;
  auto gif = Decode(Gif(0, 0, kPalette, {none}));
  REQUIRE_FALSE(gif.ok());
  CHECK(gif.status().code() == StatusCode::kInvalidArgument);

  auto empty = Decode("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Unknown formats are UnsupportedMedia", "[images]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::string bytes(1 + rng() % 4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    bytes[0] = 'x';  // never a magic number
    auto r = Decode(bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnsupportedMedia);
  }
  for (const char* other : {"P6\n1 1\n255\nabc", "RIFF\0\0\0\0WEBPVP8 ", "<svg/>", "II*\0"}) {
    auto r = Decode(other);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnsupportedMedia);
  }
}

TEST_CASE("A PNG whose IDAT declares 2 GiB fails as corrupt without allocating it", "[images]") {
  std::string png = PngHeader(8, 8);
  PutBe32(png, 0x7ffffff0);  // IDAT length, with only a few bytes behind it
  png += "IDAT";
  png += std::string(16, '\0');
  auto r = Decode(png);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("A deflate bomb stops at the allocation cap instead of exhausting memory", "[images]") {
  // An 8x8 gray PNG (64 + 8 filter bytes of pixel data) whose IDAT inflates to 64 MiB: stb would
  // grow its output buffer to match; the cap of the declared size stops it.
  const std::string zeros(64 << 20, '\0');
  uLongf packed_size = compressBound(zeros.size());
  std::string packed(packed_size, '\0');
  REQUIRE(compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                    reinterpret_cast<const Bytef*>(zeros.data()), zeros.size(), 9) == Z_OK);
  packed.resize(packed_size);
  std::string png = PngHeader(8, 8);
  png[8 + 8 + 8 + 1] = 0;  // colour type 0: gray
  PutBe32(png, static_cast<uint32_t>(packed.size()));
  png += "IDAT" + packed;
  PutBe32(png, 0);
  PutBe32(png, 0);
  png += "IEND";
  PutBe32(png, 0);
  auto r = Decode(png);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("outofmem"));
}

TEST_CASE("Every truncation and random bit flips of valid files never crash", "[images]") {
  const std::vector<std::string> files = {EncodePng(Pattern(20, 14, 3)), EncodePng(Pattern(9, 9, 1)),
                                          Jpeg(Pattern(24, 16, 3)),      Jpeg(Pattern(16, 16, 1), 50),
                                          Bmp(Pattern(7, 5, 3)),         SmallGif()};
  std::mt19937 rng(42);
  for (const std::string& file : files) {
    for (size_t keep = 0; keep < file.size(); ++keep) CheckOutcome(Decode(std::string_view(file).substr(0, keep)));
    for (int trial = 0; trial < 400; ++trial) {
      std::string mutated = file;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) mutated[rng() % mutated.size()] ^= static_cast<char>(1u << (rng() % 8));
      CheckOutcome(Decode(mutated));
      // Overwrite a 4-byte word with an extreme value: the usual way lengths and sizes lie.
      std::string lied = file;
      const size_t at = rng() % (lied.size() - 4);
      const uint32_t value = (trial % 2) ? 0xffffffffu : 0x7fff0000u + static_cast<uint32_t>(rng() % 65536);
      for (int b = 0; b < 4; ++b) lied[at + b] = static_cast<char>(value >> (8 * b));
      CheckOutcome(Decode(lied));
    }
  }
}

TEST_CASE("Concurrent decodes keep their own results and failure reasons", "[images]") {
  const std::string png = EncodePng(Pattern(32, 32, 3));
  const std::string truncated_jpeg = Jpeg(Pattern(32, 32, 3)).substr(0, 200);
  const std::string gif = SmallGif();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if ((i + t) % 3 == 0) {
          auto r = Decode(png);
          if (!r.ok() || r->pixels != Pattern(32, 32, 3).pixels) ++failures;
        } else if ((i + t) % 3 == 1) {
          auto r = Decode(truncated_jpeg);
          if (r.ok() || r.status().code() != StatusCode::kInvalidArgument ||
              r.status().message().find("jpeg") == std::string::npos) {
            ++failures;
          }
        } else {
          auto r = Decode(gif);
          if (!r.ok() || r->width != 12) ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
}

TEST_CASE("Inspect reads the declared size from the header alone, whatever it claims", "[images][hostile]") {
  // 10^10 pixels declared in 33 bytes: reported, not decoded (callers budget before decoding).
  auto png = Inspect(PngHeader(100000, 100000));
  REQUIRE(png.ok());
  CHECK(png->format == "png");
  CHECK(png->pixels() == 10'000'000'000ull);
  // A GIF: its logical screen, which is what decoding allocates, not its (tiny) frame.
  const uint8_t palette[4][3] = {{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}};
  std::string gif = Gif(1, 1, palette, {GifFrame{{0}}});
  gif[6] = static_cast<char>(6000 & 0xff);
  gif[7] = static_cast<char>(6000 >> 8);
  gif[8] = static_cast<char>(6000 & 0xff);
  gif[9] = static_cast<char>(6000 >> 8);
  auto screen = Inspect(gif);
  REQUIRE(screen.ok());
  CHECK(screen->format == "gif");
  CHECK(screen->width == 6000);
  CHECK(screen->height == 6000);
  const Image small = Pattern(5, 3, 3);
  auto jpeg = Inspect(Jpeg(small));
  REQUIRE(jpeg.ok());
  CHECK((jpeg->width == 5 && jpeg->height == 3));
  auto bmp = Inspect(Bmp(small));
  REQUIRE(bmp.ok());
  CHECK((bmp->width == 5 && bmp->height == 3));
  // Errors as Decode's: not an image 415, cut header 400.
  CHECK(Inspect("hello").status().code() == StatusCode::kUnsupportedMedia);
  CHECK(Inspect("").status().code() == StatusCode::kInvalidArgument);
  CHECK(Inspect(PngHeader(10, 10).substr(0, 20)).status().code() == StatusCode::kInvalidArgument);
}
