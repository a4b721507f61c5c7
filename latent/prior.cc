#include "latent/prior.h"

#include <charconv>
#include <random>

#include "latent/math.h"

namespace latentdb::latent {

namespace {
// Mixed into the seed of the class draws: the same seed's normals and classes are independent.
constexpr uint64_t kClassStream = 0x9E3779B97F4A7C15ull;
}  // namespace

std::vector<int> UniformClasses(size_t n, size_t classes, uint64_t seed) {
  std::mt19937_64 rng(seed ^ kClassStream);
  std::vector<int> out(n);
  // The modulo's bias is below classes / 2^64: nothing for a handful of classes.
  for (auto& c : out) c = static_cast<int>(rng() % classes);
  return out;
}

Result<int> ParseClass(const std::string& name_or_index, const std::vector<std::string>& class_names) {
  for (size_t i = 0; i < class_names.size(); ++i) {
    if (class_names[i] == name_or_index) return static_cast<int>(i);
  }
  size_t index = 0;
  const char* end = name_or_index.data() + name_or_index.size();
  auto [ptr, ec] = std::from_chars(name_or_index.data(), end, index);
  if (!name_or_index.empty() && ec == std::errc() && ptr == end && index < class_names.size()) return static_cast<int>(index);
  std::string names;
  for (const auto& n : class_names) names += (names.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown class '" + name_or_index + "': the model's classes are " + names +
                                 " (or their indices 0.." + std::to_string(class_names.size() - 1) + ")");
}

Result<PriorCodes> DrawPriorCodes(const encoders::ImageModel& model, size_t n, uint64_t seed, std::optional<int> label) {
  if (!model.generative()) {
    return Status::InvalidArgument("model '" + model.name() + "' is a " + model.kind() + ": only a VAE or a GAN has a prior");
  }
  const encoders::ClassConditioning* cond = model.conditioning();
  PriorCodes out;
  if (!cond) {
    if (label) return Status::InvalidArgument("model '" + model.name() + "' is not class-conditional: it samples no class");
    out.codes = StandardNormalSamples(n, model.dim(), seed);
    return out;
  }
  const size_t classes = cond->embeddings.size();
  if (label && (*label < 0 || static_cast<size_t>(*label) >= classes)) {
    return Status::InvalidArgument("class " + std::to_string(*label) + " is out of range: the model has " +
                                   std::to_string(classes) + " classes");
  }
  out.codes = StandardNormalSamples(n, cond->noise_dim, seed);
  out.classes = label ? std::vector<int>(n, *label) : UniformClasses(n, classes, seed);
  for (size_t i = 0; i < n; ++i) {
    const auto& e = cond->embeddings[static_cast<size_t>(out.classes[i])];
    out.codes[i].insert(out.codes[i].end(), e.begin(), e.end());
  }
  out.class_names = cond->class_names;
  return out;
}

}  // namespace latentdb::latent
