// The fast JSON parser agrees with nlohmann_json: same values for valid documents, rejection of
// invalid ones (a differential test with random documents and random corruptions).
#include <catch2/catch.hpp>

#include <random>

#include "common/json_parser.h"

using latentdb::ParseJson;
using nlohmann::json;

namespace {

json RandomValue(std::mt19937& rng, int depth) {
  int kind = static_cast<int>(rng() % (depth > 3 ? 6 : 8));
  switch (kind) {
    case 0: return nullptr;
    case 1: return rng() % 2 == 0;
    case 2: return static_cast<uint64_t>(rng()) * (rng() % 3 == 0 ? 1000003ull : 1ull);
    case 3: return -static_cast<int64_t>(rng() % 100000);
    case 4: return std::ldexp(static_cast<double>(rng()) / 4294967296.0 - 0.5, static_cast<int>(rng() % 80) - 40);
    case 5: {
      std::string s;
      const char* pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "é", "漢", "😀", "\x01", "x"};
      for (int i = static_cast<int>(rng() % 8); i > 0; --i) s += pieces[rng() % 13];
      return s;
    }
    case 6: {
      json a = json::array();
      for (int i = static_cast<int>(rng() % 6); i > 0; --i) a.push_back(RandomValue(rng, depth + 1));
      return a;
    }
    default: {
      json o = json::object();
      for (int i = static_cast<int>(rng() % 5); i > 0; --i) o["k" + std::to_string(rng() % 10)] = RandomValue(rng, depth + 1);
      return o;
    }
  }
}

bool NlohmannAccepts(const std::string& s) {
  try {
    json parsed = json::parse(s);
    (void)parsed;
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

}  // namespace

TEST_CASE("valid documents parse to the same value as nlohmann", "[http][json]") {
  std::mt19937 rng(123);
  for (int i = 0; i < 3000; ++i) {
    json v = RandomValue(rng, 0);
    std::string text = v.dump(i % 2 ? 2 : -1);
    auto parsed = ParseJson(text, 64);
    INFO(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == json::parse(text));
  }
  auto v = ParseJson(" [1, -2, 3.5e2, 18446744073709551615, 1e-400, \"\\u00e9\\ud83d\\ude00\"] ", 64);
  REQUIRE(v.ok());
  CHECK((*v)[0].is_number_unsigned());
  CHECK((*v)[1].get<int64_t>() == -2);
  CHECK((*v)[2].get<double>() == 350.0);
  CHECK((*v)[3].get<uint64_t>() == 18446744073709551615ull);
  CHECK((*v)[4].get<double>() == 0.0);
  CHECK((*v)[5].get<std::string>() == "é😀");
}

TEST_CASE("invalid documents are rejected with a position", "[http][json]") {
  for (const char* bad : {"", " ", "[", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "01", "1.", "-", "1e", "+1",
                          "[1 2]", "tru", "nul", "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\x01\"",
                          "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "[1]x", "1e999", "-1e999", "NaN", "Infinity"}) {
    auto r = ParseJson(bad, 64);
    INFO(bad);
    CHECK_FALSE(r.ok());
    CHECK(r.status().message().find("at byte") != std::string::npos);
  }
}

TEST_CASE("nesting is capped while parsing", "[http][json]") {
  std::string ok(64, '['), deep(65, '[');
  ok += std::string(64, ']');
  deep += std::string(65, ']');
  CHECK(ParseJson(ok, 64).ok());
  auto r = ParseJson(deep, 64);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("deeper than the limit") != std::string::npos);
  CHECK_FALSE(ParseJson(std::string(100000, '['), 64).ok());  // no stack overflow
}

TEST_CASE("random corruptions: accepted exactly when nlohmann accepts", "[http][json]") {
  std::mt19937 rng(9);
  const char alphabet[] = "{}[]\",:0123456789.eE+-tfnul \\\x80\xc3";
  for (int i = 0; i < 5000; ++i) {
    std::string text = RandomValue(rng, 0).dump();
    for (int m = static_cast<int>(rng() % 3) + 1; m > 0 && !text.empty(); --m) {
      size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[pos] = alphabet[rng() % (sizeof alphabet - 1)]; break;
        case 1: text.erase(pos, 1); break;
        default: text.insert(pos, 1, alphabet[rng() % (sizeof alphabet - 1)]); break;
      }
    }
    auto mine = ParseJson(text, 64);
    bool theirs = NlohmannAccepts(text);
    INFO(text);
    CHECK(mine.ok() == theirs);
    if (mine.ok() && theirs) CHECK(*mine == json::parse(text));
  }
}

TEST_CASE("the number of values is bounded while parsing: 413 before the document is built", "[http][json][limits]") {
  // {"a":[1,2]} holds 4 values: the object, the array and two numbers.
  CHECK(ParseJson(R"({"a":[1,2]})", 64, 4).ok());
  auto over = ParseJson(R"({"a":[1,2]})", 64, 3);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == latentdb::StatusCode::kPayloadTooLarge);
  CHECK(over.status().message().find("3 values") != std::string::npos);
  // Stops at the limit: the rest of the text is never read (here it is not even JSON).
  auto early = ParseJson("[0,0,0,0,0,0,0,0,0,0,0,0 this is not JSON", 64, 5);
  REQUIRE_FALSE(early.ok());
  CHECK(early.status().code() == latentdb::StatusCode::kPayloadTooLarge);
  // The default allows 2^23 values.
  std::string many = "[0";
  for (size_t i = 1; i < latentdb::kDefaultMaxJsonValues - 1; ++i) many += ",0";
  many += "]";
  CHECK(ParseJson(many, 64).ok());
  many.back() = ',';
  many += "0]";
  CHECK(ParseJson(many, 64).status().code() == latentdb::StatusCode::kPayloadTooLarge);
}
