// Base64 against the RFC 4648 §10 test vectors, plus the decoder's leniencies and refusals.
#include <catch2/catch.hpp>

#include <random>

#include "common/base64.h"

using namespace latentdb;

TEST_CASE("Base64 RFC 4648 test vectors", "[common]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    CHECK(Base64Encode(plain) == encoded);
    auto decoded = Base64Decode(encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == plain);
  }
}

TEST_CASE("Base64 round trips arbitrary bytes", "[common]") {
  std::mt19937 rng(3);
  for (int n = 0; n < 300; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    auto decoded = Base64Decode(Base64Encode(bytes));
    REQUIRE(decoded.ok());
    REQUIRE(*decoded == bytes);
  }
  CHECK(Base64Encode("\xff\xfe\xfd") == "//79");
}

TEST_CASE("Base64Decode accepts data URLs, whitespace and missing padding", "[common]") {
  CHECK(*Base64Decode("data:image/png;base64,Zm9vYmFy") == "foobar");
  CHECK(*Base64Decode("Zm9v\nYmE=\r\n") == "fooba");
  CHECK(*Base64Decode(" Zm 9v Yg== ") == "foob");
  CHECK(*Base64Decode("Zm9vYg") == "foob");
}

TEST_CASE("Base64Decode rejects bad characters and bad padding", "[common]") {
  for (const char* bad : {"Zm9v!", "Zm9-", "Zm9_", "Z===", "Zm9vY", "Zm=9v", "Zm9vYg=", "Zm9vYg===", "Zm9v====",
                          "Zh==", "Zm9=", "data:image/png,Zm9v", "data:image/png;base64"}) {
    auto r = Base64Decode(bad);
    INFO(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}
