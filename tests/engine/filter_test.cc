// Payload filters: parsing errors and evaluation semantics.
#include <catch2/catch.hpp>

#include "engine/external_id.h"
#include "engine/filter.h"

using latentdb::engine::ExternalId;
using latentdb::engine::Filter;
using nlohmann::json;

namespace {
bool Eval(const std::string& filter, const json& payload, const ExternalId& id = ExternalId(uint64_t{1})) {
  auto f = Filter::Parse(json::parse(filter));
  REQUIRE(f.ok());
  return (*f)->Matches(payload, id.ToKey());
}
}  // namespace

TEST_CASE("match, any, range, must_not, should", "[engine][filter]") {
  json p = {{"color", "red"}, {"price", 12.5}, {"n", 3}, {"tags", {"a", "b"}}, {"meta", {{"author", "ann"}}}, {"ok", true}};
  CHECK(Eval(R"({"must":[{"key":"color","match":{"value":"red"}}]})", p));
  CHECK_FALSE(Eval(R"({"must":[{"key":"color","match":{"value":"blue"}}]})", p));
  CHECK(Eval(R"({"must":[{"key":"color","match":{"any":["blue","red"]}}]})", p));
  CHECK(Eval(R"({"must":[{"key":"n","match":{"value":3}}]})", p));
  CHECK(Eval(R"({"must":[{"key":"ok","match":{"value":true}}]})", p));
  CHECK(Eval(R"({"must":[{"key":"price","range":{"gt":12,"lte":12.5}}]})", p));
  CHECK_FALSE(Eval(R"({"must":[{"key":"price","range":{"lt":12.5}}]})", p));
  CHECK(Eval(R"({"must":[{"key":"tags","match":{"value":"b"}}]})", p));  // any element of an array
  CHECK(Eval(R"({"must":[{"key":"meta.author","match":{"value":"ann"}}]})", p));
  CHECK_FALSE(Eval(R"({"must":[{"key":"missing","match":{"value":"x"}}]})", p));
  CHECK_FALSE(Eval(R"({"must_not":[{"key":"color","match":{"value":"red"}}]})", p));
  CHECK(Eval(R"({"should":[{"key":"color","match":{"value":"no"}},{"key":"n","range":{"gte":3}}]})", p));
  CHECK_FALSE(Eval(R"({"should":[{"key":"color","match":{"value":"no"}},{"key":"n","range":{"gt":3}}]})", p));
  CHECK(Eval(R"({"must":[{"should":[{"key":"color","match":{"value":"red"}}]},{"key":"n","match":{"value":3}}]})", p));
  CHECK(Eval(R"({"must":[{"has_id":[1,"x"]}]})", p, ExternalId(uint64_t{1})));
  CHECK_FALSE(Eval(R"({"must":[{"has_id":[1,"x"]}]})", p, ExternalId(std::string("1"))));
  CHECK(Eval(R"({})", p));
  CHECK_FALSE(Eval(R"({"must":[{"key":"color","match":{"value":"red"}}]})", json(nullptr)));
}

TEST_CASE("malformed filters are rejected with a message", "[engine][filter]") {
  for (const char* bad : {R"([])", R"({"mustt":[]})", R"({"must":[{"match":{"value":1}}]})",
                          R"({"must":[{"key":"a"}]})", R"({"must":[{"key":"a","match":{"value":[1]}}]})",
                          R"({"must":[{"key":"a","range":{"gt":"x"}}]})", R"({"must":[{"key":"a","range":{"near":1}}]})",
                          R"({"must":"x"})", R"({"must":[{"has_id":[-1]}]})"}) {
    auto f = Filter::Parse(json::parse(bad));
    INFO(bad);
    CHECK(f.status().code() == latentdb::StatusCode::kInvalidArgument);
    CHECK_FALSE(f.status().message().empty());
  }
}

TEST_CASE("filters nest at most 16 deep", "[engine][filter]") {
  auto nested = [](int levels) {
    json f = {{"must", json::array({{{"key", "a"}, {"match", {{"value", 1}}}}})}};
    for (int i = 0; i < levels; ++i) f = {{"must", json::array({f})}};
    return f;
  };
  CHECK(Filter::Parse(nested(10)).ok());
  auto deep = Filter::Parse(nested(40));
  CHECK(deep.status().code() == latentdb::StatusCode::kInvalidArgument);
  CHECK(deep.status().message().find("nested too deeply") != std::string::npos);
}

TEST_CASE("ids with invalid UTF-8 (from URL paths) are described without throwing", "[engine]") {
  ExternalId bad(std::string("a\xff"));
  CHECK(bad.ToString() == "\"a\xef\xbf\xbd\"");  // U+FFFD replaces the bad byte
  CHECK(ExternalId::FromPathSegment("\xff").ToKey() == std::string("s\xff"));
}

// Issue 10, kind 3: numbers compare by their exact values across signed, unsigned and floating.
TEST_CASE("numbers match and range exactly across integer kinds and doubles", "[engine][filter][numbers]") {
  const json p = json::parse(R"({"u": 18446744073709551615, "m": -1, "big": 9007199254740993, "d": 9007199254740992.0,
                                 "z": -0.0, "three": 3.0, "half": 0.5, "i64min": -9223372036854775808,
                                 "list": [18446744073709551615, 2.5]})");
  auto match = [&](const std::string& key, const std::string& value) {
    return Eval(R"({"must":[{"key":")" + key + R"(","match":{"value":)" + value + "}}]}", p);
  };
  auto any = [&](const std::string& key, const std::string& values) {
    return Eval(R"({"must":[{"key":")" + key + R"(","match":{"any":)" + values + "}}]}", p);
  };
  auto range = [&](const std::string& key, const std::string& bounds) {
    return Eval(R"({"must":[{"key":")" + key + R"(","range":)" + bounds + "}]}", p);
  };
  // 2^64 - 1 and -1 are different numbers (both used to become the int64 -1).
  CHECK_FALSE(match("u", "-1"));
  CHECK_FALSE(match("m", "18446744073709551615"));
  CHECK(match("u", "18446744073709551615"));
  CHECK(match("m", "-1"));
  CHECK_FALSE(any("u", "[-1, 0]"));
  CHECK_FALSE(any("m", "[18446744073709551615]"));
  CHECK(any("list", "[-5, 18446744073709551615]"));
  CHECK_FALSE(any("list", "[-1]"));
  // 2^53 + 1 is not the double 2^53 (they are equal after a conversion to double).
  CHECK_FALSE(match("d", "9007199254740993"));
  CHECK(match("d", "9007199254740992"));
  CHECK(match("big", "9007199254740993"));
  CHECK(range("big", R"({"gt": 9007199254740992.0})"));
  CHECK_FALSE(range("d", R"({"gt": 9007199254740992})"));
  CHECK(range("big", R"({"gt": 9007199254740992})"));
  CHECK_FALSE(range("big", R"({"lte": 9007199254740992})"));
  CHECK(range("d", R"({"lt": 9007199254740993})"));
  // Integral doubles equal integers; -0.0 equals 0.
  CHECK(match("three", "3"));
  CHECK(match("z", "0"));
  CHECK(range("z", R"({"gte": 0, "lte": 0.0})"));
  CHECK_FALSE(range("z", R"({"lt": 0})"));
  CHECK_FALSE(match("half", "0"));
  // Big unsigned against doubles: 2^64 - 1 is below the double 2^64 and above 2^63 + 0.5 etc.
  CHECK(range("u", R"({"lt": 18446744073709551616.0})"));
  CHECK(range("u", R"({"gt": 1.8446744073709550e19})"));
  CHECK_FALSE(range("u", R"({"lte": 1e19})"));
  CHECK(range("u", R"({"gt": -1})"));
  CHECK(range("m", R"({"lt": 18446744073709551615})"));
  CHECK(range("i64min", R"({"gte": -9223372036854775808.0, "lt": -9223372036854775807})"));
  CHECK(range("list", R"({"gt": 2, "lt": 3})"));  // any element: 2.5
  CHECK(range("half", R"({"gt": 0, "lt": 1})"));
  CHECK(range("half", R"({"gt": null, "lt": 1})"));  // a null bound is absent (Qdrant's clients send them)
  // Strings and bools never equal numbers.
  CHECK_FALSE(Eval(R"({"must":[{"key":"s","match":{"value":1}}]})", json{{"s", "1"}}));
  CHECK_FALSE(Eval(R"({"must":[{"key":"b","match":{"value":1}}]})", json{{"b", true}}));
  CHECK(latentdb::engine::CompareJsonNumbers(json(-1), json(uint64_t{18446744073709551615u})) == -1);
  CHECK(latentdb::engine::CompareJsonNumbers(json(uint64_t{18446744073709551615u}), json(-1)) == 1);
  CHECK(latentdb::engine::CompareJsonNumbers(json(-0.0), json(0)) == 0);
  CHECK(latentdb::engine::CompareJsonNumbers(json("1"), json(1)) == 2);
}

TEST_CASE("match except: a value outside the list", "[engine][filter]") {
  const std::string f = R"({"must":[{"key":"c","match":{"except":["red", 1]}}]})";
  CHECK(Eval(f, json{{"c", "blue"}}));
  CHECK_FALSE(Eval(f, json{{"c", "red"}}));
  CHECK_FALSE(Eval(f, json{{"c", 1.0}}));  // the same number
  CHECK(Eval(f, json{{"c", {"red", "green"}}}));  // an array with one value outside the list
  CHECK_FALSE(Eval(f, json{{"c", {"red", 1}}}));
  CHECK_FALSE(Eval(f, json{{"other", 1}}));  // no value at the key
  CHECK_FALSE(Eval(f, json{{"c", nullptr}}));
  CHECK(Eval(R"({"must":[{"key":"c","match":{"except":[]}}]})", json{{"c", 5}}));
  CHECK_FALSE(Eval(R"({"must":[{"key":"c","match":{"except":[]}}]})", json{{"d", 5}}));
}

// Issue 10, kind 6: keys into arrays of objects, and the nested condition.
TEST_CASE("keys read through arrays of objects: items[].color, items.color, items[1].color", "[engine][filter][paths]") {
  const json p = json::parse(R"({"items": [{"color": "red", "size": 1}, {"color": "blue", "size": 2}],
                                 "deep": {"rows": [{"cells": [{"v": 7}, {"v": 8}]}, {"cells": {"v": 9}}]},
                                 "one": {"color": "green"}, "a.b": {"c": 3}})");
  auto match = [&](const std::string& key, const std::string& value) {
    return Eval(R"({"must":[{"key":)" + json(key).dump() + R"(,"match":{"value":)" + value + "}}]}", p);
  };
  CHECK(match("items[].color", "\"red\""));
  CHECK(match("items[].color", "\"blue\""));
  CHECK_FALSE(match("items[].color", "\"green\""));
  CHECK(match("items.color", "\"blue\""));  // arrays on the path are flattened
  CHECK(match("items[1].color", "\"blue\""));
  CHECK_FALSE(match("items[0].color", "\"blue\""));
  CHECK_FALSE(match("items[5].color", "\"blue\""));
  CHECK(match("deep.rows[].cells[].v", "8"));
  CHECK(match("deep.rows.cells.v", "9"));
  CHECK(match("one.color", "\"green\""));
  CHECK_FALSE(match("one[].color", "\"green\""));  // [] needs an array
  CHECK(match("\"a.b\".c", "3"));
  CHECK(Eval(R"({"must":[{"key":"items[].size","range":{"gte":2}}]})", p));
  CHECK_FALSE(Eval(R"({"must_not":[{"key":"items.color","match":{"any":["red"]}}]})", p));
  for (const char* bad : {"items[", "items[x].color", "a..b", ".a", "a.", "items[]x", "\"a", "a\"b\""}) {
    INFO(bad);
    auto f = Filter::Parse(json{{"must", {{{"key", bad}, {"match", {{"value", 1}}}}}}});
    CHECK(f.status().code() == latentdb::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("nested: all conditions hold on the same array element", "[engine][filter][paths]") {
  const json p = json::parse(R"({"items": [{"color": "red", "size": 1}, {"color": "blue", "size": 2}]})");
  // The flat conditions are met by two different items; nested needs one item meeting both.
  CHECK(Eval(R"({"must":[{"key":"items[].color","match":{"value":"red"}},{"key":"items[].size","match":{"value":2}}]})", p));
  CHECK_FALSE(Eval(R"({"must":[{"nested":{"key":"items","filter":{"must":[
      {"key":"color","match":{"value":"red"}},{"key":"size","match":{"value":2}}]}}}]})", p));
  CHECK(Eval(R"({"must":[{"nested":{"key":"items","filter":{"must":[
      {"key":"color","match":{"value":"blue"}},{"key":"size","range":{"gt":1}}]}}}]})", p));
  CHECK(Eval(R"({"must_not":[{"nested":{"key":"items","filter":{"must":[{"key":"color","match":{"value":"green"}}]}}}]})", p));
  CHECK(Eval(R"({"must":[{"nested":{"key":"items","filter":{"must_not":[{"key":"color","match":{"value":"red"}}]}}}]})", p));
  CHECK(Eval(R"({"must":[{"nested":{"key":"o","filter":{"must":[{"key":"x","match":{"value":1}}]}}}]})", json{{"o", {{"x", 1}}}}));
  CHECK_FALSE(Eval(R"({"must":[{"nested":{"key":"missing","filter":{}}}]})", p));
  for (const char* bad : {R"({"must":[{"nested":{"key":"items"}}]})", R"({"must":[{"nested":{"filter":{}}}]})",
                          R"({"must":[{"nested":{"key":"items","filter":{"must":[{"has_id":[1]}]}}}]})"}) {
    INFO(bad);
    CHECK(Filter::Parse(json::parse(bad)).status().code() == latentdb::StatusCode::kInvalidArgument);
  }
}

// Issue 10, kind 7: empty lists, as Qdrant evaluates them.
TEST_CASE("empty must, should, must_not, any, has_id", "[engine][filter][empty]") {
  const json p = {{"color", "red"}};
  CHECK(Eval(R"({"must":[]})", p));
  CHECK_FALSE(Eval(R"({"should":[]})", p));  // none of zero conditions holds
  CHECK(Eval(R"({"must_not":[]})", p));
  CHECK(Eval(R"({"should":null})", p));      // null is absent
  CHECK_FALSE(Eval(R"({"must":[{"key":"color","match":{"any":[]}}]})", p));
  CHECK(Eval(R"({"must_not":[{"key":"color","match":{"any":[]}}]})", p));
  CHECK_FALSE(Eval(R"({"must":[{"has_id":[]}]})", p));
  CHECK(Eval(R"({"must":[{"must":[]}]})", p));
  CHECK_FALSE(Eval(R"({"must":[{"should":[]}]})", p));
  CHECK(Eval(R"({"should":[{"should":[]}, {"key":"color","match":{"value":"red"}}]})", p));
  CHECK_FALSE(Eval(R"({"must":[], "should":[], "must_not":[]})", p));
}

TEST_CASE("is_empty and is_null as Qdrant: missing, null, [] and paths through arrays", "[engine][filter][is_empty]") {
  auto empty = [](const char* key, const json& p) {
    return Eval(json({{"must", {{{"is_empty", {{"key", key}}}}}}}).dump(), p);
  };
  auto null = [](const char* key, const json& p) {
    return Eval(json({{"must", {{{"is_null", {{"key", key}}}}}}}).dump(), p);
  };
  // is_empty: the field is missing, null or an empty array.
  CHECK(empty("a", json::object()));
  CHECK(empty("a", json(nullptr)));  // a point without payload
  CHECK(empty("a", {{"a", nullptr}}));
  CHECK(empty("a", {{"a", json::array()}}));
  CHECK_FALSE(empty("a", {{"a", json::array({nullptr})}}));
  CHECK_FALSE(empty("a", {{"a", json::object()}}));
  CHECK_FALSE(empty("a", {{"a", ""}}));
  CHECK_FALSE(empty("a", {{"a", 0}}));
  CHECK_FALSE(empty("a", {{"a", {1, 2}}}));
  CHECK(empty("a.b", {{"a", {{"c", 1}}}}));
  CHECK_FALSE(empty("a.b", {{"a", {{"b", false}}}}));
  // Paths through arrays: empty when every value reached is empty.
  json items = {{"items", {{{"tags", json::array()}}, {{"tags", nullptr}}, {{"name", "x"}}}}};
  CHECK(empty("items[].tags", items));
  CHECK(empty("items.tags", items));
  items["items"].push_back({{"tags", {"t"}}});
  CHECK_FALSE(empty("items[].tags", items));
  CHECK(empty("items[].tags", {{"items", json::array()}}));
  // is_null: explicitly null, not missing, not [] and not [null].
  CHECK(null("a", {{"a", nullptr}}));
  CHECK_FALSE(null("a", json::object()));
  CHECK_FALSE(null("a", json(nullptr)));
  CHECK_FALSE(null("a", {{"a", json::array()}}));
  CHECK_FALSE(null("a", {{"a", json::array({nullptr})}}));
  CHECK_FALSE(null("a", {{"a", 0}}));
  CHECK_FALSE(null("a", {{"a", ""}}));
  json arr = {{"a", {{{"b", 1}}, {{"b", nullptr}}}}};  // Qdrant's own examples
  CHECK(null("a[].b", arr));
  CHECK(null("a.b", arr));
  CHECK(null("a[1].b", arr));
  CHECK_FALSE(null("a[0].b", arr));
  CHECK_FALSE(null("a[].b", {{"a", {{{"b", 1}}, {{"b", 2}}}}}));
  CHECK_FALSE(null("a[].b", {{"a", {{{"b", 1}}, {{"c", nullptr}}}}}));
  // With must_not: "has a value" / "is not null".
  CHECK(Eval(R"({"must_not":[{"is_empty":{"key":"a"}}]})", {{"a", {1}}}));
  CHECK_FALSE(Eval(R"({"must_not":[{"is_null":{"key":"a"}}]})", {{"a", nullptr}}));
  // Other conditions still treat null as absence.
  CHECK_FALSE(Eval(R"({"must":[{"key":"a","match":{"except":["x"]}}]})", {{"a", nullptr}}));
}

TEST_CASE("is_empty and is_null inside nested hold on one array element", "[engine][filter][is_empty]") {
  json p = {{"items", {{{"color", "red"}, {"size", nullptr}}, {{"color", "blue"}, {"tags", json::array()}}}}};
  CHECK(Eval(R"({"must":[{"nested":{"key":"items","filter":{"must":[
      {"key":"color","match":{"value":"red"}},{"is_null":{"key":"size"}}]}}}]})", p));
  CHECK_FALSE(Eval(R"({"must":[{"nested":{"key":"items","filter":{"must":[
      {"key":"color","match":{"value":"blue"}},{"is_null":{"key":"size"}}]}}}]})", p));
  CHECK(Eval(R"({"must":[{"nested":{"key":"items","filter":{"must":[
      {"key":"color","match":{"value":"blue"}},{"is_empty":{"key":"size"}},{"is_empty":{"key":"tags"}}]}}}]})", p));
  CHECK_FALSE(Eval(R"({"must":[{"nested":{"key":"items","filter":{"must":[
      {"key":"color","match":{"value":"red"}},{"is_empty":{"key":"color"}}]}}}]})", p));
}

TEST_CASE("unknown or malformed conditions name what is wrong and what is supported", "[engine][filter][is_empty]") {
  struct Case {
    const char* filter;
    const char* says;
  };
  for (const Case& c : {Case{R"({"must":[{"is_empty":{"key":""}}]})", "\"is_empty\" must be {\"key\""},
                        Case{R"({"must":[{"is_null":"a"}]})", "\"is_null\" must be {\"key\""},
                        Case{R"({"must":[{"is_null":{"key":"a[x]"}}]})", "is not a valid path"},
                        Case{R"({"must":[{"min_should":{"conditions":[],"min_count":1}}]})",
                             "unsupported condition 'min_should'; supported: "},
                        Case{R"({"must":[{"has_vector":"image"}]})", "unsupported condition 'has_vector'; supported: "},
                        Case{R"({"must":[{"key":"loc","geo_radius":{"center":{"lat":0,"lon":0},"radius":1}}]})",
                             "unsupported condition 'geo_radius' (on key 'loc'); supported: "},
                        Case{R"({"must":[{"key":"tags","values_count":{"gt":1}}]})", "unsupported condition 'values_count'"},
                        Case{R"({"must":[{}]})", "empty filter condition {}; supported: "},
                        Case{R"({"must":[{"key":"a"}]})", "needs \"match\" or \"range\""}}) {
    INFO(c.filter);
    auto f = Filter::Parse(json::parse(c.filter));
    REQUIRE(f.status().code() == latentdb::StatusCode::kInvalidArgument);
    INFO(f.status().message());
    CHECK(f.status().message().find(c.says) != std::string::npos);
    if (std::string(c.says).find("supported: ") != std::string::npos) {
      CHECK(f.status().message().find("is_empty, is_null") != std::string::npos);
    }
  }
}
