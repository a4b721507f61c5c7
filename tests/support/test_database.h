#pragma once
// A real engine::Database in a test's directory, opened for tests: no background persistence
// thread (persist_interval_seconds = 0), so that a test decides when indexes are saved.
// Throws std::runtime_error when it does not open (Catch2 reports it as the case's failure).

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/database.h"

namespace latentdb::testing {

inline std::unique_ptr<engine::Database> OpenTestDatabase(const std::string& data_dir) {
  engine::DatabaseOptions o;
  o.data_dir = data_dir;
  o.persist_interval_seconds = 0;
  auto db = engine::Database::Open(o);
  if (!db.ok()) throw std::runtime_error("opening " + data_dir + ": " + db.status().ToString());
  return std::move(db).value();
}

// A new collection with the exact (Flat) index; throws when it cannot be created.
inline std::shared_ptr<engine::Collection> CreateFlatCollection(engine::Database& db, const std::string& name,
                                                                size_t dim, const std::string& metric = "l2") {
  auto config = engine::CollectionConfig::FromJson({{"dim", dim}, {"metric", metric}, {"index", "Flat"}});
  if (!config.ok()) throw std::runtime_error("collection config: " + config.status().ToString());
  auto c = db.CreateCollection(name, *config);
  if (!c.ok()) throw std::runtime_error("creating " + name + ": " + c.status().ToString());
  return *c;
}

// n points with ids first_id… (unsigned), uniform vectors in [-1, 1]^dim from `seed`, and
// payloads {"group": id % 5, "name": "p<id>"} merged with `extra`.
inline std::vector<engine::PointInput> RandomPoints(size_t n, size_t dim, uint64_t first_id, uint32_t seed,
                                                    const nlohmann::json& extra = nlohmann::json::object()) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<engine::PointInput> pts(n);
  for (size_t i = 0; i < n; ++i) {
    pts[i].id = engine::ExternalId(first_id + i);
    pts[i].vector.resize(dim);
    for (auto& x : pts[i].vector) x = u(rng);
    pts[i].payload = nlohmann::json{{"group", (first_id + i) % 5}, {"name", "p" + std::to_string(first_id + i)}};
    pts[i].payload.update(extra);
  }
  return pts;
}

}  // namespace latentdb::testing
