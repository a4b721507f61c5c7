// Fuzz target: the CSV reader of `latentdb ingest` (ingest/line_source.h), with the option
// sets users give (an id column, a vector prefix, payload columns, all defaults).

#include <cstdint>

#include "ingest/line_source.h"
#include "fuzz/ingest_util.h"

namespace ingest = latentdb::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentdb::fuzz::ScratchDir::Get().Write("data.csv", data, size);
  std::string_view line(reinterpret_cast<const char*>(data), size);
  (void)ingest::SplitCsvLine(line.substr(0, line.find('\n')));

  ingest::SourceOptions defaults;
  ingest::SourceOptions prefixed;
  prefixed.id_field = "id";
  prefixed.vector_prefix = "v";
  ingest::SourceOptions payload;
  payload.id_field = "id";
  payload.payload_fields = {"label", "name"};
  for (const auto* options : {&defaults, &prefixed, &payload}) {
    auto source = ingest::OpenCsvSource(path, *options);
    if (source.ok()) latentdb::fuzz::DrainSource(**source);
  }
  return 0;
}
