#include "latent/math.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "index/distance.h"

// OpenBLAS (the BLAS FAISS already links) and LAPACK through its C interface (liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>

namespace latentdb::latent {

Result<InterpolationMode> ParseInterpolationMode(std::string_view name) {
  if (name == "linear") return InterpolationMode::kLinear;
  if (name == "slerp") return InterpolationMode::kSlerp;
  return Status::InvalidArgument("\"mode\" must be \"linear\" or \"slerp\", not \"" + std::string(name) + "\"");
}

std::vector<float> Lerp(const std::vector<float>& a, const std::vector<float>& b, double t) {
  std::vector<float> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<float>((1.0 - t) * a[i] + t * b[i]);
  return out;
}

std::vector<float> Slerp(const std::vector<float>& a, const std::vector<float>& b, double t) {
  // Norms through the engine's one routine (double: no underflow for tiny latents, no overflow
  // for huge ones); a zero vector has no direction, so it falls back to Lerp.
  const double na = index::L2Norm(a.data(), a.size()), nb = index::L2Norm(b.data(), b.size());
  if (!(na > 0) || !(nb > 0)) return Lerp(a, b, t);
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
  const double cos_omega = std::clamp(dot / na / nb, -1.0, 1.0);
  const double omega = std::acos(cos_omega);
  const double sin_omega = std::sin(omega);
  if (sin_omega < 1e-6) return Lerp(a, b, t);
  const double wa = std::sin((1.0 - t) * omega) / sin_omega;
  const double wb = std::sin(t * omega) / sin_omega;
  std::vector<float> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<float>(wa * a[i] + wb * b[i]);
  // The weights exceed 1 near Ω = π: latents close to FLT_MAX could leave float range. Lerp never
  // does (each element lies between a's and b's), and no response may carry Inf.
  if (index::FirstNonFinite(out.data(), out.size()) != out.size()) return Lerp(a, b, t);
  return out;
}

std::vector<std::vector<float>> Interpolate(const std::vector<float>& a, const std::vector<float>& b, size_t steps,
                                            InterpolationMode mode) {
  std::vector<std::vector<float>> out;
  out.reserve(steps);
  for (size_t i = 0; i < steps; ++i) {
    // The endpoints are exact: i == steps − 1 gives t == 1.0 exactly.
    const double t = steps < 2 ? 0.0 : static_cast<double>(i) / static_cast<double>(steps - 1);
    out.push_back(mode == InterpolationMode::kSlerp ? Slerp(a, b, t) : Lerp(a, b, t));
  }
  return out;
}

namespace {

// Box–Muller over a Mersenne Twister: portable, unlike std::normal_distribution.
class NormalStream {
 public:
  explicit NormalStream(uint64_t seed) : engine_(seed) {}
  double Next() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double u1 = Uniform(), u2 = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double phi = 2.0 * 3.14159265358979323846 * u2;
    spare_ = r * std::sin(phi);
    have_spare_ = true;
    return r * std::cos(phi);
  }

 private:
  // Uniform on (0, 1]: 53 random bits, never 0 (log(0) is undefined).
  double Uniform() { return (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53; }
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool have_spare_ = false;
};

double Dot(const double* x, const double* y, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += x[i] * y[i];
  return s;
}

// Rows centred and converted to double per chunk, so that the covariance's rank-k update works on
// a bounded buffer (chunk × d doubles) whatever the number of rows.
constexpr size_t kCovarianceChunk = 2048;

}  // namespace

std::vector<std::vector<float>> StandardNormalSamples(size_t n, size_t dim, uint64_t seed) {
  NormalStream rng(seed);
  std::vector<std::vector<float>> out(n, std::vector<float>(dim));
  for (auto& v : out)
    for (auto& x : v) x = static_cast<float>(rng.Next());
  return out;
}

std::vector<size_t> EvenlySpacedIndices(size_t total, size_t n) {
  n = std::min(n, total);
  std::vector<size_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<size_t>((static_cast<unsigned __int128>(i) * total) / n);
  }
  return out;
}

Result<PcaResult> Pca(const std::vector<std::vector<float>>& rows, size_t components) {
  if (components == 0) return Status::InvalidArgument("PCA needs at least one component");
  PcaResult out;
  const size_t n = rows.size();
  const size_t d = n == 0 ? 0 : rows[0].size();
  for (const auto& r : rows) {
    if (r.size() != d) return Status::InvalidArgument("PCA rows differ in size");
  }
  out.coords.assign(n, std::vector<double>(components, 0.0));
  out.components.assign(components, std::vector<double>(d, 0.0));
  out.explained_variance.assign(components, 0.0);
  out.explained_variance_ratio.assign(components, 0.0);
  out.mean.assign(d, 0.0);
  if (n == 0 || d == 0) return out;

  for (const auto& r : rows)
    for (size_t i = 0; i < d; ++i) out.mean[i] += r[i];
  for (auto& m : out.mean) m /= static_cast<double>(n);

  // The covariance's upper triangle by OpenBLAS's symmetric rank-k update (dsyrk), over chunks
  // of centred rows, then scaled.
  std::vector<double> cov(d * d, 0.0), chunk(std::min(n, kCovarianceChunk) * d), centred(d);
  for (size_t start = 0; start < n; start += kCovarianceChunk) {
    const size_t m = std::min(kCovarianceChunk, n - start);
    for (size_t r = 0; r < m; ++r)
      for (size_t i = 0; i < d; ++i) chunk[r * d + i] = rows[start + r][i] - out.mean[i];
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(d), static_cast<int>(m), 1.0, chunk.data(),
                static_cast<int>(d), 1.0, cov.data(), static_cast<int>(d));
  }
  const double denom = n > 1 ? static_cast<double>(n - 1) : 1.0;
  double total = 0;
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = i; j < d; ++j) cov[i * d + j] /= denom;
    total += cov[i * d + i];
  }
  if (total <= 0) return out;  // all rows equal: every coordinate is 0

  // The k largest eigenpairs by LAPACK's dsyevr (relatively robust representations: only the
  // wanted eigenvectors are computed), ascending; read from the last.
  const size_t k = std::min(components, d);
  std::vector<double> values(d), vectors(d * k);
  std::vector<lapack_int> support(2 * k);
  lapack_int found = 0;
  const lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', static_cast<lapack_int>(d), cov.data(),
                                         static_cast<lapack_int>(d), 0.0, 0.0, static_cast<lapack_int>(d - k + 1),
                                         static_cast<lapack_int>(d), 0.0, &found, values.data(), vectors.data(),
                                         static_cast<lapack_int>(k), support.data());
  if (info != 0 || found != static_cast<lapack_int>(k)) {
    return Status::Internal("PCA: LAPACK's dsyevr failed (info " + std::to_string(info) + ")");
  }

  for (size_t j = 0; j < k; ++j) {
    const size_t column = k - 1 - j;  // the j-th largest
    const double lambda = std::max(values[column], 0.0);
    if (lambda <= 1e-12 * total) continue;  // a zero-variance axis projects to 0
    std::vector<double> axis(d);
    for (size_t r = 0; r < d; ++r) axis[r] = vectors[r * k + column];
    size_t big = 0;
    for (size_t r = 1; r < d; ++r)
      if (std::abs(axis[r]) > std::abs(axis[big])) big = r;
    if (axis[big] < 0)
      for (auto& x : axis) x = -x;
    out.components[j] = std::move(axis);
    out.explained_variance[j] = lambda;
    out.explained_variance_ratio[j] = lambda / total;
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t r = 0; r < d; ++r) centred[r] = rows[i][r] - out.mean[r];
    for (size_t j = 0; j < k; ++j) out.coords[i][j] = Dot(centred.data(), out.components[j].data(), d);
  }
  return out;
}

}  // namespace latentdb::latent
