#pragma once
// FastFlatIndex: a faiss::IndexFlat whose distance code is LatentDB's run-time-dispatched SIMD
// kernels (index/distance.h) instead of Debian FAISS's SSE-only ones.
//
// It plugs into FAISS through its extension points: as the storage of an IndexHNSWFlat it
// serves every distance the graph build computes (get_FlatCodesDistanceComputer), and as a
// plain flat index its search() is an exact scan that honours SearchParameters::sel.
// Internal header of index/; nothing outside index/ includes FAISS.

#include <faiss/IndexFlat.h>

namespace latentdb::index {

class FastFlatIndex : public faiss::IndexFlat {
 public:
  FastFlatIndex(idx_t dim, faiss::MetricType metric) : faiss::IndexFlat(dim, metric) {}

  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;

  // Exact k-NN scan. Results are FAISS-convention distances: squared L2 ascending, or inner
  // product descending. Missing results are label -1.
  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;

  const float* vectors() const { return reinterpret_cast<const float*>(codes.data()); }
};

// Moves the vectors of a plain IndexFlat (e.g. one read from disk) into a FastFlatIndex.
FastFlatIndex* ConvertToFastFlat(faiss::IndexFlat* flat);

}  // namespace latentdb::index
