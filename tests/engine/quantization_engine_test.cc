// Quantized collections through the engine: rescoring reads the exact vectors from the store (recall
// and scores with it against an exact Flat collection of the same points, and without it), an exact
// search scans the store, payload-indexed searches score their candidates from the store, the
// configuration survives a restart, and what cannot be honoured is refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>

#include "engine/database.h"
#include "engine/filter.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using namespace latentdb;
using engine::ExternalId;
using nlohmann::json;

namespace {

constexpr size_t kDim = 48;

// Clustered points with a small payload, the same for every collection of a test.
std::vector<engine::PointInput> MakePoints(size_t n) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0, 1);
  std::vector<std::vector<float>> centres(24, std::vector<float>(kDim));
  for (auto& c : centres) for (auto& x : c) x = g(rng) * 3;
  std::vector<engine::PointInput> points;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> v(kDim);
    const auto& c = centres[rng() % centres.size()];
    for (size_t d = 0; d < kDim; ++d) v[d] = c[d] + g(rng);
    points.push_back({ExternalId(uint64_t{i}), std::move(v), {{"group", i % 40}}});
  }
  return points;
}

std::shared_ptr<engine::Collection> Create(engine::Database& db, const std::string& name, json config) {
  config["dim"] = kDim;
  auto parsed = engine::CollectionConfig::FromJson(config);
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  auto c = db.CreateCollection(name, *parsed);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *c;
}

std::vector<engine::ScoredPoint> Search(engine::Collection& c, const std::vector<float>& q, size_t k,
                                        engine::QuantizationParams quant = {}, bool exact = false,
                                        std::shared_ptr<const engine::Filter> filter = nullptr,
                                        engine::SearchPlan* plan = nullptr) {
  engine::SearchQuery sq;
  sq.vector = q;
  sq.k = k;
  sq.quantization = quant;
  sq.params.exact = exact;
  sq.params.ef = 96;
  sq.filter = std::move(filter);
  auto hits = c.Search(sq, plan);
  INFO(hits.status().ToString());
  REQUIRE(hits.ok());
  return *hits;
}

double Overlap(const std::vector<engine::ScoredPoint>& got, const std::vector<engine::ScoredPoint>& truth) {
  std::set<std::string> t;
  for (const auto& p : truth) t.insert(p.id.ToString());
  size_t hit = 0;
  for (const auto& p : got) hit += t.count(p.id.ToString());
  return truth.empty() ? 1.0 : double(hit) / double(truth.size());
}

std::vector<std::vector<float>> Queries(size_t n) {
  auto points = MakePoints(n + 7);  // same clusters, other noise draws further along
  std::vector<std::vector<float>> out;
  std::mt19937 rng(9);
  std::normal_distribution<float> g(0, 0.5);
  for (size_t i = 0; i < n; ++i) {
    auto v = points[i + 7].vector;
    for (auto& x : v) x += g(rng);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

TEST_CASE("rescoring with the stored vectors restores the exact top k of a quantized collection", "[engine][quantization]") {
  testing::TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  const auto points = MakePoints(6000);
  auto exact = Create(*db, "exact", {{"metric", "cosine"}, {"index", "Flat"}});
  REQUIRE(exact->Upsert(points).ok());
  struct Case {
    std::string name;
    json config;
    double oversampling;
    double min_recall;  // with rescoring
  };
  const Case cases[] = {
      {"int8", {{"index", "HNSW16"}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}}, 2.0, 0.97},
      // Clipping the outer 1 % of values costs clustered data more (whole clusters sit at the
      // ends of some dimensions); more candidates make up for it.
      {"int8_quantile", {{"index", "HNSW16"}, {"quantization_config", {{"scalar", {{"type", "int8"}, {"quantile", 0.99}}}}}}, 4.0, 0.95},
      {"float16", {{"index", "HNSW16"}, {"datatype", "float16"}}, 1.0, 0.97},
      {"binary", {{"index", "Flat"}, {"quantization_config", {{"binary", {{"always_ram", true}}}}}}, 20.0, 0.9},
      {"int8_flat", {{"index", "Flat"}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}}, 2.0, 0.99},
  };
  const auto queries = Queries(30);
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      json config = c.config;
      config["metric"] = "cosine";
      auto col = Create(*db, c.name, config);
      REQUIRE(col->Upsert(points).ok());
      REQUIRE(col->Info().index.trained);
      double with = 0, without = 0;
      for (const auto& q : queries) {
        const auto truth = Search(*exact, q, 10);
        engine::SearchPlan plan;
        const auto rescored = Search(*col, q, 10, {true, c.oversampling, false}, false, nullptr, &plan);
        CHECK(plan.rescored == static_cast<size_t>(std::ceil(10 * c.oversampling)));
        with += Overlap(rescored, truth);
        // Rescored scores are the exact ones.
        std::map<std::string, float> exact_score;
        for (const auto& p : Search(*exact, q, 200)) exact_score[p.id.ToString()] = p.score;
        for (const auto& p : rescored) {
          if (exact_score.count(p.id.ToString())) CHECK(std::abs(p.score - exact_score[p.id.ToString()]) < 1e-5);
        }
        const auto raw = Search(*col, q, 10, {false, 1.0, false}, false, nullptr, &plan);
        CHECK(plan.rescored == 0);
        without += Overlap(raw, truth);
      }
      with /= double(queries.size());
      without /= double(queries.size());
      INFO("recall@10 with rescoring " << with << ", without " << without);
      CHECK(with >= c.min_recall);
      CHECK(with >= without);
      if (c.name != "float16") CHECK(with > without);  // the codes alone lose neighbours
      // ignore: the index holds only codes.
      engine::SearchQuery sq;
      sq.vector = queries[0];
      sq.quantization.ignore = true;
      CHECK(col->Search(sq).status().code() == StatusCode::kInvalidArgument);
    }
  }
}

TEST_CASE("exact and payload-indexed searches of a quantized collection score stored vectors", "[engine][quantization]") {
  testing::TempDir dir;
  const auto points = MakePoints(4000);
  const auto queries = Queries(10);
  auto f = engine::Filter::Parse({{"must", {{{"key", "group"}, {"match", {{"value", 7}}}}}}});
  REQUIRE(f.ok());
  std::shared_ptr<const engine::Filter> filter = *f;
  std::vector<std::vector<std::string>> before;
  {
    auto db = testing::OpenTestDatabase(dir.path());
    auto exact = Create(*db, "exact", {{"metric", "l2"}, {"index", "Flat"}});
    auto col = Create(*db, "q", {{"metric", "l2"}, {"index", "HNSW16"}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}});
    REQUIRE(exact->Upsert(points).ok());
    REQUIRE(col->Upsert(points).ok());
    REQUIRE(col->CreatePayloadIndex("group", engine::PayloadSchema::kInteger, true).ok());
    for (const auto& q : queries) {
      engine::SearchPlan plan;
      const auto truth = Search(*exact, q, 10);
      const auto scanned = Search(*col, q, 10, {}, /*exact=*/true, nullptr, &plan);
      CHECK(plan.strategy == "store_scan");
      REQUIRE(scanned.size() == truth.size());
      for (size_t i = 0; i < truth.size(); ++i) {
        CHECK(scanned[i].id == truth[i].id);
        CHECK(std::abs(scanned[i].score - truth[i].score) < 1e-4);
      }
      // 100 of 4000 match: the payload index names them, the store scores them exactly.
      const auto filtered_truth = Search(*exact, q, 10, {}, false, filter);
      const auto filtered = Search(*col, q, 10, {}, false, filter, &plan);
      CHECK(plan.strategy == "indexed_scan");
      REQUIRE(filtered.size() == filtered_truth.size());
      for (size_t i = 0; i < filtered.size(); ++i) CHECK(filtered[i].id == filtered_truth[i].id);
      std::vector<std::string> ids;
      for (const auto& p : Search(*col, q, 10)) ids.push_back(p.id.ToString());
      before.push_back(ids);
    }
    REQUIRE(db->Checkpoint().ok());
  }
  // After a restart: the same configuration and codes, the same answers.
  auto db = testing::OpenTestDatabase(dir.path());
  auto col = *db->GetCollection("q");
  CHECK(col->Info().config.quantization == index::Quantization::kInt8);
  CHECK(col->Info().index.quantization == index::Quantization::kInt8);
  for (size_t i = 0; i < queries.size(); ++i) {
    std::vector<std::string> ids;
    for (const auto& p : Search(*col, queries[i], 10)) ids.push_back(p.id.ToString());
    CHECK(ids == before[i]);
  }
}

TEST_CASE("quantization settings that cannot be honoured are refused and create nothing", "[engine][quantization]") {
  testing::TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  const json refused[] = {
      {{"dim", 8}, {"index", "IVF4,Flat"}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}},
      {{"dim", 8}, {"index", "IVF4,PQ4"}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}},
      {{"dim", 8}, {"metric", "l2"}, {"quantization_config", {{"binary", json::object()}}}},
      {{"dim", 8}, {"quantization_config", {{"scalar", {{"type", "int4"}}}}}},
      {{"dim", 8}, {"quantization_config", {{"scalar", {{"type", "int8"}, {"quantile", 0.2}}}}}},
      {{"dim", 8}, {"on_disk", true}},
      {{"dim", 8}, {"on_disk", "yes"}, {"datatype", "float16"}},
      {{"dim", 8}, {"quantization_config", {{"scalar", {{"type", "int8"}, {"always_ram", 0}}}}}},
      {{"dim", 8}, {"quantization_config", {{"scalar", {{"type", "int8"}, {"rescore", true}}}}}},
      {{"dim", 8}, {"quantization_config", {{"product", {{"compression", "x16"}}}}}},
      {{"dim", 8}, {"quantization_config", {{"scalar", {{"type", "int8"}}}, {"binary", json::object()}}}},
      {{"dim", 8}, {"quantization_config", "int8"}},
      {{"dim", 8}, {"datatype", "uint8"}},
      {{"dim", 8}, {"datatype", "float16"}, {"quantization_config", {{"scalar", {{"type", "int8"}}}}}},
  };
  for (const auto& body : refused) {
    INFO(body.dump());
    auto config = engine::CollectionConfig::FromJson(body);
    if (config.ok()) {
      CHECK(db->CreateCollection("c", *config).status().code() == StatusCode::kInvalidArgument);
    } else {
      CHECK(config.status().code() == StatusCode::kInvalidArgument);
    }
    CHECK(db->ListCollections().empty());
  }
  // The accepted forms round-trip through the stored config.
  for (const json& body : {json{{"dim", 8}, {"datatype", "float16"}},
                           json{{"dim", 8}, {"quantization_config", {{"binary", {{"always_ram", true}}}}}},
                           json{{"dim", 8}, {"quantization_config", {{"scalar", {{"type", "int8"}, {"quantile", 0.95}}}}}},
                           json{{"dim", 8}, {"datatype", "float16"}, {"on_disk", true}},
                           json{{"dim", 8}, {"on_disk", true}, {"quantization_config", {{"binary", {{"always_ram", true}}}}}},
                           json{{"dim", 8}, {"quantization_config", {{"scalar", {{"type", "int8"}, {"always_ram", false}}}}}}}) {
    auto config = engine::CollectionConfig::FromJson(body);
    REQUIRE(config.ok());
    auto again = engine::CollectionConfig::FromJson(config->ToJson());
    REQUIRE(again.ok());
    CHECK(again->quantization == config->quantization);
    CHECK(again->quantile == config->quantile);
    CHECK(again->codes_on_disk() == config->codes_on_disk());
  }
}

namespace {
std::set<std::string> CodeFiles(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".codes") == 0) out.insert(name);
  }
  return out;
}
}  // namespace

TEST_CASE("on_disk and always_ram false keep a collection's codes in a file, across rebuilds, restarts and drops",
          "[engine][quantization][codes_on_disk]") {
  testing::TempDir dir;
  const std::string indexes = dir.path() + "/indexes";
  const auto points = MakePoints(3000);
  const auto queries = Queries(10);
  std::vector<std::vector<std::string>> before;
  {
    auto db = testing::OpenTestDatabase(dir.path());
    auto exact = Create(*db, "exact", {{"metric", "l2"}, {"index", "Flat"}});
    auto disk = Create(*db, "disk", {{"metric", "l2"}, {"index", "HNSW16"}, {"on_disk", true},
                                      {"quantization_config", {{"scalar", {{"type", "int8"}}}}}});
    auto paged = Create(*db, "paged", {{"metric", "cosine"}, {"index", "HNSW16"},
                                        {"quantization_config", {{"binary", {{"always_ram", false}}}}}});
    auto pinned = Create(*db, "pinned", {{"metric", "l2"}, {"index", "HNSW16"}, {"on_disk", true},
                                          {"quantization_config", {{"scalar", {{"type", "int8"}, {"always_ram", true}}}}}});
    CHECK(disk->Info().config.codes_on_disk());
    CHECK(paged->Info().config.codes_on_disk());
    CHECK_FALSE(pinned->Info().config.codes_on_disk());  // always_ram wins over on_disk, as in Qdrant
    CHECK(disk->Info().config.ToJson()["on_disk"] == true);
    CHECK(disk->Info().config.ToJson()["quantization_config"]["scalar"]["always_ram"] == false);
    REQUIRE(exact->Upsert(points).ok());
    for (auto* c : {&disk, &paged, &pinned}) REQUIRE((*c)->Upsert(points).ok());
    CHECK(CodeFiles(indexes).size() == 2);  // disk's and paged's; pinned holds its codes in RAM
    for (const auto& q : queries) {
      // Rescored with the stored vectors: the exact top 10, from codes read through the mapping.
      const auto truth = Search(*exact, q, 10);
      const auto got = Search(*disk, q, 10);
      CHECK(Overlap(got, truth) >= 0.9);
      std::vector<std::string> ids;
      for (const auto& p : got) ids.push_back(p.id.ToString());
      before.push_back(ids);
    }
    REQUIRE(db->Checkpoint().ok());
    CHECK(CodeFiles(indexes).size() == 2);
    // Deleting most points rebuilds the index into a new code file; the save then removes the old one.
    std::vector<ExternalId> gone;
    for (uint64_t i = 0; i < 2000; ++i) gone.emplace_back(i);
    const auto files_before = CodeFiles(indexes);
    REQUIRE(paged->Delete(gone).ok());
    CHECK(CodeFiles(indexes).size() == 3);  // the saved index file still names the old one
    REQUIRE(db->Checkpoint().ok());
    const auto files_after = CodeFiles(indexes);
    CHECK(files_after.size() == 2);
    CHECK(files_after != files_before);
    REQUIRE(paged->Upsert(std::vector<engine::PointInput>(points.begin(), points.begin() + 2000)).ok());
  }
  // A restart reads the codes back from their file (no save since the last upsert: replayed).
  {
    auto db = testing::OpenTestDatabase(dir.path());
    auto disk = *db->GetCollection("disk");
    CHECK(disk->Info().config.codes_on_disk());
    CHECK(disk->Info().index.live == points.size());
    for (size_t i = 0; i < queries.size(); ++i) {
      std::vector<std::string> ids;
      for (const auto& p : Search(*disk, queries[i], 10)) ids.push_back(p.id.ToString());
      CHECK(ids == before[i]);
    }
    CHECK((*db->GetCollection("paged"))->Info().index.live == points.size());
    REQUIRE(db->Checkpoint().ok());
    CHECK(CodeFiles(indexes).size() == 2);
    REQUIRE(db->DropCollection("disk").ok());
    REQUIRE(db->DropCollection("paged").ok());
    CHECK(CodeFiles(indexes).empty());
  }
}
