#pragma once
// A strict, non-recursive-in-depth-limit JSON parser producing nlohmann::json.
//
// Used for HTTP request bodies and JSONL ingest lines: every untrusted JSON document.
// Why not nlohmann::json::parse: request bodies are mostly long arrays of numbers (vectors), and
// nlohmann's lexer reads them at ~60 MB/s, which made parsing the largest cost of a search or an
// upsert over HTTP. This parser reads numbers with std::from_chars (several times faster) and
// enforces the nesting limit while parsing (nlohmann's dump() and destructor recurse, so depth
// must be capped before a document exists).
//
// Accepts exactly RFC 8259 JSON (one value, optional surrounding whitespace), with strings
// checked to be valid UTF-8. Integers that fit become number_unsigned / number_integer, others
// number_float; a number that overflows a double is an error.
//
// Memory is bounded while parsing: a document of more than `max_values` values (scalars and
// containers alike) is refused with PayloadTooLarge as soon as the count passes the limit,
// before the rest is read.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

#include "common/result.h"

namespace latentdb {

// The default bound on values per document: 8,388,608 values (~128 MiB of json nodes), e.g.
// 8,192 points of 1,024-d or 65,536 points of 120-d per upsert.
constexpr size_t kDefaultMaxJsonValues = size_t{1} << 23;

// InvalidArgument naming the byte offset of the first problem; PayloadTooLarge over max_values.
Result<nlohmann::json> ParseJson(std::string_view text, int max_depth, size_t max_values = kDefaultMaxJsonValues);

}  // namespace latentdb
