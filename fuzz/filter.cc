// Fuzz target: filter parsing and matching (engine/filter.h).
//
// The input is a JSON document: either a filter, matched against a fixed set of payloads that
// cover every JSON type (nested objects, arrays of objects, extreme numbers), or
// {"filter": F, "payload": P} to match F against the input's own payload.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

#include "engine/external_id.h"
#include "engine/filter.h"
#include "fuzz/fuzz_util.h"
#include "common/json_parser.h"

namespace {

const nlohmann::json& Payloads() {
  static const nlohmann::json payloads = nlohmann::json::parse(R"([
    null, {},
    {"color": "red", "price": 10, "score": 0.5, "ok": true, "tags": ["a", "b", 3]},
    {"n": 18446744073709551615, "m": -1, "f": -1.0, "big": 1e308, "tiny": 5e-324, "neg": -9223372036854775808},
    {"items": [{"color": "red", "size": 1}, {"color": "blue", "size": [2, 3]}], "meta": {"author": {"name": "x"}}},
    {"a": {"b": {"c": [[1, 2], [3, {"d": null}]]}}, "": "", "a.b": 1, "x[]": 2}
  ])");
  return payloads;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = latentdb::ParseJson(text, 64);
  if (!doc.ok()) return 0;

  const nlohmann::json* spec = &*doc;
  const nlohmann::json* own_payload = nullptr;
  if (doc->is_object() && doc->size() == 2 && doc->contains("filter") && doc->contains("payload")) {
    spec = &(*doc)["filter"];
    own_payload = &(*doc)["payload"];
  }
  auto filter = latentdb::engine::Filter::Parse(*spec);
  if (!filter.ok()) {
    latentdb::fuzz::Check(!filter.status().message().empty(), "a filter error has a message");
    return 0;
  }
  const std::string keys[] = {latentdb::engine::ExternalId(uint64_t{1}).ToKey(),
                              latentdb::engine::ExternalId(std::string("1")).ToKey()};
  for (const auto& key : keys) {
    for (const auto& payload : Payloads()) (void)(*filter)->Matches(payload, key);
    if (own_payload != nullptr) (void)(*filter)->Matches(*own_payload, key);
  }
  return 0;
}
