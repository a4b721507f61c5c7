#include "encoders/image_model.h"

#include <algorithm>
#include <exception>
#include <optional>

#include "common/file_util.h"
#include "encoders/gan_inversion.h"
#include "encoders/model_impl.h"
#include "encoders/tensor_convert.h"
#include "encoders/torch_runtime.h"
#include "models/model_registry.h"

namespace latentdb::encoders {

namespace {

// Images per forward pass: large enough for the BLAS kernels, small enough to bound memory.
constexpr size_t kInferenceBatch = 256;

Status TorchError(const std::string& what, const std::exception& e) {
  return Status::Internal(what + ": " + TorchMessage(e));
}

Status CheckImages(const std::vector<images::Image>& images) {
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& img = images[i];
    if (img.width <= 0 || img.height <= 0 || (img.channels != 1 && img.channels != 3) || img.pixels.size() != img.size()) {
      return Status::InvalidArgument("image " + std::to_string(i) + " is empty or malformed");
    }
  }
  return Status::Ok();
}

}  // namespace



nlohmann::json InputSpecToJson(const InputSpec& s) {
  return {{"channels", s.channels}, {"height", s.height}, {"width", s.width}, {"mean", s.mean}, {"std", s.std}};
}

Result<InputSpec> InputSpecFromJson(const nlohmann::json& j) {
  InputSpec s;
  try {
    s.channels = j.at("channels").get<int>();
    s.height = j.at("height").get<int>();
    s.width = j.at("width").get<int>();
    s.mean = j.at("mean").get<std::vector<float>>();
    s.std = j.at("std").get<std::vector<float>>();
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("model manifest: bad \"input\": ") + e.what());
  }
  if ((s.channels != 1 && s.channels != 3) || s.height < 1 || s.width < 1 || s.height > 4096 || s.width > 4096 ||
      s.mean.size() != static_cast<size_t>(s.channels) || s.std.size() != static_cast<size_t>(s.channels) ||
      std::any_of(s.std.begin(), s.std.end(), [](float v) { return !(v > 0); })) {
    return Status::Corruption("model manifest: \"input\" needs channels 1 or 3, a size, and one mean and std (> 0) per channel");
  }
  return s;
}

void SetInferenceThreads(int threads) { ConfigureTorchThreads(threads); }

ImageModel::ImageModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ImageModel::~ImageModel() = default;

namespace {

// A generative model's code size and, when it is class-conditional, its class embeddings (`table`:
// classes × class_embedding, the generator's or the decoder's). Corruption when the manifest's dim
// or class names do not fit the weights (decoding would fail or misname classes).
template <typename Arch>
Result<std::optional<ClassConditioning>> ReadConditioning(const std::string& name, const nlohmann::json& manifest, size_t dim,
                                                          const Arch& arch, const torch::nn::Embedding& embed) {
  if (dim != static_cast<size_t>(arch.code_dim())) {
    return Status::Corruption("model '" + name + "': the manifest's dim " + std::to_string(dim) +
                              " is not its decoder's code size " + std::to_string(arch.code_dim()));
  }
  if (!arch.conditional()) return std::optional<ClassConditioning>();
  ClassConditioning c;
  c.noise_dim = static_cast<size_t>(arch.latent);
  auto names = manifest.find("classes");
  if (names == manifest.end() || !names->is_array() || names->size() != static_cast<size_t>(arch.classes)) {
    return Status::Corruption("model '" + name + "': its manifest names no class for each of its " +
                              std::to_string(arch.classes) + " class embeddings");
  }
  for (const auto& n : *names) c.class_names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
  auto table = embed->weight.detach().to(torch::kFloat32).contiguous();
  for (int64_t k = 0; k < table.size(0); ++k) {
    const float* row = table.data_ptr<float>() + k * table.size(1);
    c.embeddings.emplace_back(row, row + table.size(1));
  }
  return std::optional<ClassConditioning>(std::move(c));
}

}  // namespace

Result<std::shared_ptr<ImageModel>> ImageModel::Open(const std::string& data_dir, const std::string& name) {
  LDB_ASSIGN_OR_RETURN(nlohmann::json manifest, models::ReadManifest(data_dir, name));
  ConfigureTorchThreads();
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  impl->kind = manifest.value("kind", std::string());
  if (impl->kind != "cnn" && impl->kind != "vae" && impl->kind != "gan" && impl->kind != "torchscript") {  // the kinds built below
    return Status::InvalidArgument("model '" + name + "' is a " + (impl->kind.empty() ? "word" : impl->kind) +
                                   " model, not an image model");
  }
  impl->dim = manifest.at("dim").get<size_t>();
  LDB_ASSIGN_OR_RETURN(impl->input, InputSpecFromJson(manifest.value("input", nlohmann::json())));
  std::string file = manifest.value("model_file", std::string("weights.pt"));
  std::string path = models::ModelDir(data_dir, name) + "/" + file;
  if (!PathExists(path)) return Status::Corruption("model '" + name + "': " + path + " is missing");
  try {
    if (impl->kind == "cnn") {
      impl->cnn = CnnNet(CnnArch::FromJson(manifest.at("architecture")));
      torch::load(impl->cnn, path);
      impl->cnn->eval();
      impl->cnn->FoldBatchNorm();
    } else if (impl->kind == "vae") {
      impl->vae = VaeNet(VaeArch::FromJson(manifest.at("architecture")));
      torch::load(impl->vae, path);
      impl->vae->eval();
      LDB_ASSIGN_OR_RETURN(impl->conditioning, ReadConditioning(name, manifest, impl->dim, impl->vae->arch, impl->vae->embed));
    } else if (impl->kind == "gan") {
      impl->gan = GanNet(GanArch::FromJson(manifest.at("architecture")));
      torch::load(impl->gan, path);
      impl->gan->eval();
      // Inversion differentiates with respect to z only.
      for (auto& p : impl->gan->parameters()) p.set_requires_grad(false);
      LDB_ASSIGN_OR_RETURN(impl->conditioning,
                           ReadConditioning(name, manifest, impl->dim, impl->gan->arch, impl->gan->generator->embed));
    } else {
      impl->script = torch::jit::load(path, torch::kCPU);
      impl->script->eval();
    }
  } catch (const std::exception& e) {
    Status s = TorchError("model '" + name + "': loading " + path, e);
    return Status::Corruption(s.message());
  }
  if (impl->kind == "gan") LDB_RETURN_IF_ERROR(OpenFeatureModel(data_dir, manifest, impl.get()));
  impl->manifest = std::move(manifest);
  return std::shared_ptr<ImageModel>(new ImageModel(std::move(impl)));
}

const std::string& ImageModel::name() const { return impl_->name; }
const std::string& ImageModel::kind() const { return impl_->kind; }
size_t ImageModel::dim() const { return impl_->dim; }
const InputSpec& ImageModel::input() const { return impl_->input; }
const nlohmann::json& ImageModel::manifest() const { return impl_->manifest; }
bool ImageModel::generative() const { return impl_->kind == "vae" || impl_->kind == "gan"; }
const ClassConditioning* ImageModel::conditioning() const {
  return impl_->conditioning ? &*impl_->conditioning : nullptr;
}
images::Image ImageModel::Fit(const images::Image& image) const { return FitToInput(image, impl_->input); }

Result<std::vector<std::vector<float>>> ImageModel::Encode(const std::vector<images::Image>& images) const {
  LDB_RETURN_IF_ERROR(CheckImages(images));
  if (impl_->gan) {
    LDB_ASSIGN_OR_RETURN(auto inversions, Invert(images, InversionOptions{}, /*with_images=*/false));
    std::vector<std::vector<float>> latents;
    latents.reserve(inversions.size());
    for (auto& inv : inversions) latents.push_back(std::move(inv.latent));
    return latents;
  }
  std::vector<std::vector<float>> out;
  out.reserve(images.size());
  try {
    torch::InferenceMode guard;
    for (size_t begin = 0; begin < images.size(); begin += kInferenceBatch) {
      size_t end = std::min(images.size(), begin + kInferenceBatch);
      torch::Tensor x = FittedBatch(images, begin, end, impl_->input);
      torch::Tensor v;
      if (impl_->cnn) {
        v = torch::nn::functional::normalize(impl_->cnn->Embed(x), torch::nn::functional::NormalizeFuncOptions().dim(1));
      } else if (impl_->vae) {
        v = impl_->vae->Code(impl_->vae->EncodeWithClass(x));
      } else {
        v = impl_->script->forward({x}).toTensor().flatten(1);
      }
      if (static_cast<size_t>(v.size(1)) != impl_->dim) {
        return Status::Internal("model '" + impl_->name + "' produced " + std::to_string(v.size(1)) +
                                " values per image, its manifest says " + std::to_string(impl_->dim));
      }
      for (auto& row : TensorRows(v)) out.push_back(std::move(row));
    }
  } catch (const std::exception& e) {
    return TorchError("model '" + impl_->name + "': encoding", e);
  }
  return out;
}

Result<std::vector<int>> ImageModel::Classify(const std::vector<images::Image>& images) const {
  if (!impl_->cnn) return Status::InvalidArgument("model '" + impl_->name + "' is a " + impl_->kind + ": only a CNN classifies");
  LDB_RETURN_IF_ERROR(CheckImages(images));
  std::vector<int> out;
  out.reserve(images.size());
  try {
    torch::InferenceMode guard;
    for (size_t begin = 0; begin < images.size(); begin += kInferenceBatch) {
      const size_t end = std::min(images.size(), begin + kInferenceBatch);
      torch::Tensor classes = impl_->cnn->forward(FittedBatch(images, begin, end, impl_->input)).argmax(1).contiguous();
      for (int64_t i = 0; i < classes.size(0); ++i) out.push_back(static_cast<int>(classes.data_ptr<int64_t>()[i]));
    }
  } catch (const std::exception& e) {
    return TorchError("model '" + impl_->name + "': classifying", e);
  }
  return out;
}

Result<std::vector<float>> ImageModel::Encode(const images::Image& image) const {
  LDB_ASSIGN_OR_RETURN(auto rows, Encode(std::vector<images::Image>{image}));
  return std::move(rows[0]);
}

Result<std::vector<images::Image>> ImageModel::Decode(const std::vector<std::vector<float>>& latents) const {
  if (!generative()) {
    return Status::InvalidArgument("model '" + impl_->name + "' is a " + impl_->kind + ": only a VAE or a GAN decodes latents");
  }
  std::vector<float> flat;
  flat.reserve(latents.size() * impl_->dim);
  for (const auto& z : latents) {
    if (z.size() != impl_->dim) {
      return Status::InvalidArgument("latent of dimension " + std::to_string(z.size()) + " for model '" + impl_->name +
                                     "' of dimension " + std::to_string(impl_->dim));
    }
    if (std::any_of(z.begin(), z.end(), [](float v) { return !std::isfinite(v); })) {
      return Status::InvalidArgument("latent has a NaN or infinite value");
    }
    flat.insert(flat.end(), z.begin(), z.end());
  }
  if (latents.empty()) return std::vector<images::Image>{};
  try {
    torch::InferenceMode guard;
    auto z = torch::from_blob(flat.data(), {static_cast<int64_t>(latents.size()), static_cast<int64_t>(impl_->dim)}, torch::kFloat32);
    if (impl_->gan) return TensorToImages(GanPixels(impl_->gan->generator->forward(z)));
    return TensorToImages(torch::sigmoid(impl_->vae->DecodeLogits(z)));
  } catch (const std::exception& e) {
    return TorchError("model '" + impl_->name + "': decoding", e);
  }
}

Result<std::vector<Reconstruction>> ImageModel::Reconstruct(const std::vector<images::Image>& images,
                                                         bool with_images) const {
  if (!impl_->vae) {
    return Status::InvalidArgument("model '" + impl_->name + "' is a " + impl_->kind +
                                   ": only a VAE reconstructs images (a GAN inverts them)");
  }
  LDB_RETURN_IF_ERROR(CheckImages(images));
  std::vector<Reconstruction> out;
  out.reserve(images.size());
  try {
    torch::InferenceMode guard;
    for (size_t begin = 0; begin < images.size(); begin += kInferenceBatch) {
      size_t end = std::min(images.size(), begin + kInferenceBatch);
      torch::Tensor x = FittedBatch(images, begin, end, impl_->input);
      VaeEncoding e = impl_->vae->EncodeWithClass(x);
      torch::Tensor code = impl_->vae->Code(e);
      torch::Tensor logits = impl_->vae->DecodeLogits(code);
      torch::Tensor recon = ReconstructionNll(logits, ToUnitRange(x, impl_->input).clamp(0, 1));
      torch::Tensor kl = KlDivergence(e.mean, e.logvar);
      auto decoded = with_images ? TensorToImages(torch::sigmoid(logits)) : std::vector<images::Image>(end - begin);
      auto means = TensorRows(code);
      auto r = recon.to(torch::kFloat64).contiguous();
      auto k = kl.to(torch::kFloat64).contiguous();
      for (size_t i = 0; i < decoded.size(); ++i) {
        Reconstruction rec;
        rec.mean = std::move(means[i]);
        rec.image = std::move(decoded[i]);
        rec.scores.reconstruction_error = r.data_ptr<double>()[i];
        rec.scores.kl = k.data_ptr<double>()[i];
        rec.scores.neg_elbo = rec.scores.reconstruction_error + rec.scores.kl;
        out.push_back(std::move(rec));
      }
    }
  } catch (const std::exception& e) {
    return TorchError("model '" + impl_->name + "': reconstructing", e);
  }
  return out;
}

}  // namespace latentdb::encoders
