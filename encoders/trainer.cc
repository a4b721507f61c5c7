#include "encoders/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

#include "common/file_util.h"
#include "encoders/model_impl.h"
#include "encoders/nets.h"
#include "encoders/tensor_convert.h"
#include "encoders/torch_runtime.h"
#include "encoders/training_loop.h"
#include "models/model_registry.h"

namespace latentdb::encoders {

namespace {

using nlohmann::json;

Status CheckDatasets(const TrainImageOptions& o, const ImageDataset& train, const ImageDataset& test) {
  if (o.kind != "cnn" && o.kind != "vae" && o.kind != "gan") {
    return Status::InvalidArgument("model kind must be cnn, vae or gan, not '" + o.kind + "'");
  }
  if (train.size() == 0 || test.size() == 0) return Status::InvalidArgument("training and test sets must not be empty");
  if (train.channels != test.channels || train.height != test.height || train.width != test.width) {
    return Status::InvalidArgument("training and test images differ in shape");
  }
  if (train.height % 4 != 0 || train.width % 4 != 0 || train.height < 4 || train.width < 4) {
    return Status::InvalidArgument("image height and width must be multiples of 4");
  }
  if (o.epochs < 0 || o.epochs > 1000 || o.batch_size < 1 || o.batch_size > 65536 || !(o.lr >= 0) || o.dim < 1 ||
      o.dim > 65536 || o.latent < 1 || o.latent > 4096 || o.conv1 < 1 || o.conv1 > 1024 || o.conv2 < 1 || o.conv2 > 1024 || !(o.beta >= 0) ||
      o.generator < 1 || o.generator > 1024 || o.discriminator < 1 || o.discriminator > 1024 || o.class_embedding < 0 ||
      o.class_embedding > 1024) {
    return Status::InvalidArgument("training options out of range");
  }
  return Status::Ok();
}

// Per-channel mean and standard deviation of the training pixels in [0,1].
void ChannelStats(const ImageDataset& ds, InputSpec* spec) {
  const int c = ds.channels;
  std::vector<double> sum(c, 0), sq(c, 0);
  for (size_t i = 0; i < ds.pixels.size(); ++i) {
    double v = ds.pixels[i] / 255.0;
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const double n = static_cast<double>(ds.pixels.size() / c);
  spec->mean.assign(c, 0);
  spec->std.assign(c, 1);
  for (int k = 0; k < c; ++k) {
    double m = sum[k] / n;
    spec->mean[k] = static_cast<float>(m);
    spec->std[k] = static_cast<float>(std::max(1e-3, std::sqrt(std::max(0.0, sq[k] / n - m * m))));
  }
}

// The input shape and convolution widths both architectures share.
template <typename Arch>
Arch ShapedArch(const InputSpec& spec, const TrainImageOptions& o) {
  Arch arch;
  arch.channels = spec.channels;
  arch.height = spec.height;
  arch.width = spec.width;
  arch.conv1 = o.conv1;
  arch.conv2 = o.conv2;
  return arch;
}

// CNN test accuracy and mean cross-entropy.
json EvaluateCnn(CnnNet& net, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  double correct = 0, loss = 0;
  for (int64_t b = 0; b < x.size(0); b += 1024) {
    auto xb = x.slice(0, b, std::min(x.size(0), b + 1024));
    auto yb = y.slice(0, b, std::min(x.size(0), b + 1024));
    auto logits = net->forward(xb);
    loss += torch::nn::functional::cross_entropy(logits, yb, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
    correct += logits.argmax(1).eq(yb).sum().item<double>();
  }
  return {{"accuracy", correct / x.size(0)}, {"loss", loss / x.size(0)}};
}

// VAE test metrics per image at z = μ (deterministic): reconstruction NLL, KL, their sum; for a
// conditional VAE decoded with the class head's prediction (as served), plus the head's accuracy.
json EvaluateVae(VaeNet& net, const torch::Tensor& x, const torch::Tensor& y, double beta) {
  torch::NoGradGuard no_grad;
  double recon = 0, kl = 0, correct = 0;
  for (int64_t b = 0; b < x.size(0); b += 1024) {
    auto xb = x.slice(0, b, std::min(x.size(0), b + 1024));
    auto out = net->forward(xb, /*sample=*/false);
    recon += ReconstructionNll(out.logits, xb).sum().item<double>();
    kl += KlDivergence(out.mean, out.logvar).sum().item<double>();
    if (out.class_logits.defined()) {
      correct += out.class_logits.argmax(1).eq(y.slice(0, b, std::min(x.size(0), b + 1024))).sum().item<double>();
    }
  }
  double n = static_cast<double>(x.size(0));
  json m = {{"neg_elbo", (recon + kl) / n}, {"reconstruction", recon / n}, {"kl", kl / n}, {"beta_loss", (recon + beta * kl) / n}};
  if (net->arch.conditional()) m["class_accuracy"] = correct / n;
  return m;
}

// What a trained network adds to the manifest: "dim", "architecture", "metrics", "history".
// Both kinds save the weights to `weights_path` and throw (LibTorch) on failure.
json TrainCnn(const TrainingRun& run, const InputSpec& spec, const ImageDataset& train, const ImageDataset& test,
              const std::string& weights_path) {
  const TrainImageOptions& o = run.o;
  auto arch = ShapedArch<CnnArch>(spec, o);
  arch.dim = o.dim;
  arch.classes = std::max<int>(static_cast<int>(train.class_names.size()),
                               1 + *std::max_element(train.labels.begin(), train.labels.end()));
  CnnNet net(arch);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr > 0 ? o.lr : 1e-3));
  torch::Tensor y_train = Labels(train), y_test = Labels(test);
  auto step = [&](const torch::Tensor& xb, const torch::Tensor& yb) {
    opt.zero_grad();
    auto logits = net->forward(xb);
    auto loss = torch::nn::functional::cross_entropy(logits, yb);
    loss.backward();
    opt.step();
    return StepResult{loss.item<double>() * xb.size(0), logits.argmax(1).eq(yb).sum().item<double>(), 0.0};
  };
  json history = RunEpochs(o, run.epochs, run.x_train, y_train, *net, step,
                           [&] { return EvaluateCnn(net, run.x_test, y_test); }, run.progress);
  torch::save(net, weights_path);
  const json& last = history.back()["test"];
  return {{"dim", o.dim},
          {"architecture", arch.ToJson()},
          {"metrics", {{"test_accuracy", last["accuracy"]}, {"test_loss", last["loss"]}}},
          {"history", history}};
}

// A conditional VAE's class head: its cross-entropy's weight beside the per-image reconstruction
// NLL (about 240 nats on Fashion-MNIST), enough for the encoder's hidden layer to carry the class.
constexpr double kVaeClassWeight = 10.0;

json TrainVae(const TrainingRun& run, const InputSpec& spec, const ImageDataset& train, const ImageDataset& test,
              const std::string& weights_path) {
  const TrainImageOptions& o = run.o;
  auto arch = ShapedArch<VaeArch>(spec, o);
  arch.latent = o.latent;
  arch.classes = ConditioningClasses(o, train, test);
  arch.class_embedding = arch.classes > 0 ? o.class_embedding : 0;
  VaeNet net(arch);
  if (arch.conditional()) InitClassEmbedding(net->embed);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr > 0 ? o.lr : 1e-3));
  torch::Tensor y_train = arch.conditional() ? Labels(train) : torch::Tensor();
  torch::Tensor y_test = arch.conditional() ? Labels(test) : torch::Tensor();
  auto step = [&](const torch::Tensor& xb, const torch::Tensor& yb) {
    opt.zero_grad();
    // A conditional VAE decodes with the true class while training (the head learns it beside).
    auto out = net->forward(xb, /*sample=*/true, yb);
    auto loss = (ReconstructionNll(out.logits, xb) + o.beta * KlDivergence(out.mean, out.logvar)).sum();
    auto total = loss;
    if (arch.conditional()) {
      total = total + kVaeClassWeight * torch::nn::functional::cross_entropy(
                                            out.class_logits, yb, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    }
    (total / xb.size(0)).backward();
    opt.step();
    const double correct = arch.conditional() ? out.class_logits.argmax(1).eq(yb).sum().item<double>() : 0.0;
    return StepResult{loss.item<double>(), correct, 0.0};
  };
  json history = RunEpochs(o, run.epochs, run.x_train, y_train, *net, step,
                           [&] { return EvaluateVae(net, run.x_test, y_test, o.beta); }, run.progress);
  torch::save(net, weights_path);
  const json& last = history.back()["test"];
  json metrics = {{"test_neg_elbo", last["neg_elbo"]}, {"test_reconstruction", last["reconstruction"]}, {"test_kl", last["kl"]}};
  if (arch.conditional()) metrics["test_class_accuracy"] = last["class_accuracy"];
  return {{"dim", arch.code_dim()}, {"architecture", arch.ToJson()}, {"metrics", metrics}, {"history", history}};
}

// A model NAME is taken when the registry knows it or its folder already holds a manifest.
Status CheckNameFree(const std::string& data_dir, const std::string& name) {
  if (models::ReadManifest(data_dir, name).ok() || PathExists(models::ModelDir(data_dir, name) + "/manifest.json")) {
    return Status::AlreadyExists("model '" + name + "' already exists");
  }
  return Status::Ok();
}

// A GAN's inversion feature model must be a CNN of the data directory with the training images'
// shape (checked again when the GAN is opened).
Status CheckFeatureModel(const std::string& data_dir, const TrainImageOptions& o, const ImageDataset& train) {
  if (o.feature_model.empty()) return Status::Ok();
  if (o.kind != "gan") return Status::InvalidArgument("a feature model is for a GAN's inversion only");
  if (!(o.feature_weight >= 0 && o.feature_weight <= 1000)) return Status::InvalidArgument("feature weight out of range");
  LDB_ASSIGN_OR_RETURN(auto cnn, ImageModel::Open(data_dir, o.feature_model));
  const InputSpec& in = cnn->input();
  if (cnn->kind() != "cnn" || in.channels != train.channels || in.height != train.height || in.width != train.width) {
    return Status::InvalidArgument("feature model '" + o.feature_model + "' is not a CNN of the training images' shape");
  }
  return Status::Ok();
}

// The input normalization the model is trained (and later served) with.
InputSpec TrainingInput(const ImageDataset& train, const std::string& kind) {
  InputSpec spec;
  spec.channels = train.channels;
  spec.height = train.height;
  spec.width = train.width;
  if (kind == "cnn") {
    ChannelStats(train, &spec);
  } else if (kind == "gan") {
    // The generator's tanh covers [−1, 1]: (x − 0.5) / 0.5 maps [0,1] pixels onto it.
    spec.mean.assign(spec.channels, 0.5f);
    spec.std.assign(spec.channels, 0.5f);
  } else {
    // The VAE models pixels in [0,1] as Bernoulli means: no normalization.
    spec.mean.assign(spec.channels, 0.0f);
    spec.std.assign(spec.channels, 1.0f);
  }
  return spec;
}

// LibTorch intra-op threads while training: the small transposed convolutions of the VAE and the
// GAN train slower on two OpenMP threads than on one (measured on the 2-core VM: VAE 541 s for 8
// epochs on 2 threads, about 320 s of CPU on one; GAN 31 s on 2 threads, 22 s on 1 for 12,800
// images), so their default is one thread; the CNN gains from every core (0).
int TrainingThreads(const TrainImageOptions& o) { return o.threads > 0 ? o.threads : (o.kind == "cnn" ? 0 : 1); }

// LibTorch's thread count is process-wide: training sets its own and this puts the one inference
// in this process uses back, however training ends.
class TorchThreadsScope {
 public:
  explicit TorchThreadsScope(int threads) : before_(torch::get_num_threads()) { ConfigureTorchThreads(threads); }
  ~TorchThreadsScope() { torch::set_num_threads(before_); }
  TorchThreadsScope(const TorchThreadsScope&) = delete;
  TorchThreadsScope& operator=(const TorchThreadsScope&) = delete;

 private:
  int before_;
};

// Trains the network and moves its weights into DATA_DIR/models/NAME/weights.pt (written to a
// temporary name first, so weights.pt is always complete). Returns the manifest fields of
// TrainCnn / TrainVae; on failure, removes the model's folder.
Result<json> TrainAndSaveWeights(const std::string& data_dir, const TrainImageOptions& o, int epochs, const InputSpec& spec,
                                 const ImageDataset& train, const ImageDataset& test, const TrainImageProgressFn& progress) {
  const std::string dir = models::ModelDir(data_dir, o.name);
  try {
    torch::manual_seed(o.seed);
    TorchThreadsScope threads(TrainingThreads(o));
    const TrainingRun run{o, epochs, DatasetTensor(train, 0, train.size(), spec), DatasetTensor(test, 0, test.size(), spec),
                          progress};
    const std::string tmp = dir + "/weights.pt.tmp";
    LDB_RETURN_IF_ERROR(CreateDirectories(dir));
    json trained = o.kind == "cnn" ? TrainCnn(run, spec, train, test, tmp)
                   : o.kind == "vae" ? TrainVae(run, spec, train, test, tmp)
                                     : TrainGan(run, train, test, tmp);
    if (std::rename(tmp.c_str(), (dir + "/weights.pt").c_str()) != 0) {
      (void)models::RemoveModelDir(data_dir, o.name);
      return Status::IOError("renaming " + tmp);
    }
    return trained;
  } catch (const std::exception& e) {
    (void)models::RemoveModelDir(data_dir, o.name);
    return Status::Internal("training " + o.kind + " '" + o.name + "': " + TorchMessage(e));
  }
}

// The training parameters of the manifest, those of the model's kind only.
json TrainingParameters(const TrainImageOptions& o, int epochs) {
  json p = {{"epochs", epochs}, {"batch_size", o.batch_size}, {"seed", o.seed}, {"optimizer", "adam"}};
  if (o.kind == "cnn") {
    p.update({{"dim", o.dim}, {"conv", {o.conv1, o.conv2}}, {"lr", o.lr > 0 ? o.lr : 1e-3}});
  } else if (o.kind == "vae") {
    p.update({{"latent", o.latent}, {"class_embedding", o.class_embedding}, {"beta", o.beta}, {"conv", {o.conv1, o.conv2}},
              {"lr", o.lr > 0 ? o.lr : 1e-3}});
  } else {
    p.update({{"latent", o.latent}, {"class_embedding", o.class_embedding}, {"generator", o.generator},
              {"discriminator", o.discriminator}, {"lr", o.lr > 0 ? o.lr : 2e-4}, {"betas", {0.5, 0.999}},
              {"loss", "non-saturating, real labels 0.9"}});
  }
  return p;
}

}  // namespace

Result<json> TrainImageModel(const std::string& data_dir, const TrainImageOptions& o, const ImageDataset& train,
                             const ImageDataset& test, const TrainImageProgressFn& progress) {
  LDB_RETURN_IF_ERROR(CheckDatasets(o, train, test));
  LDB_RETURN_IF_ERROR(CheckNameFree(data_dir, o.name));
  LDB_RETURN_IF_ERROR(CheckFeatureModel(data_dir, o, train));
  const int epochs = o.epochs > 0 ? o.epochs : (o.kind == "cnn" ? 3 : 5);
  const InputSpec spec = TrainingInput(train, o.kind);

  const auto start = Clock::now();
  // The process-wide default: training restores it when it ends, and the manifest records it for the CNN.
  ConfigureTorchThreads();
  const int default_threads = torch::get_num_threads();
  LDB_ASSIGN_OR_RETURN(json manifest, TrainAndSaveWeights(data_dir, o, epochs, spec, train, test, progress));

  manifest.update({{"name", o.name}, {"kind", o.kind}, {"model_file", "weights.pt"}, {"input", InputSpecToJson(spec)},
                   {"classes", train.class_names}, {"parameters", TrainingParameters(o, epochs)}});
  manifest["data"] = {{"train_images", train.size()}, {"test_images", test.size()}};
  if (!o.feature_model.empty()) manifest["inversion"] = {{"feature_model", o.feature_model}, {"feature_weight", o.feature_weight}};
  manifest["training"] = {{"seconds", Seconds(start)}, {"threads", TrainingThreads(o) > 0 ? TrainingThreads(o) : default_threads}};
  manifest["created"] = models::NowIso8601();
  // The manifest is written last: a model whose manifest exists is complete.
  if (Status s = models::WriteManifest(data_dir, o.name, manifest); !s.ok()) {
    (void)models::RemoveModelDir(data_dir, o.name);
    return s;
  }
  return manifest;
}

}  // namespace latentdb::encoders
