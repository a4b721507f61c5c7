// ann_bench: LatentDB against hnswlib on Fashion-MNIST, the way ann-benchmarks runs it
// (fashion-mnist-784-euclidean: 60,000 raw-pixel base vectors as floats 0..255, the 10,000 test
// images as queries, L2, k = 10, one query at a time on one thread).
//
// One run measures, on the same machine and in the same process:
//   - exact ground truth (brute force with LatentDB's SIMD L2 kernel; cached next to the binary)
//   - the engine in process: HNSW build rate (upserts of 1000), the Flat upsert rate, memory
//   - hnswlib (M=16, efConstruction=200) built in a separate -O3 -march=native translation unit
//   - recall@10 and QPS per ef for the engine (Collection::Search), the same over HTTP (Beast
//     server + keep-alive client, one connection), the same search in Qdrant's shape over HTTP
//     (POST …/points/query with params.hnsw_ef) and hnswlib, all taking turns at each ef, best of
//     --repeat passes (the machine may be shared: interleaving keeps the ratios fair)
//   - where an HTTP request's time goes, and the HTTP upsert rate of the base vectors into a Flat
//     collection, client-side JSON serialization included
//   - restart time: reopening with the saved index, and rebuilding it from RocksDB
// and prints a table, PASS/FAIL for the targets, and one final JSON line with every number.
//
// Usage: ann_bench [--quick] [--ef-list 16,32,64,128,256] [--m 32] [--efc 100] [--repeat 3]
//                  [--hnswlib-m 16] [--hnswlib-efc 200] [--skip-http] [--skip-hnswlib] ...
// (--help lists all options.)

#include <nlohmann/json.hpp>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "bench/hnswlib_baseline.h"
#include "common/logging.h"
#include "engine/collection.h"
#include "engine/database.h"
#include "formats/idx.h"
#include "http/api.h"
#include "client/http_client.h"
#include "http/codec.h"
#include "http/json_body.h"
#include "http/server.h"
#include "index/distance.h"

namespace latentdb::bench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr size_t kK = 10;
constexpr size_t kGtK = 11;  // one extra neighbour to detect ties at rank 10
constexpr double kTargetRecall = 0.99;
constexpr size_t kMaxAutoEf = 2048;

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  bool quick = false;
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  size_t base = 0;     // 0: 60000 (10000 with --quick)
  size_t queries = 0;  // 0: 10000 (1000 with --quick)
  std::vector<size_t> ef_list = {16, 32, 64, 128, 256};
  int m = 32;
  int efc = 100;
  int hnswlib_m = 16;
  int hnswlib_efc = 200;
  int threads = 2;  // ground truth and hnswlib build
  size_t repeat = 3;  // timed passes per (system, ef); the best QPS counts
  int http_threads = 2;  // server I/O threads
  bool skip_http = false;
  bool skip_hnswlib = false;
  std::string gt_cache;  // empty: next to the binary
  std::string tmp_dir = "/tmp";
};

void Usage() {
  std::printf(
      "usage: ann_bench [options]\n"
      "  --quick               10k base vectors, 1k queries (smoke run)\n"
      "  --base N              base vectors (default 60000)\n"
      "  --queries N           queries (default 10000)\n"
      "  --ef-list A,B,...     ef values to sweep (default 16,32,64,128,256; doubled past the list\n"
      "                        until recall@10 >= 0.99, up to %zu)\n"
      "  --m M                 LatentDB HNSW M (index \"HNSW<M>\", default 32)\n"
      "  --efc N               LatentDB hnsw_ef_construction (default 100)\n"
      "  --hnswlib-m M         hnswlib M (default 16)\n"
      "  --hnswlib-efc N       hnswlib ef_construction (default 200)\n"
      "  --threads N           threads for ground truth and the hnswlib build (default 2)\n"
      "  --repeat N            timed passes per system and ef, best QPS kept (default 3)\n"
      "  --http-threads N      HTTP server I/O threads (default 2)\n"
      "  --skip-http           no HTTP measurements\n"
      "  --skip-hnswlib        no hnswlib baseline\n"
      "  --data-dir DIR        Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)\n"
      "  --gt-cache FILE       ground-truth cache file (default: next to the binary)\n"
      "  --tmp-dir DIR         where the temporary data directory goes (default /tmp)\n",
      kMaxAutoEf);
}

size_t ParseSize(const std::string& flag, const std::string& v) {
  try {
    size_t pos = 0;
    unsigned long long x = std::stoull(v, &pos);
    if (pos != v.size() || v.empty() || v[0] == '-') throw std::invalid_argument(v);
    return static_cast<size_t>(x);
  } catch (const std::exception&) {
    Die(flag + " needs a non-negative integer (got '" + v + "')");
  }
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], value;
    bool has_inline = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_inline = true;
    }
    auto next = [&]() -> std::string {
      if (has_inline) return value;
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    auto positive = [&](const std::string& flag) {
      size_t v = ParseSize(flag, next());
      if (v == 0) Die(flag + " must be positive");
      return v;
    };
    if (a == "--quick") o.quick = true;
    else if (a == "--skip-http") o.skip_http = true;
    else if (a == "--skip-hnswlib") o.skip_hnswlib = true;
    else if (a == "--base") o.base = positive(a);
    else if (a == "--queries") o.queries = positive(a);
    else if (a == "--m") o.m = static_cast<int>(std::min<size_t>(positive(a), 512));
    else if (a == "--efc") o.efc = static_cast<int>(std::min<size_t>(positive(a), 100000));
    else if (a == "--hnswlib-m") o.hnswlib_m = static_cast<int>(std::min<size_t>(positive(a), 512));
    else if (a == "--hnswlib-efc") o.hnswlib_efc = static_cast<int>(std::min<size_t>(positive(a), 100000));
    else if (a == "--http-threads") o.http_threads = static_cast<int>(std::min<size_t>(positive(a), 64));
    else if (a == "--repeat") o.repeat = std::min<size_t>(positive(a), 100);
    else if (a == "--threads") o.threads = static_cast<int>(std::min<size_t>(positive(a), 256));
    else if (a == "--data-dir") o.data_dir = next();
    else if (a == "--gt-cache") o.gt_cache = next();
    else if (a == "--tmp-dir") o.tmp_dir = next();
    else if (a == "--ef-list") {
      o.ef_list.clear();
      std::stringstream ss(next());
      for (std::string item; std::getline(ss, item, ',');) {
        size_t ef = ParseSize("--ef-list", item);
        if (ef == 0 || ef > 100000) Die("--ef-list values must be between 1 and 100000");
        o.ef_list.push_back(ef);
      }
      if (o.ef_list.empty()) Die("--ef-list is empty");
      std::sort(o.ef_list.begin(), o.ef_list.end());
      o.ef_list.erase(std::unique(o.ef_list.begin(), o.ef_list.end()), o.ef_list.end());
    } else if (a == "--help" || a == "-h") {
      Usage();
      std::exit(0);
    } else {
      Usage();
      Die("unknown option '" + a + "'");
    }
  }
  if (o.base == 0) o.base = o.quick ? 10000 : 60000;
  if (o.queries == 0) o.queries = o.quick ? 1000 : 10000;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Environment

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

std::string CpuSimdFlags() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::string out;
    std::stringstream ss(line.substr(line.find(':') + 1));
    for (std::string f; ss >> f;) {
      if (f == "sse4_2" || f == "avx" || f == "avx2" || f == "fma" || f == "avx512f" || f == "avx512bw" ||
          f == "avx512vl") {
        out += (out.empty() ? "" : " ") + f;
      }
    }
    return out;
  }
  return "";
}

int AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

std::string ExecutableDir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}

// ---------------------------------------------------------------------------------------------
// Data and ground truth

struct Dataset {
  size_t dim = 0, nb = 0, nq = 0;
  std::vector<uint8_t> base_u8, query_u8;  // raw pixels, for the HTTP serializer
  std::vector<float> base, query;          // the same as floats 0..255
};

Dataset LoadDataset(const Options& o) {
  using formats::ReadIdxImages;
  auto train = Check(ReadIdxImages(o.data_dir + "/train-images-idx3-ubyte.gz", o.base), "reading the training images");
  auto test = Check(ReadIdxImages(o.data_dir + "/t10k-images-idx3-ubyte.gz", o.queries), "reading the test images");
  if (train.image_size() != test.image_size()) Die("training and test images differ in size");
  Dataset d;
  d.dim = train.image_size();
  d.nb = train.count;
  d.nq = test.count;
  if (d.nb < kGtK || d.nq == 0) Die("not enough images");
  d.base_u8 = std::move(train.pixels);
  d.query_u8 = std::move(test.pixels);
  d.base.assign(d.base_u8.begin(), d.base_u8.end());
  d.query.assign(d.query_u8.begin(), d.query_u8.end());
  return d;
}

struct GroundTruth {
  size_t nq = 0;
  std::vector<uint32_t> ids;  // nq × kGtK, nearest first
  std::vector<float> dist;    // squared L2
  const uint32_t* row(size_t q) const { return ids.data() + q * kGtK; }
};

uint64_t Fnv1a(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

uint64_t DatasetKey(const Dataset& d) {
  uint64_t h = 0xcbf29ce484222325ULL;
  const uint64_t header[4] = {d.dim, d.nb, d.nq, kGtK};
  h = Fnv1a(h, header, sizeof header);
  h = Fnv1a(h, d.base_u8.data(), d.base_u8.size());
  return Fnv1a(h, d.query_u8.data(), d.query_u8.size());
}

constexpr char kGtMagic[8] = {'L', 'D', 'B', 'G', 'T', '0', '0', '1'};

bool LoadGroundTruth(const std::string& path, uint64_t key, size_t nq, GroundTruth* gt) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  char magic[8];
  uint64_t file_key = 0, file_nq = 0, file_k = 0;
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(&file_key), 8);
  in.read(reinterpret_cast<char*>(&file_nq), 8);
  in.read(reinterpret_cast<char*>(&file_k), 8);
  if (!in || std::memcmp(magic, kGtMagic, 8) != 0 || file_key != key || file_nq != nq || file_k != kGtK) return false;
  gt->nq = nq;
  gt->ids.resize(nq * kGtK);
  gt->dist.resize(nq * kGtK);
  in.read(reinterpret_cast<char*>(gt->ids.data()), static_cast<std::streamsize>(gt->ids.size() * 4));
  in.read(reinterpret_cast<char*>(gt->dist.data()), static_cast<std::streamsize>(gt->dist.size() * 4));
  return static_cast<bool>(in);
}

void SaveGroundTruth(const std::string& path, uint64_t key, const GroundTruth& gt) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    const uint64_t nq = gt.nq, k = kGtK;
    out.write(kGtMagic, 8);
    out.write(reinterpret_cast<const char*>(&key), 8);
    out.write(reinterpret_cast<const char*>(&nq), 8);
    out.write(reinterpret_cast<const char*>(&k), 8);
    out.write(reinterpret_cast<const char*>(gt.ids.data()), static_cast<std::streamsize>(gt.ids.size() * 4));
    out.write(reinterpret_cast<const char*>(gt.dist.data()), static_cast<std::streamsize>(gt.dist.size() * 4));
    if (!out) {
      std::printf("  (could not write the ground-truth cache %s)\n", path.c_str());
      return;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
}

// Exact kGtK nearest neighbours of every query: blocks of queries against every base vector so a
// base vector is read from memory once per block; queries split over `threads` threads.
GroundTruth ComputeGroundTruth(const Dataset& d, int threads) {
  GroundTruth gt;
  gt.nq = d.nq;
  gt.ids.resize(d.nq * kGtK);
  gt.dist.resize(d.nq * kGtK);
  constexpr size_t kBlock = 8;
  auto work = [&](size_t q_begin, size_t q_end) {
    std::vector<std::pair<float, uint32_t>> top(kBlock * kGtK);
    std::vector<size_t> filled(kBlock);
    for (size_t qb = q_begin; qb < q_end; qb += kBlock) {
      const size_t nb_q = std::min(kBlock, q_end - qb);
      std::fill(filled.begin(), filled.end(), 0);
      for (size_t j = 0; j < d.nb; ++j) {
        const float* b = d.base.data() + j * d.dim;
        for (size_t t = 0; t < nb_q; ++t) {
          const float dist = index::L2Sqr(d.query.data() + (qb + t) * d.dim, b, d.dim);
          auto* row = top.data() + t * kGtK;
          size_t& n = filled[t];
          if (n == kGtK && !(dist < row[kGtK - 1].first)) continue;
          // Insertion into the sorted row; ties keep the smaller id first.
          size_t pos = (n < kGtK) ? n++ : kGtK - 1;
          while (pos > 0 && row[pos - 1].first > dist) {
            row[pos] = row[pos - 1];
            --pos;
          }
          row[pos] = {dist, static_cast<uint32_t>(j)};
        }
      }
      for (size_t t = 0; t < nb_q; ++t) {
        for (size_t r = 0; r < kGtK; ++r) {
          gt.dist[(qb + t) * kGtK + r] = top[t * kGtK + r].first;
          gt.ids[(qb + t) * kGtK + r] = top[t * kGtK + r].second;
        }
      }
    }
  };
  const size_t nt = static_cast<size_t>(std::max(1, threads));
  std::vector<std::thread> pool;
  for (size_t t = 0; t < nt; ++t) {
    const size_t b = d.nq * t / nt, e = d.nq * (t + 1) / nt;
    pool.emplace_back(work, b, e);
  }
  for (auto& t : pool) t.join();
  return gt;
}

// ---------------------------------------------------------------------------------------------
// Sweeps

struct Run {
  size_t ef = 0;
  double recall = 0;
  double qps = 0;         // best of the repetitions
  double qps_median = 0;  // median of the repetitions
  double qps_mean = 0;    // all repetitions' queries ÷ their total time
  double seconds = 0;
};

// Results of one pass: kK ids per query (UINT32_MAX where fewer came back).
using Neighbours = std::vector<uint32_t>;

double Recall(const GroundTruth& gt, const Neighbours& found, size_t nq) {
  size_t hits = 0;
  for (size_t q = 0; q < nq; ++q) {
    const uint32_t* truth = gt.row(q);
    for (size_t i = 0; i < kK; ++i) {
      const uint32_t id = found[q * kK + i];
      if (id != UINT32_MAX && std::find(truth, truth + kK, id) != truth + kK) ++hits;
    }
  }
  return static_cast<double>(hits) / static_cast<double>(nq * kK);
}

// search(q, ef, out) answers query q with ef and writes kK ids to out.
using SearchFn = std::function<void(size_t q, size_t ef, uint32_t* out)>;

Run TimedPass(const GroundTruth& gt, size_t nq, size_t ef, const SearchFn& search, Neighbours* keep = nullptr) {
  Neighbours found(nq * kK, UINT32_MAX);
  auto start = Clock::now();
  for (size_t q = 0; q < nq; ++q) search(q, ef, found.data() + q * kK);
  Run r;
  r.ef = ef;
  r.seconds = Seconds(start);
  r.qps = static_cast<double>(nq) / r.seconds;
  r.recall = Recall(gt, found, nq);
  if (keep) *keep = std::move(found);
  return r;
}

// One system under test in a sweep.
struct System {
  const char* name;
  SearchFn search;
  std::vector<Run> runs;
  std::vector<Neighbours> found;  // per run, from its first repetition
};

// For each ef, runs every system's full query set `repeat` times, the systems interleaved, and
// keeps each system's best QPS (ann-benchmarks' "best of N runs"); interleaving makes the ratios
// fair on a machine whose load changes. After the list, ef doubles while any system is below the
// target recall.
void Sweep(const Options& o, const GroundTruth& gt, size_t nq, const std::vector<System*>& systems) {
  if (systems.empty()) return;
  Neighbours scratch(kK);
  for (System* s : systems) {  // warm-up: touch the index and the code paths before timing
    for (size_t q = 0; q < std::min<size_t>(nq, 500); ++q) s->search(q, o.ef_list.front(), scratch.data());
  }
  std::vector<size_t> efs = o.ef_list;
  for (size_t i = 0; i < efs.size(); ++i) {
    std::vector<std::vector<double>> qps(systems.size());
    for (size_t rep = 0; rep < o.repeat; ++rep) {
      for (size_t k = 0; k < systems.size(); ++k) {
        System* s = systems[k];
        Neighbours found;
        Run r = TimedPass(gt, nq, efs[i], s->search, rep == 0 ? &found : nullptr);
        qps[k].push_back(r.qps);
        if (rep == 0) {
          s->runs.push_back(r);
          s->found.push_back(std::move(found));
        } else if (r.qps > s->runs.back().qps) {
          s->runs.back().qps = r.qps;
          s->runs.back().seconds = r.seconds;
        }
      }
    }
    for (size_t k = 0; k < systems.size(); ++k) {
      Run& r = systems[k]->runs.back();
      std::vector<double> sorted = qps[k];
      std::sort(sorted.begin(), sorted.end());
      const size_t m = sorted.size();
      r.qps_median = m % 2 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
      double total_s = 0;
      for (double x : qps[k]) total_s += static_cast<double>(nq) / x;
      r.qps_mean = static_cast<double>(nq * m) / total_s;
      std::string all;
      for (double x : qps[k]) all += (all.empty() ? "" : " ") + std::to_string(static_cast<long>(x + 0.5));
      std::printf("  %-8s ef=%-5zu recall@10=%.4f  QPS=%9.1f  (runs: %s)\n", systems[k]->name, r.ef, r.recall, r.qps,
                  all.c_str());
    }
    std::fflush(stdout);
    if (i + 1 == efs.size() && efs.back() * 2 <= kMaxAutoEf) {
      bool below = false;
      for (System* s : systems) {
        double best = 0;
        for (const auto& r : s->runs) best = std::max(best, r.recall);
        below = below || best < kTargetRecall;
      }
      if (below) efs.push_back(efs.back() * 2);
    }
  }
}

// Best QPS among runs reaching the target recall (0 when none does).
const Run* BestAtTarget(const std::vector<Run>& runs) {
  const Run* best = nullptr;
  for (const auto& r : runs) {
    if (r.recall >= kTargetRecall && (!best || r.qps > best->qps)) best = &r;
  }
  return best;
}

json RunsToJson(const std::vector<Run>& runs) {
  json a = json::array();
  for (const auto& r : runs) {
    a.push_back({{"ef", r.ef}, {"recall", r.recall}, {"qps", r.qps}, {"qps_median", r.qps_median}});
  }
  return a;
}

uint32_t IdOf(const engine::ExternalId& id) {
  const std::string key = id.ToKey();  // 'u' + 8 bytes big-endian
  if (key.size() != 9 || key[0] != 'u') return UINT32_MAX;
  uint64_t v = 0;
  for (size_t i = 1; i < 9; ++i) v = (v << 8) | static_cast<unsigned char>(key[i]);
  return v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v);
}

// ---------------------------------------------------------------------------------------------
// Hand-written JSON for the HTTP client (integer pixels), so that the client costs little.

struct PixelText {
  PixelText() {
    for (int v = 0; v < 256; ++v) {
      text[v] = std::to_string(v);
    }
  }
  std::string text[256];
};
const PixelText& Pixels() {
  static const PixelText table;
  return table;
}

void AppendVector(std::string* s, const uint8_t* px, size_t dim) {
  const auto& t = Pixels().text;
  s->push_back('[');
  for (size_t i = 0; i < dim; ++i) {
    if (i) s->push_back(',');
    s->append(t[px[i]]);
  }
  s->push_back(']');
}

void SearchBody(std::string* s, const uint8_t* px, size_t dim, size_t ef) {
  s->clear();
  s->append("{\"vector\":");
  AppendVector(s, px, dim);
  s->append(",\"k\":10,\"with_payload\":false,\"params\":{\"ef\":");
  s->append(std::to_string(ef));
  s->append("}}");
}

// The same search in Qdrant's shape, for POST /collections/{c}/points/query.
void QdrantQueryBody(std::string* s, const uint8_t* px, size_t dim, size_t ef) {
  s->clear();
  s->append("{\"query\":");
  AppendVector(s, px, dim);
  s->append(",\"limit\":10,\"with_payload\":false,\"params\":{\"hnsw_ef\":");
  s->append(std::to_string(ef));
  s->append("}}");
}

// The ids of a search response {"result":[{"id":N,"score":S},…],…}, in order.
size_t ParseHitIds(const std::string& body, uint32_t* out, size_t max) {
  size_t n = 0, pos = body.find("\"result\"");
  while (pos != std::string::npos && n < max) {
    pos = body.find("\"id\":", pos);
    if (pos == std::string::npos) break;
    pos += 5;
    uint64_t v = 0;
    bool digits = false;
    while (pos < body.size() && body[pos] >= '0' && body[pos] <= '9') {
      v = v * 10 + static_cast<uint64_t>(body[pos++] - '0');
      digits = true;
    }
    out[n++] = digits && v <= UINT32_MAX ? static_cast<uint32_t>(v) : UINT32_MAX;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------

void PrintTable(const std::vector<Run>& engine_runs, const std::vector<Run>& http_runs,
                const std::vector<Run>& hnswlib_runs) {
  std::vector<size_t> efs;
  for (const auto* runs : {&engine_runs, &http_runs, &hnswlib_runs}) {
    for (const auto& r : *runs) efs.push_back(r.ef);
  }
  std::sort(efs.begin(), efs.end());
  efs.erase(std::unique(efs.begin(), efs.end()), efs.end());
  auto cell = [](const std::vector<Run>& runs, size_t ef) {
    char buf[64];
    for (const auto& r : runs) {
      if (r.ef == ef) {
        std::snprintf(buf, sizeof buf, "%7.4f %9.1f", r.recall, r.qps);
        return std::string(buf);
      }
    }
    return std::string("      -         -");
  };
  std::printf("\n%6s | %-17s | %-17s | %-17s\n", "ef", "engine (in-proc)", "HTTP (1 conn)", "hnswlib");
  std::printf("%6s | %7s %9s | %7s %9s | %7s %9s\n", "", "recall", "QPS", "recall", "QPS", "recall", "QPS");
  std::printf("-------+-------------------+-------------------+------------------\n");
  for (size_t ef : efs) {
    std::printf("%6zu | %s | %s | %s\n", ef, cell(engine_runs, ef).c_str(), cell(http_runs, ef).c_str(),
                cell(hnswlib_runs, ef).c_str());
  }
}

std::vector<std::string> IndexFiles(const std::string& data_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(data_dir + "/indexes", ec)) {
    if (e.path().extension() == ".idx") out.push_back(e.path().string());
  }
  return out;
}

int Main(int argc, char** argv) {
  Dying().program = "ann_bench";
  const Options o = ParseArgs(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // keep stdout in order with the engine's log lines on stderr
  json report;

  // --- environment ---
  const std::string cpu = CpuModel();
  const char* kernels = index::Kernels().name;
  std::printf("LatentDB ann_bench — fashion-mnist-784-euclidean (k=%zu, L2, one query at a time)\n", kK);
  std::printf("  date        %s\n", UtcNowIso8601().c_str());
  std::printf("  cpu         %s (%s)\n", cpu.c_str(), CpuSimdFlags().c_str());
  std::printf("  cores       %u online, %d usable by this process\n", std::thread::hardware_concurrency(), AllowedCpus());
  std::printf("  load avg    %s\n", ReadFirstLine("/proc/loadavg").c_str());
  std::printf("  kernels     LatentDB: %s;  hnswlib: %s (-O3 -march=native)\n", kernels,
              o.skip_hnswlib ? "skipped" : HnswlibBaseline::Simd());
  std::printf("  compiler    %s (%s build)\n", __VERSION__, LDB_BENCH_BUILD_TYPE);
  report["env"] = {{"date", UtcNowIso8601()},
                   {"cpu", cpu},
                   {"cpu_flags", CpuSimdFlags()},
                   {"cores", std::thread::hardware_concurrency()},
                   {"usable_cores", AllowedCpus()},
                   {"loadavg", ReadFirstLine("/proc/loadavg")},
                   {"kernels", kernels},
                   {"hnswlib_simd", HnswlibBaseline::Simd()},
                   {"compiler", __VERSION__},
                   {"build_type", LDB_BENCH_BUILD_TYPE}};

  // --- data ---
  auto t0 = Clock::now();
  const Dataset d = LoadDataset(o);
  std::printf("  data        %zu base + %zu query vectors of dim %zu from %s (%.2f s)\n", d.nb, d.nq, d.dim,
              o.data_dir.c_str(), Seconds(t0));
  report["dataset"] = {{"name", "fashion-mnist-784-euclidean"}, {"base", d.nb}, {"queries", d.nq}, {"dim", d.dim}, {"k", kK}};

  // --- ground truth ---
  const uint64_t key = DatasetKey(d);
  const std::string gt_path =
      !o.gt_cache.empty() ? o.gt_cache : ExecutableDir() + "/fashion_gt_" + std::to_string(d.nb) + "x" + std::to_string(d.nq) + ".bin";
  GroundTruth gt;
  t0 = Clock::now();
  if (LoadGroundTruth(gt_path, key, d.nq, &gt)) {
    std::printf("  truth       loaded from %s (%.2f s)\n", gt_path.c_str(), Seconds(t0));
  } else {
    gt = ComputeGroundTruth(d, o.threads);
    std::printf("  truth       brute force, %d threads, %.1f s; cached in %s\n", o.threads, Seconds(t0), gt_path.c_str());
    SaveGroundTruth(gt_path, key, gt);
  }
  size_t ties = 0;
  for (size_t q = 0; q < d.nq; ++q) ties += gt.dist[q * kGtK + kK - 1] == gt.dist[q * kGtK + kK];
  if (ties) std::printf("  note        %zu queries have a tie at rank 10 (id-based recall may undercount)\n", ties);
  std::fflush(stdout);

  // --- engine, in process: build ---
  std::string tmpl = o.tmp_dir + "/ann_bench_XXXXXX";
  if (!mkdtemp(tmpl.data())) Die("cannot create a temporary directory under " + o.tmp_dir);
  const std::string data_dir = tmpl;
  Dying().temp_dir = data_dir;
  engine::DatabaseOptions dbo;
  dbo.data_dir = data_dir;
  dbo.sync_writes = false;
  dbo.persist_interval_seconds = 0;
  auto db = Check(engine::Database::Open(dbo), "opening the database");

  const std::string index_spec = "HNSW" + std::to_string(o.m);
  const json config_json = {{"dim", d.dim}, {"metric", "l2"}, {"index", index_spec}, {"hnsw_ef_construction", static_cast<unsigned>(o.efc)}};
  auto config = Check(engine::CollectionConfig::FromJson(config_json), "collection config");
  std::printf("\n[engine] collection %s, building from %zu vectors in batches of 1000\n", config_json.dump().c_str(), d.nb);
  auto make_batch = [&](size_t begin, size_t end) {
    std::vector<engine::PointInput> batch(end - begin);
    for (size_t i = begin; i < end; ++i) {
      auto& p = batch[i - begin];
      p.id = engine::ExternalId(static_cast<uint64_t>(i));
      p.vector.assign(d.base.begin() + static_cast<std::ptrdiff_t>(i * d.dim),
                      d.base.begin() + static_cast<std::ptrdiff_t>((i + 1) * d.dim));
    }
    return batch;
  };
  const size_t rss_before = ProcStatusBytes("VmRSS");
  auto coll = Check(db->CreateCollection("fashion", config), "creating the collection");
  t0 = Clock::now();
  for (size_t begin = 0; begin < d.nb; begin += 1000) {
    Check(coll->Upsert(make_batch(begin, std::min(d.nb, begin + 1000))), "upserting");
  }
  const double build_s = Seconds(t0);
  const size_t rss_after = ProcStatusBytes("VmRSS");
  const size_t hwm_after_build = ProcStatusBytes("VmHWM");
  const double rss_delta = static_cast<double>(rss_after) - static_cast<double>(rss_before);
  const double per_million_mib = MiB(static_cast<size_t>(std::max(0.0, rss_delta))) / static_cast<double>(d.nb) * 1e6;
  std::printf("  build       %.2f s, %.0f vectors/s (M=%d, efConstruction=%d)\n", build_s,
              static_cast<double>(d.nb) / build_s, o.m, o.efc);
  std::printf("  memory      RSS +%.1f MiB for the collection (%.0f MiB per million 784-d vectors; raw floats "
              "alone are %.0f MiB); peak RSS %.1f MiB\n",
              MiB(static_cast<size_t>(std::max(0.0, rss_delta))), per_million_mib, 1e6 * d.dim * 4 / (1024.0 * 1024.0),
              MiB(hwm_after_build));
  report["memory"] = {{"rss_before_mib", MiB(rss_before)},
                      {"rss_after_build_mib", MiB(rss_after)},
                      {"peak_rss_after_build_mib", MiB(hwm_after_build)},
                      {"collection_rss_mib", MiB(static_cast<size_t>(std::max(0.0, rss_delta)))},
                      {"mib_per_million_vectors", per_million_mib}};

  // The write path without HTTP, for comparison with the HTTP upsert below: the same vectors into
  // a Flat collection (no graph to build), in process.
  double flat_upsert_vps = 0;
  {
    auto flat_config = Check(engine::CollectionConfig::FromJson(json{{"dim", d.dim}, {"metric", "l2"}, {"index", "Flat"}}),
                             "Flat collection config");
    auto flat = Check(db->CreateCollection("fashion_flat_inproc", flat_config), "creating the Flat collection");
    t0 = Clock::now();
    for (size_t begin = 0; begin < d.nb; begin += 1000) {
      Check(flat->Upsert(make_batch(begin, std::min(d.nb, begin + 1000))), "upserting into the Flat collection");
    }
    flat_upsert_vps = static_cast<double>(d.nb) / Seconds(t0);
    flat.reset();
    Check(db->DropCollection("fashion_flat_inproc"), "dropping the Flat collection");
    std::printf("  flat upsert %.0f vectors/s in process into a Flat collection (batches of 1000; the HTTP upsert's "
                "ceiling)\n", flat_upsert_vps);
  }
  report["engine"] = {{"index", index_spec},
                      {"m", o.m},
                      {"ef_construction", o.efc},
                      {"build_seconds", build_s},
                      {"build_vectors_per_s", static_cast<double>(d.nb) / build_s},
                      {"flat_upsert_vectors_per_s", flat_upsert_vps}};
  std::fflush(stdout);

  // --- hnswlib: build ---
  std::unique_ptr<HnswlibBaseline> hnsw;
  if (!o.skip_hnswlib) {
    std::printf("\n[hnswlib] M=%d, ef_construction=%d, built with %d threads\n", o.hnswlib_m, o.hnswlib_efc, o.threads);
    std::fflush(stdout);
    const size_t rss0 = ProcStatusBytes("VmRSS");
    hnsw = std::make_unique<HnswlibBaseline>(d.dim, d.nb, static_cast<size_t>(o.hnswlib_m), static_cast<size_t>(o.hnswlib_efc));
    t0 = Clock::now();
    hnsw->Build(d.base.data(), d.nb, o.threads);
    const double hb = Seconds(t0);
    const size_t rss1 = ProcStatusBytes("VmRSS");
    std::printf("  build       %.2f s, %.0f vectors/s; index %.1f MiB (RSS +%.1f MiB)\n", hb,
                static_cast<double>(d.nb) / hb, MiB(hnsw->MemoryBytes()), MiB(rss1 > rss0 ? rss1 - rss0 : 0));
    report["hnswlib"] = {{"m", o.hnswlib_m},
                         {"ef_construction", o.hnswlib_efc},
                         {"build_threads", o.threads},
                         {"build_seconds", hb},
                         {"build_vectors_per_s", static_cast<double>(d.nb) / hb},
                         {"index_mib", MiB(hnsw->MemoryBytes())},
                         {"rss_delta_mib", MiB(rss1 > rss0 ? rss1 - rss0 : 0)}};
  }

  // --- HTTP server ---
  std::unique_ptr<http::Api> api;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<client::HttpClient> client;
  if (!o.skip_http) {
    api = std::make_unique<http::Api>(db.get());
    http::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    so.threads = o.http_threads;
    server = std::make_unique<http::Server>(so, api.get());
    Check(server->Start(), "starting the HTTP server");
    client = std::make_unique<client::HttpClient>("127.0.0.1", server->port());
    std::printf("\n[http] server on 127.0.0.1:%u (%d I/O threads), one keep-alive client connection\n", server->port(),
                o.http_threads);
  }

  // --- searches: engine, HTTP, hnswlib interleaved per ef ---
  engine::SearchQuery sq;
  sq.k = kK;
  sq.with_payload = false;
  sq.vector = std::vector<float>(d.dim);
  size_t engine_errors = 0;
  SearchFn engine_search = [&](size_t q, size_t ef, uint32_t* out) {
    std::copy(d.query.begin() + static_cast<std::ptrdiff_t>(q * d.dim),
              d.query.begin() + static_cast<std::ptrdiff_t>((q + 1) * d.dim), sq.vector->begin());
    sq.params.ef = ef;
    auto r = coll->Search(sq);
    if (!r.ok()) {
      if (engine_errors++ == 0) std::fprintf(stderr, "engine search failed: %s\n", r.status().ToString().c_str());
      return;
    }
    const size_t n = std::min(kK, r->size());
    for (size_t i = 0; i < n; ++i) out[i] = IdOf((*r)[i].id);
  };
  std::string body;
  // POSTs `body` to `path`: the answer when it is a 200, else nullopt (the first failure printed).
  auto post_search = [&](const char* path, size_t* errors) -> std::optional<client::ClientResponse> {
    auto r = client->Request("POST", path, body);
    if (r.ok() && r->status == 200) return std::move(r).value();
    if ((*errors)++ == 0) {
      std::fprintf(stderr, "POST %s failed: %s\n", path,
                   r.ok() ? (std::to_string(r->status) + " " + r->body.substr(0, 300)).c_str()
                          : r.status().ToString().c_str());
    }
    return std::nullopt;
  };
  size_t http_errors = 0;
  std::map<size_t, std::pair<double, size_t>> http_handler_time;  // ef -> (seconds, requests)
  SearchFn http_search = [&](size_t q, size_t ef, uint32_t* out) {
    SearchBody(&body, d.query_u8.data() + q * d.dim, d.dim, ef);
    auto r = post_search("/collections/fashion/search", &http_errors);
    if (!r) return;
    ParseHitIds(r->body, out, kK);
    // The server's own time for the request (JSON parse + search + result JSON), for the breakdown.
    if (auto t = r->body.rfind("\"time\":"); t != std::string::npos) {
      auto& acc = http_handler_time[ef];
      acc.first += std::strtod(r->body.c_str() + t + 7, nullptr);
      acc.second += 1;
    }
  };
  // Qdrant's points/query on the same server and collection: what its shapes cost over LatentDB's.
  size_t qdrant_errors = 0;
  SearchFn qdrant_search = [&](size_t q, size_t ef, uint32_t* out) {
    QdrantQueryBody(&body, d.query_u8.data() + q * d.dim, d.dim, ef);
    if (auto r = post_search("/collections/fashion/points/query", &qdrant_errors)) ParseHitIds(r->body, out, kK);
  };
  SearchFn hnswlib_search = [&](size_t q, size_t ef, uint32_t* out) {
    hnsw->SetEf(ef);
    hnsw->Search(d.query.data() + q * d.dim, kK, out);
  };
  System engine_sys{"engine", engine_search, {}, {}};
  System http_sys{"http", http_search, {}, {}};
  System qdrant_sys{"qdrant", qdrant_search, {}, {}};
  System hnswlib_sys{"hnswlib", hnswlib_search, {}, {}};
  std::vector<System*> systems = {&engine_sys};
  if (!o.skip_http) {
    systems.push_back(&http_sys);
    systems.push_back(&qdrant_sys);
  }
  if (!o.skip_hnswlib) systems.push_back(&hnswlib_sys);
  std::printf("\n[search] %zu queries, one at a time on one thread; per ef the systems take turns, %zu timed "
              "pass(es) each, best QPS kept\n", d.nq, o.repeat);
  std::fflush(stdout);
  Sweep(o, gt, d.nq, systems);
  if (engine_errors) std::printf("  !! %zu engine searches failed\n", engine_errors);
  if (http_errors) std::printf("  !! %zu HTTP searches failed\n", http_errors);
  if (qdrant_errors) std::printf("  !! %zu HTTP points/query searches failed\n", qdrant_errors);
  const std::vector<Run>& engine_runs = engine_sys.runs;
  const std::vector<Run>& http_runs = http_sys.runs;
  const std::vector<Run>& hnswlib_runs = hnswlib_sys.runs;
  report["engine"]["runs"] = RunsToJson(engine_runs);
  report["engine"]["errors"] = engine_errors;
  report["repeat"] = o.repeat;
  if (!o.skip_hnswlib) report["hnswlib"]["runs"] = RunsToJson(hnswlib_runs);
  if (!o.skip_http) report["http_qdrant_query"]["runs"] = RunsToJson(qdrant_sys.runs);
  hnsw.reset();
  json breakdown = json::array();
  if (!o.skip_http) {
    std::printf("\n  HTTP time per query (µs, mean of all passes): round trip = server handler (JSON parse + search + result JSON) + the rest\n"
                "  (Beast read/write, loopback TCP, thread hand-offs, client); in-process Collection::Search for reference\n");
    for (size_t i = 0; i < http_runs.size() && i < engine_runs.size(); ++i) {
      const size_t ef = http_runs[i].ef;
      const auto& acc = http_handler_time[ef];
      // Means over all passes, like the handler time.
      const double rt = 1e6 / http_runs[i].qps_mean, inproc = 1e6 / engine_runs[i].qps_mean;
      const double handler = acc.second ? 1e6 * acc.first / static_cast<double>(acc.second) : 0;
      std::printf("  ef=%-5zu round trip %7.1f = handler %7.1f + rest %7.1f;  in-process search %7.1f\n", ef, rt,
                  handler, rt - handler, inproc);
      breakdown.push_back({{"ef", ef}, {"round_trip_us", rt}, {"handler_us", handler}, {"in_process_us", inproc}});
    }
  }

  // --- where the HTTP time goes: the request's JSON steps, timed one by one in process ---
  if (!o.skip_http) {
    const Run* at = BestAtTarget(engine_runs);
    const size_t ef = at ? at->ef : o.ef_list.front();
    const size_t n = std::min<size_t>(d.nq, 2000);
    double t_ser = 0, t_parse = 0, t_query = 0, t_search = 0, t_result = 0;
    size_t sink = 0;
    for (size_t q = 0; q < n; ++q) {
      auto c0 = Clock::now();
      SearchBody(&body, d.query_u8.data() + q * d.dim, d.dim, ef);
      auto c1 = Clock::now();
      auto parsed = Check(http::ParseJsonBody(body), "parsing a search body");
      auto c2 = Clock::now();
      auto query = Check(http::ParseSearch(parsed), "decoding a search body");
      auto c3 = Clock::now();
      auto hits = Check(coll->Search(query.query), "searching");
      auto c4 = Clock::now();
      json result = json::array();
      for (const auto& h : hits) result.push_back(http::ScoredPointToJson(h));
      json envelope = {{"result", std::move(result)}, {"status", "ok"}, {"time", 0.0}};
      sink += envelope.dump(-1, ' ', false, json::error_handler_t::replace).size();
      auto c5 = Clock::now();
      t_ser += std::chrono::duration<double>(c1 - c0).count();
      t_parse += std::chrono::duration<double>(c2 - c1).count();
      t_query += std::chrono::duration<double>(c3 - c2).count();
      t_search += std::chrono::duration<double>(c4 - c3).count();
      t_result += std::chrono::duration<double>(c5 - c4).count();
    }
    const double us = 1e6 / static_cast<double>(n);
    std::printf("\n  one search request's steps in process, mean of %zu at ef=%zu (µs): client body %.1f | "
                "ParseJsonBody %.1f | ParseSearch %.1f | Collection::Search %.1f | result JSON %.1f\n",
                n, ef, t_ser * us, t_parse * us, t_query * us, t_search * us, t_result * us);
    // The same for one upsert request of 1000 points (without the write itself).
    double u_ser = 0, u_parse = 0, u_points = 0;
    const size_t batches = std::min<size_t>(5, d.nb / 1000);
    for (size_t b = 0; b < batches; ++b) {
      auto c0 = Clock::now();
      body.clear();
      body.append("{\"points\":[");
      for (size_t i = b * 1000; i < (b + 1) * 1000; ++i) {
        if (i != b * 1000) body.push_back(',');
        body.append("{\"id\":").append(std::to_string(i)).append(",\"vector\":");
        AppendVector(&body, d.base_u8.data() + i * d.dim, d.dim);
        body.push_back('}');
      }
      body.append("]}");
      auto c1 = Clock::now();
      auto parsed = Check(http::ParseJsonBody(body), "parsing an upsert body");
      auto c2 = Clock::now();
      auto points = Check(http::ParsePoints(std::move(parsed)), "decoding an upsert body");
      auto c3 = Clock::now();
      sink += points.size();
      u_ser += std::chrono::duration<double>(c1 - c0).count();
      u_parse += std::chrono::duration<double>(c2 - c1).count();
      u_points += std::chrono::duration<double>(c3 - c2).count();
    }
    if (batches) {
      const double ms = 1e3 / static_cast<double>(batches);
      std::printf("  one upsert request of 1000 points in process, mean of %zu (ms): client body %.1f | ParseJsonBody %.1f | "
                  "ParsePoints %.1f | (engine write ≈ %.1f from the in-process Flat rate)\n",
                  batches, u_ser * ms, u_parse * ms, u_points * ms, 1e3 * 1000 / flat_upsert_vps);
    }
    report["http_steps"] = {{"search_ef", ef},
                            {"search_client_body_us", t_ser * us},
                            {"search_parse_json_us", t_parse * us},
                            {"search_parse_query_us", t_query * us},
                            {"search_engine_us", t_search * us},
                            {"search_result_json_us", t_result * us},
                            {"upsert1000_client_body_ms", batches ? u_ser * 1e3 / batches : 0},
                            {"upsert1000_parse_json_ms", batches ? u_parse * 1e3 / batches : 0},
                            {"upsert1000_parse_points_ms", batches ? u_points * 1e3 / batches : 0}};
    if (sink == 0) std::printf(" ");
  }

  // --- HTTP upsert into a fresh Flat collection, client-side JSON serialization included ---
  if (!o.skip_http) {
    std::printf("\n[http upsert]\n");
    // One pass of the base vectors into a fresh Flat collection, in batches of 1000: LatentDB's
    // {"points": [{"id", "vector"}…]} or Qdrant's column form {"batch": {"ids", "vectors"}}.
    double serialize_s = 0;
    size_t body_bytes = 0;
    auto upsert_pass = [&](const std::string& name, bool qdrant_batch) {
      auto created = client->Request("PUT", "/collections/" + name,
                                     json{{"dim", d.dim}, {"metric", "l2"}, {"index", "Flat"}}.dump());
      if (!created.ok() || created->status != 200) {
        Die("creating the Flat collection over HTTP: " +
            (created.ok() ? std::to_string(created->status) + " " + created->body : created.status().ToString()));
      }
      serialize_s = 0;
      body_bytes = 0;
      const auto start = Clock::now();
      for (size_t begin = 0; begin < d.nb; begin += 1000) {
        const size_t end = std::min(d.nb, begin + 1000);
        auto s0 = Clock::now();
        body.clear();
        if (qdrant_batch) {
          body.append("{\"batch\":{\"ids\":[");
          for (size_t i = begin; i < end; ++i) {
            if (i != begin) body.push_back(',');
            body.append(std::to_string(i));
          }
          body.append("],\"vectors\":[");
          for (size_t i = begin; i < end; ++i) {
            if (i != begin) body.push_back(',');
            AppendVector(&body, d.base_u8.data() + i * d.dim, d.dim);
          }
          body.append("]}}");
        } else {
          body.append("{\"points\":[");
          for (size_t i = begin; i < end; ++i) {
            if (i != begin) body.push_back(',');
            body.append("{\"id\":");
            body.append(std::to_string(i));
            body.append(",\"vector\":");
            AppendVector(&body, d.base_u8.data() + i * d.dim, d.dim);
            body.push_back('}');
          }
          body.append("]}");
        }
        serialize_s += Seconds(s0);
        body_bytes += body.size();
        auto r = client->Request("PUT", "/collections/" + name + "/points", body);
        if (!r.ok() || r->status != 200) {
          Die("HTTP upsert failed: " + (r.ok() ? std::to_string(r->status) + " " + r->body.substr(0, 300) : r.status().ToString()));
        }
      }
      return Seconds(start);
    };
    auto drop = [&](const std::string& name) {
      auto dropped = client->Request("DELETE", "/collections/" + name);
      if (!dropped.ok() || dropped->status != 200) std::printf("  (could not drop %s)\n", name.c_str());
    };
    // Qdrant's shape against LatentDB's, alternating (own, Qdrant, own, Qdrant), best of each.
    double qdrant_best_s = 0, own_again_s = 0;
    {
      for (int rep = 0; rep < 2; ++rep) {
        if (rep == 1) {
          own_again_s = upsert_pass("fashion_http_flat_own", false);
          drop("fashion_http_flat_own");
        }
        const double q = upsert_pass("fashion_http_flat_q", true);
        drop("fashion_http_flat_q");
        qdrant_best_s = rep == 0 ? q : std::min(qdrant_best_s, q);
      }
    }
    const double first_s = upsert_pass("fashion_http_flat", false);
    const double upsert_s = own_again_s > 0 ? std::min(first_s, own_again_s) : first_s;
    const double upsert_vps = static_cast<double>(d.nb) / upsert_s;
    auto info = client->Request("GET", "/collections/fashion_http_flat");
    size_t stored = 0;
    if (info.ok() && info->status == 200) {
      try {
        stored = json::parse(info->body)["result"]["points_count"].get<size_t>();
      } catch (const std::exception&) {
      }
    }
    std::printf("  upsert      %zu vectors over HTTP into a Flat collection in %.2f s: %.0f vectors/s "
                "(client serialization %.2f s, %.1f MiB of JSON); collection reports %zu points\n",
                d.nb, upsert_s, upsert_vps, serialize_s, MiB(body_bytes), stored);
    drop("fashion_http_flat");
    if (qdrant_best_s > 0) {
      std::printf("  upsert      the same in Qdrant's batch form (PUT …/points {\"batch\": {\"ids\", \"vectors\"}}): "
                  "%.0f vectors/s, %.2fx LatentDB's form (best of 2 each, alternating)\n",
                  static_cast<double>(d.nb) / qdrant_best_s, upsert_s / qdrant_best_s);
      report["http_qdrant_upsert"] = {{"vectors_per_s", static_cast<double>(d.nb) / qdrant_best_s},
                                      {"own_vectors_per_s", upsert_vps}};
    }
    client.reset();
    server->Stop();
    server.reset();
    api.reset();
    report["http"] = {{"connections", 1},
                      {"time_breakdown", breakdown},
                      {"server_threads", o.http_threads},
                      {"runs", RunsToJson(http_runs)},
                      {"errors", http_errors},
                      {"upsert_flat_seconds", upsert_s},
                      {"upsert_flat_vectors_per_s", upsert_vps},
                      {"upsert_client_serialize_seconds", serialize_s},
                      {"upsert_json_mib", MiB(body_bytes)},
                      {"upsert_points_stored", stored}};
  }

  // --- restart: persisted index vs rebuild from RocksDB ---
  {
    std::printf("\n[restart]\n");
    // Recall of the first queries after a reopen, at the ef of the list's last entry.
    const size_t check_q = std::min<size_t>(d.nq, 1000);
    const size_t check_ef = o.ef_list.back();
    const size_t check_idx = static_cast<size_t>(std::find(o.ef_list.begin(), o.ef_list.end(), check_ef) - o.ef_list.begin());
    auto verify = [&](const char* what, json* out) {
      coll = Check(db->GetCollection("fashion"), "collection after reopen");
      Neighbours found;
      Run r = TimedPass(gt, check_q, check_ef, engine_search, &found);
      size_t same = 0;
      for (size_t q = 0; q < check_q; ++q) {
        same += std::equal(found.begin() + static_cast<std::ptrdiff_t>(q * kK),
                           found.begin() + static_cast<std::ptrdiff_t>((q + 1) * kK),
                           engine_sys.found[check_idx].begin() + static_cast<std::ptrdiff_t>(q * kK));
      }
      std::printf("  %-10s points=%zu, recall@10=%.4f on %zu queries at ef=%zu; identical results to before: %zu/%zu\n",
                  what, coll->size(), r.recall, check_q, check_ef, same, check_q);
      (*out)["points"] = coll->size();
      (*out)["check_recall"] = r.recall;
      (*out)["identical_results"] = same;
      (*out)["check_queries"] = check_q;
    };
    json restart;
    coll.reset();
    t0 = Clock::now();
    db->Close();
    const double close_s = Seconds(t0);
    db.reset();
    size_t idx_bytes = 0;
    for (const auto& f : IndexFiles(data_dir)) idx_bytes += fs::file_size(f);
    std::printf("  close       %.2f s (saves the index: %.1f MiB in %s/indexes)\n", close_s, MiB(idx_bytes), data_dir.c_str());
    restart["close_seconds"] = close_s;
    restart["index_file_mib"] = MiB(idx_bytes);

    t0 = Clock::now();
    db = Check(engine::Database::Open(dbo), "reopening the database");
    const double open_loaded_s = Seconds(t0);
    std::printf("  open        %.2f s with the saved index\n", open_loaded_s);
    restart["open_loaded_seconds"] = open_loaded_s;
    json loaded;
    verify("loaded", &loaded);
    restart["loaded"] = loaded;
    coll.reset();
    db->Close();
    db.reset();

    size_t removed = 0;
    for (const auto& f : IndexFiles(data_dir)) removed += fs::remove(f);
    t0 = Clock::now();
    db = Check(engine::Database::Open(dbo), "reopening the database without index files");
    const double open_rebuild_s = Seconds(t0);
    std::printf("  open        %.2f s rebuilding the index from RocksDB (%zu index file(s) deleted)\n", open_rebuild_s, removed);
    restart["open_rebuild_seconds"] = open_rebuild_s;
    json rebuilt;
    verify("rebuilt", &rebuilt);
    restart["rebuilt"] = rebuilt;
    coll.reset();
    db->Close();
    db.reset();
    report["restart"] = restart;
  }
  std::error_code ec;
  fs::remove_all(data_dir, ec);
  Dying().temp_dir.clear();

  // --- summary ---
  PrintTable(engine_runs, http_runs, hnswlib_runs);
  const Run* be = BestAtTarget(engine_runs);
  const Run* bh = BestAtTarget(http_runs);
  const Run* bl = BestAtTarget(hnswlib_runs);
  const Run* bq = BestAtTarget(qdrant_sys.runs);
  auto describe = [](const char* name, const Run* r, bool skipped) {
    if (skipped) return std::printf("  %-8s skipped\n", name), void();
    if (!r) return std::printf("  %-8s no setting reached recall@10 >= %.2f\n", name, kTargetRecall), void();
    std::printf("  %-8s best QPS at recall@10 >= %.2f: %.1f (ef=%zu, recall %.4f)\n", name, kTargetRecall, r->qps, r->ef, r->recall);
  };
  std::printf("\nSummary (recall@10 >= %.2f; best QPS of each system among its qualifying settings)\n", kTargetRecall);
  describe("engine", be, false);
  describe("http", bh, o.skip_http);
  describe("hnswlib", bl, o.skip_hnswlib);
  describe("qdrant", bq, o.skip_http);
  json summary;
  auto target = [&](const char* label, const char* key, const Run* a, const Run* b, double goal, bool skipped) {
    if (skipped) {
      std::printf("  %-34s SKIPPED\n", label);
      summary[key] = nullptr;
      return;
    }
    if (!a || !b) {
      std::printf("  %-34s n/a (a system did not reach the recall) -> FAIL (target >= %.2fx)\n", label, goal);
      summary[key] = {{"ratio", nullptr}, {"target", goal}, {"pass", false}};
      return;
    }
    const double ratio = a->qps / b->qps;
    const bool pass = ratio >= goal;
    // The same with the median of the repetitions, at the same settings: a check on the noise.
    const double median_ratio = a->qps_median / b->qps_median;
    std::printf("  %-34s %.2fx (target >= %.2fx) -> %s   [medians: %.2fx]\n", label, ratio, goal, pass ? "PASS" : "FAIL",
                median_ratio);
    summary[key] = {{"ratio", ratio}, {"median_ratio", median_ratio}, {"target", goal}, {"pass", pass}};
  };
  target("engine in-process / hnswlib QPS", "engine_vs_hnswlib", be, bl, 1.0, o.skip_hnswlib);
  target("HTTP (1 connection) / hnswlib QPS", "http_vs_hnswlib", bh, bl, 0.5, o.skip_http || o.skip_hnswlib);
  target("HTTP points/query / HTTP search QPS", "qdrant_query_vs_search", bq, bh, 0.95, o.skip_http);
  if (!o.skip_http) {
    const double vps = report["http"]["upsert_flat_vectors_per_s"].get<double>();
    const bool pass = vps >= 10000;
    std::printf("  %-34s %.0f vectors/s (target >= 10000) -> %s\n", "HTTP upsert (Flat, batches of 1000)", vps,
                pass ? "PASS" : "FAIL");
    summary["http_upsert"] = {{"vectors_per_s", vps}, {"target", 10000}, {"pass", pass}};
    if (report.contains("http_qdrant_upsert")) {
      const double ratio = report["http_qdrant_upsert"]["vectors_per_s"].get<double>() / vps;
      std::printf("  %-34s %.2fx (target >= 0.95x) -> %s\n", "HTTP upsert Qdrant batch / own", ratio,
                  ratio >= 0.95 ? "PASS" : "FAIL");
      summary["qdrant_upsert_vs_own"] = {{"ratio", ratio}, {"target", 0.95}, {"pass", ratio >= 0.95}};
    }
  }
  const size_t hwm = ProcStatusBytes("VmHWM");
  std::printf("  peak RSS of the whole run: %.1f MiB\n", MiB(hwm));
  report["memory"]["peak_rss_end_mib"] = MiB(hwm);
  auto best_json = [](const Run* r) {
    return r ? json{{"ef", r->ef}, {"recall", r->recall}, {"qps", r->qps}, {"qps_median", r->qps_median}} : json(nullptr);
  };
  summary["target_recall"] = kTargetRecall;
  summary["engine_best"] = best_json(be);
  summary["http_best"] = best_json(bh);
  summary["hnswlib_best"] = best_json(bl);
  report["summary"] = summary;
  report["bench"] = "ann_bench";
  report["quick"] = o.quick;
  std::printf("\n%s\n", report.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace latentdb::bench

int main(int argc, char** argv) { return latentdb::bench::Main(argc, argv); }
