// Snapshots (engine/database.h, engine/snapshot_format.h): a collection restored from its
// snapshot is the collection as it was — points, payloads, vectors, search results, payload
// indexes, attachments — under its own name or another, over an existing collection, after a
// restart, and when the snapshot was taken under write load (no torn batch). Damaged, foreign
// and hostile archives are refused and change nothing.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "common/sha256.h"
#include "common/tar_archive.h"
#include "engine/collection.h"
#include "engine/filter.h"
#include "tests/support/shell_command.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using namespace latentdb;
using engine::ExternalId;
using engine::PointInput;
using nlohmann::json;
using latentdb::testing::RandomPoints;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<engine::Collection> CreateHnsw(engine::Database& db, const std::string& name, size_t dim) {
  auto config = engine::CollectionConfig::FromJson({{"dim", dim}, {"metric", "cosine"}, {"index", "HNSW16"}});
  REQUIRE(config.ok());
  auto c = db.CreateCollection(name, *config);
  REQUIRE(c.ok());
  return *c;
}

std::vector<uint64_t> SearchIds(engine::Collection& c, const std::vector<float>& q, size_t k = 10) {
  engine::SearchQuery query;
  query.vector = q;
  query.k = k;
  auto hits = c.Search(query);
  REQUIRE(hits.ok());
  std::vector<uint64_t> ids;
  for (const auto& h : *hits) ids.push_back(h.id.ToJson().get<uint64_t>());
  return ids;
}

// Every point of the collection as (id, payload, vector), via scroll.
std::map<uint64_t, std::pair<json, std::optional<std::vector<float>>>> Dump(engine::Collection& c) {
  std::map<uint64_t, std::pair<json, std::optional<std::vector<float>>>> out;
  std::optional<ExternalId> offset;
  for (;;) {
    auto page = c.Scroll(256, offset, nullptr, true, true);
    REQUIRE(page.ok());
    for (const auto& p : page->points) out[p.id.ToJson().get<uint64_t>()] = {p.payload, p.vector};
    if (!page->next_offset) break;
    offset = page->next_offset;
  }
  return out;
}

void FlipByte(const std::string& path, size_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

}  // namespace

TEST_CASE("a collection restored from its snapshot is the collection as it was", "[engine][snapshot]") {
  testing::TempDir dir;
  auto db = testing::OpenTestDatabase(dir.Sub("data"));
  auto c = CreateHnsw(*db, "src", 8);
  REQUIRE(c->Upsert(RandomPoints(600, 8, 0, 1)).ok());
  REQUIRE(c->Delete({ExternalId(uint64_t{3}), ExternalId(uint64_t{4})}).ok());
  REQUIRE(c->CreatePayloadIndex("group", engine::PayloadSchema::kInteger, /*wait=*/true).ok());
  REQUIRE(c->PutAttachment("direction", "up", json{{"vector", {1, 2, 3}}}).ok());
  const auto before = Dump(*c);
  const std::vector<float> q = RandomPoints(1, 8, 9999, 42)[0].vector;
  const auto hits = SearchIds(*c, q);

  auto snap = db->CreateSnapshot("src");
  REQUIRE(snap.ok());
  CHECK(snap->name.starts_with("src-"));
  CHECK(snap->name.ends_with(".snapshot"));
  CHECK(snap->size > 0);
  auto path = db->SnapshotPath("src", snap->name);
  REQUIRE(path.ok());
  CHECK(*Sha256File(*path) == snap->checksum);
  auto listed = db->ListSnapshots("src");
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].checksum == snap->checksum);

  // Writes after the snapshot are not in it.
  REQUIRE(c->Upsert(RandomPoints(50, 8, 1000, 2)).ok());
  REQUIRE(c->Delete({ExternalId(uint64_t{10})}).ok());

  SECTION("into a new collection, and across restarts with writes in between") {
    auto copy = db->RestoreSnapshot("copy", *path, snap->checksum);
    INFO(copy.status().ToString());
    REQUIRE(copy.ok());
    CHECK(Dump(**copy) == before);
    CHECK(SearchIds(**copy, q) == hits);
    auto info = (*copy)->Info();
    REQUIRE(info.payload_indexes.size() == 1);
    CHECK(info.payload_indexes[0].field_name == "group");
    auto att = (*copy)->GetAttachment("direction", "up");
    REQUIRE(att.ok());
    REQUIRE(att->has_value());
    CHECK(**att == json{{"vector", {1, 2, 3}}});
    auto filter = engine::Filter::Parse(json{{"must", {{{"key", "group"}, {"match", {{"value", 2}}}}}}});
    REQUIRE(filter.ok());
    auto counted = (*copy)->Count(filter->get());
    REQUIRE(counted.ok());
    size_t expected = 0;
    for (const auto& [id, p] : before) expected += p.first["group"] == 2;
    CHECK(*counted == expected);
    // The source is untouched.
    CHECK(c->size() == before.size() + 50 - 1);

    REQUIRE((*copy)->Upsert(RandomPoints(5, 8, 5000, 3)).ok());
    db.reset();
    db = testing::OpenTestDatabase(dir.Sub("data"));
    auto reopened = db->GetCollection("copy");
    REQUIRE(reopened.ok());
    CHECK((*reopened)->size() == before.size() + 5);
    REQUIRE((*reopened)->PersistIndex(true).ok());
    REQUIRE((*reopened)->Delete({ExternalId(uint64_t{5000})}).ok());
    db.reset();
    db = testing::OpenTestDatabase(dir.Sub("data"));
    reopened = db->GetCollection("copy");
    REQUIRE(reopened.ok());
    CHECK((*reopened)->size() == before.size() + 4);
    CHECK(SearchIds(**reopened, q).size() == 10);
  }

  SECTION("over the existing collection, which goes back to the snapshot's state") {
    auto restored = db->RestoreSnapshot("src", *path);
    REQUIRE(restored.ok());
    CHECK(Dump(**restored) == before);
    CHECK(SearchIds(**restored, q) == hits);
    // The replaced collection object refuses writes; the new one takes them.
    CHECK(c->Upsert(RandomPoints(1, 8, 7000, 4)).code() == StatusCode::kNotFound);
    REQUIRE((*restored)->Upsert(RandomPoints(1, 8, 7000, 4)).ok());
    auto got = db->GetCollection("src");
    REQUIRE(got.ok());
    CHECK(got->get() == restored->get());
    db.reset();
    db = testing::OpenTestDatabase(dir.Sub("data"));
    got = db->GetCollection("src");
    REQUIRE(got.ok());
    CHECK((*got)->size() == before.size() + 1);
    CHECK(db->ListCollections().size() == 1);
  }

  SECTION("deleted snapshots are gone; names cannot leave the snapshots folder") {
    CHECK(db->SnapshotPath("src", "../src/" + snap->name).status().code() == StatusCode::kInvalidArgument);
    CHECK(db->SnapshotPath("src", "..").status().code() == StatusCode::kInvalidArgument);
    CHECK(db->SnapshotPath("src", "x.snapshot").status().code() == StatusCode::kNotFound);
    CHECK(db->SnapshotPath("../etc", "x.snapshot").status().code() == StatusCode::kInvalidArgument);
    REQUIRE(db->DeleteSnapshot("src", snap->name).ok());
    CHECK(db->ListSnapshots("src")->empty());
    CHECK(db->DeleteSnapshot("src", snap->name).code() == StatusCode::kNotFound);
    CHECK(db->CreateSnapshot("nope").status().code() == StatusCode::kNotFound);
  }
}

TEST_CASE("a snapshot taken under write load restores to a state that existed", "[engine][snapshot]") {
  testing::TempDir dir;
  auto db = testing::OpenTestDatabase(dir.Sub("data"));
  auto c = CreateHnsw(*db, "live", 4);
  constexpr size_t kBatch = 16;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> batches{0};
  std::thread writer([&] {
    for (uint64_t b = 0; !stop.load() && b < 100000; ++b) {
      // Each batch upserts kBatch new points and rewrites point 0's payload: all or nothing.
      auto pts = RandomPoints(kBatch, 4, 1 + b * kBatch, static_cast<uint32_t>(b), json{{"batch", b}});
      pts.push_back(RandomPoints(1, 4, 0, 0, json{{"batch", b}})[0]);
      if (!c->Upsert(std::move(pts)).ok()) break;
      batches = b + 1;
    }
  });
  while (batches.load() < 20) std::this_thread::yield();
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    auto snap = db->CreateSnapshot("live");
    REQUIRE(snap.ok());
    paths.push_back(*db->SnapshotPath("live", snap->name));
  }
  stop = true;
  writer.join();
  for (size_t i = 0; i < paths.size(); ++i) {
    auto restored = db->RestoreSnapshot("r" + std::to_string(i), paths[i]);
    REQUIRE(restored.ok());
    const auto points = Dump(**restored);
    REQUIRE(points.count(0));
    const uint64_t last = points.at(0).first["batch"].get<uint64_t>();
    // Exactly batches 0..last, each whole.
    CHECK(points.size() == 1 + (last + 1) * kBatch);
    std::map<uint64_t, size_t> per_batch;
    for (const auto& [id, p] : points) {
      if (id != 0) ++per_batch[p.first["batch"].get<uint64_t>()];
    }
    CHECK(per_batch.size() == last + 1);
    for (const auto& [b, n] : per_batch) CHECK(n == kBatch);
    // The index holds exactly the restored points.
    CHECK((*restored)->Info().index.live == points.size());
  }
}

TEST_CASE("damaged, foreign and hostile snapshot files are refused and change nothing", "[engine][snapshot]") {
  testing::TempDir dir;
  auto db = testing::OpenTestDatabase(dir.Sub("data"));
  auto c = CreateHnsw(*db, "src", 4);
  REQUIRE(c->Upsert(RandomPoints(300, 4, 0, 1)).ok());
  auto snap = db->CreateSnapshot("src");
  REQUIRE(snap.ok());
  const std::string good = *db->SnapshotPath("src", snap->name);
  auto target = CreateHnsw(*db, "target", 4);
  REQUIRE(target->Upsert(RandomPoints(7, 4, 0, 9)).ok());
  const auto target_before = Dump(*target);
  const std::string bad = dir.Sub("bad.snapshot");

  auto refused = [&](const std::string& path, StatusCode code, const std::string& expected_sha = "") {
    auto r = db->RestoreSnapshot("target", path, expected_sha);
    INFO(r.status().ToString());
    CHECK(r.status().code() == code);
    auto t = db->GetCollection("target");
    REQUIRE(t.ok());
    CHECK(Dump(**t) == target_before);
    CHECK_FALSE(db->GetCollection("src2").ok());
    CHECK(db->ListCollections().size() == 2);
  };

  SECTION("a wrong expected checksum") { refused(good, StatusCode::kInvalidArgument, std::string(64, 'a')); }
  SECTION("a flipped byte in each part of the archive") {
    const auto size = fs::file_size(good);
    for (size_t at : {size_t{100}, size / 3, size / 2, size - 2000}) {
      fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
      FlipByte(bad, at);
      auto r = db->RestoreSnapshot("target", bad);
      INFO("byte " << at << ": " << r.status().ToString());
      CHECK_FALSE(r.ok());
      CHECK(Dump(**db->GetCollection("target")) == target_before);
    }
  }
  SECTION("a truncated archive") {
    fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
    fs::resize_file(bad, fs::file_size(good) / 2);
    refused(bad, StatusCode::kInvalidArgument);
  }
  SECTION("not an archive, an empty file, a missing file") {
    std::ofstream(bad) << "{\"not\": \"a snapshot\"}";
    refused(bad, StatusCode::kInvalidArgument);
    std::ofstream(bad, std::ios::trunc).close();
    refused(bad, StatusCode::kInvalidArgument);
    refused(dir.Sub("missing.snapshot"), StatusCode::kNotFound);
  }
  SECTION("archives with paths that leave the directory, links, or no manifest (written by Python's tarfile)") {
    for (const std::string kind : {"dotdot", "absolute", "symlink", "nomanifest"}) {
      const std::string script =
          "import io, tarfile, sys\n"
          "kind, out = sys.argv[1], sys.argv[2]\n"
          "t = tarfile.open(out, 'w')\n"
          "def add(name, data=b'x'):\n"
          "    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))\n"
          "if kind == 'dotdot': add('../escaped.txt')\n"
          "elif kind == 'absolute': add('/tmp/latentdb-escaped.txt')\n"
          "elif kind == 'symlink':\n"
          "    i = tarfile.TarInfo('manifest.json'); i.type = tarfile.SYMTYPE; i.linkname = '/etc/passwd'; t.addfile(i)\n"
          "else: add('vectors.sst')\n"
          "t.close()\n";
      std::ofstream(dir.Sub("make_tar.py")) << script;
      std::string output;
      REQUIRE(testing::RunShellCommand("python3 " + testing::ShellQuoted(dir.Sub("make_tar.py")) + " " + kind + " " +
                                           testing::ShellQuoted(bad),
                                       &output) == 0);
      INFO(kind);
      refused(bad, StatusCode::kInvalidArgument);
      CHECK_FALSE(fs::exists(dir.Sub("data/snapshots/escaped.txt")));
      CHECK_FALSE(fs::exists(dir.Sub("escaped.txt")));
    }
  }
  SECTION("a collection snapshot whose manifest lies about a file") {
    // Re-pack the good snapshot with one SST replaced by another of the same collection.
    const std::string unpacked = dir.Sub("unpacked");
    fs::create_directories(unpacked);
    auto names = ExtractTar(good, unpacked);
    REQUIRE(names.ok());
    std::vector<TarEntry> entries;
    for (const auto& n : *names) entries.push_back({n, unpacked + "/" + (n == "points.sst" ? "ids.sst" : n)});
    REQUIRE(WriteTar(bad, entries).ok());
    refused(bad, StatusCode::kInvalidArgument);
  }
  // Nothing was left in the scratch space.
  CHECK((!fs::exists(dir.Sub("data/snapshots/.tmp")) || fs::is_empty(dir.Sub("data/snapshots/.tmp"))));
}

TEST_CASE("a full snapshot restores every collection and the extra folders into another data directory",
          "[engine][snapshot]") {
  testing::TempDir dir;
  std::string full_path;
  std::map<uint64_t, std::pair<json, std::optional<std::vector<float>>>> a_points, b_points;
  {
    auto db = testing::OpenTestDatabase(dir.Sub("data"));
    auto a = CreateHnsw(*db, "a", 4);
    auto b = testing::CreateFlatCollection(*db, "b", 3);
    REQUIRE(a->Upsert(RandomPoints(100, 4, 0, 1)).ok());
    REQUIRE(b->Upsert(RandomPoints(40, 3, 0, 2)).ok());
    a_points = Dump(*a);
    b_points = Dump(*b);
    fs::create_directories(dir.Sub("data/models/m"));
    std::ofstream(dir.Sub("data/models/m/manifest.json")) << "{\"name\": \"m\"}";
    auto full = db->CreateFullSnapshot({"models"});
    REQUIRE(full.ok());
    CHECK(full->name.starts_with("full-snapshot-"));
    CHECK(db->ListFullSnapshots()->size() == 1);
    CHECK(db->ListSnapshots("a")->empty());
    full_path = *db->SnapshotPath("", full->name);
    // A full snapshot is not a collection snapshot.
    CHECK(db->RestoreSnapshot("x", full_path).status().code() == StatusCode::kInvalidArgument);
  }
  auto other = testing::OpenTestDatabase(dir.Sub("other"));
  REQUIRE(other->RestoreFullSnapshot(full_path).ok());
  CHECK(Dump(**other->GetCollection("a")) == a_points);
  CHECK(Dump(**other->GetCollection("b")) == b_points);
  std::ifstream manifest(dir.Sub("other/models/m/manifest.json"));
  std::string text((std::istreambuf_iterator<char>(manifest)), std::istreambuf_iterator<char>());
  CHECK(text == "{\"name\": \"m\"}");
}
