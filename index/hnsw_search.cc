#include "index/hnsw_search.h"

#include <xmmintrin.h>

#include <algorithm>
#include <limits>
#include <queue>

#include "index/distance.h"

namespace latentdb::index {
namespace {

// One per thread: tag[i] == epoch means "visited in this query". Re-zeroed only on wrap-around.
class VisitedTable {
 public:
  void Prepare(size_t n) {
    if (tags_.size() < n) tags_.assign(n, 0), epoch_ = 0;
    if (++epoch_ == 0) {
      std::fill(tags_.begin(), tags_.end(), 0);
      epoch_ = 1;
    }
  }
  bool TestAndSet(size_t i) {
    if (tags_[i] == epoch_) return true;
    tags_[i] = epoch_;
    return false;
  }

 private:
  std::vector<uint16_t> tags_;
  uint16_t epoch_ = 0;
};

inline void PrefetchVector(const float* v, size_t dim) {
  // The first few cache lines are enough to get the hardware prefetcher going on the rest.
  const char* p = reinterpret_cast<const char*>(v);
  size_t bytes = std::min<size_t>(dim * sizeof(float), 4 * 64);
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

using Entry = std::pair<float, int32_t>;  // (distance, node)

}  // namespace

std::vector<std::pair<float, int64_t>> HnswGraphSearch(const faiss::HNSW& graph, const float* base,
                                                       size_t dim, bool inner_product,
                                                       const HnswQuery& q) {
  std::vector<std::pair<float, int64_t>> out;
  const size_t n = graph.levels.size();
  if (n == 0 || graph.entry_point < 0 || q.k == 0) return out;
  const DistanceFn raw = inner_product ? Kernels().inner_product : Kernels().l2_sqr;
  auto dist = [&](int32_t node) {
    float d = raw(q.query, base + static_cast<size_t>(node) * dim, dim);
    return inner_product ? -d : d;
  };

  // Greedy descent through the upper layers.
  int32_t current = graph.entry_point;
  float current_dist = dist(current);
  for (int level = graph.max_level; level >= 1; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      size_t begin, end;
      graph.neighbor_range(current, level, &begin, &end);
      for (size_t j = begin; j < end; ++j) {
        int32_t nb = graph.neighbors[j];
        if (nb < 0) break;
        float d = dist(nb);
        if (d < current_dist) {
          current_dist = d;
          current = nb;
          changed = true;
        }
      }
    }
  }

  // Beam search on layer 0.
  thread_local VisitedTable visited;
  visited.Prepare(n);
  const size_t ef = std::max(q.ef, q.k);
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> candidates;  // min-heap
  std::priority_queue<Entry> top;  // max-heap of accepted results, size <= ef
  auto allowed = [&](int32_t node) { return !q.selector || q.selector->is_member(node); };

  visited.TestAndSet(static_cast<size_t>(current));
  candidates.emplace(current_dist, current);
  float lower_bound = std::numeric_limits<float>::max();
  if (allowed(current)) {
    top.emplace(current_dist, current);
    lower_bound = current_dist;
  }
  while (!candidates.empty()) {
    Entry c = candidates.top();
    if (c.first > lower_bound && top.size() >= ef) break;
    candidates.pop();
    size_t begin, end;
    graph.neighbor_range(c.second, 0, &begin, &end);
    // Skip the -1 padding at the end of the neighbour list once, up front.
    size_t stop = begin;
    while (stop < end && graph.neighbors[stop] >= 0) ++stop;
    if (stop > begin) PrefetchVector(base + static_cast<size_t>(graph.neighbors[begin]) * dim, dim);
    for (size_t j = begin; j < stop; ++j) {
      int32_t nb = graph.neighbors[j];
      if (j + 1 < stop) PrefetchVector(base + static_cast<size_t>(graph.neighbors[j + 1]) * dim, dim);
      if (visited.TestAndSet(static_cast<size_t>(nb))) continue;
      float d = dist(nb);
      if (top.size() < ef || d < lower_bound) {
        candidates.emplace(d, nb);
        if (allowed(nb)) {
          top.emplace(d, nb);
          if (top.size() > ef) top.pop();
          if (!top.empty()) lower_bound = top.top().first;
        }
      }
    }
  }
  while (top.size() > q.k) top.pop();
  out.resize(top.size());
  for (size_t i = out.size(); i-- > 0;) {
    out[i] = {top.top().first, top.top().second};
    top.pop();
  }
  return out;
}

}  // namespace latentdb::index
