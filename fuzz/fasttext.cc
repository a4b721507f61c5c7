// Fuzz target: fastText model files (.bin): LatentDB's own layout check (InspectFastTextFile),
// then, for files it passes, the fastText library's loader and the lookups the importer makes
// (in-vocabulary words, and out-of-vocabulary words, which go through the n-gram buckets).
//
// Property: what InspectFastTextFile lets through, the library loads and uses without crashing
// (the library itself trusts every size in the file).

#include <cstdint>

#include "formats/fasttext_file.h"
#include "words/fasttext_model.h"
#include "fuzz/fuzz_util.h"

using latentdb::fuzz::Check;
namespace words = latentdb::words;
namespace formats = latentdb::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentdb::fuzz::ScratchDir::Get().Write("model.bin", data, size);
  auto info = formats::InspectFastTextFile(path);
  if (!info.ok()) return 0;
  (void)info->ModelName();
  auto model = words::FastTextModel::Load(path);
  if (!model.ok()) return 0;
  const auto& m = *model;
  Check(m->dim() == info->dim, "the loaded dimension is the inspected one");
  const size_t n = m->vocab_size();
  for (size_t i = 0; i < n && i < 3; ++i) {
    const std::string w = m->Word(i);
    (void)m->Count(i);
    Check(m->WordVector(w).size() == static_cast<size_t>(m->dim()), "in-vocabulary vector has dim values");
  }
  for (const char* w : {"the", "zqxjv", "a", "naïve", ""}) {
    Check(m->WordVector(w).size() == static_cast<size_t>(m->dim()), "any word's vector has dim values");
    (void)m->Contains(w);
  }
  (void)m->has_subwords();
  (void)m->ntokens();
  return 0;
}
