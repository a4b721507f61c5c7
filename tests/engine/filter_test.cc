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
