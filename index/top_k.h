#pragma once
// TopK: the k smallest keys of a stream, for the exhaustive scans (FastFlatIndex over floats,
// ScanCodes over quantized codes). Keys are "smaller is better" (a negated inner product for
// similarities); NaN ranks last, since compared as is it would break the heap's order.
// Internal header of index/.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace latentdb::index {

class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k + 1); }

  void Push(float key, int64_t label) {
    if (std::isnan(key)) key = std::numeric_limits<float>::infinity();
    if (heap_.size() < k_) {
      heap_.emplace_back(key, label);
      std::push_heap(heap_.begin(), heap_.end());
    } else if (k_ > 0 && key < heap_.front().first) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.back() = {key, label};
      std::push_heap(heap_.begin(), heap_.end());
    }
  }
  // (key, label) pairs, best first; the TopK is empty afterwards.
  std::vector<std::pair<float, int64_t>> TakeSorted() {
    std::sort_heap(heap_.begin(), heap_.end());
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<std::pair<float, int64_t>> heap_;  // max-heap: the worst kept key on top
};

}  // namespace latentdb::index
