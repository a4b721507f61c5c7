#pragma once
// Line-oriented sources: JSONL (one JSON object per line), CSV (a header row, then one record per
// row; fields may be double-quoted, with "" for a quote inside; a record is one line) and text (one
// document per line, which needs an encoder).
//
// JSONL: the vector is the array in `vector_field` (default "vector"); the payload is the object in
// `payload_field` (default "payload"), or, with --payload-field a,b, an object of those top-level
// fields ("*": every field but the id and the vector); the id field is the one named by
// --id-from field:NAME (an unsigned integer or a string). A line without a vector may carry input
// for an encoder instead: a string in `text_field` (default "text"), or an image file path in
// `image_field` (default "image", relative to the JSONL file's folder; the file is read on a
// worker, at most 64 MiB).
// CSV: the vector columns are those whose names start with `vector_prefix`, or, without a prefix,
// every column that is neither the id column nor a payload column; the payload is the columns named
// by --payload-field (all non-vector, non-id columns when a prefix is given and no payload fields
// are named). A payload value that is a decimal number becomes a JSON number, else a string.
// The dimension is taken from the first decodable record among the first 1000 lines.

#include <memory>

#include "ingest/source.h"

namespace latentdb::ingest {

Result<std::unique_ptr<Source>> OpenJsonlSource(const std::string& path, const SourceOptions& options);
Result<std::unique_ptr<Source>> OpenCsvSource(const std::string& path, const SourceOptions& options);
Result<std::unique_ptr<Source>> OpenTextSource(const std::string& path);

// Splits one CSV line into fields (exposed for tests). InvalidArgument for an unterminated quote.
Result<std::vector<std::string>> SplitCsvLine(std::string_view line);

}  // namespace latentdb::ingest
