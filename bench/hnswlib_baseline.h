#pragma once
// hnswlib (Debian libhnswlib-dev 0.6.x, header-only) as the ANN baseline of ann_bench.
//
// hnswlib_baseline.cc is the only translation unit that includes hnswlib, and it is compiled with
// -O3 -march=native so that hnswlib gets the best SIMD it can use on this machine, as in
// ann-benchmarks. This header exposes nothing of hnswlib, so the rest of the benchmark is compiled
// with the project's ordinary flags.
// Note: -march=native code in one TU makes the benchmark binary specific to the build machine.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace latentdb::bench {

class HnswlibBaseline {
 public:
  // Squared-L2 index for `capacity` vectors of `dim` floats.
  HnswlibBaseline(size_t dim, size_t capacity, size_t m, size_t ef_construction);
  ~HnswlibBaseline();

  // Adds vectors 0..n-1 (row-major) with labels 0..n-1, with `threads` threads calling addPoint.
  void Build(const float* vectors, size_t n, int threads);
  void SetEf(size_t ef);
  // Writes up to k labels, best first; returns how many.
  size_t Search(const float* query, size_t k, uint32_t* labels) const;

  // The SIMD path hnswlib was compiled with ("avx512", "avx", "sse" or "none").
  static const char* Simd();
  // Bytes hnswlib allocated for the graph and vectors (level 0 + upper levels).
  size_t MemoryBytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latentdb::bench
