// scale_bench --part payload: what ids and payloads cost in RAM and at open, against the design
// that held them there (issue 13, "payloads and ids out of RAM"):
//
//   data      n points of 4 dimensions (an exact Flat index, 16 bytes a point, so that ids and
//             payloads are what the figures show) with a 5-field payload of a common shape:
//             {"category": "cat-K" (K < 1000), "price": uniform in [1, 1000) to the cent,
//              "stock": integer in [0, 500], "in_stock": bool, "title": "item <i> of <word>"}
//   load      a bulk load in batches of 10,000, in a child process: vectors/s, peak RSS
//   LatentDB  the database reopened in a fresh child: time to open, RSS that opening adds per
//             point, then random point reads with their payloads (Collection::Get) per second
//   baseline  the design before (main at 76206a3, Collection::LoadPoints): the same store opened
//             in a fresh child, every point's payload parsed into a JSON tree kept in a hash map
//             by iid and every id in a second map by key, exactly as that code did; its time,
//             the RSS it adds per point, and reads per second from those maps
//
// Prints the load average at start and end, a table and one JSON line.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_util.h"
#include "bench/child_process.h"
#include "bench/scale_data.h"
#include "engine/collection.h"
#include "engine/database.h"
#include "storage/store.h"

namespace latentdb::bench {
namespace {

using nlohmann::json;
constexpr size_t kPayloadDim = 4;

json MakePayload(uint64_t i, std::mt19937_64& rng) {
  static const char* const kWords[] = {"linen", "wool", "cotton", "silk", "denim", "leather", "canvas", "felt"};
  return {{"category", "cat-" + std::to_string(rng() % 1000)},
          {"price", static_cast<double>(100 + rng() % 99900) / 100},
          {"stock", rng() % 501},
          {"in_stock", rng() % 2 == 0},
          {"title", "item " + std::to_string(i) + " of " + kWords[rng() % 8]}};
}

engine::DatabaseOptions Options(const std::string& dir) {
  engine::DatabaseOptions o;
  o.data_dir = dir;
  o.persist_interval_seconds = 0;
  return o;
}

json Load(size_t n, const std::string& dir) {
  auto db = Check(engine::Database::Open(Options(dir)), "opening");
  const json config = {{"dim", kPayloadDim}, {"metric", "l2"}, {"index", "Flat"}};
  auto c = Check(db->CreateCollection("c", Check(engine::CollectionConfig::FromJson(config), "config")), "creating");
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(kPayloadDim);
  const auto start = Clock::now();
  c->Reserve(n);
  c->BeginBulkLoad();
  for (size_t i = 0; i < n; i += 10000) {
    engine::UpsertBatch batch;
    const size_t end = std::min(n, i + 10000);
    batch.Reserve(end - i, (end - i) * kPayloadDim);
    for (size_t j = i; j < end; ++j) {
      for (auto& x : v) x = u(rng);
      batch.Add(engine::ExternalId(uint64_t{j}), v, MakePayload(j, rng));
    }
    Check(c->Upsert(std::move(batch)), "upserting");
  }
  Check(c->EndBulkLoad(), "building the index");
  const double seconds = Seconds(start);
  Check(db->Checkpoint(), "saving");
  return {{"load_seconds", seconds}, {"vectors_per_second", double(n) / seconds},
          {"peak_rss_mib", MiB(ProcStatusBytes("VmHWM"))}};
}

// Reads `gets` random points through `read` (returning the payload's field count), after a
// warm-up of a tenth as many; reads per second.
template <typename Read>
double ReadsPerSecond(size_t n, size_t gets, Read read) {
  std::mt19937_64 rng(6);
  size_t fields = 0;
  for (size_t g = 0; g < gets / 10; ++g) fields += read(rng() % n);
  const auto start = Clock::now();
  for (size_t g = 0; g < gets; ++g) fields += read(rng() % n);
  const double rate = double(gets) / Seconds(start);
  if (fields == 0) Die("read no payload");
  return rate;
}

json ServeLatentDb(size_t n, const std::string& dir, size_t gets) {
  const size_t rss_before = ProcStatusBytes("VmRSS");
  const auto start = Clock::now();
  auto db = Check(engine::Database::Open(Options(dir)), "opening");
  const double open_s = Seconds(start);
  const size_t rss = ProcStatusBytes("VmRSS") - std::min(ProcStatusBytes("VmRSS"), rss_before);
  auto c = Check(db->GetCollection("c"), "collection");
  const double rate = ReadsPerSecond(n, gets, [&](uint64_t id) {
    auto rec = Check(c->Get(engine::ExternalId(id), false), "get");
    if (!rec) Die("point " + std::to_string(id) + " is missing");
    return rec->payload.size();
  });
  return {{"open_seconds", open_s}, {"rss_mib", MiB(rss)}, {"rss_bytes_per_point", double(rss) / double(n)},
          {"reads_per_second", rate}};
}

json ServeBaseline(size_t n, const std::string& dir, size_t gets) {
  const size_t rss_before = ProcStatusBytes("VmRSS");
  const auto start = Clock::now();
  auto store = Check(storage::Store::Open(dir + "/store", storage::StoreOptions{}), "opening the store");
  uint32_t cid = 0;
  for (const auto& rec : Check(store->ListCollections(), "listing")) {
    if (rec.name == "c") cid = rec.id;
  }
  // Collection::LoadPoints at 76206a3, line for line.
  struct PointMeta {
    std::string key;
    json payload;
  };
  std::unordered_map<uint64_t, PointMeta> points;
  std::unordered_map<std::string, uint64_t> key_to_iid;
  Check(store->ScanPoints(cid, 0, [&](const storage::StoredPoint& p) {
    PointMeta meta;
    meta.key = p.external_key;
    meta.payload = p.payload_json.empty() ? json(nullptr) : json::parse(p.payload_json);
    key_to_iid[meta.key] = p.iid;
    points.emplace(p.iid, std::move(meta));
    return true;
  }), "scanning");
  const double open_s = Seconds(start);
  const size_t rss = ProcStatusBytes("VmRSS") - std::min(ProcStatusBytes("VmRSS"), rss_before);
  if (points.size() != n) Die("the baseline read " + std::to_string(points.size()) + " points");
  const double rate = ReadsPerSecond(n, gets, [&](uint64_t id) {
    const json payload = points.at(key_to_iid.at(engine::ExternalId(id).ToKey())).payload;  // Get copied it
    return payload.size();
  });
  return {{"open_seconds", open_s}, {"rss_mib", MiB(rss)}, {"rss_bytes_per_point", double(rss) / double(n)},
          {"reads_per_second", rate}};
}

}  // namespace

int RunPayloadPart(const std::map<std::string, std::string>& opt) {
  const size_t n = std::stoul(opt.at("n")), gets = std::stoul(opt.at("gets"));
  const std::string work = opt.at("work-dir");
  std::printf("load average at start: %s\n", LoadAverage().c_str());
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  Dying().temp_dir = work;
  const std::string dir = work + "/db";
  json report = {{"part", "payload"}, {"n", n}, {"dim", kPayloadDim}, {"gets", gets}};
  report["load"] = InChild(work + "/load.json", [&] { return Load(n, dir); });
  std::printf("loaded %zu points with 5-field payloads: %.0f vectors/s, peak RSS %.0f MiB\n", n,
              report["load"]["vectors_per_second"].get<double>(), report["load"]["peak_rss_mib"].get<double>());
  report["latentdb"] = InChild(work + "/latentdb.json", [&] { return ServeLatentDb(n, dir, gets); });
  report["baseline"] = InChild(work + "/baseline.json", [&] { return ServeBaseline(n, dir, gets); });
  std::printf("\n%-40s %10s %12s %14s\n", "", "open", "RSS/point", "reads/s");
  for (const auto& [key, title] : {std::pair<const char*, const char*>{"baseline", "payloads and ids in RAM (before)"},
                                   {"latentdb", "payloads in RocksDB, compact ids (now)"}}) {
    const json& r = report[key];
    std::printf("%-40s %9.2fs %10.0f B %14.0f\n", title, r["open_seconds"].get<double>(),
                r["rss_bytes_per_point"].get<double>(), r["reads_per_second"].get<double>());
  }
  report["rss_ratio"] = report["latentdb"]["rss_bytes_per_point"].get<double>() /
                        report["baseline"]["rss_bytes_per_point"].get<double>();
  report["open_ratio"] = report["latentdb"]["open_seconds"].get<double>() / report["baseline"]["open_seconds"].get<double>();
  report["reads_ratio"] = report["latentdb"]["reads_per_second"].get<double>() /
                          report["baseline"]["reads_per_second"].get<double>();
  std::printf("RSS %.2fx, open time %.2fx, reads/s %.2fx the design before\n", report["rss_ratio"].get<double>(),
              report["open_ratio"].get<double>(), report["reads_ratio"].get<double>());
  std::printf("load average at end: %s\n", LoadAverage().c_str());
  std::printf("%s\n", report.dump().c_str());
  std::filesystem::remove_all(work);
  return 0;
}

}  // namespace latentdb::bench
