#pragma once
// A query-time walk of a FAISS HNSW graph (faiss::HNSW, built by faiss::IndexHNSWFlat::add).
//
// FAISS 1.7.3's own IndexHNSW::search allocates a visited table of ntotal entries per call and
// never prefetches; at one query per call that costs more than the distances. This walk reads
// the same graph, keeps one visited table per thread (epoch-tagged, no clearing), prefetches the
// next neighbour's vector while computing the current one, and filters with an IDSelector the way
// hnswlib does (excluded points are still traversed, but never returned).
// Internal header of index/.

#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace latentdb::index {

struct HnswQuery {
  const float* query = nullptr;
  size_t k = 10;
  size_t ef = 64;
  const faiss::IDSelector* selector = nullptr;  // may be null
};

// Returns up to k (distance, storage id) pairs, best first. Distances are "smaller is better":
// squared L2, or the negated inner product when `inner_product` is true.
std::vector<std::pair<float, int64_t>> HnswGraphSearch(const faiss::HNSW& graph, const float* base,
                                                       size_t dim, bool inner_product,
                                                       const HnswQuery& q);

class CodeScorer;

// The same walk over quantized codes; the scorer holds the query (q.query is not read). Keys are
// "smaller is better" as above: the scorer's raw distance, negated when larger is better.
std::vector<std::pair<float, int64_t>> HnswGraphSearchCodes(const faiss::HNSW& graph, const CodeScorer& scorer,
                                                            const HnswQuery& q);

}  // namespace latentdb::index
