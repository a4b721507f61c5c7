// ingest_bench: how fast `latentdb ingest` loads data, against doing the same work by hand.
//
// Reproduce (Release build, from the repository root):
//   cmake -S . -B build-ingest -DCMAKE_BUILD_TYPE=Release && cmake --build build-ingest -j2 --target ingest_bench
//   build-ingest/bench/ingest_bench [--threads 2] [--kinds Flat,HNSW32] [--flat-rounds 5] [--skip-raw] [--skip-images]
//                                   [--model-dir DATA_DIR --model NAME] [--train-batches 100] [--keep DIR]
//
// In one run:
//  1. Raw vectors. Fashion-MNIST train (/usr/share/datasets/fashion-mnist) written as a .fvecs file
//     (60 000 × 784 float32) in a temporary directory, then loaded into a Flat and an HNSW32
//     collection (metric l2, ef_construction 100):
//       baseline   the issue's: the same vectors, already in memory, written with RocksDB
//                  WriteBatches of 1000 (key: 8-byte id, value: the 3 136 vector bytes) plus FAISS
//                  add (IndexFlatL2 / IndexHNSWFlat(784, 32), efConstruction 100) of all vectors,
//                  then the memtables flushed (as the tool's final checkpoint does). No index file:
//                  the tool saves none for Flat (the store has the vectors) but does save HNSW's;
//       offline    ingest::RunIngest with the offline sink (what `latentdb ingest
//                  --data-dir` runs), from the .fvecs file, --batch 1000, --threads N;
//       online     the same with the online sink to an in-process HTTP server on a real loopback
//                  socket (the server's database in another directory of the same process).
//     Flat runs baseline and offline back to back --flat-rounds times (default 5): a one-second
//     run is at the mercy of the shared machine's noise, so the figure is the median of the
//     per-round offline / baseline ratios. HNSW32 runs once (its runs take a minute).
//  2. Images (built with encoders). The 70 000 Fashion-MNIST images (train + test) written
//     as PNG files in one sub-folder per class, a CNN (trained here for --train-batches batches of
//     one epoch, or --model-dir/--model), then:
//       encode     encoders::ImageModel::Encode on the same images already decoded in memory
//                  (one call; the model batches) — the pure encoding rate;
//       offline    RunIngest of the image folder with the CNN encoder (file reading, PNG decoding,
//                  encoding on the workers, storing into a Flat collection).
//
// Peak memory: the process's VmHWM during each phase (reset through /proc/self/clear_refs before
// the phase), so it includes what the phase holds in memory (e.g. the baseline's vectors; online:
// client and server together). Output: a Markdown table on stdout.

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "engine/database.h"
#include "ingest/encoder_hook.h"
#include "formats/idx.h"
#include "ingest/pipeline.h"
#include "ingest/sink.h"
#include "http/api.h"
#include "http/server.h"

// bench/CMakeLists.txt links ldb_encoders whenever encoders is built, which is when its
// headers are there.
#if __has_include("encoders/trainer.h")
#define LDB_BENCH_HAVE_ENCODERS 1
#else
#define LDB_BENCH_HAVE_ENCODERS 0
#endif

#if LDB_BENCH_HAVE_ENCODERS
#include "encoders/fashion_mnist.h"
#include "encoders/image_model.h"
#include "encoders/trainer.h"
#include "images/image.h"
#endif

namespace {

using namespace latentdb;
namespace fs = std::filesystem;
namespace ingest = latentdb::ingest;

constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

using bench::Check;
using bench::Die;


// Peak RSS of this process since the last ResetPeak(), in MB.
void ResetPeak() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}
double PeakMb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

struct Row {
  std::string what;
  size_t items = 0;
  double seconds = 0;
  double peak_mb = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(items) / seconds : 0; }
};

// Runs `fn` as one measured phase.
Row Measure(const std::string& what, size_t items, const std::function<void()>& fn) {
  ResetPeak();
  const auto t0 = bench::Clock::now();
  fn();
  Row r{what, items, bench::Seconds(t0), PeakMb()};
  std::fprintf(stderr, "  %-44s %8zu items %8.2f s %10.0f /s  peak %6.0f MB\n", what.c_str(), items, r.seconds, r.rate(),
               r.peak_mb);
  return r;
}

struct Options {
  int threads = 2;
  bool raw = true;
  bool images = true;
  std::vector<std::string> kinds = {"Flat", "HNSW32"};
  std::string model_dir, model;
  size_t train_batches = 100;
  int flat_rounds = 5;
  std::string keep;
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--threads") o.threads = std::stoi(next());
    else if (a == "--skip-images") o.images = false;
    else if (a == "--skip-raw") o.raw = false;
    else if (a == "--kinds") {
      o.kinds.clear();
      std::string list = next();
      for (size_t p = 0; p != std::string::npos;) {
        const size_t comma = list.find(',', p);
        o.kinds.push_back(list.substr(p, comma == std::string::npos ? std::string::npos : comma - p));
        p = comma == std::string::npos ? comma : comma + 1;
      }
      for (const auto& k : o.kinds) {
        if (k != "Flat" && k != "HNSW32") Die("--kinds takes Flat and/or HNSW32");
      }
    }
    else if (a == "--model-dir") o.model_dir = next();
    else if (a == "--model") o.model = next();
    else if (a == "--train-batches") o.train_batches = std::stoul(next());
    else if (a == "--flat-rounds") o.flat_rounds = std::max(1, std::stoi(next()));
    else if (a == "--keep") o.keep = next();
    else Die("unknown option " + a + " (see the comment at the top of bench/ingest_bench.cc)");
  }
  if (o.model_dir.empty() != o.model.empty()) Die("give --model-dir and --model together");
  return o;
}

// ---- raw vectors ----

std::vector<float> LoadTrainFloats(size_t* n, size_t* d) {
  auto images = formats::ReadIdxImages(std::string(kFashionDir) + "/train-images-idx3-ubyte.gz");
  if (!images.ok()) Die("reading Fashion-MNIST: " + images.status().ToString());
  *n = images->count;
  *d = images->image_size();
  return std::vector<float>(images->pixels.begin(), images->pixels.end());
}

void WriteFvecs(const std::string& path, const std::vector<float>& v, size_t n, size_t d) {
  std::ofstream f(path, std::ios::binary);
  const int32_t dim = static_cast<int32_t>(d);
  for (size_t i = 0; i < n; ++i) {
    f.write(reinterpret_cast<const char*>(&dim), 4);
    f.write(reinterpret_cast<const char*>(&v[i * d]), static_cast<std::streamsize>(d * 4));
  }
  if (!f) Die("writing " + path);
}

// RocksDB WriteBatches of 1000 + FAISS add of everything + a memtable flush.
void Baseline(const std::string& dir, const std::string& kind, const std::vector<float>& v, size_t n, size_t d) {
  fs::create_directories(dir);
  rocksdb::Options ro;
  ro.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(ro, dir + "/rocksdb", &raw);
  if (!s.ok()) Die("rocksdb: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (size_t start = 0; start < n; start += 1000) {
    rocksdb::WriteBatch batch;
    for (size_t i = start; i < std::min(n, start + 1000); ++i) {
      char key[8];
      for (int b = 0; b < 8; ++b) key[b] = static_cast<char>((uint64_t{i} >> (56 - 8 * b)) & 0xff);
      batch.Put(rocksdb::Slice(key, 8), rocksdb::Slice(reinterpret_cast<const char*>(&v[i * d]), d * 4));
    }
    s = db->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) Die("rocksdb write: " + s.ToString());
  }
  std::unique_ptr<faiss::Index> index;
  if (kind == "Flat") {
    index = std::make_unique<faiss::IndexFlatL2>(static_cast<faiss::Index::idx_t>(d));
  } else {
    auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(d), 32);
    hnsw->hnsw.efConstruction = 100;
    index = std::move(hnsw);
  }
  index->add(static_cast<faiss::Index::idx_t>(n), v.data());
  s = db->Flush(rocksdb::FlushOptions());
  if (!s.ok()) Die("rocksdb flush: " + s.ToString());
}

ingest::IngestReport RunPipeline(const std::vector<ingest::SourceSpec>& specs, ingest::Sink* sink,
                                 const std::string& collection, const std::string& index, const Options& o,
                                 const ingest::ItemEncoder* encoder = nullptr) {
  ingest::PipelineOptions po;
  po.collection = collection;
  po.wanted.metric = index::Metric::kL2;
  po.wanted.index = index;
  po.batch = 1000;
  po.threads = o.threads;
  po.show_progress = false;
  po.encoder = encoder;
  auto r = ingest::RunIngest(specs, {}, sink, po);
  if (!r.ok()) Die("ingest: " + r.status().ToString());
  Check(r->error, "ingest run");
  if (r->skipped) Die("ingest skipped items:\n" + ingest::FormatSummary(*r));
  return *r;
}

// An HTTP server in this process on a free loopback port, over its own data directory.
struct LocalServer {
  std::unique_ptr<engine::Database> db;
  std::unique_ptr<http::Api> api;
  std::unique_ptr<http::Server> server;

  explicit LocalServer(const std::string& data_dir) {
    engine::DatabaseOptions dbo;
    dbo.data_dir = data_dir;
    auto d = engine::Database::Open(dbo);
    if (!d.ok()) Die("server database: " + d.status().ToString());
    db = std::move(*d);
    api = std::make_unique<http::Api>(db.get());
    http::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    server = std::make_unique<http::Server>(so, api.get());
    Check(server->Start(), "starting the HTTP server");
  }
  ~LocalServer() {
    server->Stop();
    server.reset();
    api.reset();
    db->Close();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
};

// Offline / baseline (and online / baseline) of one index kind.
struct KindRatios {
  std::vector<double> offline;  // one per round
  double online = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Per index kind: baseline and offline back to back (so that they see similar machine load),
// `--flat-rounds` times for Flat (a one-second run is at the mercy of the machine's noise; the
// median of the per-round ratios is the figure), once for HNSW32; then online once.
std::map<std::string, KindRatios> RawVectors(const std::string& tmp, const Options& o, std::vector<Row>* rows) {
  size_t n = 0, d = 0;
  const std::string fvecs = tmp + "/fashion-mnist-train.fvecs";
  {
    std::vector<float> v = LoadTrainFloats(&n, &d);
    WriteFvecs(fvecs, v, n, d);
  }
  std::fprintf(stderr, "raw vectors: %zu x %zu from %s written to %s\n", n, d, kFashionDir, fvecs.c_str());

  std::map<std::string, KindRatios> ratios;
  for (const std::string& kind : o.kinds) {
    const int rounds = kind == "Flat" ? o.flat_rounds : 1;
    double baseline_rate = 0;
    for (int round = 1; round <= rounds; ++round) {
      const std::string suffix = rounds > 1 ? ", round " + std::to_string(round) : "";
      const std::string base_dir = tmp + "/baseline-" + kind, offline_dir = tmp + "/offline-" + kind;
      fs::remove_all(base_dir);
      fs::remove_all(offline_dir);
      {
        // The baseline starts from the vectors in memory (loaded untimed); the tool reads the file.
        std::vector<float> v = LoadTrainFloats(&n, &d);
        rows->push_back(Measure("baseline " + kind + " (RocksDB WriteBatch + FAISS add" + suffix + ")", n,
                                [&] { Baseline(base_dir, kind, v, n, d); }));
        baseline_rate = rows->back().rate();
      }
      rows->push_back(Measure("offline " + kind + " (latentdb ingest --data-dir" + suffix + ")", n, [&] {
        auto sink = ingest::MakeOfflineSink({offline_dir});
        Check(sink->Open(), "opening the data directory");
        auto r = RunPipeline({{fvecs, ingest::Format::kFvecs}}, sink.get(), "fmnist", kind, o);
        if (r.stored != n) Die("offline stored " + std::to_string(r.stored));
      }));
      ratios[kind].offline.push_back(rows->back().rate() / baseline_rate);
    }
    rows->push_back(Measure("online " + kind + " (latentdb ingest --url, server in process)", n, [&] {
      LocalServer server(tmp + "/online-" + kind);
      ingest::OnlineSinkOptions oo;
      oo.url = server.url();
      auto sink = ingest::MakeOnlineSink(oo);
      Check(sink->Open(), "connecting to the server");
      auto r = RunPipeline({{fvecs, ingest::Format::kFvecs}}, sink.get(), "fmnist", kind, o);
      if (r.stored != n) Die("online stored " + std::to_string(r.stored));
    }));
    ratios[kind].online = rows->back().rate() / baseline_rate;  // against the last baseline
  }
  return ratios;
}

#if LDB_BENCH_HAVE_ENCODERS
void Images(const std::string& tmp, const Options& o, std::vector<Row>* rows, std::string* model_note) {
  auto train = encoders::LoadFashionMnist(true);
  auto test = encoders::LoadFashionMnist(false);
  if (!train.ok() || !test.ok()) Die("reading Fashion-MNIST for images");
  std::string data = o.model_dir, model = o.model;
  if (model.empty()) {
    data = tmp + "/images-data";
    model = "bench-cnn";
    encoders::TrainImageOptions to;
    to.kind = "cnn";
    to.name = model;
    to.epochs = 1;
    to.max_batches_per_epoch = o.train_batches;
    const auto t0 = bench::Clock::now();
    auto m = encoders::TrainImageModel(data, to, *train, test->Head(2000));
    if (!m.ok()) Die("training the CNN: " + m.status().ToString());
    char buf[256];
    std::snprintf(buf, sizeof buf, "CNN trained here: 1 epoch of %zu batches of 128 in %.0f s, test accuracy %.3f",
                  o.train_batches, bench::Seconds(t0), (*m)["metrics"].value("test_accuracy", 0.0));
    *model_note = buf;
  } else {
    *model_note = "CNN '" + model + "' from " + data;
  }
  std::fprintf(stderr, "%s\n", model_note->c_str());

  // The 70k images as PNG files, one folder per class.
  const std::string folder = tmp + "/fashion-mnist-png";
  std::vector<images::Image> all;
  all.reserve(train->size() + test->size());
  size_t png_bytes = 0;
  for (const auto& c : train->class_names) fs::create_directories(folder + "/" + c);
  for (const auto* ds : {&*train, &*test}) {
    const std::string split = ds == &*train ? "train" : "test";
    for (size_t i = 0; i < ds->size(); ++i) {
      images::Image im = ds->ImageAt(i);
      const std::string dir = folder + "/" + ds->class_names[static_cast<size_t>(ds->labels[i])];
      const std::string png = images::EncodePng(im);
      png_bytes += png.size();
      char name[64];
      std::snprintf(name, sizeof name, "/%s-%05zu.png", split.c_str(), i);
      std::ofstream(dir + name, std::ios::binary).write(png.data(), static_cast<std::streamsize>(png.size()));
      all.push_back(std::move(im));
    }
  }
  std::fprintf(stderr, "images: %zu PNG files (%.1f MB) in %s\n", all.size(), png_bytes / 1e6, folder.c_str());

  auto opened = encoders::ImageModel::Open(data, model);
  if (!opened.ok()) Die("opening the model: " + opened.status().ToString());
  std::shared_ptr<encoders::ImageModel> cnn = *opened;
  rows->push_back(Measure("pure encoding (ImageModel::Encode, in memory)", all.size(), [&] {
    auto v = cnn->Encode(all);
    if (!v.ok() || v->size() != all.size()) Die("encode failed");
  }));
  all = std::vector<images::Image>();
  rows->push_back(Measure("offline image folder + CNN (latentdb ingest --encoder)", train->size() + test->size(), [&] {
    auto sink = ingest::MakeOfflineSink({data});
    Check(sink->Open(), "opening the data directory");
    auto manifest = sink->ModelManifest(model);
    if (!manifest.ok()) Die("manifest: " + manifest.status().ToString());
    auto info = ingest::EncoderInfoFromManifest(model, *manifest);
    if (!info.ok()) Die(info.status().ToString());
    auto encoder = ingest::MakeItemEncoder(*info, {data, sink->database()});
    if (!encoder.ok()) Die("encoder: " + encoder.status().ToString());
    auto r = RunPipeline({{folder, ingest::Format::kImageFolder}}, sink.get(), "fmnist-images-" + std::to_string(getpid()),
                         "Flat", o, encoder->get());
    if (r.stored != train->size() + test->size()) Die("image ingest stored " + std::to_string(r.stored));
  }));
}
#endif

void PrintTable(const std::vector<Row>& rows) {
  std::printf("| run | items | time (s) | items/s | peak RSS (MB) |\n|---|---|---|---|---|\n");
  for (const auto& r : rows) {
    std::printf("| %s | %zu | %.2f | %.0f | %.0f |\n", r.what.c_str(), r.items, r.seconds, r.rate(), r.peak_mb);
  }
}

}  // namespace

int main(int argc, char** argv) {
  latentdb::bench::Dying().program = "ingest_bench";
  const Options o = ParseOptions(argc, argv);
  std::string tmp = o.keep;
  if (tmp.empty()) {
    char templ[] = "/tmp/ingest_bench.XXXXXX";
    if (!mkdtemp(templ)) Die("mkdtemp");
    tmp = templ;
  } else {
    fs::create_directories(tmp);
  }
  std::fprintf(stderr, "ingest_bench: %u cores, --threads %d, temp dir %s\n", std::thread::hardware_concurrency(),
               o.threads, tmp.c_str());

  if (o.raw) {
    std::vector<Row> raw;
    auto ratios = RawVectors(tmp, o, &raw);
    std::printf("## Raw vectors: Fashion-MNIST train, 60 000 x 784 float32 (.fvecs), metric l2\n\n");
    PrintTable(raw);
    std::printf("\n");
    for (const std::string& kind : o.kinds) {
      const KindRatios& k = ratios[kind];
      std::string each;
      for (double r : k.offline) each += (each.empty() ? "" : ", ") + std::to_string(r).substr(0, 4);
      std::printf("- %s: offline / baseline = %.2fx%s, online / baseline = %.2fx\n", kind.c_str(), Median(k.offline),
                  k.offline.size() > 1 ? (" (median of rounds: " + each + ")").c_str() : "", k.online);
    }
  }

  if (o.images) {
#if LDB_BENCH_HAVE_ENCODERS
    std::vector<Row> img;
    std::string note;
    Images(tmp, o, &img, &note);
    std::printf("\n## Images: Fashion-MNIST train + test, 70 000 PNG files, CNN encoder\n\n%s\n\n", note.c_str());
    PrintTable(img);
    std::printf("\n- offline ingest / pure encoding = %.2fx\n", img[1].rate() / img[0].rate());
#else
    std::printf("\n## Images: not run (this build has no encoders)\n");
#endif
  }
  if (o.keep.empty()) fs::remove_all(tmp);
  return 0;
}
