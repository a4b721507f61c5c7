// Fuzz target: the JSONL reader of `latentdb ingest` (ingest/line_source.h), with default
// options, with an id field and every other field as payload, and with text/image fields for an
// encoder (image paths are only recorded by Decode, not opened).

#include <cstdint>

#include "ingest/line_source.h"
#include "fuzz/ingest_util.h"

namespace ingest = latentdb::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentdb::fuzz::ScratchDir::Get().Write("data.jsonl", data, size);
  ingest::SourceOptions defaults;
  ingest::SourceOptions fields;
  fields.id_field = "id";
  fields.payload_fields = {"*"};
  for (const auto* options : {&defaults, &fields}) {
    auto source = ingest::OpenJsonlSource(path, *options);
    if (source.ok()) latentdb::fuzz::DrainSource(**source);
  }
  return 0;
}
