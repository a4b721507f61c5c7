// Fuzz target: the TEXMEX readers of `latentdb ingest` (ingest/vecs_source.h): the same
// bytes as .fvecs, .bvecs and .ivecs.

#include <cstdint>

#include "ingest/vecs_source.h"
#include "fuzz/ingest_util.h"

namespace ingest = latentdb::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& scratch = latentdb::fuzz::ScratchDir::Get();
  const std::pair<const char*, ingest::Format> formats[] = {
      {"data.fvecs", ingest::Format::kFvecs}, {"data.bvecs", ingest::Format::kBvecs}, {"data.ivecs", ingest::Format::kIvecs}};
  for (const auto& [name, format] : formats) {
    auto source = ingest::OpenVecsSource(scratch.Write(name, data, size), format);
    if (source.ok()) latentdb::fuzz::DrainSource(**source);
  }
  return 0;
}
