#pragma once
// A real engine::Database in a test's directory, opened for tests: no background persistence
// thread (persist_interval_seconds = 0), so that a test decides when indexes are saved.
// Throws std::runtime_error when it does not open (Catch2 reports it as the case's failure).

#include <memory>
#include <stdexcept>
#include <string>

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

}  // namespace latentdb::testing
