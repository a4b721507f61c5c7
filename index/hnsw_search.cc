#include "index/hnsw_search.h"

#include <xmmintrin.h>

#include <algorithm>
#include <cmath>
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
  // The first cache lines are enough to get the hardware prefetcher going on the rest.
  const char* p = reinterpret_cast<const char*>(v);
  size_t bytes = std::min<size_t>(dim * sizeof(float), 2 * 64);
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
  // NaN (inf - inf from vectors stored before the engine's norm limit) ranks last: compared as is
  // it would break the heaps' order.
  auto key = [](float d) { return std::isnan(d) ? std::numeric_limits<float>::infinity() : d; };
  auto dist = [&](int32_t node) {
    float d = raw(q.query, base + static_cast<size_t>(node) * dim, dim);
    return key(inner_product ? -d : d);
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
  const Batch4Fn raw4 = inner_product ? Kernels().inner_product_batch4 : Kernels().l2_sqr_batch4;
  std::vector<int32_t> fresh;  // unvisited neighbours of the current candidate
  fresh.reserve(128);
  auto consider = [&](int32_t nb, float d) {
    if (top.size() < ef || d < lower_bound) {
      candidates.emplace(d, nb);
      if (allowed(nb)) {
        top.emplace(d, nb);
        if (top.size() > ef) top.pop();
        lower_bound = top.top().first;
      }
    }
  };
  while (!candidates.empty()) {
    Entry c = candidates.top();
    if (c.first > lower_bound && top.size() >= ef) break;
    candidates.pop();
    size_t begin, end;
    graph.neighbor_range(c.second, 0, &begin, &end);
    // Collect the unvisited neighbours first and prefetch their vectors, then compute distances
    // four at a time (the query is read once per four rows).
    fresh.clear();
    for (size_t j = begin; j < end; ++j) {
      int32_t nb = graph.neighbors[j];
      if (nb < 0) break;
      if (visited.TestAndSet(static_cast<size_t>(nb))) continue;
      PrefetchVector(base + static_cast<size_t>(nb) * dim, dim);
      fresh.push_back(nb);
    }
    size_t i = 0;
    for (; i + 4 <= fresh.size(); i += 4) {
      const float* rows[4] = {base + static_cast<size_t>(fresh[i]) * dim, base + static_cast<size_t>(fresh[i + 1]) * dim,
                              base + static_cast<size_t>(fresh[i + 2]) * dim, base + static_cast<size_t>(fresh[i + 3]) * dim};
      float d4[4];
      raw4(q.query, rows, dim, d4);
      for (int r = 0; r < 4; ++r) consider(fresh[i + r], key(inner_product ? -d4[r] : d4[r]));
    }
    for (; i < fresh.size(); ++i) consider(fresh[i], dist(fresh[i]));
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
