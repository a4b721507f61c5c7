#pragma once
// Latent-space arithmetic of the latent module (latent), free of LibTorch and of any
// collection: interpolation between two latents, seeded samples from N(0, I), a deterministic
// evenly spaced sample of positions and a PCA projection. The operations on collections
// (decode.h, interpolation.h, anomalies.h, map.h, analogy.h) are built on these.
// Pure functions; safe to call from any thread.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace latentdb::latent {

enum class InterpolationMode { kLinear, kSlerp };

// "linear" | "slerp"; InvalidArgument otherwise.
Result<InterpolationMode> ParseInterpolationMode(std::string_view name);

// (1 − t)·a + t·b, computed in double. Exactly a at t = 0 and b at t = 1. a and b have one size.
std::vector<float> Lerp(const std::vector<float>& a, const std::vector<float>& b, double t);

// Spherical interpolation as used for generative latents (White, "Sampling Generative Networks",
// 2016): with Ω the angle between a and b,
//   slerp(a, b, t) = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b.
// The norms are interpolated along with the direction (a and b need not be unit vectors). Falls
// back to Lerp when sin Ω is below 1e-6 (a and b parallel or opposite), when either is zero, and
// when a slerp element would leave float range (latents near FLT_MAX): the result is always finite.
// Exactly a at t = 0 and b at t = 1.
std::vector<float> Slerp(const std::vector<float>& a, const std::vector<float>& b, double t);

// `steps` latents from a to b inclusive, at t = i / (steps − 1). steps ≥ 2.
std::vector<std::vector<float>> Interpolate(const std::vector<float>& a, const std::vector<float>& b, size_t steps,
                                            InterpolationMode mode);

// n vectors of `dim` independent N(0, 1) values from a Mersenne Twister (std::mt19937_64, whose
// sequence the C++ standard fixes) seeded with `seed`, turned into normals by Box–Muller: the same
// seed gives the same samples on every run.
std::vector<std::vector<float>> StandardNormalSamples(size_t n, size_t dim, uint64_t seed);

// min(n, total) indices of [0, total), evenly spaced and ascending: floor(i · total / n).
std::vector<size_t> EvenlySpacedIndices(size_t total, size_t n);

struct PcaResult {
  // rows × components: the centred rows projected on the principal axes.
  std::vector<std::vector<double>> coords;
  // The principal axes, unit length, by decreasing variance. Each axis's sign makes its entry of
  // largest magnitude positive (the first such entry on ties), so the result is deterministic.
  std::vector<std::vector<double>> components;
  // Variance along each axis (the covariance eigenvalues, divided by rows − 1 as numpy's
  // np.cov and scikit-learn's explained_variance_ do) and its share of the total variance
  // (0 when all rows are equal).
  std::vector<double> explained_variance;
  std::vector<double> explained_variance_ratio;
  std::vector<double> mean;
};

// Principal component analysis of `rows` (all of one size d ≥ 1) onto the first `components`
// axes: the d × d covariance in double precision (OpenBLAS's dsyrk over chunks of centred rows),
// then its largest eigenpairs by LAPACK's dsyevr (the MRRR algorithm: Dhillon & Parlett, 2004),
// as numpy.linalg.eigh and scikit-learn's full-SVD PCA find them. Axes beyond d, or of zero
// variance, project to 0. InvalidArgument when rows differ in size or components is 0; Internal
// if LAPACK fails. Cost: rows · d² (dsyrk, multithreaded by OpenBLAS), then O(d³) for the
// tridiagonal reduction; memory d² doubles. Thread-safe.
Result<PcaResult> Pca(const std::vector<std::vector<float>>& rows, size_t components);


}  // namespace latentdb::latent
