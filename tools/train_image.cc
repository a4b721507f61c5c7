// latentdb train cnn|vae: train a built-in image encoder (LibTorch) and register it in the data
// directory. Like every command that writes into a data directory it holds the directory's lock
// (common/dir_lock.h) from the start: with a server running on it, it fails at once naming the
// directory and the holder instead of training for minutes and writing under the server.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/dir_lock.h"
#include "encoders/fashion_mnist.h"
#include "encoders/trainer.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {

constexpr const char* kTrainImageUsage =
    "usage: latentdb train cnn --data fashion-mnist | --images DIR  --name NAME [--dim 128] [--epochs 3]\n"
    "       latentdb train vae --data fashion-mnist | --images DIR  --name NAME [--latent 16] [--beta 1.0] [--epochs 5]\n"
    "                          [--class-embedding 16 (as for gan below: the decoder reads [z, e(c)], a head predicts c)]\n"
    "       latentdb train gan --data fashion-mnist | --images DIR  --name NAME [--latent 64] [--epochs 5]\n"
    "                          [--widths G,D (generator and discriminator channels, default 32,32)]\n"
    "                          [--feature-model CNN (its embedding adds a feature loss to inversion)]\n"
    "                          [--class-embedding 16 (class-conditional on the data's labels: the code is\n"
    "                           z plus a learned class embedding of this size; 0 = unconditional)]\n"
    "       common: [--batch 128] [--lr (cnn, vae 0.001; gan 0.0002)] [--seed 42] [--threads N] [--limit N training images]\n"
    "               [--conv C1,C2 (channels of the two convolutions, default 16,32)] [--max-batches N per epoch] [--size HxW (--images; default 28x28)] [--channels 1|3]\n"
    "               [--data-dir DIR]\n";

// The training and test sets: Fashion-MNIST's splits, or a class-per-folder tree split 9:1.
Result<std::pair<encoders::ImageDataset, encoders::ImageDataset>> LoadData(const Args& args, size_t limit) {
  if (args.Has("data") == args.Has("images")) return Status::InvalidArgument("give exactly one of --data fashion-mnist and --images DIR");
  if (args.Has("data")) {
    if (args.Get("data") != "fashion-mnist") return Status::InvalidArgument("--data knows 'fashion-mnist' only (or use --images DIR)");
    LDB_ASSIGN_OR_RETURN(auto train, encoders::LoadFashionMnist(true, limit));
    LDB_ASSIGN_OR_RETURN(auto test, encoders::LoadFashionMnist(false));
    return std::make_pair(std::move(train), std::move(test));
  }
  int h = 28, w = 28;
  if (args.Has("size") && std::sscanf(args.Get("size").c_str(), "%dx%d", &h, &w) != 2) {
    return Status::InvalidArgument("--size is HxW, e.g. 64x64");
  }
  if (h < 4 || w < 4 || h > 1024 || w > 1024 || h % 4 || w % 4) return Status::InvalidArgument("--size: multiples of 4 up to 1024");
  LDB_ASSIGN_OR_RETURN(long channels, args.GetInt("channels", 1, 1, 3));
  if (channels == 2) return Status::InvalidArgument("--channels is 1 or 3");
  size_t skipped = 0;
  std::string reason;
  LDB_ASSIGN_OR_RETURN(auto all, encoders::LoadImageFolder(args.Get("images"), static_cast<int>(channels), h, w, &skipped, &reason));
  if (skipped) std::fprintf(stderr, "skipped %zu unreadable images (first: %s)\n", skipped, reason.c_str());
  encoders::ImageDataset train, test;
  encoders::SplitEveryKth(all, all.size() >= 20 ? 10 : 2, &train, &test);
  return std::make_pair(train.Head(limit), std::move(test));
}

}  // namespace

int TrainImageCommand(int argc, char** argv) {
  const std::string kind = argv[2];
  auto args = Args::Parse(argc, argv, 3,
                          {"data-dir", "name", "data", "images", "dim", "latent", "beta", "epochs", "batch", "lr", "seed",
                           "threads", "limit", "max-batches", "size", "channels", "conv", "widths", "feature-model",
                           "class-embedding"},
                          {}, kTrainImageUsage);
  if (!args.ok()) return Fail(args.status(), kTrainImageUsage);
  if (!args->Has("name")) return Fail(Status::InvalidArgument("--name is required"), kTrainImageUsage);
  encoders::TrainImageOptions o;
  o.kind = kind;
  o.name = args->Get("name");
  auto dim = args->GetInt("dim", 128, 2, 4096);
  auto latent = args->GetInt("latent", kind == "gan" ? 64 : 16, 2, 1024);
  auto epochs = args->GetInt("epochs", 0, 1, 1000);
  auto batch = args->GetInt("batch", 128, 1, 8192);
  auto seed = args->GetInt("seed", 42, 0, 1L << 40);
  auto threads = args->GetInt("threads", 0, 1, 256);
  auto limit = args->GetInt("limit", 0, 1, 1L << 32);
  auto max_batches = args->GetInt("max-batches", 0, 1, 1L << 32);
  auto beta = args->GetDouble("beta", 1.0, 0.0, 1000.0);
  auto lr = args->GetDouble("lr", 0.0, 1e-7, 10.0);  // 0: the kind's default
  auto class_embedding = args->GetInt("class-embedding", kind == "cnn" ? 0 : 16, 0, 1024);
  for (const Status& s : {dim.status(), latent.status(), epochs.status(), batch.status(), seed.status(), threads.status(),
                          limit.status(), max_batches.status(), beta.status(), lr.status(), class_embedding.status()}) {
    if (!s.ok()) return Fail(s, kTrainImageUsage);
  }
  o.dim = static_cast<int>(*dim);
  o.latent = static_cast<int>(*latent);
  o.epochs = static_cast<int>(*epochs);
  o.batch_size = static_cast<int>(*batch);
  o.seed = static_cast<uint64_t>(*seed);
  o.threads = static_cast<int>(*threads);
  o.max_batches_per_epoch = static_cast<size_t>(*max_batches);
  o.beta = *beta;
  o.lr = *lr;
  o.feature_model = args->Get("feature-model");
  o.class_embedding = static_cast<int>(*class_embedding);
  if (kind == "cnn" && o.class_embedding != 0) return Fail(Status::InvalidArgument("--class-embedding is for a VAE or a GAN"), kTrainImageUsage);
  if (args->Has("conv") && (std::sscanf(args->Get("conv").c_str(), "%d,%d", &o.conv1, &o.conv2) != 2 || o.conv1 < 1 ||
                            o.conv2 < 1 || o.conv1 > 1024 || o.conv2 > 1024)) {
    return Fail(Status::InvalidArgument("--conv is C1,C2 with 1..1024 channels each, e.g. 16,32"), kTrainImageUsage);
  }
  if (args->Has("widths") && (std::sscanf(args->Get("widths").c_str(), "%d,%d", &o.generator, &o.discriminator) != 2 ||
                              o.generator < 1 || o.discriminator < 1 || o.generator > 1024 || o.discriminator > 1024)) {
    return Fail(Status::InvalidArgument("--widths is G,D with 1..1024 channels each, e.g. 32,32"), kTrainImageUsage);
  }

  const std::string data_dir = args->Get("data-dir", "./data");
  auto lock = DirLock::Acquire(data_dir);  // held until the manifest is written
  if (!lock.ok()) return Fail(lock.status());

  auto data = LoadData(*args, *limit > 0 ? static_cast<size_t>(*limit) : SIZE_MAX);
  if (!data.ok()) return Fail(data.status(), kTrainImageUsage);
  const auto& [train, test] = *data;
  std::fprintf(stderr, "training %s '%s' on %zu images (%dx%dx%d), testing on %zu\n", kind.c_str(), o.name.c_str(),
               train.size(), train.channels, train.height, train.width, test.size());

  const bool tty = isatty(STDERR_FILENO);
  auto progress = [&](const encoders::TrainImageProgress& p) {
    if (!p.epoch_done && !tty && p.batch % 100 != 0) return;  // without a terminal: a line per 100 batches
    const long long eta = static_cast<long long>(p.eta_seconds);
    std::fprintf(stderr, "%sepoch %d/%d  batch %zu/%zu  loss %.4f", tty ? "\r" : "", p.epoch, p.epochs, p.batch, p.batches, p.loss);
    if (kind == "cnn") std::fprintf(stderr, "  acc %.4f", p.accuracy);
    if (kind == "gan") std::fprintf(stderr, "  d_loss %.4f", p.discriminator_loss);
    std::fprintf(stderr, "  %.0f img/s  ETA %lldm%02llds ", p.images_per_sec, eta / 60, eta % 60);
    if (p.epoch_done) std::fprintf(stderr, " test %s", p.test_metrics.dump().c_str());
    if (!tty || p.epoch_done) std::fputc('\n', stderr);
  };
  auto m = encoders::TrainImageModel(data_dir, o, train, test, progress);
  if (!m.ok()) return Fail(m.status());
  std::printf("trained %s '%s': dim %d, %.1f s, test %s\n", kind.c_str(), o.name.c_str(), (*m)["dim"].get<int>(),
              (*m)["training"]["seconds"].get<double>(), (*m)["metrics"].dump().c_str());
  return 0;
}

}  // namespace latentdb::tools
