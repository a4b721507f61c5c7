#include "index/hnsw_search.h"

#include <xmmintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <queue>

#include "index/distance.h"
#include "index/quantized_storage.h"

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

inline void PrefetchRow(const void* row, size_t row_bytes) {
  // Rows up to 1 KiB whole (an int8 code at 784-d is 13 lines: prefetching them all made a walk
  // over codes 1.2× faster, bench/scale_bench); of longer rows the first lines, which get the
  // hardware prefetcher going on the rest.
  const char* p = static_cast<const char*>(row);
  size_t bytes = row_bytes <= 1024 ? row_bytes : std::min<size_t>(row_bytes, 2 * 64);
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

using Entry = std::pair<float, int32_t>;  // (distance, node)

// Distances from the query to stored nodes as "smaller is better" keys: the inner product is
// negated, and NaN (inf - inf from vectors stored before the engine's norm limit) ranks last:
// compared as is it would break the heaps' order.
class QueryDistance {
 public:
  QueryDistance(const float* query, const float* base, size_t dim, bool inner_product)
      : query_(query),
        base_(base),
        dim_(dim),
        inner_product_(inner_product),
        raw_(inner_product ? Kernels().inner_product : Kernels().l2_sqr),
        raw4_(inner_product ? Kernels().inner_product_batch4 : Kernels().l2_sqr_batch4) {}

  const float* Row(int32_t node) const { return base_ + static_cast<size_t>(node) * dim_; }
  size_t row_bytes() const { return dim_ * sizeof(float); }

  float operator()(int32_t node) const { return Key(raw_(query_, Row(node), dim_)); }
  // Four rows at once: the query is read once per four rows.
  void Four(const int32_t* nodes, float out[4]) const {
    const float* rows[4] = {Row(nodes[0]), Row(nodes[1]), Row(nodes[2]), Row(nodes[3])};
    raw4_(query_, rows, dim_, out);
    for (int r = 0; r < 4; ++r) out[r] = Key(out[r]);
  }

 private:
  float Key(float d) const {
    d = inner_product_ ? -d : d;
    return std::isnan(d) ? std::numeric_limits<float>::infinity() : d;
  }

  const float* query_;
  const float* base_;
  size_t dim_;
  bool inner_product_;
  DistanceFn raw_;
  Batch4Fn raw4_;
};

// The same keys from quantized codes (index/quantized_storage.h); the scorer holds the query.
class CodeDistance {
 public:
  explicit CodeDistance(const CodeScorer& scorer) : scorer_(scorer), negate_(scorer.larger_is_better()) {}
  const uint8_t* Row(int32_t node) const { return scorer_.Row(static_cast<size_t>(node)); }
  size_t row_bytes() const { return scorer_.code_size(); }
  float operator()(int32_t node) const {
    float d = scorer_.Raw(Row(node));
    d = negate_ ? -d : d;
    return std::isnan(d) ? std::numeric_limits<float>::infinity() : d;
  }
  void Four(const int32_t* nodes, float out[4]) const {
    for (int r = 0; r < 4; ++r) out[r] = (*this)(nodes[r]);
  }

 private:
  const CodeScorer& scorer_;
  bool negate_;
};

// Greedy descent through the upper layers, from the graph's entry point: the node where the
// search of layer 0 starts.
template <typename Dist>
Entry GreedyDescent(const faiss::HNSW& graph, const Dist& dist) {
  Entry current(dist(graph.entry_point), graph.entry_point);
  for (int level = graph.max_level; level >= 1; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      size_t begin, end;
      graph.neighbor_range(current.second, level, &begin, &end);
      for (size_t j = begin; j < end; ++j) {
        int32_t nb = graph.neighbors[j];
        if (nb < 0) break;
        float d = dist(nb);
        if (d < current.first) {
          current = {d, nb};
          changed = true;
        }
      }
    }
  }
  return current;
}

// The beam search of layer 0 (hnswlib's search_base_layer): `candidates` to expand, nearest
// first, and `top`, the best `ef` nodes the selector allows. Excluded nodes are still expanded,
// so a filter does not cut the graph into pieces.
class Layer0Beam {
 public:
  Layer0Beam(size_t ef, const faiss::IDSelector* selector) : ef_(ef), selector_(selector) {}

  void Consider(int32_t node, float d) {
    if (top_.size() < ef_ || d < lower_bound_) {
      candidates_.emplace(d, node);
      if (Allowed(node)) {
        top_.emplace(d, node);
        if (top_.size() > ef_) top_.pop();
        lower_bound_ = top_.top().first;
      }
    }
  }
  // The next candidate to expand; none once the nearest candidate is farther than a full top.
  std::optional<int32_t> Next() {
    if (candidates_.empty()) return std::nullopt;
    const Entry c = candidates_.top();
    if (c.first > lower_bound_ && top_.size() >= ef_) return std::nullopt;
    candidates_.pop();
    return c.second;
  }
  // The candidate Next() would expand now, if any (it may change as neighbours are considered).
  std::optional<int32_t> Peek() const {
    if (candidates_.empty()) return std::nullopt;
    return candidates_.top().second;
  }
  // The best k, best first.
  std::vector<std::pair<float, int64_t>> Best(size_t k) {
    while (top_.size() > k) top_.pop();
    std::vector<std::pair<float, int64_t>> out(top_.size());
    for (size_t i = out.size(); i-- > 0;) {
      out[i] = {top_.top().first, top_.top().second};
      top_.pop();
    }
    return out;
  }

 private:
  bool Allowed(int32_t node) const { return !selector_ || selector_->is_member(node); }

  const size_t ef_;
  const faiss::IDSelector* selector_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> candidates_;  // min-heap
  std::priority_queue<Entry> top_;  // max-heap of accepted results, size <= ef
  float lower_bound_ = std::numeric_limits<float>::max();
};

// The unvisited layer-0 neighbours of `node`, marked visited, their vectors prefetched so the
// distances that follow find them in cache.
template <typename Dist>
void CollectUnvisited(const faiss::HNSW& graph, int32_t node, const Dist& dist, VisitedTable* visited,
                      std::vector<int32_t>* fresh) {
  fresh->clear();
  size_t begin, end;
  graph.neighbor_range(node, 0, &begin, &end);
  for (size_t j = begin; j < end; ++j) {
    int32_t nb = graph.neighbors[j];
    if (nb < 0) break;
    if (visited->TestAndSet(static_cast<size_t>(nb))) continue;
    PrefetchRow(dist.Row(nb), dist.row_bytes());
    fresh->push_back(nb);
  }
}

template <typename Dist>
std::vector<std::pair<float, int64_t>> Walk(const faiss::HNSW& graph, const Dist& dist, const HnswQuery& q) {
  const size_t n = graph.levels.size();
  if (n == 0 || graph.entry_point < 0 || q.k == 0) return {};
  const Entry entry = GreedyDescent(graph, dist);

  thread_local VisitedTable visited;
  visited.Prepare(n);
  visited.TestAndSet(static_cast<size_t>(entry.second));
  Layer0Beam beam(std::max(q.ef, q.k), q.selector);
  beam.Consider(entry.second, entry.first);
  std::vector<int32_t> fresh;  // unvisited neighbours of the candidate being expanded
  fresh.reserve(128);
  while (auto node = beam.Next()) {
    CollectUnvisited(graph, *node, dist, &visited, &fresh);
    // The likely next expansion's neighbour list, fetched while this one's distances are computed.
    if (const auto next = beam.Peek()) {
      size_t begin, end;
      graph.neighbor_range(*next, 0, &begin, &end);
      PrefetchRow(&graph.neighbors[begin], (end - begin) * sizeof(graph.neighbors[0]));
    }
    size_t i = 0;
    for (; i + 4 <= fresh.size(); i += 4) {
      float d4[4];
      dist.Four(&fresh[i], d4);
      for (int r = 0; r < 4; ++r) beam.Consider(fresh[i + r], d4[r]);
    }
    for (; i < fresh.size(); ++i) beam.Consider(fresh[i], dist(fresh[i]));
  }
  return beam.Best(q.k);
}

}  // namespace

std::vector<std::pair<float, int64_t>> HnswGraphSearch(const faiss::HNSW& graph, const float* base,
                                                       size_t dim, bool inner_product,
                                                       const HnswQuery& q) {
  return Walk(graph, QueryDistance(q.query, base, dim, inner_product), q);
}

std::vector<std::pair<float, int64_t>> HnswGraphSearchCodes(const faiss::HNSW& graph, const CodeScorer& scorer,
                                                            const HnswQuery& q) {
  return Walk(graph, CodeDistance(scorer), q);
}

}  // namespace latentdb::index
