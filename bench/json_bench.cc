// json_bench: LatentDB's JSON parser (common/json_parser.h) against simdjson (Debian's
// libsimdjson-dev) and nlohmann::json::parse, on the request bodies the server spends its parsing
// on — a search by a 784-d vector, batch upserts of 96-d and 784-d points with payloads, a filtered
// scroll (issue 14's library review).
//
// The handlers consume nlohmann::json, so "simdjson" is what replacing the parser would cost:
// simdjson's DOM parse plus its conversion to nlohmann::json; "simdjson DOM only" is the bound a
// rewrite of every handler onto simdjson's DOM could reach. Quality: every parser's document is
// checked equal to LatentDB's before anything is timed. Prints the load average at start and end
// (rerun when above 0.5).
//
//   build/bench/json_bench [--seconds 2]
#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "common/json_parser.h"

using namespace latentdb;
using nlohmann::json;

namespace {

json FromSimdjson(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: {
      json out = json::array();
      simdjson::dom::array array = e.get_array().value_unsafe();
      for (simdjson::dom::element child : array) out.push_back(FromSimdjson(child));
      return out;
    }
    case simdjson::dom::element_type::OBJECT: {
      json out = json::object();
      simdjson::dom::object object = e.get_object().value_unsafe();
      for (auto field : object) out[std::string(field.key)] = FromSimdjson(field.value);
      return out;
    }
    case simdjson::dom::element_type::INT64: return e.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64: return e.get_uint64().value_unsafe();
    case simdjson::dom::element_type::DOUBLE: return e.get_double().value_unsafe();
    case simdjson::dom::element_type::STRING: return std::string(e.get_string().value_unsafe());
    case simdjson::dom::element_type::BOOL: return e.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE: return nullptr;
  }
  return nullptr;
}

std::string Body(const std::string& kind, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  std::uniform_int_distribution<int> pixel(0, 255);
  auto vector = [&](size_t dim, bool pixels) {
    json v = json::array();
    for (size_t i = 0; i < dim; ++i) v.push_back(pixels ? static_cast<float>(pixel(rng)) / 255.0f : u(rng));
    return v;
  };
  if (kind == "search 784-d") return json{{"vector", vector(784, false)}, {"k", 10}, {"with_payload", true}}.dump();
  if (kind == "scroll with a filter") {
    json should = json::array();
    for (int i = 0; i < 64; ++i) should.push_back({{"key", "tags"}, {"match", {{"value", "tag" + std::to_string(i)}}}});
    return json{{"limit", 100}, {"filter", {{"must", {{{"key", "price"}, {"range", {{"gte", 10.5}, {"lt", 99}}}}}}, {"should", should}}}}.dump();
  }
  const bool big = kind == "upsert 64 × 784-d";
  json points = json::array();
  for (int i = 0; i < (big ? 64 : 256); ++i) {
    points.push_back({{"id", i}, {"vector", vector(big ? 784 : 96, big)},
                      {"payload", {{"label", i % 10}, {"name", "item " + std::to_string(i)}, {"price", 0.25 * i}}}});
  }
  return json{{"points", points}}.dump();
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  }
  std::printf("json_bench  load average at start: %s\n", bench::LoadAverage().c_str());
  std::mt19937 rng(7);
  simdjson::dom::parser simd;
  std::printf("%-22s %9s %14s %14s %14s %14s %10s\n", "body", "bytes", "latentdb MB/s", "simdjson MB/s",
              "simd DOM MB/s", "nlohmann MB/s", "ldb/simd");
  for (const std::string kind : {"search 784-d", "upsert 256 × 96-d", "upsert 64 × 784-d", "scroll with a filter"}) {
    const std::string body = Body(kind, rng);
    const simdjson::padded_string padded(body);
    // Quality first: the same document from every parser.
    auto ours = ParseJson(body, 64);
    if (!ours.ok()) bench::Die("latentdb parser: " + ours.status().ToString());
    simdjson::dom::element root;
    if (simd.parse(padded).get(root) != simdjson::SUCCESS) bench::Die("simdjson refused the " + kind + " body");
    if (FromSimdjson(root) != *ours || json::parse(body) != *ours) {
      bench::Die("the parsers disagree on the " + kind + " body");
    }
    auto rate = [&](auto&& parse) {
      size_t n = 0;
      const auto start = bench::Clock::now();
      while (bench::Seconds(start) < seconds) {
        for (int i = 0; i < 10; ++i) parse();
        n += 10;
      }
      return static_cast<double>(body.size()) * static_cast<double>(n) / bench::Seconds(start) / 1e6;
    };
    volatile size_t sink = 0;
    const double ldb = rate([&] { sink = sink + ParseJson(body, 64)->size(); });
    const double simd_full = rate([&] {
      simdjson::dom::element e;
      if (simd.parse(padded).get(e) == simdjson::SUCCESS) sink = sink + FromSimdjson(e).size();
    });
    const double simd_dom = rate([&] {
      simdjson::dom::element e;
      sink = sink + (simd.parse(padded).get(e) == simdjson::SUCCESS);
    });
    const double nlohmann_rate = rate([&] { sink = sink + json::parse(body).size(); });
    std::printf("%-22s %9zu %14.0f %14.0f %14.0f %14.0f %9.2f×\n", kind.c_str(), body.size(), ldb, simd_full, simd_dom,
                nlohmann_rate, ldb / simd_full);
  }
  std::printf("json_bench  load average at end: %s\n", bench::LoadAverage().c_str());
  return 0;
}
