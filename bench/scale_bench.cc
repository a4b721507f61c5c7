// scale_bench: LatentDB at the scale of one machine (issue 13), in three parts:
//   --part quantization   float, int8, float16 and binary collections against hnswlib: build
//                         rate, time to open, RSS per point, recall@10 and queries/s per ef
//                         (bench/scale_quantization.cc, which describes it)
//   --part payload        the memory and open time of ids and 5-field payloads, against the
//                         design that held them in RAM (bench/scale_payload.cc)
//   --part filtered       (the default) filtered search with payload indexes:
//
//   data     n clustered vectors of Deep1B's shape (96-d, unit length): a Gaussian mixture of
//            1,000 centres drawn N(0, 1) per coordinate, each point its centre plus N(0, 0.35²)
//            noise, then L2-normalized; queries drawn the same way with another seed
//   payload  {"tags": [...], "rank": uniform integer in [0, n)}: a point carries tag "pS" with
//            probability S % for S in 0.01, 0.1, 1, 10, 50 (independently), so the keyword filter
//            tags = "pS" and the integer range rank < S % of n both select S % of the points
//   index    HNSW32 (efConstruction 100), bulk-loaded, L2, k = 10, one query at a time, one thread
//
// For each filter and selectivity: recall@10 against the exact filtered top 10 (brute force over
// the matching points), queries/s, the plan taken, and queries/s as a ratio to the unfiltered
// search of the same run; first without payload indexes (the filter read from each candidate's
// payload: LatentDB before payload indexes), then with them. Prints the load average at start
// and end, a table, and one JSON line with every number.
//
// Usage: scale_bench [--part filtered|quantization|payload] [--n 1000000] [--queries 200] [--work-dir DIR]
//          filtered:     [--unindexed-queries 50] [--ef 64]
//          quantization: [--data clustered|fashion-mnist] [--ef-list 16,32,64,128,256]
//                        [--variants float,int8,int8-disk,float16,binary] [--hnswlib yes|no] [--rounds 7]
//          payload:      [--gets 200000]
// (the work directory is removed at the end)

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/scale_data.h"
#include "common/huge_pages.h"
#include "engine/collection.h"
#include "engine/database.h"
#include "index/distance.h"

namespace latentdb::bench {
namespace {

using nlohmann::json;
constexpr size_t kDim = kClusteredDim;
constexpr size_t kK = 10;
const double kSelectivities[] = {0.01, 0.1, 1, 10, 50};  // percent

std::string Tag(double percent) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", percent);
  return buf;
}

}  // namespace

std::vector<float> ClusterCentres() {
  std::vector<float> centres(1000 * kDim);
  std::mt19937_64 rng(1);
  std::normal_distribution<float> g;
  for (auto& x : centres) x = g(rng);
  return centres;
}

std::vector<float> Clustered(size_t n, uint64_t seed, const std::vector<float>& centres) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.35f);
  const size_t nc = centres.size() / kDim;
  std::vector<float> out(n * kDim);
  for (size_t i = 0; i < n; ++i) {
    const float* c = &centres[(rng() % nc) * kDim];
    float* v = &out[i * kDim];
    for (size_t d = 0; d < kDim; ++d) v[d] = c[d] + noise(rng);
    index::NormalizeInPlace(v, kDim);
  }
  return out;
}

namespace {

struct FilterCase {
  std::string name;  // "keyword 1%" etc.
  double percent;
  std::shared_ptr<const engine::Filter> filter;
  std::vector<uint32_t> matching;  // point ids (= rows) that match
};

struct Measure {
  double recall = 0, qps = 0;
  std::map<std::string, int> plans;
};

Measure Run(engine::Collection& c, const std::vector<float>& queries, size_t nq, size_t ef,
            const std::shared_ptr<const engine::Filter>& filter, const std::vector<std::vector<uint32_t>>& truth) {
  Measure m;
  size_t found = 0;
  const auto start = Clock::now();
  for (size_t q = 0; q < nq; ++q) {
    engine::SearchQuery query;
    query.vector = std::vector<float>(queries.begin() + static_cast<std::ptrdiff_t>(q * kDim),
                                      queries.begin() + static_cast<std::ptrdiff_t>((q + 1) * kDim));
    query.k = kK;
    query.filter = filter;
    query.params.ef = ef;
    query.with_payload = false;
    engine::SearchPlan plan;
    auto hits = Check(c.Search(query, &plan), "search");
    ++m.plans[plan.strategy];
    for (const auto& h : hits) {
      const auto id = h.id.ToJson().get<uint32_t>();
      found += std::count(truth[q].begin(), truth[q].end(), id);
    }
  }
  const double seconds = Seconds(start);
  m.qps = static_cast<double>(nq) / seconds;
  size_t want = 0;
  for (size_t q = 0; q < nq; ++q) want += truth[q].size();
  m.recall = want ? static_cast<double>(found) / static_cast<double>(want) : 1.0;
  return m;
}

// The exact top k among `rows` for each query.
std::vector<std::vector<uint32_t>> Truth(const std::vector<float>& base, const std::vector<float>& queries, size_t nq,
                                         const std::vector<uint32_t>& rows) {
  std::vector<std::vector<uint32_t>> out(nq);
  std::vector<std::pair<float, uint32_t>> d(rows.size());
  for (size_t q = 0; q < nq; ++q) {
    for (size_t i = 0; i < rows.size(); ++i) {
      d[i] = {index::L2Sqr(&queries[q * kDim], &base[size_t{rows[i]} * kDim], kDim), rows[i]};
    }
    const size_t k = std::min(kK, d.size());
    std::partial_sort(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(k), d.end());
    for (size_t i = 0; i < k; ++i) out[q].push_back(d[i].second);
  }
  return out;
}

std::string Plans(const std::map<std::string, int>& plans) {
  std::string s;
  for (const auto& [p, n] : plans) s += (s.empty() ? "" : "+") + p;
  return s;
}

}  // namespace
}  // namespace latentdb::bench

int main(int argc, char** argv) {
  using namespace latentdb;
  using namespace latentdb::bench;
  ReexecWithHugePageMalloc(argv);  // as the server runs (common/huge_pages.h), hnswlib's build too
  Dying().program = "scale_bench";
  std::map<std::string, std::string> opt = {
      {"n", "1000000"}, {"queries", "200"}, {"unindexed-queries", "50"}, {"ef", "64"}, {"work-dir", "/tmp/scale_bench"},
      {"part", "filtered"}, {"data", "clustered"}, {"ef-list", "16,32,64,128,256"}, {"variants", ""}, {"hnswlib", "yes"}, {"gets", "200000"}, {"rounds", "7"}};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || !opt.count(key.substr(2))) Die("unknown option " + key);
    opt[key.substr(2)] = argv[i + 1];
  }
  if (opt["part"] == "quantization") return RunQuantizationPart(opt);
  if (opt["part"] == "payload") return RunPayloadPart(opt);
  if (opt["part"] != "filtered") Die("--part is filtered, quantization or payload");
  const size_t n = std::stoul(opt["n"]), nq = std::stoul(opt["queries"]);
  const size_t nq_unindexed = std::min(nq, std::stoul(opt["unindexed-queries"])), ef = std::stoul(opt["ef"]);
  const std::string work = opt["work-dir"];
  std::printf("load average at start: %s\n", LoadAverage().c_str());
  std::filesystem::remove_all(work);
  Dying().temp_dir = work;
  json report = {{"n", n}, {"dim", kDim}, {"queries", nq}, {"ef", ef}};

  // Data and payloads.
  const std::vector<float> centres = ClusterCentres();
  const auto base = Clustered(n, 2, centres);
  const auto queries = Clustered(nq, 3, centres);
  std::mt19937_64 rng(4);
  std::vector<json> payloads(n);
  std::vector<uint32_t> ranks(n);
  std::map<double, std::vector<uint32_t>> tagged;
  for (size_t i = 0; i < n; ++i) {
    json tags = json::array();
    for (double s : kSelectivities) {
      if (static_cast<double>(rng() % 1000000) < s * 10000) {
        tags.push_back(Tag(s));
        tagged[s].push_back(static_cast<uint32_t>(i));
      }
    }
    ranks[i] = static_cast<uint32_t>(rng() % n);
    payloads[i] = {{"tags", std::move(tags)}, {"rank", ranks[i]}};
  }

  // Bulk load into an HNSW32 collection.
  engine::DatabaseOptions dbo;
  dbo.data_dir = work;
  dbo.persist_interval_seconds = 0;
  auto db = Check(engine::Database::Open(dbo), "opening the database");
  auto config = Check(engine::CollectionConfig::FromJson({{"dim", kDim}, {"metric", "l2"}, {"index", "HNSW32"}}), "config");
  auto c = Check(db->CreateCollection("scale", config), "creating the collection");
  const size_t rss_before = ProcStatusBytes("VmRSS");
  auto start = Clock::now();
  c->Reserve(n);
  c->BeginBulkLoad();
  for (size_t i = 0; i < n; i += 10000) {
    engine::UpsertBatch batch;
    const size_t end = std::min(n, i + 10000);
    batch.Reserve(end - i, (end - i) * kDim);
    for (size_t j = i; j < end; ++j) {
      batch.Add(engine::ExternalId(uint64_t{j}), std::span<const float>(&base[j * kDim], kDim), payloads[j]);
    }
    Check(c->Upsert(std::move(batch)), "upserting");
  }
  Check(c->EndBulkLoad(), "building the index");
  const double load_s = Seconds(start);
  std::printf("loaded %zu points (HNSW32 built) in %.1f s: %.0f vectors/s\n", n, load_s, n / load_s);
  report["load_seconds"] = load_s;

  // Filters, and their exact answers.
  std::vector<FilterCase> filters;
  for (double s : kSelectivities) {
    FilterCase kw{"keyword " + Tag(s).substr(1) + "%", s,
              Check(engine::Filter::Parse({{"must", {{{"key", "tags"}, {"match", {{"value", Tag(s)}}}}}}}), "filter"),
              tagged[s]};
    filters.push_back(std::move(kw));
    const auto limit = static_cast<uint64_t>(s / 100 * static_cast<double>(n));
    FilterCase range{"integer " + Tag(s).substr(1) + "%", s,
                 Check(engine::Filter::Parse({{"must", {{{"key", "rank"}, {"range", {{"lt", limit}}}}}}}), "filter"), {}};
    for (size_t i = 0; i < n; ++i) {
      if (ranks[i] < limit) range.matching.push_back(static_cast<uint32_t>(i));
    }
    filters.push_back(std::move(range));
  }
  std::vector<uint32_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = static_cast<uint32_t>(i);
  start = Clock::now();
  const auto unfiltered_truth = Truth(base, queries, nq, all);
  std::vector<std::vector<std::vector<uint32_t>>> truths;
  for (const auto& f : filters) truths.push_back(Truth(base, queries, nq, f.matching));
  std::printf("exact answers in %.1f s\n", Seconds(start));

  // The unfiltered baseline is measured again before each table (one warm-up pass first), so that
  // each ratio compares searches over equally warm caches.
  Run(*c, queries, nq, ef, nullptr, unfiltered_truth);
  auto table = [&](const char* title, size_t queries_run, const char* key) {
    const Measure unfiltered = Run(*c, queries, nq, ef, nullptr, unfiltered_truth);
    std::printf("\n%s (%zu queries each)\nunfiltered: recall@10 %.4f, %.0f queries/s (ef %zu)\n", title, queries_run,
                unfiltered.recall, unfiltered.qps, ef);
    std::printf("%-16s %10s %9s %10s %12s  %s\n", "filter", "matching", "recall@10", "queries/s", "/unfiltered", "plan");
    json rows = json::array();
    for (size_t i = 0; i < filters.size(); ++i) {
      const Measure m = Run(*c, queries, queries_run, ef, filters[i].filter, truths[i]);
      std::printf("%-16s %10zu %9.4f %10.0f %11.2fx  %s\n", filters[i].name.c_str(), filters[i].matching.size(), m.recall,
                  m.qps, m.qps / unfiltered.qps, Plans(m.plans).c_str());
      rows.push_back({{"filter", filters[i].name}, {"matching", filters[i].matching.size()}, {"recall", m.recall},
                      {"qps", m.qps}, {"ratio_to_unfiltered", m.qps / unfiltered.qps}, {"plan", Plans(m.plans)}});
    }
    report[key] = {{"unfiltered", {{"recall", unfiltered.recall}, {"qps", unfiltered.qps}}}, {"filtered", rows}};
  };
  table("filtered, no payload index (the filter reads each candidate's payload)", nq_unindexed, "unindexed");

  start = Clock::now();
  const size_t rss_indexes = ProcStatusBytes("VmRSS");
  Check(c->CreatePayloadIndex("tags", engine::PayloadSchema::kKeyword, true).status(), "indexing tags");
  Check(c->CreatePayloadIndex("rank", engine::PayloadSchema::kInteger, true).status(), "indexing rank");
  const double index_s = Seconds(start);
  const double index_mib = MiB(ProcStatusBytes("VmRSS") - std::min(ProcStatusBytes("VmRSS"), rss_indexes));
  std::printf("\npayload indexes (tags keyword, rank integer) built in %.1f s, RSS +%.0f MiB\n", index_s, index_mib);
  report["index_build_seconds"] = index_s;
  report["index_rss_mib"] = index_mib;
  report["rss_mib"] = MiB(ProcStatusBytes("VmRSS") - std::min(ProcStatusBytes("VmRSS"), rss_before));
  table("filtered, payload indexes", nq, "indexed");

  c.reset();
  db.reset();
  std::filesystem::remove_all(work);
  std::printf("\nload average at end: %s\n", LoadAverage().c_str());
  std::printf("%s\n", report.dump().c_str());
  return 0;
}
