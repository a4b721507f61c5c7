#pragma once
// Parsing untrusted JSON bodies. nlohmann_json's dump() and destructor recurse, so nesting is
// capped by a linear pre-scan before the parser ever sees the text.

#include <nlohmann/json.hpp>

#include <string_view>

#include "common/result.h"

namespace latentdb::http {

constexpr int kDefaultMaxJsonDepth = 64;

// InvalidArgument for malformed JSON or nesting deeper than max_depth.
Result<nlohmann::json> ParseJsonBody(std::string_view body, int max_depth = kDefaultMaxJsonDepth);

}  // namespace latentdb::http
