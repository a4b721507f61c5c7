#pragma once
// Request bodies as JSON: ParseJson (common/json_parser.h) with the API's nesting limit, which
// it enforces while parsing (nlohmann_json's dump() and destructor recurse); an empty body is
// an error of its own.

#include <nlohmann/json.hpp>

#include <string_view>

#include "common/result.h"

namespace latentdb::http {

constexpr int kDefaultMaxJsonDepth = 64;

// InvalidArgument for an empty body, malformed JSON or nesting deeper than max_depth;
// PayloadTooLarge over kDefaultMaxJsonValues values.
Result<nlohmann::json> ParseJsonBody(std::string_view body, int max_depth = kDefaultMaxJsonDepth);

}  // namespace latentdb::http
