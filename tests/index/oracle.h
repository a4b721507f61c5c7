#pragma once
// Test data and the exact oracle for index tests: clustered vectors, brute-force k nearest
// neighbours in double precision, recall@k.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <unordered_set>
#include <vector>

#include "index/vector_index.h"

namespace latentdb::testing {

using index::Hit;
using index::IdFilter;
using index::Metric;
using index::SearchParams;
using index::VectorIndex;

// Clustered data, like real embeddings, so that IVF and PQ behave as they do in practice. The cluster
// centres depend only on the dimension: every call draws from the same distribution, so queries (another
// seed) look like the data, as real queries do. Queries from elsewhere (far from every point, all
// neighbours at nearly the same distance) made HNSW's recall swing by ±0.03 between runs of the same
// test, because FAISS builds the graph on several threads and the build order varies.
inline std::vector<float> MakeData(size_t n, size_t dim, uint32_t seed) {
  std::normal_distribution<float> g(0, 1);
  const size_t clusters = 32;
  std::mt19937 center_rng(7);
  std::vector<float> centers(clusters * dim);
  for (auto& c : centers) c = g(center_rng) * 4;
  std::mt19937 rng(seed);
  std::vector<float> data(n * dim);
  for (size_t i = 0; i < n; ++i) {
    size_t c = rng() % clusters;
    for (size_t d = 0; d < dim; ++d) data[i * dim + d] = centers[c * dim + d] + g(rng);
  }
  return data;
}

inline std::vector<uint64_t> Ids(size_t n, uint64_t offset = 0) {
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = offset + i;
  return ids;
}

// Exact k nearest ids among `live` under the metric (the oracle).
inline std::vector<uint64_t> Oracle(const std::vector<float>& data, size_t dim, const std::vector<uint64_t>& ids,
                             const std::unordered_set<uint64_t>& live, const float* q, size_t k, Metric metric,
                             const IdFilter* filter = nullptr) {
  std::vector<std::pair<double, uint64_t>> scored;
  double qn = 0;
  for (size_t d = 0; d < dim; ++d) qn += double(q[d]) * q[d];
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!live.count(ids[i]) || (filter && !(*filter)(ids[i]))) continue;
    const float* x = data.data() + i * dim;
    double l2 = 0, ip = 0, xn = 0;
    for (size_t d = 0; d < dim; ++d) {
      l2 += double(q[d] - x[d]) * (q[d] - x[d]);
      ip += double(q[d]) * x[d];
      xn += double(x[d]) * x[d];
    }
    double key = metric == Metric::kL2 ? l2 : metric == Metric::kInnerProduct ? -ip : -ip / std::sqrt(qn * xn);
    scored.emplace_back(key, ids[i]);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<uint64_t> out;
  for (size_t i = 0; i < std::min(k, scored.size()); ++i) out.push_back(scored[i].second);
  return out;
}

inline double Recall(const std::vector<Hit>& got, const std::vector<uint64_t>& truth) {
  if (truth.empty()) return 1.0;
  std::set<uint64_t> t(truth.begin(), truth.end());
  size_t hit = 0;
  for (const auto& h : got) hit += t.count(h.id);
  return double(hit) / double(truth.size());
}

struct Fixture {
  size_t n, dim;
  std::vector<float> data, queries;
  std::vector<uint64_t> ids;
  std::unordered_set<uint64_t> live;
  Fixture(size_t n_, size_t dim_, size_t nq) : n(n_), dim(dim_) {
    data = MakeData(n, dim, 1);
    queries = MakeData(nq, dim, 2);
    ids = Ids(n, 1000);
    live.insert(ids.begin(), ids.end());
  }
  double MeanRecall(const VectorIndex& index, Metric metric, const SearchParams& p, const IdFilter* f = nullptr) const {
    double sum = 0;
    size_t nq = queries.size() / dim;
    for (size_t q = 0; q < nq; ++q) {
      auto got = index.Search(queries.data() + q * dim, 10, p, f);
      REQUIRE(got.ok());
      auto truth = Oracle(data, dim, ids, live, queries.data() + q * dim, 10, metric, f);
      REQUIRE(got->size() == truth.size());
      for (const auto& h : *got) {
        REQUIRE(live.count(h.id));
        if (f) REQUIRE((*f)(h.id));
      }
      sum += Recall(*got, truth);
    }
    return sum / double(nq);
  }
};

}  // namespace latentdb::testing
