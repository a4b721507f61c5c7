// image_bench: the image encoders on Fashion-MNIST, in one run (issue 4's benchmark).
//
//   - training time of the default CNN and VAE (the options `latentdb train cnn|vae` uses), with
//     the CNN's test accuracy and the VAE's test negative ELBO;
//   - encoding throughput, images/s, of each model over the 70,000 images (ImageModel::Encode in
//     batches of 1,000, on the machine's cores);
//   - k-NN (k = 10, majority vote) classification accuracy of the test split searching the
//     training split stored in LatentDB (Flat collections): raw pixels (L2, the baseline), CNN
//     embeddings (cosine) and VAE means (L2);
//   - HTTP ingestion of PNG images into a collection bound to the CNN (the server decodes and
//     encodes; two keep-alive connections), images/s, as a fraction of the pure encoding rate
//     measured just before on the same images.
// It prints a table, PASS/FAIL against the targets, and one JSON line with every number.
//
// Usage: image_bench [--quick] [--models-dir DIR [--cnn NAME] [--vae NAME]] [--http-images N] [--batch N] [--skip-http]
//   --quick        10k training / 2k test images, 1 epoch each (a smoke run; targets not judged)
//   --models-dir   a data directory that already has the models (default names 'cnn' and 'vae';
//                  e.g. --models-dir ./data --cnn fashion-cnn --vae fashion-vae after `make run`)
// Build: cmake --build build --target image_bench; run: build/bench/image_bench

#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>
#include <string>
#include <vector>

#include "common/base64.h"
#include "bench/bench_util.h"
#include "engine/collection.h"
#include "engine/database.h"
#include "encoders/fashion_mnist.h"
#include "encoders/image_model.h"
#include "encoders/trainer.h"
#include "images/image.h"
#include "http/api.h"
#include "client/http_client.h"
#include "http/server.h"

namespace latentdb::bench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct Options {
  bool quick = false;
  bool skip_http = false;
  std::string models_dir;
  std::string cnn = "cnn", vae = "vae";  // model names in --models-dir
  size_t http_images = 20000;
  size_t batch = 1000;
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick") o.quick = true;
    else if (a == "--skip-http") o.skip_http = true;
    else if (a == "--models-dir") o.models_dir = next();
    else if (a == "--cnn") o.cnn = next();
    else if (a == "--vae") o.vae = next();
    else if (a == "--http-images") o.http_images = std::strtoul(next().c_str(), nullptr, 10);
    else if (a == "--batch") o.batch = std::max<size_t>(1, std::strtoul(next().c_str(), nullptr, 10));
    else Die("unknown option " + a + " (see the comment at the top of bench/image_bench.cc)");
  }
  return o;
}

// Encodes all images in calls of `batch`; returns the vectors and sets *rate (images/s).
std::vector<std::vector<float>> EncodeAll(const encoders::ImageModel& m, const std::vector<images::Image>& imgs, size_t batch,
                                          double* rate) {
  std::vector<std::vector<float>> out;
  out.reserve(imgs.size());
  auto start = Clock::now();
  for (size_t b = 0; b < imgs.size(); b += batch) {
    std::vector<images::Image> chunk(imgs.begin() + b, imgs.begin() + std::min(imgs.size(), b + batch));
    for (auto& v : Check(m.Encode(chunk), "encoding with " + m.name())) out.push_back(std::move(v));
  }
  *rate = imgs.size() / Seconds(start);
  return out;
}

// k-NN accuracy: stores `train` in a Flat collection, searches each test vector, votes.
double KnnAccuracy(engine::Database& db, const std::string& name, index::Metric metric,
                   const std::vector<std::vector<float>>& train, const std::vector<int>& train_labels,
                   const std::vector<std::vector<float>>& test, const std::vector<int>& test_labels, size_t k) {
  engine::CollectionConfig cfg;
  cfg.dim = train[0].size();
  cfg.metric = metric;
  cfg.index = "Flat";
  auto c = Check(db.CreateCollection(name, cfg), "creating " + name);
  for (size_t b = 0; b < train.size(); b += 1000) {
    std::vector<engine::PointInput> pts;
    for (size_t i = b; i < std::min(train.size(), b + 1000); ++i) {
      pts.push_back({engine::ExternalId(uint64_t{i}), train[i], json{{"label", train_labels[i]}}});
    }
    Check(c->Upsert(std::move(pts)), "upserting into " + name);
  }
  size_t correct = 0;
  engine::SearchQuery q;
  q.k = k;
  q.with_payload = false;
  for (size_t i = 0; i < test.size(); ++i) {
    q.vector = test[i];
    auto hits = Check(c->Search(q), "searching " + name);
    std::map<int, std::pair<int, size_t>> votes;  // label -> (count, best rank)
    for (size_t r = 0; r < hits.size(); ++r) {
      int label = train_labels[hits[r].id.ToJson().get<uint64_t>()];
      auto& v = votes.try_emplace(label, 0, r).first->second;
      ++v.first;
    }
    int best = -1;
    std::pair<int, size_t> best_v{0, 0};
    for (const auto& [label, v] : votes) {  // most votes; ties go to the label seen first
      if (v.first > best_v.first || (v.first == best_v.first && v.second < best_v.second)) best = label, best_v = v;
    }
    correct += best == test_labels[i];
  }
  return static_cast<double>(correct) / test.size();
}

// HTTP ingestion with encoding: PNG images, base64 in JSON batches, into a collection bound to
// `model`. Bodies are built before the clock starts (the client's work is not the server's).
double HttpIngestRate(engine::Database* db, const std::string& model, size_t dim, const std::vector<images::Image>& imgs,
                      size_t n, size_t batch, size_t* stored) {
  http::Api api(db);
  http::ServerOptions so;
  so.host = "127.0.0.1";
  so.port = 0;
  http::Server server(so, &api);
  Check(server.Start(), "starting the HTTP server");
  client::HttpClient client("127.0.0.1", server.port());
  json create = {{"dim", dim}, {"metric", "cosine"}, {"index", "Flat"}, {"encoder", model}};
  auto r = Check(client.Request("PUT", "/collections/http_images", create.dump()), "creating the HTTP collection");
  if (r.status != 200) Die("creating a collection with encoder " + model + ": HTTP " + std::to_string(r.status) + " " + r.body);
  n = std::min(n, imgs.size());
  std::vector<std::string> bodies;
  for (size_t b = 0; b < n; b += batch) {
    json points = json::array();
    for (size_t i = b; i < std::min(n, b + batch); ++i) {
      points.push_back({{"id", i}, {"image", Base64Encode(images::EncodePng(imgs[i]))}});
    }
    bodies.push_back(json{{"points", points}}.dump());
  }
  // Two keep-alive connections, as `latentdb ingest --url` runs its writers: while the server
  // encodes one batch it decodes the PNGs of the other.
  auto start = Clock::now();
  std::vector<std::thread> senders;
  for (size_t t = 0; t < 2; ++t) {
    senders.emplace_back([&, t] {
      client::HttpClient conn("127.0.0.1", server.port());
      for (size_t b = t; b < bodies.size(); b += 2) {
        auto resp = Check(conn.Request("PUT", "/collections/http_images/points", bodies[b]), "upserting images over HTTP");
        if (resp.status != 200) Die("HTTP upsert of images: " + std::to_string(resp.status) + " " + resp.body.substr(0, 300));
      }
    });
  }
  for (auto& th : senders) th.join();
  double rate = n / Seconds(start);
  auto info = Check(client.Request("GET", "/collections/http_images"), "reading the collection");
  json j = json::parse(info.body, nullptr, false);
  *stored = j.is_object() ? j["result"].value("points_count", size_t{0}) : 0;
  server.Stop();
  return rate;
}

long PeakRssMiB() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

}  // namespace

int Main(int argc, char** argv) {
  Dying().program = "image_bench";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines show up when redirected to a file
  Options o = ParseOptions(argc, argv);
  const size_t n_train = o.quick ? 10000 : 60000, n_test = o.quick ? 2000 : 10000;
  auto train = Check(encoders::LoadFashionMnist(true, n_train), "loading Fashion-MNIST (apt-get install dataset-fashion-mnist)");
  auto test = Check(encoders::LoadFashionMnist(false, n_test), "loading Fashion-MNIST test split");
  std::printf("image_bench: Fashion-MNIST %zu train / %zu test, %u hardware threads\n", train.size(), test.size(),
              std::thread::hardware_concurrency());

  char tmpl[] = "/tmp/image-bench-XXXXXX";
  if (!mkdtemp(tmpl)) Die("mkdtemp failed");
  Dying().temp_dir = tmpl;
  std::string models_dir = o.models_dir.empty() ? Dying().temp_dir + "/data" : o.models_dir;
  json out;

  // --- training ---
  for (const char* kind : {"cnn", "vae"}) {
    if (!o.models_dir.empty()) break;
    encoders::TrainImageOptions t;
    t.kind = kind;
    t.name = std::string(kind) == "cnn" ? o.cnn : o.vae;
    if (o.quick) t.epochs = 1;
    std::printf("[train] %s ...\n", kind);
    std::fflush(stdout);
    auto m = Check(encoders::TrainImageModel(models_dir, t, train, test), std::string("training the ") + kind);
    out["training"][kind] = {{"seconds", m["training"]["seconds"]}, {"metrics", m["metrics"]},
                             {"epochs", m["parameters"]["epochs"]}};
    std::printf("[train] %s: %.1f s, %s\n", kind, m["training"]["seconds"].get<double>(), m["metrics"].dump().c_str());
  }
  auto cnn = Check(encoders::ImageModel::Open(models_dir, o.cnn), "opening the CNN");
  auto vae = Check(encoders::ImageModel::Open(models_dir, o.vae), "opening the VAE");
  if (!o.models_dir.empty()) {
    out["training"] = {{"cnn", {{"metrics", cnn->manifest()["metrics"]}, {"seconds", cnn->manifest()["training"]["seconds"]}}},
                       {"vae", {{"metrics", vae->manifest()["metrics"]}, {"seconds", vae->manifest()["training"]["seconds"]}}}};
  }

  // --- encoding throughput over all images ---
  auto train_imgs = train.Images(), test_imgs = test.Images();
  std::vector<images::Image> all = train_imgs;
  all.insert(all.end(), test_imgs.begin(), test_imgs.end());
  double cnn_rate = 0, vae_rate = 0;
  auto cnn_all = EncodeAll(*cnn, all, o.batch, &cnn_rate);
  auto vae_all = EncodeAll(*vae, all, o.batch, &vae_rate);
  std::printf("[encode] %zu images: CNN %.0f images/s, VAE %.0f images/s\n", all.size(), cnn_rate, vae_rate);
  out["encode_images_per_sec"] = {{"cnn", cnn_rate}, {"vae", vae_rate}, {"images", all.size()}};

  // --- k-NN accuracy ---
  auto split = [&](const std::vector<std::vector<float>>& v, std::vector<std::vector<float>>* a, std::vector<std::vector<float>>* b) {
    a->assign(v.begin(), v.begin() + train.size());
    b->assign(v.begin() + train.size(), v.end());
  };
  std::vector<std::vector<float>> raw(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    raw[i].resize(all[i].pixels.size());
    for (size_t p = 0; p < raw[i].size(); ++p) raw[i][p] = all[i].pixels[p] / 255.0f;
  }
  auto db = Check(engine::Database::Open({Dying().temp_dir + "/knn", false, 0}), "opening the database");
  struct Variant {
    const char* name;
    index::Metric metric;
    const std::vector<std::vector<float>>* vectors;
  };
  json knn;
  for (const Variant& v : {Variant{"raw", index::Metric::kL2, &raw}, Variant{"cnn", index::Metric::kCosine, &cnn_all},
                           Variant{"vae", index::Metric::kL2, &vae_all}}) {
    std::vector<std::vector<float>> tr, te;
    split(*v.vectors, &tr, &te);
    auto start = Clock::now();
    double acc = KnnAccuracy(*db, std::string("knn_") + v.name, v.metric, tr, train.labels, te, test.labels, 10);
    std::printf("[knn] %-4s accuracy %.4f  (%.1f s)\n", v.name, acc, Seconds(start));
    std::fflush(stdout);
    knn[v.name] = acc;
  }
  out["knn10_accuracy"] = knn;

  // --- HTTP ingestion with encoding ---
  if (!o.skip_http) {
    // The server's models come from its data directory: copy the CNN's model files there.
    std::error_code ec;
    fs::create_directories(Dying().temp_dir + "/knn/models", ec);
    fs::copy(models_dir + "/models/" + o.cnn, Dying().temp_dir + "/knn/models/" + o.cnn, fs::copy_options::recursive, ec);
    if (ec) Die("copying the CNN into the server's data directory: " + ec.message());
    size_t n = std::min(o.http_images, all.size());
    double pure = 0;
    std::vector<images::Image> subset(all.begin(), all.begin() + n);
    (void)EncodeAll(*cnn, subset, 500, &pure);  // the same images, same batch size, just before
    size_t stored = 0;
    double rate = HttpIngestRate(db.get(), o.cnn, cnn->dim(), all, n, 500, &stored);
    std::printf("[http] %zu PNG images in batches of 500 over 2 connections into a CNN collection: %.0f images/s (pure encoding %.0f/s) = %.2fx, %zu stored\n",
                n, rate, pure, rate / pure, stored);
    out["http_ingest"] = {{"images", n}, {"images_per_sec", rate}, {"pure_encoding_per_sec", pure}, {"ratio", rate / pure},
                          {"stored", stored}};
    if (stored != n) Die("the HTTP collection holds " + std::to_string(stored) + " points, expected " + std::to_string(n));
  }
  db->Close();
  out["peak_rss_mib"] = PeakRssMiB();

  // --- verdict ---
  auto verdict = [&](const char* what, bool ok) { std::printf("%-58s %s\n", what, o.quick ? "(quick run: not judged)" : ok ? "PASS" : "FAIL"); };
  std::printf("\n");
  verdict("k-NN accuracy, CNN embeddings >= 0.90", knn["cnn"].get<double>() >= 0.90);
  verdict("k-NN accuracy, VAE means >= 0.80", knn["vae"].get<double>() >= 0.80);
  verdict("encoding >= 3000 images/s (CNN and VAE)", cnn_rate >= 3000 && vae_rate >= 3000);
  if (out.contains("http_ingest")) verdict("HTTP ingestion >= 0.7x pure encoding", out["http_ingest"]["ratio"].get<double>() >= 0.7);
  if (o.models_dir.empty()) {
    verdict("training <= 300 s each", out["training"]["cnn"]["seconds"].get<double>() <= 300 &&
                                          out["training"]["vae"]["seconds"].get<double>() <= 300);
  }
  std::printf("\n%s\n", out.dump().c_str());
  std::error_code ec;
  fs::remove_all(Dying().temp_dir, ec);
  return 0;
}

}  // namespace latentdb::bench

int main(int argc, char** argv) { return latentdb::bench::Main(argc, argv); }
