#pragma once
// Codes drawn from a generative model's prior: the one place that says what a "sample" of a
// VAE's or a GAN's latent space is (POST /collections/{c}/sample, the map's and the benchmarks'
// samples).
//
//   Unconditional VAE or GAN: N(0, I_dim), StandardNormalSamples(n, dim, seed) (math.h).
//   Class-conditional GAN or VAE (encoders::ClassConditioning): [z, e(c)] with
//     z = StandardNormalSamples(n, noise_dim, seed) and c the asked class for every code, or
//     drawn uniformly from the classes by UniformClasses(n, classes, seed).
// One seed gives the same codes on every run and platform.
//
// Thread-safety: pure functions of their arguments (the model is only read).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "encoders/image_model.h"

namespace latentdb::latent {

struct PriorCodes {
  std::vector<std::vector<float>> codes;  // n codes of the model's dim()
  // Class-conditional model only (empty otherwise): each code's class, an index into class_names.
  std::vector<int> classes;
  std::vector<std::string> class_names;
};

// n class indices in [0, classes), uniform and independent, from std::mt19937_64 seeded with a
// value derived from `seed` (so that they do not repeat the normals of the same seed). classes ≥ 1.
std::vector<int> UniformClasses(size_t n, size_t classes, uint64_t seed);

// A class by its name in `class_names` or its index (a decimal number): InvalidArgument naming
// the classes when it is neither.
Result<int> ParseClass(const std::string& name_or_index, const std::vector<std::string>& class_names);

// n codes from the prior of `model` (which must be generative: InvalidArgument otherwise). With
// `label`, every code is of that class: InvalidArgument when the model is not class-conditional or
// the index is out of range.
Result<PriorCodes> DrawPriorCodes(const encoders::ImageModel& model, size_t n, uint64_t seed,
                                  std::optional<int> label = std::nullopt);

}  // namespace latentdb::latent
