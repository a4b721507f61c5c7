// The shard copies a node holds on disk (http/cluster/local_shards.h): copies are listed by
// their directories, and so are copies of which only a checkpoint's staging directory is left
// (a transfer cut off by a crash or an abort); dropping a copy removes both, and the
// collection's directory with its last copy. Names that are neither are left alone.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "engine/database.h"
#include "http/cluster/local_shards.h"
#include "tests/support/temp_dir.h"

using namespace latentdb;
using latentdb::http::LocalShards;
using latentdb::http::ShardCopyId;
namespace fs = std::filesystem;

TEST_CASE("a node's shard copies are listed with leftover staging directories, and dropped with them", "[replication]") {
  testing::TempDir dir;
  engine::DatabaseOptions options;
  options.data_dir = dir.path();
  LocalShards copies(options, nullptr);
  const std::string collection = dir.Sub("shards/c.0123456789abcdef");
  for (const char* entry : {"0", "1.incoming", "2", "2.installing", "3.replaced", "x", "4.other", "5.incoming.x"}) {
    fs::create_directories(collection + "/" + entry);
  }
  std::vector<uint32_t> listed;
  for (const ShardCopyId& id : copies.OnDisk()) {
    CHECK(id.collection == "c");
    CHECK(id.uid == "0123456789abcdef");
    listed.push_back(id.shard);
  }
  std::sort(listed.begin(), listed.end());
  CHECK(listed == std::vector<uint32_t>{0, 1, 2, 3});

  REQUIRE(copies.Drop({"c", "0123456789abcdef", 2}).ok());
  CHECK_FALSE(fs::exists(collection + "/2"));
  CHECK_FALSE(fs::exists(collection + "/2.installing"));
  CHECK(fs::exists(collection + "/0"));
  REQUIRE(copies.Drop({"c", "0123456789abcdef", 1}).ok());
  CHECK_FALSE(fs::exists(collection + "/1.incoming"));
}
