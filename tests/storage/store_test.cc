// Store: round trips through a real RocksDB, batch atomicity, changelog, catalog.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>

#include "storage/store.h"
#include "tests/support/temp_dir.h"

using latentdb::storage::ChangeOp;
using latentdb::storage::PointBatch;
using latentdb::storage::Store;
using latentdb::storage::StoreOptions;
using latentdb::testing::TempDir;

namespace {

std::unique_ptr<Store> OpenStore(const std::string& dir) {
  auto s = Store::Open(dir, StoreOptions{});
  REQUIRE(s.ok());
  return std::move(s).value();
}

PointBatch::Upsert MakeUpsert(uint64_t iid, const std::string& key, std::vector<float> v, const std::string& payload) {
  PointBatch::Upsert u;
  u.iid = iid;
  u.external_key = key;
  // PointBatch::Upsert holds a view of its vector: the vectors of these tests live to the end.
  static std::deque<std::vector<float>> kept;
  kept.push_back(std::move(v));
  u.vector = kept.back();
  u.payload_json = payload;
  return u;
}

}  // namespace

TEST_CASE("collections are created, listed and dropped", "[storage]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto a = store->CreateCollection("alpha", "{\"dim\":3}");
  REQUIRE(a.ok());
  auto b = store->CreateCollection("beta", "{\"dim\":4}");
  REQUIRE(b.ok());
  CHECK(a->id != b->id);
  CHECK(store->CreateCollection("alpha", "{}").status().code() == latentdb::StatusCode::kAlreadyExists);

  auto list = store->ListCollections();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "alpha");
  CHECK((*list)[0].config_json == "{\"dim\":3}");

  REQUIRE(store->DropCollection(*a).ok());
  list = store->ListCollections();
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].name == "beta");
  // A new collection never reuses a dropped id, so stale index files cannot be mistaken for it.
  auto c = store->CreateCollection("alpha", "{}");
  REQUIRE(c.ok());
  CHECK(c->id > b->id);
}

TEST_CASE("points round trip exactly, across a reopen", "[storage]") {
  TempDir dir;
  uint32_t cid;
  const std::vector<float> v1 = {1.5f, -2.25f, 3.0e-8f};
  {
    auto store = OpenStore(dir.path());
    auto rec = store->CreateCollection("c", "{}");
    REQUIRE(rec.ok());
    cid = rec->id;
    PointBatch batch;
    batch.cid = cid;
    batch.next_iid = 2;
    batch.upserts.push_back(MakeUpsert(0, "s-first", v1, "{\"a\":1}"));
    batch.upserts.push_back(MakeUpsert(1, "s-second", {0, 0, 1}, ""));
    auto seq = store->Apply(batch);
    REQUIRE(seq.ok());
    CHECK(*seq == 1);
  }
  auto store = OpenStore(dir.path());
  CHECK(store->LastSequence() == 1);
  auto iid = store->FindInternalId(cid, "s-first");
  REQUIRE(iid.ok());
  REQUIRE(iid->has_value());
  CHECK(**iid == 0);
  auto got = store->GetVector(cid, 0);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(std::memcmp((*got)->data(), v1.data(), v1.size() * sizeof(float)) == 0);  // bit-exact
  auto p = store->GetPoint(cid, 0);
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  CHECK((*p)->payload_json == "{\"a\":1}");
  CHECK((*p)->external_key == "s-first");
  CHECK(*store->NextInternalId(cid) == 2);
}

TEST_CASE("a delete removes vector, point and id mapping in one batch", "[storage]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  uint32_t cid = store->CreateCollection("c", "{}")->id;
  PointBatch add;
  add.cid = cid;
  add.next_iid = 3;
  for (uint64_t i = 0; i < 3; ++i) add.upserts.push_back(MakeUpsert(i, "k" + std::to_string(i), {float(i)}, ""));
  REQUIRE(store->Apply(add).ok());
  PointBatch del;
  del.cid = cid;
  del.next_iid = 3;
  del.deletes.push_back({1, "k1"});
  REQUIRE(store->Apply(del).ok());

  CHECK_FALSE(store->FindInternalId(cid, "k1")->has_value());
  CHECK_FALSE(store->GetPoint(cid, 1)->has_value());
  std::vector<uint64_t> seen;
  REQUIRE(store->ScanVectors(cid, [&](uint64_t iid, const float*, size_t) {
    seen.push_back(iid);
    return true;
  }).ok());
  CHECK(seen == std::vector<uint64_t>{0, 2});
}

TEST_CASE("the changelog records every op in order and can be trimmed", "[storage]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  uint32_t cid = store->CreateCollection("c", "{}")->id;
  uint32_t other = store->CreateCollection("d", "{}")->id;
  for (uint64_t i = 0; i < 4; ++i) {
    PointBatch b;
    b.cid = (i == 2) ? other : cid;
    b.next_iid = i + 1;
    b.upserts.push_back(MakeUpsert(i, "k" + std::to_string(i), {1.0f}, ""));
    if (i == 3) b.deletes.push_back({0, "k0"});
    REQUIRE(store->Apply(b).ok());
  }
  std::vector<std::tuple<uint64_t, ChangeOp, uint64_t>> ops;
  auto collect = [&](uint64_t seq, ChangeOp op, uint64_t iid) { ops.emplace_back(seq, op, iid); };
  REQUIRE(store->ScanChangelog(cid, 0, collect).ok());
  // Deletes of a batch come before its upserts; the other collection's batch (seq 3) is absent.
  std::vector<std::tuple<uint64_t, ChangeOp, uint64_t>> expected = {
      {1, ChangeOp::kUpsert, 0}, {2, ChangeOp::kUpsert, 1}, {4, ChangeOp::kDelete, 0}, {4, ChangeOp::kUpsert, 3}};
  CHECK(ops == expected);

  REQUIRE(store->TrimChangelog(cid, 2).ok());
  ops.clear();
  REQUIRE(store->ScanChangelog(cid, 0, collect).ok());
  CHECK(ops.size() == 2);
  ops.clear();
  REQUIRE(store->ScanChangelog(other, 0, collect).ok());
  CHECK(ops.size() == 1);  // trimming one collection leaves the other alone
}

TEST_CASE("dropping a collection removes all of its records", "[storage]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto rec = *store->CreateCollection("c", "{}");
  auto keep = *store->CreateCollection("keep", "{}");
  for (auto cid : {rec.id, keep.id}) {
    PointBatch b;
    b.cid = cid;
    b.next_iid = 1;
    b.upserts.push_back(MakeUpsert(0, "k", {1.0f, 2.0f}, "{}"));
    REQUIRE(store->Apply(b).ok());
  }
  REQUIRE(store->DropCollection(rec).ok());
  size_t n = 0;
  REQUIRE(store->ScanPoints(rec.id, 0, [&](const latentdb::storage::StoredPoint&) { return ++n, true; }).ok());
  CHECK(n == 0);
  CHECK_FALSE(store->FindInternalId(rec.id, "k")->has_value());
  CHECK(store->FindInternalId(keep.id, "k")->has_value());

  // Every kind of write under the dropped id is refused and stores nothing (a request or a
  // background build may still hold the collection); the other collection is untouched.
  PointBatch late;
  late.cid = rec.id;
  late.next_iid = 2;
  late.upserts.push_back(MakeUpsert(1, "late", {3.0f, 4.0f}, "{}"));
  late.index_puts.push_back(std::string("\0\0\0\1kx", 7));
  CHECK(store->Apply(late).status().code() == latentdb::StatusCode::kNotFound);
  CHECK(store->PutAttachment(rec.id, "kind", "name", "{}").status().code() == latentdb::StatusCode::kNotFound);
  CHECK(store->DeleteAttachment(rec.id, "kind", "name").ok());  // nothing there to delete
  CHECK(store->PutIndexEntries(rec.id, {std::string("\0\0\0\1kx", 7)}).code() == latentdb::StatusCode::kNotFound);
  CHECK(store->DeleteIndexEntries(rec.id, "x").code() == latentdb::StatusCode::kNotFound);
  CHECK(store->TrimChangelog(rec.id, 10).code() == latentdb::StatusCode::kNotFound);
  n = 0;
  REQUIRE(store->ScanPoints(rec.id, 0, [&](const latentdb::storage::StoredPoint&) { return ++n, true; }).ok());
  CHECK(n == 0);
  size_t entries = 0;
  REQUIRE(store->ScanIndexEntries(rec.id, std::string("\0", 1), [&](std::string_view) { return ++entries, true; }).ok());
  CHECK(entries == 0);
  CHECK_FALSE(store->GetAttachment(rec.id, "kind", "name")->has_value());
  PointBatch ok_batch;
  ok_batch.cid = keep.id;
  ok_batch.next_iid = 2;
  ok_batch.upserts.push_back(MakeUpsert(1, "k2", {5.0f, 6.0f}, "{}"));
  CHECK(store->Apply(ok_batch).ok());
}

TEST_CASE("a second open of the same RocksDB directory is refused", "[storage]") {
  TempDir dir;
  auto first = OpenStore(dir.path());
  auto second = Store::Open(dir.path(), StoreOptions{});
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == latentdb::StatusCode::kBusy);
}

TEST_CASE("attachments are stored per collection, listed by kind and dropped with the collection", "[storage]") {
  TempDir dir;
  uint32_t a_id = 0, b_id = 0;
  {
    auto store = OpenStore(dir.path());
    auto a = store->CreateCollection("alpha", "{}");
    auto b = store->CreateCollection("beta", "{}");
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    a_id = a->id;
    b_id = b->id;
    auto put = store->PutAttachment(a_id, "direction", "smile", "{\"v\":1}");
    REQUIRE(put.ok());
    CHECK_FALSE(*put);  // created, not replaced
    put = store->PutAttachment(a_id, "direction", "smile", "{\"v\":2}");
    REQUIRE(put.ok());
    CHECK(*put);  // replaced
    REQUIRE(store->PutAttachment(a_id, "direction", "age", "{\"v\":3}").ok());
    REQUIRE(store->PutAttachment(a_id, "other", "smile", "{\"v\":4}").ok());
    REQUIRE(store->PutAttachment(b_id, "direction", "smile", "{\"v\":5}").ok());
    // Kinds and names are non-empty and free of NUL bytes (the key's separator).
    CHECK(store->PutAttachment(a_id, "", "x", "{}").status().code() == latentdb::StatusCode::kInvalidArgument);
    CHECK(store->PutAttachment(a_id, "direction", std::string("a\0b", 3), "{}").status().code() ==
          latentdb::StatusCode::kInvalidArgument);
  }
  // After a reopen: one kind of one collection, in name order; other kinds and collections apart.
  auto store = OpenStore(dir.path());
  std::vector<std::pair<std::string, std::string>> seen;
  REQUIRE(store->ScanAttachments(a_id, "direction", [&](std::string_view name, std::string_view value) {
    seen.emplace_back(name, value);
    return true;
  }).ok());
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::make_pair(std::string("age"), std::string("{\"v\":3}")));
  CHECK(seen[1] == std::make_pair(std::string("smile"), std::string("{\"v\":2}")));
  auto got = store->GetAttachment(a_id, "other", "smile");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(**got == "{\"v\":4}");
  got = store->GetAttachment(a_id, "direction", "missing");
  REQUIRE(got.ok());
  CHECK_FALSE(got->has_value());

  auto del = store->DeleteAttachment(a_id, "direction", "age");
  REQUIRE(del.ok());
  CHECK(*del);
  del = store->DeleteAttachment(a_id, "direction", "age");
  REQUIRE(del.ok());
  CHECK_FALSE(*del);

  // Dropping alpha removes its attachments of every kind and leaves beta's.
  auto list = store->ListCollections();
  REQUIRE(list.ok());
  REQUIRE(store->DropCollection((*list)[0]).ok());
  size_t left = 0;
  for (const char* kind : {"direction", "other"}) {
    REQUIRE(store->ScanAttachments(a_id, kind, [&](std::string_view, std::string_view) {
      ++left;
      return true;
    }).ok());
  }
  CHECK(left == 0);
  got = store->GetAttachment(b_id, "direction", "smile");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(**got == "{\"v\":5}");
  // Meta records outside the attachment range survive the drop.
  CHECK(store->CreateCollection("gamma", "{}")->id == b_id + 1);
}

TEST_CASE("VisitVectors hands over each stored vector bit for bit and skips absent points", "[storage]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const uint32_t cid = store->CreateCollection("c", "{}")->id;
  PointBatch b;
  b.cid = cid;
  b.next_iid = 3;
  b.upserts.push_back(MakeUpsert(0, "a", {1.5f, -2.25f, 3.0e-8f}, "{}"));
  b.upserts.push_back(MakeUpsert(2, "c", {0.0f, 1e30f, -0.0f}, "{}"));
  REQUIRE(store->Apply(b).ok());
  std::vector<size_t> seen;
  const std::vector<uint64_t> iids = {2, 1, 0, 7};
  auto visited = store->VisitVectors(cid, iids, [&](size_t i, const float* v, size_t dim) {
    seen.push_back(i);
    REQUIRE(dim == 3);
    CHECK(reinterpret_cast<uintptr_t>(v) % alignof(float) == 0);
    const auto stored = **store->GetVector(cid, iids[i]);
    CHECK(std::memcmp(v, stored.data(), 3 * sizeof(float)) == 0);
    return latentdb::Status::Ok();
  });
  REQUIRE(visited.ok());
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<size_t>{0, 2});  // iids 2 and 0; 1 and 7 were never stored
  // A visitor's error stops the read and is the answer.
  auto stopped = store->VisitVectors(cid, iids, [](size_t, const float*, size_t) {
    return latentdb::Status::Corruption("stop");
  });
  CHECK(stopped.code() == latentdb::StatusCode::kCorruption);
}

TEST_CASE("CompactCollection keeps every record of every collection, and writes go on after it", "[storage]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  const uint32_t a = store->CreateCollection("a", "{}")->id;
  const uint32_t other = store->CreateCollection("other", "{}")->id;
  auto write = [&](uint32_t cid, uint64_t from, uint64_t to) {
    PointBatch b;
    b.cid = cid;
    b.next_iid = to;
    for (uint64_t i = from; i < to; ++i) {
      b.upserts.push_back(MakeUpsert(i, "k" + std::to_string(i), {float(i), float(cid)}, "{\"i\":" + std::to_string(i) + "}"));
    }
    REQUIRE(store->Apply(b).ok());
  };
  // Several flushed files of overlapping ranges, as a bulk load leaves them.
  for (uint64_t round = 0; round < 3; ++round) {
    write(a, round * 100, round * 100 + 100);
    write(other, round * 10, round * 10 + 10);
    REQUIRE(store->Flush().ok());
  }
  write(a, 300, 310);  // still in the memtable
  REQUIRE(store->CompactCollection(a).ok());
  REQUIRE(store->CompactCollection(store->CreateCollection("empty", "{}")->id).ok());
  write(a, 310, 320);
  for (auto [cid, n] : {std::pair<uint32_t, uint64_t>{a, 320}, {other, 30}}) {
    std::vector<uint64_t> iids(n);
    for (uint64_t i = 0; i < n; ++i) iids[i] = i;
    std::vector<std::vector<float>> vectors;
    REQUIRE(store->MultiGetVectors(cid, iids, &vectors).ok());
    for (uint64_t i = 0; i < n; ++i) CHECK(vectors[i] == std::vector<float>{float(i), float(cid)});
    std::vector<std::optional<latentdb::storage::StoredPoint>> points;
    REQUIRE(store->MultiGetPoints(cid, iids, &points).ok());
    for (uint64_t i = 0; i < n; ++i) {
      REQUIRE(points[i].has_value());
      CHECK(points[i]->payload_json == "{\"i\":" + std::to_string(i) + "}");
    }
  }
}
