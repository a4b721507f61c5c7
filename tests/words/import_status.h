#pragma once
// The word-model importer's all-or-nothing contract, as the format tests check it: an import
// that fails leaves neither the collection nor the model directory behind. Catch2 assertions:
// call from a test case's thread.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "common/file_util.h"
#include "models/model_registry.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"
#include "words/importer.h"

namespace latentdb::testing::words {

// Imports `path` as "m" into a fresh database in `tmp`: the status (the manifest into *manifest on
// success, after which the model is deleted again).
inline Status ImportStatus(const TempDir& tmp, const std::string& path, nlohmann::json* manifest = nullptr) {
  auto db = OpenTestDatabase(tmp.Sub("data"));
  latentdb::words::ImportOptions o;
  o.path = path;
  o.name = "m";
  auto m = latentdb::words::ImportWordModel(*db, o);
  if (!m.ok()) {
    CHECK(!db->GetCollection("m").ok());
    CHECK(!PathExists(models::ModelDir(tmp.Sub("data"), "m")));
    return m.status();
  }
  if (manifest) *manifest = *m;
  CHECK(db->DropCollection("m").ok());
  CHECK(models::RemoveModelDir(tmp.Sub("data"), "m").ok());
  return Status::Ok();
}

}  // namespace latentdb::testing::words
