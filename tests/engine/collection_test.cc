// Collections through a real Database: writes, reads, search, persistence, crash recovery.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include "common/file_util.h"
#include "engine/database.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using namespace latentdb::engine;
using latentdb::StatusCode;
using latentdb::testing::TempDir;
using nlohmann::json;
using latentdb::testing::RandomPoints;

namespace {

std::unique_ptr<Database> OpenDb(const std::string& dir, int persist_interval = 0) {
  DatabaseOptions o;
  o.data_dir = dir;
  o.persist_interval_seconds = persist_interval;
  auto db = Database::Open(o);
  REQUIRE(db.ok());
  return std::move(db).value();
}

CollectionConfig Config(size_t dim, const std::string& index = "HNSW32", const std::string& metric = "l2") {
  auto c = CollectionConfig::FromJson(json{{"dim", dim}, {"index", index}, {"metric", metric}});
  REQUIRE(c.ok());
  return *c;
}

// Runs this binary's hidden case `tag` in a fresh process (a writer that dies without closing:
// forking a process whose OpenMP pool is running is undefined) and requires it to exit 0.
void RunChildCase(const char* tag, const std::string& dir) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    setenv("LATENTDB_CRASH_DIR", dir.c_str(), 1);
    execl("/proc/self/exe", "engine_tests", tag, static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

// The one nearest point to `v` (a k=1 search that must succeed with exactly one hit).
ScoredPoint Nearest(Collection& c, const std::vector<float>& v, bool exact = false) {
  SearchQuery q;
  q.vector = v;
  q.k = 1;
  q.params.exact = exact;
  auto hits = c.Search(q);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 1);
  return (*hits)[0];
}

// In a child process started by RunChildCase: the database in the directory it was given.
latentdb::Result<std::unique_ptr<Database>> OpenChildDatabase(bool bulk_load) {
  const char* dir = std::getenv("LATENTDB_CRASH_DIR");
  REQUIRE(dir != nullptr);
  DatabaseOptions o;
  o.data_dir = dir;
  o.persist_interval_seconds = 0;
  o.bulk_load = bulk_load;
  return Database::Open(o);
}

}  // namespace

TEST_CASE("upsert, get, replace, delete, scroll", "[engine]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  auto c = *db->CreateCollection("c", Config(4, "Flat"));
  REQUIRE(c->Upsert(RandomPoints(100, 4, 0, 1)).ok());
  CHECK(c->size() == 100);

  std::vector<PointInput> replace(1);
  replace[0].id = ExternalId(uint64_t{7});
  replace[0].vector = {9, 9, 9, 9};
  replace[0].payload = json{{"new", true}};
  REQUIRE(c->Upsert(replace).ok());
  CHECK(c->size() == 100);
  auto got = *c->Get(ExternalId(uint64_t{7}), true);
  REQUIRE(got.has_value());
  CHECK(got->payload == json{{"new", true}});
  CHECK(*got->vector == std::vector<float>{9, 9, 9, 9});
  CHECK(c->Info().index.live == 100);

  auto deleted = c->Delete({ExternalId(uint64_t{1}), ExternalId(uint64_t{2}), ExternalId(uint64_t{1000})});
  REQUIRE(deleted.ok());
  CHECK(*deleted == 2);
  CHECK_FALSE(c->Get(ExternalId(uint64_t{1}), false)->has_value());

  auto filter = *Filter::Parse(json::parse(R"({"must":[{"key":"group","match":{"value":0}}]})"));
  auto by_filter = c->DeleteMatching(*filter);
  REQUIRE(by_filter.ok());
  CHECK(*by_filter == 20);
  CHECK(c->size() == 78);  // 100 - 2 by id - 20 in group 0 (id 7 was replaced: no group any more)

  // Scroll visits every point exactly once.
  std::set<std::string> seen;
  std::optional<ExternalId> offset;
  size_t pages = 0;
  do {
    auto page = c->Scroll(7, offset, nullptr, true, false);
    REQUIRE(page.ok());
    for (const auto& p : page->points) CHECK(seen.insert(p.id.ToKey()).second);
    offset = page->next_offset;
    ++pages;
  } while (offset);
  CHECK(seen.size() == c->size());
  CHECK(pages == (c->size() + 6) / 7);
}

TEST_CASE("a rejected batch changes nothing", "[engine]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  auto c = *db->CreateCollection("c", Config(3, "HNSW16"));
  REQUIRE(c->Upsert(RandomPoints(10, 3, 0, 1)).ok());
  auto before = *c->Get(ExternalId(uint64_t{3}), true);
  auto bad = RandomPoints(5, 3, 0, 2);
  bad[4].vector = {1, 2};  // wrong dimension in the last point
  CHECK(c->Upsert(bad).code() == StatusCode::kInvalidArgument);
  bad[4].vector = {1, std::numeric_limits<float>::quiet_NaN(), 3};
  CHECK(c->Upsert(bad).code() == StatusCode::kInvalidArgument);
  bad[4].vector = {1, std::numeric_limits<float>::infinity(), 3};
  CHECK(c->Upsert(bad).code() == StatusCode::kInvalidArgument);
  CHECK(c->size() == 10);
  auto after = *c->Get(ExternalId(uint64_t{3}), true);
  CHECK(*after->vector == *before->vector);
}

TEST_CASE("search by id excludes the point itself, k and query validation", "[engine]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  auto c = *db->CreateCollection("c", Config(8, "HNSW16", "cosine"));
  REQUIRE(c->Upsert(RandomPoints(500, 8, 0, 3)).ok());
  SearchQuery q;
  q.id = ExternalId(uint64_t{42});
  q.k = 5;
  auto hits = c->Search(q);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 5);
  for (const auto& h : *hits) CHECK_FALSE(h.id == ExternalId(uint64_t{42}));
  for (size_t i = 1; i < hits->size(); ++i) CHECK((*hits)[i - 1].score >= (*hits)[i].score);

  q.id = ExternalId(std::string("missing"));
  CHECK(c->Search(q).status().code() == StatusCode::kNotFound);
  q.id.reset();
  q.vector = std::vector<float>(7, 1.0f);
  CHECK(c->Search(q).status().code() == StatusCode::kInvalidArgument);
  q.vector = std::vector<float>(8, 1.0f);
  q.k = 0;
  CHECK(c->Search(q).status().code() == StatusCode::kInvalidArgument);
  q.k = kMaxK + 1;
  CHECK(c->Search(q).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("collection names are validated and unique", "[engine]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  for (const std::string& bad : std::vector<std::string>{"", "a b", "../x", "x/y", "a.b", std::string(65, 'a')}) {
    CHECK(db->CreateCollection(bad, Config(2)).status().code() == StatusCode::kInvalidArgument);
  }
  REQUIRE(db->CreateCollection("ok_name-1", Config(2)).ok());
  CHECK(db->CreateCollection("ok_name-1", Config(2)).status().code() == StatusCode::kAlreadyExists);
  CHECK(db->GetCollection("nope").status().code() == StatusCode::kNotFound);
  REQUIRE(db->DropCollection("ok_name-1").ok());
  CHECK(db->DropCollection("ok_name-1").code() == StatusCode::kNotFound);
}

TEST_CASE("a second Database on the same directory fails with a message naming the lock", "[engine]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  DatabaseOptions o;
  o.data_dir = dir.path();
  auto second = Database::Open(o);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kBusy);
  CHECK(second.status().message().find("LOCK.latentdb") != std::string::npos);
}

TEST_CASE("restart loads the saved index, a missing or corrupt index is rebuilt", "[engine][persist]") {
  TempDir dir;
  std::vector<std::string> before;
  auto query = RandomPoints(1, 16, 999999, 77)[0].vector;
  auto ids_of = [&](Collection& c) {
    SearchQuery q;
    q.vector = query;
    q.k = 10;
    std::vector<std::string> out;
    auto hits = *c.Search(q);
    for (const auto& h : hits) out.push_back(h.id.ToKey());
    return out;
  };
  {
    auto db = OpenDb(dir.path());
    auto c = *db->CreateCollection("c", Config(16, "HNSW32"));
    REQUIRE(c->Upsert(RandomPoints(3000, 16, 0, 4)).ok());
    REQUIRE(c->Delete({ExternalId(uint64_t{5})}).ok());
    before = ids_of(*c);
  }  // Close() saves the index
  const std::string idx = dir.path() + "/indexes/1.idx";
  REQUIRE(latentdb::PathExists(idx));
  {
    auto db = OpenDb(dir.path());
    auto c = *db->GetCollection("c");
    CHECK(c->size() == 2999);
    CHECK(c->Info().index.live == 2999);
    CHECK(c->Info().persisted_sequence > 0);  // loaded, not rebuilt
    CHECK(ids_of(*c) == before);
  }
  // Corrupt the file: the collection must still open, rebuilt from the store.
  auto bytes = *latentdb::ReadWholeFile(idx);
  bytes[bytes.size() / 2] ^= 1;
  REQUIRE(latentdb::WriteFileAtomically(idx, bytes).ok());
  {
    auto db = OpenDb(dir.path());
    auto c = *db->GetCollection("c");
    CHECK(c->Info().persisted_sequence == 0);  // rebuilt
    CHECK(c->Info().index.live == 2999);
    CHECK(ids_of(*c).size() == 10);
  }
  std::filesystem::remove(idx);
  {
    auto db = OpenDb(dir.path());
    CHECK((*db->GetCollection("c"))->Info().index.live == 2999);
  }
}

TEST_CASE("a Flat index writes no file: it is built from the store, and a stale file is ignored", "[engine][persist]") {
  TempDir dir;
  const std::string idx = dir.path() + "/indexes/1.idx";
  auto points = RandomPoints(500, 8, 0, 21);
  {
    auto db = OpenDb(dir.path());
    auto c = *db->CreateCollection("c", Config(8, "Flat"));
    REQUIRE(c->Upsert(points).ok());
    REQUIRE(db->Checkpoint().ok());
    // Nothing saved, yet the changelog is trimmed: the whole of it is in the store.
    CHECK_FALSE(latentdb::PathExists(idx));
    CHECK(c->Info().persisted_sequence == c->Info().applied_sequence);
  }
  CHECK_FALSE(latentdb::PathExists(idx));
  // A file from an older version, holding other vectors, must neither be loaded nor survive.
  {
    auto db = OpenDb(dir.path());
    auto c = *db->GetCollection("c");
    REQUIRE(c->Upsert(RandomPoints(10, 8, 1000, 22)).ok());
  }
  {
    latentdb::index::IndexSpec spec;
    spec.dim = 8;
    spec.metric = latentdb::index::Metric::kL2;
    spec.factory = "Flat";
    auto stale = *latentdb::index::VectorIndex::Create(spec);
    auto other = RandomPoints(3, 8, 0, 99);
    std::vector<uint64_t> ids = {0, 1, 2};
    std::vector<float> flat;
    for (const auto& p : other) flat.insert(flat.end(), p.vector.begin(), p.vector.end());
    REQUIRE(stale->Upsert(ids.data(), flat.data(), 3).ok());
    REQUIRE(stale->Save(idx, 1 << 20).ok());
  }
  auto db = OpenDb(dir.path());
  auto c = *db->GetCollection("c");
  CHECK_FALSE(latentdb::PathExists(idx));
  CHECK(c->Info().index.live == 510);
  auto nearest = Nearest(*c, points[123].vector);
  CHECK(nearest.id == points[123].id);
  CHECK(nearest.score == Approx(0.0).margin(1e-6));
}

// Runs only when the crash test below starts this binary again for it (hidden tag). The writer
// must be a fresh process: forking a process whose OpenMP pool is running is undefined.
TEST_CASE("crash writer (child process of the crash test)", "[.crash_writer]") {
  auto db = OpenChildDatabase(/*bulk_load=*/false);
  if (!db.ok()) _exit(3);
  auto c = (*db)->CreateCollection("c", Config(8, "HNSW16"));
  if (!c.ok() || !(*c)->Upsert(RandomPoints(500, 8, 0, 5)).ok()) _exit(4);
  if (!(*db)->PersistIndexes().ok()) _exit(5);
  if (!(*c)->Upsert(RandomPoints(200, 8, 500, 6)).ok()) _exit(6);
  if (!(*c)->Delete({ExternalId(uint64_t{3}), ExternalId(uint64_t{600})}).ok()) _exit(7);
  if (!(*c)->Upsert(RandomPoints(1, 8, 10, 8)).ok()) _exit(8);  // a replacement after the save
  _exit(0);  // no Close(): like kill -9, nothing more reaches the disk
}

// Child process of the bulk-load crash test (hidden tag): a bulk-load database (no WAL) that
// checkpoints after the first 300 points of each collection, writes 200 more, and dies.
TEST_CASE("bulk crash writer (child process of the bulk crash test)", "[.bulk_crash_writer]") {
  auto db = OpenChildDatabase(/*bulk_load=*/true);
  if (!db.ok()) _exit(3);
  auto flat = (*db)->CreateCollection("flat", Config(8, "Flat"));
  auto hnsw = (*db)->CreateCollection("hnsw", Config(8, "HNSW16"));
  if (!flat.ok() || !hnsw.ok()) _exit(4);
  (*hnsw)->BeginBulkLoad();
  for (auto* c : {&*flat, &*hnsw}) {
    if (!(*c)->Upsert(RandomPoints(300, 8, 0, 31)).ok()) _exit(5);
  }
  if (!(*db)->Checkpoint().ok()) _exit(6);
  for (auto* c : {&*flat, &*hnsw}) {
    if (!(*c)->Upsert(RandomPoints(200, 8, 300, 32)).ok()) _exit(7);
    if (!(*c)->Upsert(RandomPoints(1, 8, 7, 33)).ok()) _exit(8);  // a replacement, also lost
  }
  _exit(0);  // no Close(): like kill -9; the writes after the checkpoint were never flushed
}

TEST_CASE("a bulk load killed after a checkpoint reopens exactly as of the checkpoint", "[engine][persist][crash]") {
  TempDir dir;
  RunChildCase("[.bulk_crash_writer]", dir.path());

  auto db = OpenDb(dir.path());
  const auto checkpointed = RandomPoints(300, 8, 0, 31);
  for (const char* name : {"flat", "hnsw"}) {
    INFO(name);
    auto c = *db->GetCollection(name);
    // Exactly the checkpointed points, with their checkpointed vectors, in store and index alike.
    CHECK(c->size() == 300);
    CHECK(c->Info().index.live == 300);
    CHECK_FALSE(c->Get(ExternalId(uint64_t{300}), false)->has_value());
    CHECK(*c->VectorOf(ExternalId(uint64_t{7})) == checkpointed[7].vector);
    CHECK(Nearest(*c, checkpointed[42].vector).id == checkpointed[42].id);
    // The id counter survived with the points: a new point gets a fresh slot, not a used one.
    REQUIRE(c->Upsert(RandomPoints(5, 8, 1000, 34)).ok());
    CHECK(c->size() == 305);
    CHECK(*c->VectorOf(ExternalId(uint64_t{7})) == checkpointed[7].vector);
  }
}

TEST_CASE("after a crash, writes newer than the saved index are replayed", "[engine][persist][crash]") {
  TempDir dir;
  // The child process writes, saves the index, writes more, and dies without closing.
  RunChildCase("[.crash_writer]", dir.path());

  auto db = OpenDb(dir.path());
  auto c = *db->GetCollection("c");
  CHECK(c->size() == 698);
  CHECK(c->Info().index.live == 698);
  CHECK(c->Info().persisted_sequence > 0);  // the saved index was used, then replayed
  CHECK_FALSE(c->Get(ExternalId(uint64_t{600}), false)->has_value());
  auto replaced = RandomPoints(1, 8, 10, 8)[0];
  auto nearest = Nearest(*c, replaced.vector);
  CHECK(nearest.id == ExternalId(uint64_t{10}));
  CHECK(nearest.score == Approx(0.0).margin(1e-4));
  // Every point written after the save is searchable by its own vector.
  for (const auto& p : RandomPoints(200, 8, 500, 6)) {
    if (p.id == ExternalId(uint64_t{600})) continue;
    CHECK(Nearest(*c, p.vector).id == p.id);
  }
}

TEST_CASE("filtered search over a collection honours payload filters", "[engine][filter]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  auto c = *db->CreateCollection("c", Config(8, "HNSW16"));
  REQUIRE(c->Upsert(RandomPoints(2000, 8, 0, 9)).ok());
  SearchQuery q;
  q.vector = std::vector<float>(8, 0.5f);
  q.k = 10;
  q.filter = *Filter::Parse(json::parse(R"({"must":[{"key":"group","match":{"value":3}}],
                                            "must_not":[{"key":"name","match":{"any":["p3","p8"]}}]})"));
  auto hits = *c->Search(q);
  REQUIRE(hits.size() == 10);
  for (const auto& h : hits) {
    REQUIRE(h.payload.has_value());
    CHECK((*h.payload)["group"] == 3);
    CHECK((*h.payload)["name"] != "p3");
  }
}

TEST_CASE("bulk load defers the index to one rebuild, a crash in between loses nothing", "[engine][bulk]") {
  TempDir dir;
  {
    auto db = OpenDb(dir.path());
    auto c = *db->CreateCollection("c", Config(8, "IVF16,Flat"));
    REQUIRE(c->Upsert(RandomPoints(100, 8, 0, 1)).ok());
    c->BeginBulkLoad();
    REQUIRE(c->Upsert(RandomPoints(2000, 8, 100, 2)).ok());
    REQUIRE(c->Delete({ExternalId(uint64_t{5})}).ok());
    CHECK(c->size() == 2099);
    CHECK(c->Info().index.live == 100);  // deferred
    SearchQuery q;
    q.vector = RandomPoints(1, 8, 5, 1)[0].vector;  // the deleted point's own vector
    q.k = 3;
    for (const auto& h : *c->Search(q)) CHECK_FALSE(h.id == ExternalId(uint64_t{5}));
    REQUIRE(db->PersistIndexes().ok());  // must not save the stale index as complete
  }  // closed without EndBulkLoad: like a crash of the ingest tool
  {
    auto db = OpenDb(dir.path());
    auto c = *db->GetCollection("c");
    CHECK(c->size() == 2099);
    CHECK(c->Info().index.live == 2099);
    CHECK(c->Info().index.trained);
    c->BeginBulkLoad();
    REQUIRE(c->Upsert(RandomPoints(10, 8, 5000, 3)).ok());
    REQUIRE(c->EndBulkLoad().ok());
    CHECK(c->Info().index.live == 2109);
    CHECK(Nearest(*c, RandomPoints(1, 8, 5000, 3)[0].vector, /*exact=*/true).id == ExternalId(uint64_t{5000}));
  }
}

// Issue 10, kind 2: tiny, huge and zero vectors. Every score of every search is finite.
namespace {
PointInput Pt(uint64_t id, std::vector<float> v) {
  PointInput p;
  p.id = ExternalId(id);
  p.vector = std::move(v);
  return p;
}
void RequireFiniteScores(const std::vector<ScoredPoint>& hits) {
  for (const auto& h : hits) {
    INFO("point " << h.id.ToString() << " score " << h.score);
    REQUIRE(std::isfinite(h.score));
  }
}
}  // namespace

TEST_CASE("cosine: tiny, huge and zero vectors get finite scores, and zero scores 0", "[engine][normalize]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  for (const std::string index : {"Flat", "HNSW16"}) {
    SECTION(index) {
      auto c = *db->CreateCollection("c", Config(4, index, "cosine"));
      REQUIRE(c->Upsert({Pt(1, {1e-40f, 0, 0, 0}), Pt(2, {1e30f, 0, 0, 0}), Pt(3, {0, 0, 0, 0}),
                         Pt(4, {0, 1, 0, 0}), Pt(5, {1e-45f, 1e-45f, 0, 0}), Pt(6, {3.4e38f, 3.4e38f, 3.4e38f, 3.4e38f})})
                  .ok());
      for (const std::vector<float>& query : {std::vector<float>{1e-40f, 0, 0, 0}, std::vector<float>{1, 0, 0, 0},
                                              std::vector<float>{2e38f, 0, 0, 0}, std::vector<float>{0, 0, 0, 0}}) {
        SearchQuery q;
        q.vector = query;
        q.k = 6;
        auto hits = c->Search(q);
        REQUIRE(hits.ok());
        REQUIRE(hits->size() == 6);
        RequireFiniteScores(*hits);
        for (const auto& h : *hits) {
          if (query[0] == 0) {
            CHECK(h.score == 0);  // the zero query has no direction: cosine 0 with everything
          } else if (h.id == ExternalId(uint64_t{1}) || h.id == ExternalId(uint64_t{2})) {
            CHECK(h.score == Approx(1).epsilon(1e-5));  // the same direction as [1, 0, 0, 0]
          } else if (h.id == ExternalId(uint64_t{3})) {
            CHECK(h.score == 0);  // a stored zero vector scores 0
          } else if (h.id == ExternalId(uint64_t{5})) {
            CHECK(h.score == Approx(std::sqrt(0.5)).epsilon(1e-5));
          } else if (h.id == ExternalId(uint64_t{6})) {
            CHECK(h.score == Approx(0.5).epsilon(1e-5));
          }
        }
      }
      // Search by a stored tiny point, and the analogy matrix built from them.
      SearchQuery by_id;
      by_id.id = ExternalId(uint64_t{1});
      by_id.k = 5;
      auto hits = c->Search(by_id);
      REQUIRE(hits.ok());
      RequireFiniteScores(*hits);
      CHECK((*hits)[0].id == ExternalId(uint64_t{2}));
      CHECK((*hits)[0].score == Approx(1).epsilon(1e-5));
      AnalogyQuery a;
      a.positive.push_back({ExternalId(uint64_t{1}), std::nullopt});
      a.positive.push_back({std::nullopt, std::vector<float>{0, 1e-42f, 0, 0}});
      a.negative.push_back({ExternalId(uint64_t{3}), std::nullopt});
      a.k = 4;
      for (auto method : {AnalogyMethod::kCosAdd, AnalogyMethod::kCosMul}) {
        a.method = method;
        auto r = c->Analogy(a);
        REQUIRE(r.ok());
        RequireFiniteScores(r->hits);
        for (float x : r->query_vector) CHECK(std::isfinite(x));
      }
    }
  }
}

TEST_CASE("l2/ip: a vector whose distances would overflow float is refused, nothing stored", "[engine][normalize]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  for (const std::string metric : {"l2", "ip"}) {
    SECTION(metric) {
      auto c = *db->CreateCollection("c", Config(4, "Flat", metric));
      REQUIRE(c->Upsert({Pt(1, {1, 0, 0, 0})}).ok());
      auto s = c->Upsert({Pt(2, {1, 2, 3, 4}), Pt(3, {1e30f, 0, 0, 0})});
      CHECK(s.code() == StatusCode::kInvalidArgument);
      CHECK(s.message().find("norm") != std::string::npos);
      CHECK(c->size() == 1);  // the whole batch was refused
      SearchQuery q;
      q.vector = std::vector<float>{0, 0, 2e18f, 0};
      CHECK(c->Search(q).status().code() == StatusCode::kInvalidArgument);
      // At the limit, the largest distances and products stay finite and ordered.
      REQUIRE(c->Upsert({Pt(4, {-7e17f, -7e17f, 0, 0}), Pt(5, {7e17f, 7e17f, 0, 0}), Pt(6, {0, 1e-40f, 0, 0})}).ok());
      q.vector = std::vector<float>{7e17f, 7e17f, 0, 0};
      q.k = 4;
      auto hits = c->Search(q);
      REQUIRE(hits.ok());
      REQUIRE(hits->size() == 4);
      RequireFiniteScores(*hits);
      CHECK((*hits)[0].id == ExternalId(uint64_t{5}));
      CHECK((*hits)[3].id == ExternalId(uint64_t{4}));
    }
  }
}

// Issue 10, kind 5: a scroll returns every point that exists for the whole scroll exactly once,
// whatever happens to the offset point or to others between pages.
namespace {
std::vector<PointInput> Numbered(const std::vector<uint64_t>& ids, float group = 0) {
  std::vector<PointInput> pts;
  for (uint64_t id : ids) {
    PointInput p = Pt(id, {static_cast<float>(id % 1000), 1, 0});
    p.payload = {{"group", group}};
    pts.push_back(std::move(p));
  }
  return pts;
}
}  // namespace

TEST_CASE("scroll pages are positions in id order: deletes, re-inserts and inserts between pages", "[engine][scroll]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  auto c = *db->CreateCollection("c", Config(3, "HNSW16"));
  std::vector<uint64_t> original;
  for (uint64_t id = 10; id < 40; ++id) original.push_back(id * 10);  // 100, 110, …, 390
  REQUIRE(c->Upsert(Numbered(original)).ok());

  for (const std::string what : {"delete", "delete and reinsert", "insert around", "replace"}) {
    SECTION(what) {
      std::vector<uint64_t> seen;
      std::optional<ExternalId> offset;
      int page_no = 0;
      do {
        auto page = c->Scroll(4, offset, nullptr, true, false);
        REQUIRE(page.ok());  // never a 404 for an offset that is gone
        for (const auto& p : page->points) {
          if (p.id.ToJson().is_number_unsigned()) seen.push_back(p.id.ToJson().get<uint64_t>());
        }
        offset = page->next_offset;
        if (!offset || !offset->ToJson().is_number_unsigned()) break;
        const uint64_t next = offset->ToJson().get<uint64_t>();
        if (++page_no == 1 || page_no == 3) {
          if (what == "delete") {
            REQUIRE(*c->Delete({*offset}) == 1);
          } else if (what == "delete and reinsert") {
            REQUIRE(*c->Delete({*offset}) == 1);
            REQUIRE(c->Upsert(Numbered({next})).ok());  // a new internal id, the same place in id order
          } else if (what == "insert around") {
            REQUIRE(c->Upsert(Numbered({next - 1, next + 1, 5, 10000})).ok());
            REQUIRE(c->Upsert({[] { PointInput p = Pt(0, {1, 1, 1}); p.id = ExternalId(std::string("s")); return p; }()}).ok());
          } else {
            REQUIRE(c->Upsert(Numbered({next}, 1)).ok());
          }
        }
      } while (true);
      // Ascending, no duplicates; every original point that was never deleted is there.
      CHECK(std::is_sorted(seen.begin(), seen.end()));
      CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
      std::set<uint64_t> got(seen.begin(), seen.end());
      for (uint64_t id : original) {
        if (what == "delete" && c->Get(ExternalId(id), false)->has_value() == false) continue;
        INFO("id " << id);
        CHECK(got.count(id) == 1);
      }
      if (what == "delete") CHECK(got.size() == original.size() - 2);
      if (what == "delete and reinsert" || what == "replace") CHECK(got.size() == original.size());
    }
  }
}

TEST_CASE("scroll order and offsets: integers ascending, then strings, and any offset is a position", "[engine][scroll]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  auto c = *db->CreateCollection("c", Config(3, "Flat"));
  std::vector<PointInput> pts = Numbered({300, 2, 18446744073709551615u, 20});
  for (const char* s : {"b", "a", "10", "ab"}) {
    PointInput p = Pt(0, {1, 2, 3});
    p.id = ExternalId(std::string(s));
    pts.push_back(p);
  }
  REQUIRE(c->Upsert(pts).ok());
  auto all = c->Scroll(100, std::nullopt, nullptr, false, false);
  REQUIRE(all.ok());
  std::vector<json> order;
  for (const auto& p : all->points) order.push_back(p.id.ToJson());
  CHECK(json(order) == json::parse(R"([2, 20, 300, 18446744073709551615, "10", "a", "ab", "b"])"));
  CHECK_FALSE(all->next_offset);
  // An offset that never existed starts at the next id in the order.
  auto from = c->Scroll(2, ExternalId(uint64_t{21}), nullptr, false, false);
  REQUIRE(from.ok());
  REQUIRE(from->points.size() == 2);
  CHECK(from->points[0].id == ExternalId(uint64_t{300}));
  CHECK(from->points[1].id == ExternalId(uint64_t{18446744073709551615u}));
  CHECK(*from->next_offset == ExternalId(std::string("10")));
  auto strings = c->Scroll(10, ExternalId(std::string("aa")), nullptr, false, false);
  REQUIRE(strings.ok());
  REQUIRE(strings->points.size() == 2);
  CHECK(strings->points[0].id == ExternalId(std::string("ab")));
  // With a filter, pages hold matching points only and still cover the order once.
  auto f = *Filter::Parse(json::parse(R"({"must":[{"key":"group","match":{"value":0}}]})"));
  auto filtered = c->Scroll(1, ExternalId(uint64_t{3}), f, false, false);
  REQUIRE(filtered.ok());
  REQUIRE(filtered->points.size() == 1);
  CHECK(filtered->points[0].id == ExternalId(uint64_t{20}));
  CHECK(*filtered->next_offset == ExternalId(uint64_t{300}));
}

TEST_CASE("insertion-order walks survive deletes of the next point", "[engine][scroll]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  auto c = *db->CreateCollection("c", Config(3, "Flat"));
  REQUIRE(c->Upsert(Numbered({50, 40, 30, 20, 10, 5})).ok());
  std::vector<uint64_t> seen;
  uint64_t position = 0;
  int page_no = 0;
  while (true) {
    auto page = c->ScrollInsertionOrder(2, position, false, false);
    REQUIRE(page.ok());
    for (const auto& p : page->points) seen.push_back(p.id.ToJson().get<uint64_t>());
    if (!page->next_position) break;
    position = *page->next_position;
    if (++page_no == 1) REQUIRE(*c->Delete({ExternalId(uint64_t{30})}) == 1);  // the next page's first point
  }
  CHECK(seen == std::vector<uint64_t>{50, 40, 20, 10, 5});
}

TEST_CASE("attachments: stored with the collection, survive a reopen, gone after a drop", "[engine]") {
  TempDir dir;
  {
    auto db = OpenDb(dir.path());
    auto c = db->CreateCollection("c", Config(2, "Flat"));
    REQUIRE(c.ok());
    auto put = (*c)->PutAttachment("direction", "smile", json{{"vector", {1.0, 0.0}}});
    REQUIRE(put.ok());
    CHECK_FALSE(*put);
    put = (*c)->PutAttachment("direction", "smile", json{{"vector", {0.0, 1.0}}});
    REQUIRE(put.ok());
    CHECK(*put);
    REQUIRE((*c)->PutAttachment("direction", "age", json{{"vector", {1.0, 1.0}}}).ok());
    // Names follow the collection-name rule, and the message names the kind.
    auto bad = (*c)->PutAttachment("direction", "no spaces", json::object());
    CHECK(bad.status().code() == StatusCode::kInvalidArgument);
    CHECK(bad.status().message().find("direction name") != std::string::npos);
    CHECK((*c)->PutAttachment("bad kind", "x", json::object()).status().code() == StatusCode::kInvalidArgument);
    CHECK((*c)->GetAttachment("direction", "").status().code() == StatusCode::kInvalidArgument);
    // Over the size limit: refused, nothing stored.
    std::string big(kMaxAttachmentBytes, 'x');
    CHECK((*c)->PutAttachment("direction", "big", json(big)).status().code() == StatusCode::kPayloadTooLarge);
    db->Close();
  }
  auto db = OpenDb(dir.path());
  auto c = db->GetCollection("c");
  REQUIRE(c.ok());
  auto list = (*c)->ListAttachments("direction");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "age");
  CHECK((*list)[1].name == "smile");
  CHECK((*list)[1].value == json{{"vector", {0.0, 1.0}}});
  auto got = (*c)->GetAttachment("direction", "smile");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((**got)["vector"] == json{0.0, 1.0});
  CHECK_FALSE((*c)->GetAttachment("direction", "big")->has_value());
  CHECK_FALSE((*c)->GetAttachment("other", "smile")->has_value());
  auto del = (*c)->DeleteAttachment("direction", "age");
  REQUIRE(del.ok());
  CHECK(*del);
  CHECK_FALSE(*(*c)->DeleteAttachment("direction", "age"));

  // Dropped with the collection: one created again under the name starts with none.
  REQUIRE(db->DropCollection("c").ok());
  auto again = db->CreateCollection("c", Config(2, "Flat"));
  REQUIRE(again.ok());
  list = (*again)->ListAttachments("direction");
  REQUIRE(list.ok());
  CHECK(list->empty());
}
