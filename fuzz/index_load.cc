// Fuzz target: loading index files (VectorIndex::Load), i.e. what the server reads from its data
// directory at start-up. A damaged file must be refused with an error (the server then rebuilds
// the index from the store), never crash or allocate what the file claims.
//
// The file ends in a CRC-32 of the rest, which random mutations almost never keep right; so each
// input is also tried with its checksum recomputed, to reach the parts after the check (a file
// whose checksum is right can still be hostile, or written by a buggy version).
//
// Each input is tried against every spec of the seed corpus (fuzz/corpus/index_load/, written by
// VectorIndex::Save); a file that loads is then searched, with and without a filter.

#include <cmath>
#include <cstdint>
#include <vector>

#include "common/file_util.h"
#include "fuzz/fuzz_util.h"
#include "index/vector_index.h"

using latentdb::fuzz::Check;
namespace ldbi = latentdb::index;

namespace {

// Dimension 8 throughout: the seed files are small, and the loader checks the dimension first.
constexpr size_t kDim = 8;

std::vector<ldbi::IndexSpec> Specs() {
  std::vector<ldbi::IndexSpec> specs;
  for (const char* factory : {"Flat", "HNSW8", "IVF4,Flat", "IVF4,SQ8", "IVF2,PQ2x4"}) {
    for (ldbi::Metric metric : {ldbi::Metric::kL2, ldbi::Metric::kCosine}) {
      ldbi::IndexSpec s;
      s.dim = kDim;
      s.metric = metric;
      s.factory = factory;
      specs.push_back(s);
    }
  }
  return specs;
}

void TryLoad(const std::string& path) {
  static const std::vector<ldbi::IndexSpec> specs = Specs();
  const float query[kDim] = {0.5f, -0.25f, 1.0f, 0.0f, 0.125f, -1.0f, 0.75f, 0.3f};
  for (const auto& spec : specs) {
    uint64_t sequence = 0;
    auto loaded = ldbi::VectorIndex::Load(path, spec, &sequence);
    if (!loaded.ok()) continue;
    const auto& idx = *loaded;
    (void)idx->Stats();
    ldbi::IdFilter odd = [](uint64_t id) { return id % 2 == 1; };
    for (const ldbi::IdFilter* filter : {static_cast<const ldbi::IdFilter*>(nullptr), static_cast<const ldbi::IdFilter*>(&odd)}) {
      auto hits = idx->Search(query, 10, ldbi::SearchParams{}, filter);
      if (!hits.ok()) continue;
      Check(hits->size() <= 10, "at most k hits");
      for (const auto& h : *hits) Check(!std::isnan(h.score), "no NaN scores");
    }
  }
}

}  // namespace

// LeakSanitizer's built-in suppressions for this target (third-party frames only): FAISS's index
// reader allocates with plain `new` and throws part way through a malformed section, leaking what
// it had read (a few hundred bytes per refused file, once per damaged index file at start-up).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:faiss::read_index\nleak:faiss::read_HNSW\nleak:faiss::read_ivf_header\n";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& scratch = latentdb::fuzz::ScratchDir::Get();
  TryLoad(scratch.Write("index", data, size));
  if (size >= 4) {
    std::string fixed(reinterpret_cast<const char*>(data), size - 4);
    const uint32_t crc = latentdb::Crc32(fixed);
    for (int i = 0; i < 4; ++i) fixed.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));  // little-endian
    if (fixed.compare(0, size, reinterpret_cast<const char*>(data), size) != 0) TryLoad(scratch.Write("index", fixed));
  }
  return 0;
}
