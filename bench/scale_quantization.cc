// scale_bench --part quantization: float, int8, float16 and binary HNSW32 collections against
// hnswlib on the same data, in one run (issue 13):
//
//   data     --data clustered: n points of Deep1B's shape (96-d, unit length; the generator of
//            scale_bench.cc), queries from the same mixture with another seed.
//            --data fashion-mnist: the 60,000 training images as 784 raw-pixel floats, the test
//            images as queries (Debian's fashion-mnist package).
//   build    each collection in its own child process and data directory: a bulk load of
//            batches of 10,000 (payload {"i": row}), the HNSW32 graph (efConstruction 100) built
//            at the end, the index saved; vectors/s and the child's peak RSS. hnswlib
//            (M 32, efConstruction 100, 2 threads) the same way.
//   serve    each collection reopened in a fresh child process: time to open, RSS added by the
//            open per point, then recall@10 against the exact answers and single-thread
//            queries/s (one query at a time, Collection::Search in process) at each ef, for the
//            quantized ones with rescoring at each oversampling; hnswlib at each ef.
//   head to head  every collection reopened in one process, at each of its settings that reach
//            recall@10 >= 0.99 and are not dominated (no reaching setting with both a smaller ef
//            and a smaller oversampling), measured in --rounds alternating rounds; each
//            collection's best median, and its ratio to float's.
//
// Prints the load average at start and end, a table and one JSON line.

#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/child_process.h"
#include "bench/hnswlib_baseline.h"
#include "bench/scale_data.h"
#include "engine/collection.h"
#include "engine/database.h"
#include "formats/idx.h"
#include "index/distance.h"

namespace latentdb::bench {
namespace {

using nlohmann::json;
constexpr size_t kK = 10;

struct Data {
  std::string name;
  size_t dim = 0, n = 0, nq = 0;
  std::vector<float> base, queries;
  std::vector<std::vector<uint32_t>> truth;
};

Data Load(const std::map<std::string, std::string>& opt) {
  Data d;
  d.nq = std::stoul(opt.at("queries"));
  if (opt.at("data") == "fashion-mnist") {
    const std::string dir = "/usr/share/datasets/fashion-mnist";
    auto train = Check(formats::ReadIdxImages(dir + "/train-images-idx3-ubyte.gz", 60000), "reading the training images");
    auto test = Check(formats::ReadIdxImages(dir + "/t10k-images-idx3-ubyte.gz", d.nq), "reading the test images");
    d.name = "fashion-mnist-784";
    d.dim = train.rows * train.cols;
    d.n = train.count;
    d.nq = test.count;
    d.base.assign(train.pixels.begin(), train.pixels.end());
    d.queries.assign(test.pixels.begin(), test.pixels.end());
  } else {
    d.name = "clustered-96";
    d.dim = kClusteredDim;
    d.n = std::stoul(opt.at("n"));
    const auto centres = ClusterCentres();
    d.base = Clustered(d.n, 2, centres);
    d.queries = Clustered(d.nq, 3, centres);
  }
  // Exact top 10 by brute force.
  d.truth.resize(d.nq);
  std::vector<std::pair<float, uint32_t>> dist(d.n);
  for (size_t q = 0; q < d.nq; ++q) {
    for (size_t i = 0; i < d.n; ++i) dist[i] = {index::L2Sqr(&d.queries[q * d.dim], &d.base[i * d.dim], d.dim), uint32_t(i)};
    std::partial_sort(dist.begin(), dist.begin() + kK, dist.end());
    for (size_t i = 0; i < kK; ++i) d.truth[q].push_back(dist[i].second);
  }
  return d;
}

struct Variant {
  std::string name;
  json config;                     // beside dim, index
  std::vector<double> oversampling;  // empty: not quantized; 0: not rescored
};

std::vector<Variant> Variants(const std::string& only) {
  std::vector<Variant> all = {
      {"float", {{"metric", "l2"}}, {}},
      {"int8", {{"metric", "l2"}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}}, {0.0, 1.0, 1.5, 2.0, 3.0}},
      // The same codes kept out of RAM ("on_disk": true): a memory-mapped file the page cache holds.
      {"int8-disk", {{"metric", "l2"}, {"on_disk", true}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}},
       {0.0, 1.5, 3.0}},
      {"float16", {{"metric", "l2"}, {"datatype", "float16"}}, {0.0, 1.0}},
      // Sign bits need a direction: cosine (the same neighbours as l2 on unit vectors; Fashion-MNIST
      // pixels are not unit vectors, so there its recall is against the l2 answers, as Qdrant's).
      {"binary", {{"metric", "cosine"}, {"quantization_config", {{"binary", {{"always_ram", true}}}}}}, {0.0, 10.0, 30.0}},
  };
  if (only.empty()) return all;
  std::vector<Variant> out;
  for (auto& v : all) {
    if (("," + only + ",").find("," + v.name + ",") != std::string::npos) out.push_back(v);
  }
  return out;
}

json Build(const Data& d, const Variant& v, const std::string& dir) {
  engine::DatabaseOptions o;
  o.data_dir = dir;
  o.persist_interval_seconds = 0;
  const size_t hwm_before = ProcStatusBytes("VmHWM");
  auto db = Check(engine::Database::Open(o), "opening");
  json config = v.config;
  config["dim"] = d.dim;
  config["index"] = "HNSW32";
  auto c = Check(db->CreateCollection("c", Check(engine::CollectionConfig::FromJson(config), "config")), "creating");
  const auto start = Clock::now();
  c->Reserve(d.n);
  c->BeginBulkLoad();
  for (size_t i = 0; i < d.n; i += 10000) {
    engine::UpsertBatch batch;
    const size_t end = std::min(d.n, i + 10000);
    batch.Reserve(end - i, (end - i) * d.dim);
    for (size_t j = i; j < end; ++j) {
      batch.Add(engine::ExternalId(uint64_t{j}), std::span<const float>(&d.base[j * d.dim], d.dim), json{{"i", j}});
    }
    Check(c->Upsert(std::move(batch)), "upserting");
  }
  Check(c->EndBulkLoad(), "building the index");
  const double seconds = Seconds(start);
  Check(db->Checkpoint(), "saving");
  return {{"load_seconds", seconds}, {"vectors_per_second", double(d.n) / seconds},
          {"peak_rss_mib", MiB(ProcStatusBytes("VmHWM"))}, {"peak_rss_before_mib", MiB(hwm_before)}};
}

struct Measured {
  double recall = 0, qps = 0;
};

template <typename SearchFn>
Measured Measure(const Data& d, SearchFn search) {
  for (size_t q = 0; q < d.nq; ++q) search(q);  // a warm-up pass: caches as a steady load finds them
  size_t found = 0;
  const auto start = Clock::now();
  for (size_t q = 0; q < d.nq; ++q) {
    for (uint32_t id : search(q)) found += std::count(d.truth[q].begin(), d.truth[q].end(), id);
  }
  Measured m;
  m.qps = double(d.nq) / Seconds(start);
  m.recall = double(found) / double(d.nq * kK);
  return m;
}

// The ids of query q's k nearest through Collection::Search (oversampling 0: the codes' own top k,
// not rescored).
std::vector<uint32_t> SearchIds(engine::Collection& c, const Data& d, size_t q, size_t ef, double oversampling) {
  engine::SearchQuery query;
  query.vector = std::vector<float>(d.queries.begin() + static_cast<std::ptrdiff_t>(q * d.dim),
                                    d.queries.begin() + static_cast<std::ptrdiff_t>((q + 1) * d.dim));
  query.k = kK;
  query.params.ef = ef;
  query.quantization.rescore = oversampling > 0;
  query.quantization.oversampling = std::max(1.0, oversampling);
  query.with_payload = false;
  std::vector<uint32_t> ids;
  for (const auto& h : Check(c.Search(query), "search")) ids.push_back(h.id.ToJson().get<uint32_t>());
  return ids;
}

json Serve(const Data& d, const Variant& v, const std::string& dir, const std::vector<size_t>& efs) {
  engine::DatabaseOptions o;
  o.data_dir = dir;
  o.persist_interval_seconds = 0;
  const size_t rss_before = ProcStatusBytes("VmRSS");
  const size_t anon_before = ProcStatusBytes("RssAnon");
  const auto start = Clock::now();
  auto db = Check(engine::Database::Open(o), "opening");
  const double open_s = Seconds(start);
  const size_t rss = ProcStatusBytes("VmRSS") - std::min(ProcStatusBytes("VmRSS"), rss_before);
  // Anonymous memory only: what the process holds itself, not pages of mapped files (the page
  // cache's, which the kernel drops under pressure: on-disk codes, the index file while loading).
  const size_t anon = ProcStatusBytes("RssAnon") - std::min(ProcStatusBytes("RssAnon"), anon_before);
  auto c = Check(db->GetCollection("c"), "collection");
  json rows = json::array();
  std::vector<double> oversampling = v.oversampling.empty() ? std::vector<double>{1.0} : v.oversampling;
  for (double os : oversampling) {
    for (size_t ef : efs) {
      const Measured m = Measure(d, [&](size_t q) { return SearchIds(*c, d, q, ef, os); });
      rows.push_back({{"ef", ef}, {"oversampling", os}, {"recall", m.recall}, {"qps", m.qps}});
    }
  }
  const size_t rss_searched = ProcStatusBytes("VmRSS") - std::min(ProcStatusBytes("VmRSS"), rss_before);
  const size_t anon_searched = ProcStatusBytes("RssAnon") - std::min(ProcStatusBytes("RssAnon"), anon_before);
  return {{"open_seconds", open_s}, {"rss_mib", MiB(rss)}, {"rss_bytes_per_point", double(rss) / double(d.n)},
          {"anon_bytes_per_point", double(anon) / double(d.n)},
          {"rss_after_searches_bytes_per_point", double(rss_searched) / double(d.n)},
          {"anon_after_searches_bytes_per_point", double(anon_searched) / double(d.n)}, {"searches", rows}};
}

json Hnswlib(const Data& d, const std::vector<size_t>& efs) {
  const size_t rss_before = ProcStatusBytes("VmRSS");
  HnswlibBaseline h(d.dim, d.n, 32, 100);
  const auto start = Clock::now();
  h.Build(d.base.data(), d.n, 2);
  const double seconds = Seconds(start);
  const size_t rss = ProcStatusBytes("VmRSS") - std::min(ProcStatusBytes("VmRSS"), rss_before);
  json rows = json::array();
  for (size_t ef : efs) {
    h.SetEf(ef);
    const Measured m = Measure(d, [&](size_t q) {
      std::vector<uint32_t> ids(kK);
      ids.resize(h.Search(&d.queries[q * d.dim], kK, ids.data()));
      return ids;
    });
    rows.push_back({{"ef", ef}, {"oversampling", 1.0}, {"recall", m.recall}, {"qps", m.qps}});
  }
  return {{"load_seconds", seconds}, {"vectors_per_second", double(d.n) / seconds}, {"rss_mib", MiB(rss)},
          {"rss_bytes_per_point", double(rss) / double(d.n)}, {"memory_bytes", h.MemoryBytes()}, {"searches", rows}};
}

// The settings of one result that reach recall@10 >= floor and are not dominated: no other
// reaching setting has both ef and oversampling at most as large. Which of them is fastest is left
// to the head-to-head rounds: picking by the separate passes' queries/s picked noise (a ×3
// oversampling over ×1.5 at the same ef, on one pass 15 % faster by chance).
json CheapestAt(const json& searches, double floor) {
  std::vector<json> reaching;
  for (const auto& s : searches) {
    if (s["recall"].get<double>() >= floor) reaching.push_back(s);
  }
  auto no_cheaper = [](const json& a, const json& b) {  // a at least as cheap as b on both knobs
    return a["ef"].get<size_t>() <= b["ef"].get<size_t>() && a["oversampling"].get<double>() <= b["oversampling"].get<double>();
  };
  json out = json::array();
  for (size_t i = 0; i < reaching.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < reaching.size() && !dominated; ++j) {
      dominated = j != i && no_cheaper(reaching[j], reaching[i]) && !no_cheaper(reaching[i], reaching[j]);
    }
    if (!dominated) out.push_back(reaching[i]);
  }
  return out;
}

// Queries/s of each collection at each of its candidate settings ({name: [{ef, oversampling}]}),
// all opened in one process and measured in alternating rounds (a pass over the queries per
// setting, in turn), so that a drift of the machine's speed during the run — seen as ±30 %
// between children on this VM — falls on every contender alike. Each collection's figure is its
// setting with the highest median; its ratio to float is the median of the rounds' ratios between
// that setting and float's own best.
json HeadToHead(const Data& d, const std::string& work, const json& candidates, int rounds) {
  std::vector<std::unique_ptr<engine::Database>> dbs;
  std::map<std::string, std::shared_ptr<engine::Collection>> collections;
  for (const auto& [name, settings] : candidates.items()) {
    engine::DatabaseOptions o;
    o.data_dir = work + "/" + name;
    o.persist_interval_seconds = 0;
    dbs.push_back(Check(engine::Database::Open(o), "opening"));
    collections[name] = Check(dbs.back()->GetCollection("c"), "collection");
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::map<std::string, std::vector<std::vector<double>>> qps;  // name -> setting -> rounds
  for (auto& [name, settings] : candidates.items()) qps[name].resize(settings.size());
  for (int r = 0; r <= rounds; ++r) {  // round 0 warms the caches
    for (auto& [name, settings] : candidates.items()) {
      for (size_t i = 0; i < settings.size(); ++i) {
        const size_t ef = settings[i]["ef"].get<size_t>();
        const double os = settings[i]["oversampling"].get<double>();
        const auto start = Clock::now();
        for (size_t q = 0; q < d.nq; ++q) SearchIds(*collections[name], d, q, ef, os);
        if (r > 0) qps[name][i].push_back(double(d.nq) / Seconds(start));
      }
    }
  }
  std::map<std::string, std::vector<double>> medians;  // name -> setting -> median queries/s
  std::map<std::string, size_t> best;                   // name -> its setting of the highest median
  for (auto& [name, per_setting] : qps) {
    for (const auto& rounds_qps : per_setting) medians[name].push_back(median(rounds_qps));
    best[name] = static_cast<size_t>(std::max_element(medians[name].begin(), medians[name].end()) - medians[name].begin());
  }
  json out;
  for (auto& [name, per_setting] : qps) {
    const std::vector<double>& rates = per_setting[best[name]];
    std::vector<double> ratios;
    if (qps.count("float")) {
      const std::vector<double>& float_rates = qps["float"][best["float"]];
      for (size_t r = 0; r < rates.size(); ++r) ratios.push_back(rates[r] / float_rates[r]);
    }
    json tried = json::array();
    for (size_t i = 0; i < per_setting.size(); ++i) {
      tried.push_back({{"ef", candidates[name][i]["ef"]}, {"oversampling", candidates[name][i]["oversampling"]},
                       {"recall", candidates[name][i]["recall"]}, {"qps_median", medians[name][i]}});
    }
    const json& chosen = candidates[name][best[name]];
    out[name] = {{"ef", chosen["ef"]}, {"oversampling", chosen["oversampling"]}, {"recall", chosen["recall"]},
                 {"qps_rounds", rates}, {"qps_median", medians[name][best[name]]},
                 {"ratio_to_float_median", ratios.empty() ? json() : json(median(ratios))}, {"settings_tried", tried}};
  }
  return out;
}

}  // namespace

int RunQuantizationPart(const std::map<std::string, std::string>& opt) {
  const std::string work = opt.at("work-dir");
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  Dying().temp_dir = work;
  std::printf("load average at start: %s\n", LoadAverage().c_str());
  auto start = Clock::now();
  const Data d = Load(opt);
  std::printf("%s: %zu points, %zu queries, exact answers in %.1f s\n", d.name.c_str(), d.n, d.nq, Seconds(start));
  std::vector<size_t> efs;
  for (size_t pos = 0; pos < opt.at("ef-list").size();) {
    size_t comma = opt.at("ef-list").find(',', pos);
    if (comma == std::string::npos) comma = opt.at("ef-list").size();
    efs.push_back(std::stoul(opt.at("ef-list").substr(pos, comma - pos)));
    pos = comma + 1;
  }
  json report = {{"part", "quantization"}, {"data", d.name}, {"n", d.n}, {"dim", d.dim}, {"queries", d.nq}, {"k", kK}};
  json results;
  for (const auto& v : Variants(opt.at("variants"))) {
    const std::string dir = work + "/" + v.name;
    json built = InChild(work + "/" + v.name + ".build.json", [&] { return Build(d, v, dir); });
    std::printf("%-8s built: %.0f vectors/s, peak RSS %.0f MiB\n", v.name.c_str(), built["vectors_per_second"].get<double>(),
                built["peak_rss_mib"].get<double>());
    json served = InChild(work + "/" + v.name + ".serve.json", [&] { return Serve(d, v, dir, efs); });
    std::printf("%-8s opened in %.2f s, %.0f bytes/point of RSS (%.0f anonymous; after the searches %.0f, %.0f)\n",
                v.name.c_str(), served["open_seconds"].get<double>(), served["rss_bytes_per_point"].get<double>(),
                served["anon_bytes_per_point"].get<double>(), served["rss_after_searches_bytes_per_point"].get<double>(),
                served["anon_after_searches_bytes_per_point"].get<double>());
    results[v.name] = {{"build", built}, {"serve", served}};
  }
  if (opt.at("hnswlib") != "no") {
    results["hnswlib"] = InChild(work + "/hnswlib.json", [&] { return Hnswlib(d, efs); });
    std::printf("hnswlib  built: %.0f vectors/s\n", results["hnswlib"]["vectors_per_second"].get<double>());
  }

  std::printf("\n%-8s %13s %9s %11s %5s %5s %9s %10s\n", "variant", "vectors/s", "open s", "B/point", "ef", "over",
              "recall@10", "queries/s");
  for (auto& [name, r] : results.items()) {
    const json& serve = r.contains("serve") ? r["serve"] : r;
    const json& build = r.contains("build") ? r["build"] : r;
    for (const auto& s : serve["searches"]) {
      std::printf("%-8s %13.0f %9.2f %11.0f %5d %5.1f %9.4f %10.0f\n", name.c_str(), build["vectors_per_second"].get<double>(),
                  serve.value("open_seconds", 0.0), serve["rss_bytes_per_point"].get<double>(), s["ef"].get<int>(),
                  s["oversampling"].get<double>(), s["recall"].get<double>(), s["qps"].get<double>());
    }
  }
  // The targets: int8 with rescoring at recall@10 >= 0.99 against float at the same floor, head to
  // head; RSS per point.
  if (results.contains("float")) {
    const double float_rss = results["float"]["serve"]["rss_bytes_per_point"].get<double>();
    json ratios;
    json candidates;
    for (auto& [name, r] : results.items()) {
      const json& serve = r.contains("serve") ? r["serve"] : r;
      const json reaching = CheapestAt(serve["searches"], 0.99);
      ratios[name] = {{"settings_at_0.99", reaching}, {"rss_ratio_to_float", serve["rss_bytes_per_point"].get<double>() / float_rss}};
      std::printf("%-8s RSS/point %.2fx float; %zu setting(s) reach recall@10 >= 0.99\n", name.c_str(),
                  ratios[name]["rss_ratio_to_float"].get<double>(), reaching.size());
      if (r.contains("serve") && !reaching.empty()) candidates[name] = reaching;
    }
    report["at_recall_0.99"] = ratios;
    const int rounds = std::stoi(opt.at("rounds"));
    report["head_to_head"] = InChild(work + "/head_to_head.json", [&] { return HeadToHead(d, work, candidates, rounds); });
    std::printf("\nhead to head at recall@10 >= 0.99 (one process, %d alternating rounds, medians; the best of each\n"
                "collection's cheapest settings):\n", rounds);
    for (auto& [name, h] : report["head_to_head"].items()) {
      std::string tried;
      for (const auto& t : h["settings_tried"]) {
        tried += " ef " + std::to_string(t["ef"].get<int>()) + " x" + std::to_string(t["oversampling"].get<double>()).substr(0, 3) + ": " +
                 std::to_string(static_cast<int>(t["qps_median"].get<double>())) + ";";
      }
      std::printf("%-8s ef %3d, oversampling %.1f (recall %.4f): %8.0f queries/s, %.2fx float  [tried:%s]\n", name.c_str(),
                  h["ef"].get<int>(), h["oversampling"].get<double>(), h["recall"].get<double>(), h["qps_median"].get<double>(),
                  h["ratio_to_float_median"].is_null() ? 0.0 : h["ratio_to_float_median"].get<double>(), tried.c_str());
    }
  }
  report["results"] = results;
  std::filesystem::remove_all(work);
  std::printf("\nload average at end: %s\n", LoadAverage().c_str());
  std::printf("%s\n", report.dump().c_str());
  return 0;
}

}  // namespace latentdb::bench
