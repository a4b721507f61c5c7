#include "latent/math.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "index/distance.h"

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

// Columns of a d × b matrix stored column-major (column j at q[j * d]).
struct Block {
  size_t d = 0, b = 0;
  std::vector<double> q;
  double* col(size_t j) { return q.data() + j * d; }
  const double* col(size_t j) const { return q.data() + j * d; }
};

// Modified Gram–Schmidt; a column that vanishes is replaced by a fresh random one.
void Orthonormalize(Block* m, NormalStream* rng) {
  for (size_t j = 0; j < m->b; ++j) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      double* v = m->col(j);
      const double before = std::sqrt(Dot(v, v, m->d));
      // Two Gram-Schmidt passes: one pass leaves a column that was (nearly) in the span of the
      // previous ones far from orthogonal to them, which breaks the Rayleigh-Ritz step when the
      // data has fewer points than the block has vectors.
      for (int pass = 0; pass < 2; ++pass) {
        for (size_t i = 0; i < j; ++i) {
          const double p = Dot(m->col(i), v, m->d);
          for (size_t r = 0; r < m->d; ++r) v[r] -= p * m->col(i)[r];
        }
      }
      const double norm = std::sqrt(Dot(v, v, m->d));
      // A column that was (numerically) dependent on the previous ones is replaced by a random one.
      if (norm > 1e-150 && norm > 1e-9 * before) {
        for (size_t r = 0; r < m->d; ++r) v[r] /= norm;
        break;
      }
      for (size_t r = 0; r < m->d; ++r) v[r] = rng->Next();
    }
  }
}

// out = C · m, C symmetric d × d row-major.
void Multiply(const std::vector<double>& c, const Block& m, Block* out) {
  out->d = m.d;
  out->b = m.b;
  out->q.assign(m.q.size(), 0.0);
  for (size_t j = 0; j < m.b; ++j) {
    const double* x = m.col(j);
    double* y = out->col(j);
    for (size_t r = 0; r < m.d; ++r) y[r] = Dot(&c[r * m.d], x, m.d);
  }
}

// m ← m · v, v a b × b row-major matrix.
void Rotate(Block* m, const std::vector<double>& v) {
  std::vector<double> out(m->q.size(), 0.0);
  for (size_t j = 0; j < m->b; ++j) {
    for (size_t i = 0; i < m->b; ++i) {
      const double w = v[i * m->b + j];
      if (w == 0) continue;
      for (size_t r = 0; r < m->d; ++r) out[j * m->d + r] += w * m->col(i)[r];
    }
  }
  m->q = std::move(out);
}

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

void SymmetricEigen(std::vector<double> a, size_t n, std::vector<double>* values, std::vector<double>* vectors) {
  std::vector<double> v(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) v[i * n + i] = 1.0;
  double scale = 0;
  for (double x : a) scale += x * x;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (size_t p = 0; p < n; ++p)
      for (size_t q = p + 1; q < n; ++q) off += a[p * n + q] * a[p * n + q];
    if (off <= 1e-30 * scale || off == 0) break;
    for (size_t p = 0; p < n; ++p) {
      for (size_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (apq == 0) continue;
        // The rotation J (J_pp = J_qq = c, J_pq = s, J_qp = −s) with (JᵀAJ)_pq = 0.
        const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (size_t k = 0; k < n; ++k) {  // A ← A·J
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (size_t k = 0; k < n; ++k) {  // A ← Jᵀ·A
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (size_t k = 0; k < n; ++k) {  // V ← V·J
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return a[x * n + x] > a[y * n + y]; });
  values->assign(n, 0.0);
  vectors->assign(n * n, 0.0);
  for (size_t j = 0; j < n; ++j) {
    (*values)[j] = a[order[j] * n + order[j]];
    for (size_t k = 0; k < n; ++k) (*vectors)[k * n + j] = v[k * n + order[j]];
  }
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

  // Upper triangle of the scatter matrix, then mirrored and scaled.
  std::vector<double> cov(d * d, 0.0), centred(d);
  for (const auto& r : rows) {
    for (size_t i = 0; i < d; ++i) centred[i] = r[i] - out.mean[i];
    for (size_t i = 0; i < d; ++i) {
      const double ci = centred[i];
      double* row = &cov[i * d];
      for (size_t j = i; j < d; ++j) row[j] += ci * centred[j];
    }
  }
  const double denom = n > 1 ? static_cast<double>(n - 1) : 1.0;
  double total = 0;
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = i; j < d; ++j) {
      cov[i * d + j] /= denom;
      cov[j * d + i] = cov[i * d + j];
    }
    total += cov[i * d + i];
  }
  if (total <= 0) return out;  // all rows equal: every coordinate is 0

  // Subspace iteration on a block of k + 8 vectors (all of them when d is small, which makes the
  // first Rayleigh–Ritz step exact).
  const size_t k = std::min(components, d);
  const size_t b = std::min(d, k + 8);
  NormalStream rng(0x5eed'0f'9ca);
  Block q{d, b, std::vector<double>(d * b)};
  for (auto& x : q.q) x = rng.Next();
  Orthonormalize(&q, &rng);
  Block w;
  Multiply(cov, q, &w);
  std::vector<double> values, vecs, h(b * b);
  for (int iter = 0; iter < 1000; ++iter) {
    q = w;
    Orthonormalize(&q, &rng);
    Multiply(cov, q, &w);
    for (size_t i = 0; i < b; ++i)
      for (size_t j = 0; j < b; ++j) h[i * b + j] = Dot(q.col(i), w.col(j), d);
    for (size_t i = 0; i < b; ++i)  // symmetrize rounding
      for (size_t j = i + 1; j < b; ++j) h[i * b + j] = h[j * b + i] = 0.5 * (h[i * b + j] + h[j * b + i]);
    SymmetricEigen(h, b, &values, &vecs);
    Rotate(&q, vecs);
    Rotate(&w, vecs);
    double worst = 0;
    for (size_t j = 0; j < k; ++j) {
      double res = 0;
      for (size_t r = 0; r < d; ++r) {
        const double e = w.col(j)[r] - values[j] * q.col(j)[r];
        res += e * e;
      }
      worst = std::max(worst, std::sqrt(res));
    }
    if (b == d || worst <= 1e-10 * std::max(values[0], 1e-300)) break;
  }

  for (size_t j = 0; j < k; ++j) {
    const double lambda = std::max(values[j], 0.0);
    if (lambda <= 1e-12 * total) continue;  // a zero-variance axis projects to 0
    std::vector<double> axis(q.col(j), q.col(j) + d);
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
