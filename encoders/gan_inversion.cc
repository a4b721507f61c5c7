// GAN inversion: ImageModel::Invert (see image_model.h for the objective and its sources).
#include "encoders/gan_inversion.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <limits>

#include "encoders/tensor_convert.h"
#include "encoders/torch_runtime.h"

namespace latentdb::encoders {

namespace {

// Images inverted together: one generator pass covers kInvertBatch × starts codes.
constexpr size_t kInvertBatch = 64;
constexpr double kPriorWeight = 1e-3;

// The feature model's normalized input.
torch::Tensor Normalized(const InputSpec& s, const torch::Tensor& unit) {
  return (unit - torch::tensor(s.mean).view({1, -1, 1, 1})) / torch::tensor(s.std).view({1, -1, 1, 1});
}

// φ(x): the feature model's L2-normalized embedding of images in [0,1].
torch::Tensor Features(CnnNet& cnn, const InputSpec& s, const torch::Tensor& unit) {
  return torch::nn::functional::normalize(cnn->Embed(Normalized(s, unit)),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

// A conditional GAN's starting classes: N × starts class indices, each image's `starts` most likely
// classes by `ranker` (a CNN classifying the GAN's classes, its input spec beside it; the classes
// repeat when there are more starts than classes), or without one 0, 1, … in turn.
torch::Tensor StartClasses(const ClassConditioning& cond, CnnNet* ranker, const InputSpec& ranker_input,
                           const torch::Tensor& unit, int64_t starts) {
  const int64_t n = unit.size(0), classes = static_cast<int64_t>(cond.class_names.size());
  if (ranker) {
    auto logits = (*ranker)->forward(Normalized(ranker_input, unit));
    auto order = logits.argsort(1, /*descending=*/true);
    return order.slice(1, 0, std::min(starts, classes)).repeat({1, (starts + classes - 1) / classes}).slice(1, 0, starts);
  }
  return (torch::arange(starts, torch::kInt64) % classes).repeat({n, 1});
}

Status CheckOptions(const InversionOptions& o) {
  if (o.starts < 1 || o.starts > 64 || o.steps < 1 || o.steps > 5000 || !(o.lr > 0 && o.lr <= 10)) {
    return Status::InvalidArgument("inversion needs 1..64 starts, 1..5000 steps and a step size in (0, 10]");
  }
  return Status::Ok();
}

}  // namespace

torch::Tensor GanPixels(const torch::Tensor& generated) { return ((generated + 1) * 0.5).clamp(0, 1); }

Status OpenFeatureModel(const std::string& data_dir, const nlohmann::json& manifest, ImageModel::Impl* impl) {
  auto inversion = manifest.find("inversion");
  if (inversion == manifest.end() || !inversion->is_object() || !inversion->contains("feature_model")) return Status::Ok();
  const std::string name = inversion->value("feature_model", std::string());
  auto model = ImageModel::Open(data_dir, name);
  if (!model.ok()) {
    return Status::Corruption("GAN '" + impl->name + "': its inversion feature model '" + name +
                              "' does not load: " + model.status().message());
  }
  const InputSpec& in = (*model)->input();
  if ((*model)->kind() != "cnn" || in.channels != impl->input.channels || in.height != impl->input.height ||
      in.width != impl->input.width) {
    return Status::Corruption("GAN '" + impl->name + "': its inversion feature model '" + name +
                              "' is not a CNN of the GAN's input shape");
  }
  impl->feature_model = std::move(model).value();
  impl->feature_weight = inversion->value("feature_weight", 0.1);
  return Status::Ok();
}

Result<std::vector<Inversion>> ImageModel::Invert(const std::vector<images::Image>& images, const InversionOptions& o,
                                                  bool with_images) const {
  if (!impl_->gan) return Status::InvalidArgument("model '" + impl_->name + "' is a " + impl_->kind + ": only a GAN inverts images");
  LDB_RETURN_IF_ERROR(CheckOptions(o));
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& img = images[i];
    if (img.width <= 0 || img.height <= 0 || (img.channels != 1 && img.channels != 3) || img.pixels.size() != img.size()) {
      return Status::InvalidArgument("image " + std::to_string(i) + " is empty or malformed");
    }
  }
  const ImageModel::Impl* features = impl_->feature_model ? impl_->feature_model->impl_.get() : nullptr;
  const double feature_weight = impl_->feature_weight;
  Generator& generator = impl_->gan->generator;
  const int64_t starts = o.starts, dim = static_cast<int64_t>(impl_->dim);
  const ClassConditioning* cond = impl_->conditioning ? &*impl_->conditioning : nullptr;
  // The prior term covers the noise part of a code (a conditional GAN's class part has no prior).
  const int64_t noise_dim = cond ? static_cast<int64_t>(cond->noise_dim) : dim;
  torch::Tensor class_table;
  if (cond) class_table = impl_->gan->generator->embed->weight.detach();
  // The feature model ranks the starting classes when it classifies the GAN's classes.
  const bool ranked = cond && features &&
                      features->manifest.value("classes", nlohmann::json()) == nlohmann::json(cond->class_names);
  std::vector<Inversion> out;
  out.reserve(images.size());
  try {
    for (size_t begin = 0; begin < images.size(); begin += kInvertBatch) {
      const size_t end = std::min(images.size(), begin + kInvertBatch);
      const int64_t n = static_cast<int64_t>(end - begin);
      torch::Tensor target, target_features, start_classes;
      {
        torch::NoGradGuard no_grad;
        torch::Tensor unit = ToUnitRange(FittedBatch(images, begin, end, impl_->input), impl_->input);
        if (cond) {
          start_classes = StartClasses(*cond, ranked ? &features->cnn : nullptr, ranked ? features->input : impl_->input,
                                       unit, starts).reshape({-1});
        }
        target = unit.repeat_interleave(starts, 0);
        if (features) target_features = Features(features->cnn, features->input, target);
      }
      auto rng = at::detail::createCPUGenerator(o.seed + begin);
      torch::Tensor z = torch::randn({n * starts, noise_dim}, rng, torch::kFloat32);
      if (cond) z = torch::cat({z, class_table.index_select(0, start_classes)}, 1);
      z.requires_grad_(true);
      torch::optim::Adam opt({z}, torch::optim::AdamOptions(o.lr));
      auto loss_of = [&](torch::Tensor* pixel, torch::Tensor* feature) {
        torch::Tensor g = GanPixels(generator->forward(z));
        *pixel = (g - target).pow(2).flatten(1).mean(1);
        torch::Tensor loss = *pixel + kPriorWeight * z.slice(1, 0, noise_dim).pow(2).mean(1);
        if (features) {
          *feature = (Features(features->cnn, features->input, g) - target_features).pow(2).sum(1);
          loss = loss + feature_weight * *feature;
        }
        return std::make_pair(loss, g);
      };
      for (int step = 0; step < o.steps; ++step) {
        opt.zero_grad();
        torch::Tensor pixel, feature;
        loss_of(&pixel, &feature).first.sum().backward();
        opt.step();
      }
      torch::NoGradGuard no_grad;
      torch::Tensor pixel, feature;
      auto [loss, generated] = loss_of(&pixel, &feature);
      // The best start of each image.
      torch::Tensor best = loss.view({n, starts}).argmin(1) + torch::arange(n) * starts;
      torch::Tensor best_z = z.detach().index_select(0, best);
      auto latents = TensorRows(best_z);
      auto pixel_best = pixel.index_select(0, best).to(torch::kFloat64).contiguous();
      torch::Tensor feature_best = features ? feature.index_select(0, best).sqrt().to(torch::kFloat64).contiguous() : torch::Tensor();
      std::vector<images::Image> decoded =
          with_images ? TensorToImages(generated.index_select(0, best)) : std::vector<images::Image>(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        Inversion inv;
        inv.latent = std::move(latents[static_cast<size_t>(i)]);
        inv.image = std::move(decoded[static_cast<size_t>(i)]);
        inv.pixel_error = pixel_best.data_ptr<double>()[i];
        inv.feature_distance = features ? feature_best.data_ptr<double>()[i] : 0.0;
        out.push_back(std::move(inv));
      }
    }
  } catch (const std::exception& e) {
    return Status::Internal("model '" + impl_->name + "': inverting: " + TorchMessage(e));
  }
  return out;
}

}  // namespace latentdb::encoders
