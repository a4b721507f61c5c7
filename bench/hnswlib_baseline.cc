#include "bench/hnswlib_baseline.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace latentdb::bench {

struct HnswlibBaseline::Impl {
  Impl(size_t dim, size_t capacity, size_t m, size_t efc) : space(dim), index(&space, capacity, m, efc), dim(dim) {}
  hnswlib::L2Space space;
  hnswlib::HierarchicalNSW<float> index;
  size_t dim;
  size_t upper_level_bytes = 0;
};

HnswlibBaseline::HnswlibBaseline(size_t dim, size_t capacity, size_t m, size_t ef_construction)
    : impl_(std::make_unique<Impl>(dim, capacity, m, ef_construction)) {}

HnswlibBaseline::~HnswlibBaseline() = default;

void HnswlibBaseline::Build(const float* vectors, size_t n, int threads) {
  if (n == 0) return;
  const size_t dim = impl_->dim;
  auto& index = impl_->index;
  // The first point alone (it becomes the entry point), then the rest in parallel, as hnswlib's
  // own examples do.
  index.addPoint(vectors, 0);
  std::atomic<size_t> next{1};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      index.addPoint(vectors + i * dim, static_cast<hnswlib::labeltype>(i));
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  size_t upper = 0;
  for (size_t i = 0; i < index.cur_element_count; ++i) {
    if (index.element_levels_[i] > 0) upper += index.size_links_per_element_ * index.element_levels_[i] + 1;
  }
  impl_->upper_level_bytes = upper;
}

void HnswlibBaseline::SetEf(size_t ef) { impl_->index.setEf(ef); }

size_t HnswlibBaseline::Search(const float* query, size_t k, uint32_t* labels) const {
  auto result = impl_->index.searchKnn(query, k);
  size_t count = result.size();
  for (size_t i = count; i-- > 0;) {  // the queue pops the worst first
    labels[i] = static_cast<uint32_t>(result.top().second);
    result.pop();
  }
  return count;
}

const char* HnswlibBaseline::Simd() {
#if defined(USE_AVX512)
  return "avx512";
#elif defined(USE_AVX)
  return "avx";
#elif defined(USE_SSE)
  return "sse";
#else
  return "none";
#endif
}

size_t HnswlibBaseline::MemoryBytes() const {
  const auto& index = impl_->index;
  return index.max_elements_ * index.size_data_per_element_ + impl_->upper_level_bytes;
}

}  // namespace latentdb::bench
