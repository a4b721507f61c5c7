// The SIMD kernels agree with a double-precision reference at every length (tails included).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "index/distance.h"
#include "index/exact_scorer.h"
#include "index/vector_index.h"

using namespace latentdb::index;

TEST_CASE("selected kernels match a double-precision reference", "[index][simd]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  INFO("kernels: " << Kernels().name);
  for (size_t dim : {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 100, 784, 1000}) {
    std::vector<float> a(dim), b(dim);
    for (auto& x : a) x = u(rng);
    for (auto& x : b) x = u(rng);
    double l2 = 0, ip = 0;
    for (size_t i = 0; i < dim; ++i) {
      l2 += double(a[i] - b[i]) * (a[i] - b[i]);
      ip += double(a[i]) * b[i];
    }
    const double tol = 1e-5 * std::max(1.0, double(dim));
    CHECK(std::abs(Kernels().l2_sqr(a.data(), b.data(), dim) - l2) < tol);
    CHECK(std::abs(Kernels().inner_product(a.data(), b.data(), dim) - ip) < tol);
    CHECK(std::abs(ScalarKernels().l2_sqr(a.data(), b.data(), dim) - l2) < tol);
    CHECK(std::abs(ScalarKernels().inner_product(a.data(), b.data(), dim) - ip) < tol);
    // Batch of four rows: row r is b scaled by (r + 1), so each row's answer differs.
    std::vector<std::vector<float>> rows(4, b);
    for (int r = 0; r < 4; ++r) for (auto& x : rows[r]) x *= static_cast<float>(r + 1);
    const float* ptrs[4] = {rows[0].data(), rows[1].data(), rows[2].data(), rows[3].data()};
    float l2x4[4], ipx4[4];
    for (const auto* k : {&Kernels(), &ScalarKernels()}) {
      k->l2_sqr_batch4(a.data(), ptrs, dim, l2x4);
      k->inner_product_batch4(a.data(), ptrs, dim, ipx4);
      for (int r = 0; r < 4; ++r) {
        CHECK(std::abs(l2x4[r] - k->l2_sqr(a.data(), ptrs[r], dim)) < tol);
        CHECK(std::abs(ipx4[r] - ip * (r + 1)) < tol * (r + 1));
      }
    }
  }
}

TEST_CASE("normalization gives unit length and leaves zero vectors alone", "[index]") {
  std::vector<float> v = {3, 4};
  NormalizeInPlace(v.data(), 2);
  CHECK(v[0] == Approx(0.6));
  CHECK(v[1] == Approx(0.8));
  std::vector<float> z = {0, 0, 0};
  NormalizeInPlace(z.data(), 3);
  CHECK(z == std::vector<float>{0, 0, 0});
}

TEST_CASE("FirstNonFinite finds the first NaN or infinity at any position", "[index]") {
  for (size_t dim : {size_t{0}, size_t{1}, size_t{7}, size_t{16}, size_t{785}}) {
    std::vector<float> v(dim);
    for (size_t i = 0; i < dim; ++i) v[i] = static_cast<float>(i) * 0.5f - 3.0f;
    CHECK(FirstNonFinite(v.data(), dim) == dim);
    for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
      for (size_t at : {size_t{0}, dim / 2, dim - 1}) {
        if (dim == 0) continue;
        std::vector<float> w = v;
        w[at] = bad;
        if (at + 1 < dim) w[dim - 1] = INFINITY;  // a later one must not hide the first
        CHECK(FirstNonFinite(w.data(), dim) == at);
      }
    }
  }
  // The largest finite values and denormals are finite.
  std::vector<float> edge = {3.4028235e38f, -3.4028235e38f, 1e-45f, -0.0f};
  CHECK(FirstNonFinite(edge.data(), edge.size()) == edge.size());
}

// Issue 10, kind 2: 1/norm overflowed in float for norms below ~3e-39, and squares overflowed
// above ~1.8e19; the normalization now works for every finite float vector.
TEST_CASE("normalization is exact for tiny, denormal and huge vectors", "[index][normalize]") {
  auto unit_norm = [](const std::vector<float>& v) { return L2Norm(v.data(), v.size()); };
  for (const std::vector<float>& in :
       {std::vector<float>{1e-40f, 0, 0, 0}, std::vector<float>{1e-45f, 0, -1e-45f, 0}, std::vector<float>{1e-20f, 1e-20f},
        std::vector<float>{1e30f, 0, 0, 0}, std::vector<float>{3.4028235e38f, -3.4028235e38f, 3.4028235e38f},
        std::vector<float>(65536, 3e38f)}) {
    std::vector<float> v = in;
    NormalizeInPlace(v.data(), v.size());
    INFO("first input " << in[0] << ", dim " << in.size());
    CHECK(FirstNonFinite(v.data(), v.size()) == v.size());
    CHECK(unit_norm(v) == Approx(1).epsilon(1e-6));
    for (size_t i = 0; i < v.size(); ++i) CHECK((v[i] > 0) == (in[i] > 0));  // direction kept
  }
  std::vector<float> tiny = {1e-40f, 0, 0, 0};
  NormalizeInPlace(tiny.data(), 4);
  CHECK(tiny == std::vector<float>{1, 0, 0, 0});
  std::vector<float> mixed = {1e-30f, 1e30f};  // 1e-60 is below float's range: it rounds to 0
  NormalizeInPlace(mixed.data(), 2);
  CHECK(mixed == std::vector<float>{0, 1});
  std::vector<float> zero = {0, -0.0f, 0};
  NormalizeInPlace(zero.data(), 3);
  CHECK(zero == std::vector<float>{0, 0, 0});  // zero stays zero (Qdrant)
  CHECK(L2Norm(std::vector<float>(65536, 3.4e38f).data(), 65536) == Approx(3.4e38 * 256));
}

TEST_CASE("FiniteScore maps overflowed scores to the worst finite value", "[index][normalize]") {
  const float max = std::numeric_limits<float>::max();
  CHECK(FiniteScore(0.5f, false) == 0.5f);
  CHECK(FiniteScore(-3e38f, true) == -3e38f);
  CHECK(FiniteScore(INFINITY, true) == max);    // an overflowed distance: farther than anything
  CHECK(FiniteScore(std::nanf(""), true) == max);
  CHECK(FiniteScore(INFINITY, false) == max);   // an overflowed product is still the largest
  CHECK(FiniteScore(-INFINITY, false) == -max);
  CHECK(FiniteScore(std::nanf(""), false) == -max);
}

// A NaN distance (inf - inf, from vectors stored before the engine's norm limit) ranks last in
// the flat scan and the HNSW walk instead of breaking their heaps and the other points' order.
TEST_CASE("NaN distances rank last in flat and HNSW search", "[index][normalize]") {
  for (const char* factory : {"Flat", "HNSW8"}) {
    INFO(factory);
    IndexSpec spec;
    spec.dim = 4;
    spec.metric = Metric::kInnerProduct;
    spec.factory = factory;
    auto index = VectorIndex::Create(spec);
    REQUIRE(index.ok());
    // Point 0's product with the query is 1e60 - 1e60 in float: inf + -inf = NaN.
    const std::vector<float> rows = {1e30f, 1e30f, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0};
    const std::vector<uint64_t> ids = {0, 1, 2, 3, 4};
    REQUIRE((*index)->Upsert(ids.data(), rows.data(), ids.size()).ok());
    const std::vector<float> query = {1e30f, -1e30f, 0, 0};
    for (bool exact : {false, true}) {
      SearchParams params;
      params.exact = exact;
      auto hits = (*index)->Search(query.data(), 5, params, nullptr);
      REQUIRE(hits.ok());
      REQUIRE(hits->size() == 5);
      std::string got;
      for (const auto& h : *hits) got += std::to_string(h.id) + ":" + std::to_string(h.score) + " ";
      INFO("exact " << exact << ": " << got);
      // Point 0 overflows: NaN where the kernel adds inf and -inf (ranked last), +inf where FMA
      // adds the exact -1e60 to inf (ranked first). Either way the others keep their order.
      std::vector<uint64_t> rest;
      for (const auto& h : *hits) {
        if (h.id != 0) rest.push_back(h.id);
      }
      const bool zero_first = (*hits)[0].id == 0, zero_last = (*hits)[4].id == 0;
      CHECK((zero_last || (zero_first && std::isinf((*hits)[0].score))));
      REQUIRE(rest.size() == 4);
      CHECK(rest[0] == 4);  // 2e30
      CHECK(rest[1] == 1);  // 1e30
    }
  }
}

// ExactScorer's cosine is q·x / (‖q‖·‖x‖) in float kernels, with the double normalization kept
// for vectors out of float's range: both must give the cosine, at every magnitude.
TEST_CASE("ExactScorer's cosine is the cosine at every magnitude", "[index][normalize]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> gauss;
  std::vector<float> base(784);
  for (float& x : base) x = gauss(rng);
  auto scaled = [&](float s, size_t dim) {
    std::vector<float> v(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(dim));
    for (float& x : v) x *= s;
    return v;
  };
  auto reference = [](const std::vector<float>& q, const std::vector<float>& x) {
    long double dot = 0, qq = 0, xx = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      dot += static_cast<long double>(q[i]) * x[i];
      qq += static_cast<long double>(q[i]) * q[i];
      xx += static_cast<long double>(x[i]) * x[i];
    }
    return qq == 0 || xx == 0 ? 0.0 : static_cast<double>(dot / std::sqrt(qq * xx));
  };
  for (size_t dim : {size_t{3}, size_t{96}, size_t{784}}) {
    std::vector<std::vector<float>> rows;
    for (float s : {1.0f, 1e-25f, 1e-43f, 1e18f, 1e36f}) rows.push_back(scaled(s, dim));
    rows.push_back(std::vector<float>(dim, 0.0f));
    std::vector<float> shifted = scaled(1.0f, dim);
    std::rotate(shifted.begin(), shifted.begin() + 1, shifted.end());  // another direction
    rows.push_back(shifted);
    for (const auto& q : rows) {
      ExactScorer scorer(Metric::kCosine, q.data(), dim);
      for (const auto& x : rows) {
        const float score = scorer.Score(x.data());
        INFO("dim " << dim << ", |q[0]| " << std::fabs(q[0]) << ", |x[0]| " << std::fabs(x[0]));
        REQUIRE(std::isfinite(score));
        CHECK(score == Approx(reference(q, x)).margin(2e-6));
      }
    }
  }
}
