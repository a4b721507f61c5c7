// The shipment format of replication (http/cluster/shard_replication.h): batches round-trip
// byte for byte; truncated or malformed bodies and headers are refused with InvalidArgument, never
// read past their end; and an epoch check refuses an older epoch and a newer one etcd does not name.
#include <catch2/catch.hpp>

#include <random>

#include "http/cluster/checkpoint_transfer.h"
#include "http/cluster/shard_replication.h"

using namespace latentdb;
using latentdb::http::DecodeBatches;
using latentdb::http::EncodeBatches;
using latentdb::http::ShardReplication;
using latentdb::engine::ReplicatedBatch;

TEST_CASE("shipments round-trip and truncated ones are refused", "[replication]") {
  std::vector<ReplicatedBatch> batches;
  std::mt19937 rng(3);
  for (int i = 0; i < 5; ++i) {
    ReplicatedBatch b;
    b.sequence = 1000 + i * 7;
    b.count = 7;
    for (int j = 0; j < i * 100; ++j) b.data.push_back(static_cast<char>(rng()));
    batches.push_back(std::move(b));
  }
  const std::string body = EncodeBatches(batches);
  auto decoded = DecodeBatches(body);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->size() == batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    CHECK((*decoded)[i].sequence == batches[i].sequence);
    CHECK((*decoded)[i].count == batches[i].count);
    CHECK((*decoded)[i].data == batches[i].data);
  }
  CHECK(DecodeBatches("")->empty());
  // Every cut that does not fall between two batches is refused.
  size_t boundary = 0;
  std::vector<size_t> boundaries = {0};
  for (const auto& b : batches) boundaries.push_back(boundary += 20 + b.data.size());
  for (size_t cut = 1; cut < body.size(); ++cut) {
    const bool between = std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end();
    CHECK(DecodeBatches(std::string_view(body).substr(0, cut)).ok() == between);
  }
  // A length beyond the body.
  std::string lying = EncodeBatches({batches[1]});
  lying[19] = static_cast<char>(0xff);
  CHECK(DecodeBatches(lying).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a shipment's header names an epoch and a primary", "[replication]") {
  http::HttpRequest r;
  for (const char* bad : {"", "/", "1", "1/", "/2", "a/2", "1/b", "-1/2", "1/2/3", "99999999999999999999/1"}) {
    r.headers[http::kReplicateHeader] = bad;
    CHECK(ShardReplication::ParseHeader(r).status().code() == StatusCode::kInvalidArgument);
  }
  r.headers[http::kReplicateHeader] = "7/3";
  auto parsed = ShardReplication::ParseHeader(r);
  REQUIRE(parsed.ok());
  CHECK(parsed->first == 7);
  CHECK(parsed->second == 3);
}

TEST_CASE("a replica refuses an older epoch, and a newer one unless etcd names it and its sender", "[replication]") {
  ShardReplication replication(nullptr, /*self=*/2, {});
  cluster::ShardRecord record;
  record.epoch = 5;
  record.primary = 1;
  record.replicas = {1, 2};
  int reads = 0;
  auto fresh = [&]() -> Result<cluster::ShardRecord> {
    ++reads;
    return record;
  };
  CHECK(replication.CheckEpoch(5, 4, 1, fresh).code() == StatusCode::kConflict);
  CHECK(replication.CheckEpoch(5, 5, 1, fresh).ok());
  CHECK(reads == 0);  // the epoch it follows: no etcd read
  CHECK(replication.CheckEpoch(4, 5, 1, fresh).ok());
  CHECK(replication.CheckEpoch(4, 5, 3, fresh).code() == StatusCode::kConflict);  // not the primary etcd names
  CHECK(replication.CheckEpoch(4, 6, 1, fresh).code() == StatusCode::kConflict);  // an epoch etcd does not have
  record.replicas = {1, 3};
  CHECK(replication.CheckEpoch(4, 5, 1, fresh).code() == StatusCode::kConflict);  // not placed here
  auto unreachable = []() -> Result<cluster::ShardRecord> { return Status::Unavailable("etcd is away"); };
  CHECK(replication.CheckEpoch(4, 5, 1, unreachable).code() == StatusCode::kConflict);
}

TEST_CASE("a checkpoint's manifest names only plain files of a RocksDB checkpoint", "[replication]") {
  using latentdb::http::CheckpointManifest;
  using latentdb::http::IsCheckpointFileName;
  for (const char* good : {"000012.sst", "MANIFEST-000005", "CURRENT", "OPTIONS-000007", "000010.log", "a_b"}) {
    INFO(good);
    CHECK(IsCheckpointFileName(good));
  }
  // Anything that could name a path outside the staging directory, or is not a file name at all.
  for (const char* bad : {"", ".", "..", "../x", "a/b", "/etc/passwd", "a\\b", "a b", "x\n", "%2e%2e"}) {
    INFO(bad);
    CHECK_FALSE(IsCheckpointFileName(bad));
  }
  CHECK_FALSE(IsCheckpointFileName(std::string(256, 'a')));

  CheckpointManifest m{{{"CURRENT", 16}, {"000012.sst", 1u << 30}}};
  auto back = CheckpointManifest::FromJson(m.ToJson());
  REQUIRE(back.ok());
  REQUIRE(back->files.size() == 2);
  CHECK(back->files[1].name == "000012.sst");
  CHECK(back->files[1].size == 1u << 30);
  for (const char* bad : {"", "[]", "{}", R"({"files": []})", R"({"files": [{"name": "../CURRENT", "size": 1}]})",
                          R"({"files": [{"name": "CURRENT", "size": -1}]})", R"({"files": [{"name": 3, "size": 1}]})",
                          R"({"files": ["CURRENT"]})"}) {
    INFO(bad);
    CHECK(CheckpointManifest::FromJson(bad).status().code() == StatusCode::kInvalidArgument);
  }
}
