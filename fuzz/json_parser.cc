// Fuzz target: the HTTP request-body JSON parser (common/json_parser.h).
//
// Properties beyond "no crash": a document ParseJson accepts is valid JSON to nlohmann as well,
// and printing it and parsing the text again gives the same document (numbers included).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "common/json_parser.h"

using latentdb::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The server's depth limit for request bodies is small; 64 also keeps nlohmann's recursive
  // dump() and destructor below any stack limit.
  auto parsed = latentdb::ParseJson(text, 64);
  if (!parsed.ok()) {
    Check(!parsed.status().message().empty(), "a parse error has a message");
    return 0;
  }
  Check(nlohmann::json::accept(text), "nlohmann accepts what ParseJson accepts");
  std::string printed = parsed->dump();
  auto again = latentdb::ParseJson(printed, 64);
  Check(again.ok(), "the printed document parses again");
  Check(*again == *parsed, "print then parse is the identity");
  return 0;
}
