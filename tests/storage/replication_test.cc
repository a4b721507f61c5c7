// The store's replication primitives (docs/cluster.md): a replica that applies its primary's
// WAL batches in order holds the same records and the same sequence numbers; batches out of
// order, twice, or damaged are refused and change nothing; a checkpoint is a whole copy from
// which tailing goes on; the WAL kept for replicas outlives flushes.
#include <catch2/catch.hpp>

#include <deque>

#include "storage/store.h"
#include "tests/support/temp_dir.h"

using latentdb::StatusCode;
using latentdb::storage::PointBatch;
using latentdb::storage::ReplicatedBatch;
using latentdb::storage::Store;
using latentdb::storage::StoreOptions;
using latentdb::storage::StoredPoint;
using latentdb::testing::TempDir;

namespace {

std::unique_ptr<Store> OpenStore(const std::string& dir, uint64_t wal_retention_seconds = 3600) {
  StoreOptions o;
  o.wal_retention_seconds = wal_retention_seconds;
  auto s = Store::Open(dir, o);
  REQUIRE(s.ok());
  return std::move(s).value();
}

PointBatch Points(uint32_t cid, uint64_t first_iid, int n, int version) {
  static std::deque<std::vector<float>> kept;  // Upsert holds a view of its vector
  PointBatch b;
  b.cid = cid;
  for (int i = 0; i < n; ++i) {
    PointBatch::Upsert u;
    u.iid = first_iid + i;
    u.external_key = "k" + std::to_string(first_iid + i);
    kept.push_back({static_cast<float>(i), static_cast<float>(version), 1.0f});
    u.vector = kept.back();
    u.payload_json = "{\"v\":" + std::to_string(version) + "}";
    b.upserts.push_back(std::move(u));
  }
  b.next_iid = first_iid + n;
  return b;
}

// Everything a store holds that the tests compare: collections, points with payloads, vectors.
std::string Dump(Store& s) {
  std::string out;
  auto collections = s.ListCollections();
  REQUIRE(collections.ok());
  for (const auto& c : *collections) {
    out += "collection " + c.name + " " + std::to_string(c.id) + " " + c.config_json + "\n";
    REQUIRE(s.ScanPoints(c.id, 0, [&](const StoredPoint& p) {
                out += "  " + std::to_string(p.iid) + " " + p.external_key + " " + p.payload_json + "\n";
                return true;
              }).ok());
    REQUIRE(s.ScanVectors(c.id, [&](uint64_t iid, const float* v, size_t dim) {
                out += "  v" + std::to_string(iid);
                for (size_t i = 0; i < dim; ++i) out += " " + std::to_string(v[i]);
                out += "\n";
                return true;
              }).ok());
    auto att = s.GetAttachment(c.id, "direction", "up");
    REQUIRE(att.ok());
    if (*att) out += "  attachment " + **att + "\n";
  }
  out += "seq " + std::to_string(s.LastSequence()) + "\n";
  return out;
}

// Applies every batch of `primary` that `replica` lacks; returns how many.
size_t CatchUp(Store& primary, Store& replica, size_t max_bytes = 1 << 20) {
  size_t applied = 0;
  for (;;) {
    auto batches = primary.WalSince(replica.WalSequence() + 1, max_bytes);
    REQUIRE(batches.ok());
    if (batches->empty()) return applied;
    for (const auto& b : *batches) {
      REQUIRE(replica.ApplyReplicated(b).ok());
      ++applied;
    }
  }
}

}  // namespace

TEST_CASE("A replica applying its primary's WAL holds the same records and sequence numbers", "[storage]") {
  TempDir dir;
  auto primary = OpenStore(dir.Sub("primary"));
  auto replica = OpenStore(dir.Sub("replica"));
  CHECK(primary->WalSequence() == replica->WalSequence());

  auto a = primary->CreateCollection("a", "{\"dim\":3}");
  REQUIRE(a.ok());
  REQUIRE(primary->Apply(Points(a->id, 0, 5, 1)).ok());
  REQUIRE(primary->PutAttachment(a->id, "direction", "up", "[1,0,0]").ok());
  CHECK(CatchUp(*primary, *replica) == 3);
  CHECK(Dump(*replica) == Dump(*primary));
  CHECK(replica->WalSequence() == primary->WalSequence());
  CHECK(replica->LastSequence() == primary->LastSequence());

  // Rewrites, deletes, a second collection, a drop: small batches (one per call to WalSince).
  auto b = primary->CreateCollection("b", "{\"dim\":3}");
  REQUIRE(b.ok());
  REQUIRE(primary->Apply(Points(b->id, 0, 3, 2)).ok());
  REQUIRE(primary->Apply(Points(a->id, 2, 2, 3)).ok());
  PointBatch del;
  del.cid = a->id;
  del.next_iid = 5;
  del.deletes.push_back({0, "k0"});
  REQUIRE(primary->Apply(del).ok());
  REQUIRE(primary->DropCollection(*b).ok());
  CHECK(CatchUp(*primary, *replica, 1) == 5);
  CHECK(Dump(*replica) == Dump(*primary));
  CHECK(replica->WalSequence() == primary->WalSequence());

  // The replica's changelog is the primary's: what the engine replays into its index.
  std::vector<uint64_t> primary_log, replica_log;
  REQUIRE(primary->ScanChangelog(a->id, 0, [&](uint64_t seq, auto, uint64_t iid) { primary_log.push_back(seq * 100 + iid); }).ok());
  REQUIRE(replica->ScanChangelog(a->id, 0, [&](uint64_t seq, auto, uint64_t iid) { replica_log.push_back(seq * 100 + iid); }).ok());
  CHECK(replica_log == primary_log);
  CHECK_FALSE(replica_log.empty());

  // Reopened, the replica still follows on from where it was.
  replica.reset();
  replica = OpenStore(dir.Sub("replica"));
  REQUIRE(primary->Apply(Points(a->id, 5, 1, 4)).ok());
  CHECK(CatchUp(*primary, *replica) == 1);
  CHECK(Dump(*replica) == Dump(*primary));
}

TEST_CASE("Replicated batches apply in order and once, and damaged ones are refused", "[storage]") {
  TempDir dir;
  auto primary = OpenStore(dir.Sub("primary"));
  auto replica = OpenStore(dir.Sub("replica"));
  auto a = primary->CreateCollection("a", "{\"dim\":3}");
  REQUIRE(a.ok());
  REQUIRE(primary->Apply(Points(a->id, 0, 2, 1)).ok());
  REQUIRE(primary->Apply(Points(a->id, 2, 2, 1)).ok());
  auto batches = primary->WalSince(1, 1 << 20);
  REQUIRE(batches.ok());
  REQUIRE(batches->size() == 3);

  // Out of order: the second before the first.
  CHECK(replica->ApplyReplicated((*batches)[1]).code() == StatusCode::kInvalidArgument);
  REQUIRE(replica->ApplyReplicated((*batches)[0]).ok());
  // Twice.
  CHECK(replica->ApplyReplicated((*batches)[0]).code() == StatusCode::kInvalidArgument);
  // Damaged: truncated bytes, a count that lies, nothing at all.
  ReplicatedBatch truncated = (*batches)[1];
  truncated.data.resize(truncated.data.size() / 2);
  CHECK_FALSE(replica->ApplyReplicated(truncated).ok());
  ReplicatedBatch lying = (*batches)[1];
  lying.count += 1;
  CHECK(replica->ApplyReplicated(lying).code() == StatusCode::kInvalidArgument);
  ReplicatedBatch empty = (*batches)[1];
  empty.data.clear();
  CHECK(replica->ApplyReplicated(empty).code() == StatusCode::kInvalidArgument);
  // None of that changed anything: the real batches still follow on.
  REQUIRE(replica->ApplyReplicated((*batches)[1]).ok());
  REQUIRE(replica->ApplyReplicated((*batches)[2]).ok());
  CHECK(Dump(*replica) == Dump(*primary));

  // Asking from inside a batch, or past the end.
  CHECK(primary->WalSince((*batches)[1].sequence + 1, 1 << 20).status().code() == StatusCode::kInvalidArgument);
  auto none = primary->WalSince(primary->WalSequence() + 1, 1 << 20);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

// (Without retention RocksDB deletes flushed WAL files when it gets to it — not at a moment a test
// can wait for — and WalSince then answers NotFound for what they held.)
TEST_CASE("The WAL kept for replicas outlives flushes", "[storage]") {
  TempDir dir;
  {
    auto primary = OpenStore(dir.Sub("kept"));
    auto a = primary->CreateCollection("a", "{\"dim\":3}");
    REQUIRE(a.ok());
    REQUIRE(primary->Apply(Points(a->id, 0, 2, 1)).ok());
    REQUIRE(primary->Flush().ok());
    REQUIRE(primary->Apply(Points(a->id, 2, 2, 1)).ok());
    REQUIRE(primary->Flush().ok());
    auto replica = OpenStore(dir.Sub("kept-replica"));
    CHECK(CatchUp(*primary, *replica) == 3);
    CHECK(Dump(*replica) == Dump(*primary));
  }
}

TEST_CASE("A checkpoint is a whole copy, and tailing goes on from it", "[storage]") {
  TempDir dir;
  auto primary = OpenStore(dir.Sub("primary"));
  auto a = primary->CreateCollection("a", "{\"dim\":3}");
  REQUIRE(a.ok());
  REQUIRE(primary->Apply(Points(a->id, 0, 100, 1)).ok());
  REQUIRE(primary->PutAttachment(a->id, "direction", "up", "[0,1,0]").ok());
  REQUIRE(primary->CreateCheckpoint(dir.Sub("copy")).ok());
  CHECK(primary->CreateCheckpoint(dir.Sub("copy")).code() == StatusCode::kAlreadyExists);
  REQUIRE(primary->Apply(Points(a->id, 100, 10, 2)).ok());  // after the checkpoint

  auto replica = OpenStore(dir.Sub("copy"));
  CHECK(replica->WalSequence() < primary->WalSequence());
  CHECK(CatchUp(*primary, *replica) == 1);
  CHECK(Dump(*replica) == Dump(*primary));
  CHECK(replica->WalSequence() == primary->WalSequence());
}
