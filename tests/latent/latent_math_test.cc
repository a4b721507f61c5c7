// Latent-space math (latent/math.h) against values computed here: interpolation formulas,
// seeded normal samples, even sampling, the Jacobi eigen-solver and PCA on designs whose
// principal axes and variances are known exactly.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <random>

#include "latent/math.h"
#include "latent/prior.h"

using namespace latentdb::latent;

namespace {

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// k orthonormal random vectors of R^d (Gram–Schmidt), seeded.
std::vector<std::vector<double>> OrthonormalBasis(size_t d, size_t k, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<std::vector<double>> out;
  while (out.size() < k) {
    std::vector<double> v(d);
    for (auto& x : v) x = u(rng);
    for (const auto& b : out) {
      double p = Dot(v, b);
      for (size_t i = 0; i < d; ++i) v[i] -= p * b[i];
    }
    double n = std::sqrt(Dot(v, v));
    for (auto& x : v) x /= n;
    out.push_back(v);
  }
  return out;
}

// The sign convention of Pca: the entry of largest magnitude is positive.
std::vector<double> Canonical(std::vector<double> v) {
  size_t big = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (std::abs(v[i]) > std::abs(v[big])) big = i;
  if (v[big] < 0)
    for (auto& x : v) x = -x;
  return v;
}

}  // namespace

TEST_CASE("latent math: linear interpolation", "[latent]") {
  std::vector<float> a{1.0f, -2.0f, 0.5f}, b{3.0f, 4.0f, -1.5f};
  auto mid = Lerp(a, b, 0.25);
  for (size_t i = 0; i < 3; ++i) CHECK(mid[i] == Approx(0.75 * a[i] + 0.25 * b[i]));
  auto path = Interpolate(a, b, 5, InterpolationMode::kLinear);
  REQUIRE(path.size() == 5);
  CHECK(path.front() == a);  // exact endpoints
  CHECK(path.back() == b);
  for (size_t s = 0; s < 5; ++s)
    for (size_t i = 0; i < 3; ++i) CHECK(path[s][i] == Approx(a[i] + (b[i] - a[i]) * s / 4.0));
}

TEST_CASE("latent math: spherical interpolation", "[latent]") {
  // Orthogonal vectors of norms 2 and 3: Ω = π/2, so the weights are sin((1−t)π/2) and sin(tπ/2).
  std::vector<float> a{2, 0, 0}, b{0, 0, 3};
  for (double t : {0.0, 1.0 / 3, 0.5, 0.9, 1.0}) {
    auto v = Slerp(a, b, t);
    CHECK(v[0] == Approx(2 * std::sin((1 - t) * M_PI / 2)).margin(1e-6));
    CHECK(v[1] == 0.0f);
    CHECK(v[2] == Approx(3 * std::sin(t * M_PI / 2)).margin(1e-6));
  }
  // A general pair, against the formula with Ω from the normalized dot product.
  std::vector<float> p{0.3f, -1.2f, 2.0f, 0.7f}, q{-0.4f, 0.9f, 1.1f, -2.2f};
  double dot = 0, np = 0, nq = 0;
  for (size_t i = 0; i < 4; ++i) {
    dot += p[i] * q[i];
    np += p[i] * p[i];
    nq += q[i] * q[i];
  }
  const double omega = std::acos(dot / std::sqrt(np * nq));
  auto path = Interpolate(p, q, 7, InterpolationMode::kSlerp);
  REQUIRE(path.size() == 7);
  CHECK(path.front() == p);
  CHECK(path.back() == q);
  for (size_t s = 0; s < 7; ++s) {
    const double t = s / 6.0;
    for (size_t i = 0; i < 4; ++i) {
      const double want = (std::sin((1 - t) * omega) * p[i] + std::sin(t * omega) * q[i]) / std::sin(omega);
      CHECK(path[s][i] == Approx(want).margin(1e-5));
    }
  }
  // Parallel vectors and the zero vector fall back to the straight line.
  std::vector<float> u{1, 1}, w{2, 2}, zero{0, 0};
  CHECK(Slerp(u, w, 0.5) == Lerp(u, w, 0.5));
  CHECK(Slerp(zero, w, 0.3) == Lerp(zero, w, 0.3));
}

TEST_CASE("latent math: interpolation mode names", "[latent]") {
  CHECK(*ParseInterpolationMode("linear") == InterpolationMode::kLinear);
  CHECK(*ParseInterpolationMode("slerp") == InterpolationMode::kSlerp);
  CHECK_FALSE(ParseInterpolationMode("cubic").ok());
  CHECK_FALSE(ParseInterpolationMode("").ok());
}

TEST_CASE("latent math: seeded standard normal samples", "[latent]") {
  auto a = StandardNormalSamples(3, 5, 7), b = StandardNormalSamples(3, 5, 7), c = StandardNormalSamples(3, 5, 8);
  REQUIRE(a.size() == 3);
  REQUIRE(a[0].size() == 5);
  CHECK(a == b);
  CHECK(a != c);
  // The first values follow from Box–Muller over std::mt19937_64(7), computed here.
  std::mt19937_64 e(7);
  const double u1 = (static_cast<double>(e() >> 11) + 1) * 0x1.0p-53, u2 = (static_cast<double>(e() >> 11) + 1) * 0x1.0p-53;
  const double r = std::sqrt(-2 * std::log(u1));
  CHECK(a[0][0] == Approx(r * std::cos(2 * M_PI * u2)));
  CHECK(a[0][1] == Approx(r * std::sin(2 * M_PI * u2)));
  // Moments of many draws.
  auto many = StandardNormalSamples(1000, 100, 123);
  double sum = 0, sq = 0;
  for (const auto& v : many)
    for (float x : v) {
      sum += x;
      sq += static_cast<double>(x) * x;
    }
  const double n = 100000, mean = sum / n;
  CHECK(std::abs(mean) < 0.02);
  CHECK(sq / n - mean * mean == Approx(1.0).margin(0.03));
}

TEST_CASE("latent math: evenly spaced indices", "[latent]") {
  CHECK(EvenlySpacedIndices(10, 3) == std::vector<size_t>{0, 3, 6});
  CHECK(EvenlySpacedIndices(5, 10) == std::vector<size_t>{0, 1, 2, 3, 4});
  CHECK(EvenlySpacedIndices(0, 4).empty());
  CHECK(EvenlySpacedIndices(7, 0).empty());
  auto big = EvenlySpacedIndices(70000, 5000);
  REQUIRE(big.size() == 5000);
  CHECK(big[1] == 14);
  CHECK(big.back() == 69986);
}

// Rows m ± s1·u1 ± s2·u2 ± s3·u3 over all 8 sign patterns: the mean is m, the covariance is
// (8/7)·Σ s_i² u_i u_iᵀ, so the axes are u1, u2 and the coordinates are the signed s1, s2.
static void CheckBalancedDesign(size_t d) {
  const double s[3] = {5.0, 2.0, 0.5};
  auto u = OrthonormalBasis(d, 3, 11 + static_cast<unsigned>(d));
  std::vector<double> m(d);
  for (size_t i = 0; i < d; ++i) m[i] = 0.1 * i - 1;
  std::vector<std::vector<float>> rows;
  std::vector<std::array<int, 3>> signs;
  for (int pattern = 0; pattern < 8; ++pattern) {
    std::array<int, 3> sg{pattern & 1 ? 1 : -1, pattern & 2 ? 1 : -1, pattern & 4 ? 1 : -1};
    std::vector<float> r(d);
    for (size_t i = 0; i < d; ++i) {
      r[i] = static_cast<float>(m[i] + sg[0] * s[0] * u[0][i] + sg[1] * s[1] * u[1][i] + sg[2] * s[2] * u[2][i]);
    }
    rows.push_back(r);
    signs.push_back(sg);
  }
  auto pca = Pca(rows, 2);
  REQUIRE(pca.ok());
  const double total = 8.0 / 7 * (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
  for (int j = 0; j < 2; ++j) {
    CHECK(pca->explained_variance[j] == Approx(8.0 / 7 * s[j] * s[j]).epsilon(1e-4));
    CHECK(pca->explained_variance_ratio[j] == Approx(8.0 / 7 * s[j] * s[j] / total).epsilon(1e-4));
    auto want = Canonical(u[j]);
    for (size_t i = 0; i < d; ++i) CHECK(pca->components[j][i] == Approx(want[i]).margin(1e-4));
    const double flip = Dot(want, u[j]) > 0 ? 1 : -1;
    for (size_t r = 0; r < rows.size(); ++r) CHECK(pca->coords[r][j] == Approx(flip * signs[r][j] * s[j]).margin(1e-4));
  }
  for (size_t i = 0; i < d; ++i) CHECK(pca->mean[i] == Approx(m[i]).margin(1e-5));
}

TEST_CASE("latent math: PCA recovers known axes and variances", "[latent]") {
  SECTION("3-d (the block spans the space)") { CheckBalancedDesign(3); }
  SECTION("40-d") { CheckBalancedDesign(40); }
  SECTION("300-d") { CheckBalancedDesign(300); }
}

TEST_CASE("latent math: PCA of random data satisfies the eigen-equation", "[latent]") {
  const size_t n = 500, d = 24;
  std::mt19937 rng(5);
  std::normal_distribution<double> g(0, 1);
  std::vector<std::vector<float>> rows(n, std::vector<float>(d));
  for (auto& r : rows)
    for (size_t i = 0; i < d; ++i) r[i] = static_cast<float>(g(rng) * (1.0 + 0.2 * i));  // later axes vary more
  auto pca = Pca(rows, 2);
  REQUIRE(pca.ok());
  // The covariance, computed here.
  std::vector<double> mean(d, 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < d; ++i) mean[i] += r[i] / static_cast<double>(n);
  std::vector<double> cov(d * d, 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < d; ++i)
      for (size_t j = 0; j < d; ++j) cov[i * d + j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (n - 1.0);
  // The eigen-equation C c = λ c for each axis, and λ₀ the largest eigenvalue: no direction has
  // more variance (vᵀ C v ≤ λ₀ for random unit v).
  const std::vector<double>& values = pca->explained_variance;
  CHECK(values[0] >= values[1]);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> v(d);
    for (auto& x : v) x = g(rng);
    const double norm = std::sqrt(Dot(v, v));
    double quad = 0;
    for (size_t i = 0; i < d; ++i)
      for (size_t j = 0; j < d; ++j) quad += v[i] * cov[i * d + j] * v[j] / (norm * norm);
    CHECK(quad <= values[0] * (1 + 1e-9));
  }
  for (int k = 0; k < 2; ++k) {
    const auto& c = pca->components[k];
    CHECK(Dot(c, c) == Approx(1.0));
    for (size_t i = 0; i < d; ++i) {
      double cv = 0;
      for (size_t j = 0; j < d; ++j) cv += cov[i * d + j] * c[j];
      CHECK(cv == Approx(values[k] * c[i]).margin(1e-6 * values[0]));
    }
  }
  CHECK(std::abs(Dot(pca->components[0], pca->components[1])) < 1e-8);
  // The coordinates are the projections of the centred rows.
  for (size_t r = 0; r < n; r += 50) {
    double x = 0;
    for (size_t i = 0; i < d; ++i) x += (rows[r][i] - mean[i]) * pca->components[0][i];
    CHECK(pca->coords[r][0] == Approx(x).margin(1e-6));
  }
}

TEST_CASE("latent math: PCA edge cases", "[latent]") {
  auto empty = Pca({}, 2);
  REQUIRE(empty.ok());
  CHECK(empty->coords.empty());
  auto one = Pca({{1.0f, 2.0f}}, 2);
  REQUIRE(one.ok());
  CHECK(one->coords[0] == std::vector<double>{0.0, 0.0});
  auto same = Pca({{1.0f, 2.0f, 3.0f}, {1.0f, 2.0f, 3.0f}}, 2);
  REQUIRE(same.ok());
  CHECK(same->explained_variance_ratio == std::vector<double>{0.0, 0.0});
  // 1-d data: the second axis does not exist and projects to 0.
  auto line = Pca({{1.0f}, {3.0f}, {5.0f}}, 2);
  REQUIRE(line.ok());
  CHECK(line->explained_variance[0] == Approx(4.0));
  CHECK(line->explained_variance_ratio[0] == Approx(1.0));
  CHECK(line->coords[0][0] == Approx(-2.0));
  CHECK(line->coords[2][1] == 0.0);
  CHECK_FALSE(Pca({{1.0f, 2.0f}, {1.0f}}, 2).ok());
  CHECK_FALSE(Pca({{1.0f}}, 0).ok());
}

TEST_CASE("latent math: PCA of fewer points than dimensions keeps variance ratios within [0, 1]", "[latent]") {
  // 3 points in 16-d: the scatter matrix has rank 2, fewer than the subspace block's vectors.
  std::vector<std::vector<float>> rows(3, std::vector<float>(16, 0.0f));
  for (size_t i = 0; i < 16; ++i) {
    rows[0][i] = static_cast<float>(i % 5) - 1.0f;
    rows[1][i] = static_cast<float>((i * 7) % 3) * 0.5f;
    rows[2][i] = -static_cast<float>(i) * 0.1f;
  }
  auto pca = Pca(rows, 2);
  REQUIRE(pca.ok());
  // Exact total variance: the trace of the sample covariance.
  double total = 0;
  for (size_t i = 0; i < 16; ++i) {
    double mean = (rows[0][i] + rows[1][i] + rows[2][i]) / 3.0;
    for (const auto& r : rows) total += (r[i] - mean) * (r[i] - mean) / 2.0;
  }
  double sum = 0;
  for (size_t j = 0; j < 2; ++j) {
    CHECK(pca->explained_variance_ratio[j] >= 0);
    CHECK(pca->explained_variance_ratio[j] <= 1 + 1e-9);
    sum += pca->explained_variance_ratio[j];
  }
  // Two components span all the variance of three points.
  CHECK(sum == Approx(1.0).epsilon(1e-6));
  CHECK(pca->explained_variance[0] + pca->explained_variance[1] == Approx(total).epsilon(1e-6));
}

// Issue 10, kind 2: interpolation and PCA of tiny and huge latents stay finite.
TEST_CASE("latent math: tiny and huge latents give finite interpolations and PCA", "[latent][normalize]") {
  auto finite = [](const std::vector<float>& v) {
    for (float x : v)
      if (!std::isfinite(x)) return false;
    return true;
  };
  // Nearly opposite latents near FLT_MAX: the slerp weights (~1/sin Ω = 1e5) would overflow float.
  std::vector<float> big_a{3e38f, 0}, big_b{-1e38f, 1e33f};
  for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    INFO("t = " << t);
    CHECK(finite(Slerp(big_a, big_b, t)));
  }
  CHECK(Slerp(big_a, big_b, 0.0) == big_a);
  CHECK(Slerp(big_a, big_b, 1.0) == big_b);
  // Tiny orthogonal latents: a real slerp (the norm underflows in float, not in double).
  std::vector<float> tiny_a{1e-40f, 0}, tiny_b{0, 1e-40f};
  auto mid = Slerp(tiny_a, tiny_b, 0.5);
  REQUIRE(finite(mid));
  CHECK(mid[0] == Approx(1e-40 * std::sqrt(0.5)).epsilon(1e-3));
  CHECK(mid[1] == Approx(1e-40 * std::sqrt(0.5)).epsilon(1e-3));
  for (const float scale : {1e-40f, 1e30f, 3e38f}) {
    std::vector<std::vector<float>> rows = {{scale, 0, 0}, {-scale, 0, 0}, {0, scale / 2, 0}, {0, -scale / 2, 0}};
    auto pca = Pca(rows, 2);
    REQUIRE(pca.ok());
    INFO("scale " << scale);
    for (const auto& r : pca->coords)
      for (double x : r) CHECK(std::isfinite(x));
    CHECK(pca->explained_variance_ratio[0] == Approx(0.8));
  }
}

TEST_CASE("latent prior: uniform classes and class names", "[latent]") {
  using latentdb::latent::ParseClass;
  using latentdb::latent::UniformClasses;
  auto a = UniformClasses(5000, 7, 11);
  CHECK(a == UniformClasses(5000, 7, 11));
  CHECK(a != UniformClasses(5000, 7, 12));
  std::vector<int> count(7);
  for (int k : a) {
    REQUIRE(k >= 0);
    REQUIRE(k < 7);
    ++count[static_cast<size_t>(k)];
  }
  for (int n : count) CHECK(std::abs(n - 5000 / 7) < 120);  // about 4 standard deviations
  CHECK(UniformClasses(3, 1, 0) == std::vector<int>{0, 0, 0});

  const std::vector<std::string> names = {"T-shirt/top", "Trouser", "7"};
  CHECK(*ParseClass("Trouser", names) == 1);
  CHECK(*ParseClass("0", names) == 0);
  CHECK(*ParseClass("7", names) == 2);  // a class's name wins over an index of the same spelling
  CHECK(*ParseClass("2", names) == 2);
  for (const std::string bad : {"3", "trouser", "", "-1", "1x", " 1", "99999999999999999999999"}) {
    INFO(bad);
    auto r = ParseClass(bad, names);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == latentdb::StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("Trouser") != std::string::npos);
  }
}
