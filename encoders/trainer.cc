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
#include "models/model_registry.h"

namespace latentdb::encoders {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

Status CheckDatasets(const TrainImageOptions& o, const ImageDataset& train, const ImageDataset& test) {
  if (o.kind != "cnn" && o.kind != "vae") return Status::InvalidArgument("model kind must be cnn or vae, not '" + o.kind + "'");
  if (train.size() == 0 || test.size() == 0) return Status::InvalidArgument("training and test sets must not be empty");
  if (train.channels != test.channels || train.height != test.height || train.width != test.width) {
    return Status::InvalidArgument("training and test images differ in shape");
  }
  if (train.height % 4 != 0 || train.width % 4 != 0 || train.height < 4 || train.width < 4) {
    return Status::InvalidArgument("image height and width must be multiples of 4");
  }
  if (o.epochs < 0 || o.epochs > 1000 || o.batch_size < 1 || o.batch_size > 65536 || !(o.lr > 0) || o.dim < 1 ||
      o.dim > 65536 || o.latent < 1 || o.latent > 4096 || o.conv1 < 1 || o.conv1 > 1024 || o.conv2 < 1 || o.conv2 > 1024 || !(o.beta >= 0)) {
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

torch::Tensor Labels(const ImageDataset& ds) {
  std::vector<int64_t> l(ds.labels.begin(), ds.labels.end());
  return torch::tensor(l, torch::kInt64);
}

// The epoch loop shared by both kinds: shuffles, cuts batches, calls `step` (which returns the
// batch's summed loss and number of correct predictions) and reports progress.
template <typename StepFn, typename EvalFn>
json RunEpochs(const TrainImageOptions& o, int epochs, const torch::Tensor& x, const torch::Tensor& y, torch::nn::Module& net,
               StepFn step, EvalFn evaluate, const TrainImageProgressFn& progress) {
  const int64_t n = x.size(0);
  size_t batches = static_cast<size_t>((n + o.batch_size - 1) / o.batch_size);
  if (o.max_batches_per_epoch > 0) batches = std::min(batches, o.max_batches_per_epoch);
  const size_t total_batches = batches * static_cast<size_t>(epochs);
  json history = json::array();
  auto start = Clock::now();
  size_t done_batches = 0, done_images = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    net.train();
    torch::Tensor order = torch::randperm(n, torch::kInt64);
    double loss_sum = 0, correct = 0;
    size_t seen = 0;
    TrainImageProgress p;
    p.epoch = epoch;
    p.epochs = epochs;
    p.batches = batches;
    for (size_t b = 0; b < batches; ++b) {
      int64_t begin = static_cast<int64_t>(b) * o.batch_size;
      int64_t end = std::min<int64_t>(n, begin + o.batch_size);
      torch::Tensor idx = order.slice(0, begin, end);
      auto [batch_loss, batch_correct] = step(x.index_select(0, idx), y.defined() ? y.index_select(0, idx) : y);
      loss_sum += batch_loss;
      correct += batch_correct;
      seen += static_cast<size_t>(end - begin);
      ++done_batches;
      done_images += static_cast<size_t>(end - begin);
      if (progress) {
        double secs = Seconds(start);
        p.batch = b + 1;
        p.loss = loss_sum / seen;
        p.accuracy = correct / seen;
        p.images_per_sec = done_images / std::max(1e-9, secs);
        p.eta_seconds = secs / done_batches * (total_batches - done_batches);
        if (b + 1 < batches) progress(p);
      }
    }
    net.eval();
    json metrics = evaluate();
    history.push_back({{"epoch", epoch}, {"train_loss", loss_sum / std::max<size_t>(1, seen)},
                       {"train_accuracy", correct / std::max<size_t>(1, seen)}, {"test", metrics},
                       {"seconds", Seconds(start)}});
    if (progress) {
      p.batch = batches;
      p.loss = loss_sum / std::max<size_t>(1, seen);
      p.accuracy = correct / std::max<size_t>(1, seen);
      p.epoch_done = true;
      p.test_metrics = metrics;
      p.eta_seconds = Seconds(start) / done_batches * (total_batches - done_batches);
      progress(p);
    }
  }
  return history;
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

// VAE test metrics per image at z = μ (deterministic): reconstruction NLL, KL, their sum.
json EvaluateVae(VaeNet& net, const torch::Tensor& x, double beta) {
  torch::NoGradGuard no_grad;
  double recon = 0, kl = 0;
  for (int64_t b = 0; b < x.size(0); b += 1024) {
    auto xb = x.slice(0, b, std::min(x.size(0), b + 1024));
    auto out = net->forward(xb, /*sample=*/false);
    recon += ReconstructionNll(out.logits, xb).sum().item<double>();
    kl += KlDivergence(out.mean, out.logvar).sum().item<double>();
  }
  double n = static_cast<double>(x.size(0));
  return {{"neg_elbo", (recon + kl) / n}, {"reconstruction", recon / n}, {"kl", kl / n}, {"beta_loss", (recon + beta * kl) / n}};
}

// The tensors and settings one training run shares between its steps.
struct TrainingRun {
  const TrainImageOptions& o;
  int epochs;
  torch::Tensor x_train, x_test;  // normalized images, N × C × H × W
  const TrainImageProgressFn& progress;
};

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
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr));
  torch::Tensor y_train = Labels(train), y_test = Labels(test);
  auto step = [&](const torch::Tensor& xb, const torch::Tensor& yb) {
    opt.zero_grad();
    auto logits = net->forward(xb);
    auto loss = torch::nn::functional::cross_entropy(logits, yb);
    loss.backward();
    opt.step();
    return std::pair<double, double>(loss.item<double>() * xb.size(0), logits.argmax(1).eq(yb).sum().item<double>());
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

json TrainVae(const TrainingRun& run, const InputSpec& spec, const std::string& weights_path) {
  const TrainImageOptions& o = run.o;
  auto arch = ShapedArch<VaeArch>(spec, o);
  arch.latent = o.latent;
  VaeNet net(arch);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr));
  auto step = [&](const torch::Tensor& xb, const torch::Tensor&) {
    opt.zero_grad();
    auto out = net->forward(xb, /*sample=*/true);
    auto loss = (ReconstructionNll(out.logits, xb) + o.beta * KlDivergence(out.mean, out.logvar)).sum();
    (loss / xb.size(0)).backward();
    opt.step();
    return std::pair<double, double>(loss.item<double>(), 0.0);
  };
  json history = RunEpochs(o, run.epochs, run.x_train, torch::Tensor(), *net, step,
                           [&] { return EvaluateVae(net, run.x_test, o.beta); }, run.progress);
  torch::save(net, weights_path);
  const json& last = history.back()["test"];
  return {{"dim", o.latent},
          {"architecture", arch.ToJson()},
          {"metrics", {{"test_neg_elbo", last["neg_elbo"]}, {"test_reconstruction", last["reconstruction"]}, {"test_kl", last["kl"]}}},
          {"history", history}};
}

// A model NAME is taken when the registry knows it or its folder already holds a manifest.
Status CheckNameFree(const std::string& data_dir, const std::string& name) {
  if (models::ReadManifest(data_dir, name).ok() || PathExists(models::ModelDir(data_dir, name) + "/manifest.json")) {
    return Status::AlreadyExists("model '" + name + "' already exists");
  }
  return Status::Ok();
}

// The input normalization the model is trained (and later served) with.
InputSpec TrainingInput(const ImageDataset& train, bool cnn) {
  InputSpec spec;
  spec.channels = train.channels;
  spec.height = train.height;
  spec.width = train.width;
  if (cnn) {
    ChannelStats(train, &spec);
  } else {
    // The VAE models pixels in [0,1] as Bernoulli means: no normalization.
    spec.mean.assign(spec.channels, 0.0f);
    spec.std.assign(spec.channels, 1.0f);
  }
  return spec;
}

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
  const bool cnn = o.kind == "cnn";
  const std::string dir = models::ModelDir(data_dir, o.name);
  try {
    torch::manual_seed(o.seed);
    // The VAE's small transposed convolutions train slower on two OpenMP threads than on one
    // (measured on the 2-core VM: 541 s for 8 epochs on 2 threads, about 320 s of CPU on one), so
    // its default is one thread; the CNN gains from every core.
    TorchThreadsScope threads(o.threads > 0 ? o.threads : (cnn ? 0 : 1));
    const TrainingRun run{o, epochs, DatasetTensor(train, 0, train.size(), spec), DatasetTensor(test, 0, test.size(), spec),
                          progress};
    const std::string tmp = dir + "/weights.pt.tmp";
    LDB_RETURN_IF_ERROR(CreateDirectories(dir));
    json trained = cnn ? TrainCnn(run, spec, train, test, tmp) : TrainVae(run, spec, tmp);
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
  json p = {{"dim", o.dim},         {"latent", o.latent},   {"beta", o.beta}, {"epochs", epochs},
            {"conv", {o.conv1, o.conv2}}, {"batch_size", o.batch_size}, {"lr", o.lr}, {"seed", o.seed},
            {"optimizer", "adam"}};
  if (o.kind == "cnn") {
    p.erase("latent");
    p.erase("beta");
  } else {
    p.erase("dim");
  }
  return p;
}

}  // namespace

Result<json> TrainImageModel(const std::string& data_dir, const TrainImageOptions& o, const ImageDataset& train,
                             const ImageDataset& test, const TrainImageProgressFn& progress) {
  LDB_RETURN_IF_ERROR(CheckDatasets(o, train, test));
  LDB_RETURN_IF_ERROR(CheckNameFree(data_dir, o.name));
  const bool cnn = o.kind == "cnn";
  const int epochs = o.epochs > 0 ? o.epochs : (cnn ? 3 : 5);
  const InputSpec spec = TrainingInput(train, cnn);

  const auto start = Clock::now();
  // The process-wide default: training restores it when it ends, and the manifest records it for the CNN.
  ConfigureTorchThreads();
  const int default_threads = torch::get_num_threads();
  LDB_ASSIGN_OR_RETURN(json manifest, TrainAndSaveWeights(data_dir, o, epochs, spec, train, test, progress));

  manifest.update({{"name", o.name}, {"kind", o.kind}, {"model_file", "weights.pt"}, {"input", InputSpecToJson(spec)},
                   {"classes", train.class_names}, {"parameters", TrainingParameters(o, epochs)}});
  manifest["data"] = {{"train_images", train.size()}, {"test_images", test.size()}};
  manifest["training"] = {{"seconds", Seconds(start)}, {"threads", o.threads > 0 ? o.threads : (cnn ? default_threads : 1)}};
  manifest["created"] = models::NowIso8601();
  // The manifest is written last: a model whose manifest exists is complete.
  if (Status s = models::WriteManifest(data_dir, o.name, manifest); !s.ok()) {
    (void)models::RemoveModelDir(data_dir, o.name);
    return s;
  }
  return manifest;
}

}  // namespace latentdb::encoders
