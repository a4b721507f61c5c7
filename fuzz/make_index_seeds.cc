// Writes the seed corpus of the index_load target: one real index file per spec and metric that
// the target tries (see index_load.cc), made by VectorIndex::Save from a few random vectors.
// Usage: make_index_seeds <output dir>. Built in build-fuzz only; rerun it when the file format
// changes and commit the result.

#include <cstdio>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "index/vector_index.h"

namespace ldbi = latentdb::index;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  const std::string out = argv[1];
  constexpr size_t kDim = 8;
  struct Seed {
    const char* name;
    const char* factory;
    ldbi::Metric metric;
    size_t n;  // enough to train the IVF ones (39 per list)
  };
  const Seed seeds[] = {
      {"flat-l2", "Flat", ldbi::Metric::kL2, 20},
      {"hnsw8-l2", "HNSW8", ldbi::Metric::kL2, 60},
      {"hnsw8-cosine", "HNSW8", ldbi::Metric::kCosine, 60},
      {"ivf4-flat-l2", "IVF4,Flat", ldbi::Metric::kL2, 160},
      {"ivf4-flat-untrained-cosine", "IVF4,Flat", ldbi::Metric::kCosine, 10},
      {"ivf4-sq8-l2", "IVF4,SQ8", ldbi::Metric::kL2, 160},
      {"ivf2-pq2x4-l2", "IVF2,PQ2x4", ldbi::Metric::kL2, 700},
  };
  latentdb::fuzz::Rng rng(42);
  for (const Seed& s : seeds) {
    ldbi::IndexSpec spec;
    spec.dim = kDim;
    spec.metric = s.metric;
    spec.factory = s.factory;
    auto idx = ldbi::VectorIndex::Create(spec);
    if (!idx.ok()) {
      std::fprintf(stderr, "%s: %s\n", s.name, idx.status().ToString().c_str());
      return 1;
    }
    std::vector<uint64_t> ids(s.n);
    std::vector<float> v(s.n * kDim);
    for (size_t i = 0; i < s.n; ++i) ids[i] = i * 3 + 1;
    for (float& x : v) x = rng.Uniform();
    latentdb::Status st = (*idx)->Upsert(ids.data(), v.data(), s.n);
    if (st.ok()) {
      // A tombstone, so that the seed has one.
      (*idx)->Remove(ids.data(), 1);
      st = (*idx)->Save(out + "/" + s.name, 5, /*sync=*/false);
    }
    if (!st.ok()) {
      std::fprintf(stderr, "%s: %s\n", s.name, st.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
