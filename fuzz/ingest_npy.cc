// Fuzz target: the NumPy .npy reader of `latentdb ingest` (ingest/npy_source.h): the
// header dict parser on its own, then the whole file.

#include <cstdint>
#include <string>

#include "formats/npy.h"
#include "ingest/npy_source.h"
#include "fuzz/ingest_util.h"

namespace ingest = latentdb::ingest;
namespace formats = latentdb::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)formats::ParseNpyHeaderDict(std::string(reinterpret_cast<const char*>(data), size < 4096 ? size : 4096));
  const std::string path = latentdb::fuzz::ScratchDir::Get().Write("data.npy", data, size);
  auto source = ingest::OpenNpySource(path);
  if (source.ok()) latentdb::fuzz::DrainSource(**source);
  return 0;
}
