// Concurrent writers, deleters, searchers and index saves on one collection: every operation
// succeeds or fails cleanly while the others run, and afterwards the counts agree everywhere
// (the collection's size, its info, the index's live count, a full scroll, an exact search, and
// the same again after reopening the database). Also run under ThreadSanitizer (`make
// tsan-test`), where it is the test that exercises the collection's locking.
//
// Catch2's assertions are not thread-safe: the threads record problems in a shared list and the
// main thread checks it after joining them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/database.h"
#include "tests/support/temp_dir.h"

using namespace latentdb::engine;
using latentdb::testing::TempDir;
using nlohmann::json;

namespace {

constexpr size_t kDim = 16;
constexpr int kWriters = 2;
constexpr uint64_t kPointsPerWriter = 240;
constexpr uint64_t kBatch = 8;
// Writer w owns the ids [w * kIdStride, w * kIdStride + kPointsPerWriter).
constexpr uint64_t kIdStride = 1'000'000;

class Problems {
 public:
  void Add(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (list_.size() < 20) list_.push_back(what);
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return list_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> list_;
};

std::vector<float> RandomVector(std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(kDim);
  for (float& x : v) x = u(rng);
  return v;
}

// Every id that a search or scroll may return: one some writer has started to write.
bool PlausibleId(const ExternalId& id) {
  const json j = id.ToJson();
  if (!j.is_number_unsigned()) return false;
  const uint64_t v = j.get<uint64_t>();
  return v / kIdStride < static_cast<uint64_t>(kWriters) && v % kIdStride < kPointsPerWriter;
}

std::set<uint64_t> ScrollAll(Collection& c, Problems* problems) {
  std::set<uint64_t> ids;
  std::optional<ExternalId> offset;
  for (int page = 0; page < 10000; ++page) {
    auto p = c.Scroll(37, offset, nullptr, /*with_payload=*/true, /*with_vector=*/false);
    if (!p.ok()) {
      problems->Add("scroll: " + p.status().ToString());
      return ids;
    }
    for (const auto& point : p->points) {
      if (!ids.insert(point.id.ToJson().get<uint64_t>()).second) problems->Add("scroll returned an id twice");
    }
    if (!p->next_offset) return ids;
    offset = p->next_offset;
  }
  problems->Add("scroll did not end");
  return ids;
}

// `extra`: further collection settings (a quantization, on_disk).
void RunConcurrently(const std::string& index, const json& extra = json::object()) {
  TempDir dir;
  DatabaseOptions options;
  options.data_dir = dir.path();
  options.persist_interval_seconds = 1;  // the background saver runs during the test too
  auto db = Database::Open(options);
  REQUIRE(db.ok());
  json settings = {{"dim", kDim}, {"index", index}, {"metric", "cosine"}};
  settings.update(extra);
  auto config = CollectionConfig::FromJson(settings);
  REQUIRE(config.ok());
  auto created = (*db)->CreateCollection("c", *config);
  REQUIRE(created.ok());
  std::shared_ptr<Collection> coll = *created;

  Problems problems;
  std::atomic<uint64_t> written[kWriters];
  for (auto& w : written) w = 0;
  std::atomic<int> writers_running{kWriters};
  std::atomic<bool> deleter_done{false};
  std::set<uint64_t> deleted;  // only the deleter thread touches it until the join

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(100 + w);
      for (uint64_t first = 0; first < kPointsPerWriter; first += kBatch) {
        std::vector<PointInput> batch;
        for (uint64_t i = first; i < first + kBatch && i < kPointsPerWriter; ++i) {
          batch.push_back({ExternalId(w * kIdStride + i), RandomVector(rng), json{{"writer", w}, {"i", i}}});
        }
        auto replacement = batch;
        for (auto& p : replacement) p.vector = RandomVector(rng);
        // Write, then replace: both must succeed; only then may the deleter see these ids.
        if (auto st = coll->Upsert(std::move(batch)); !st.ok()) problems.Add("upsert: " + st.ToString());
        if (auto st = coll->Upsert(std::move(replacement)); !st.ok()) problems.Add("replace: " + st.ToString());
        written[w] = std::min(first + kBatch, kPointsPerWriter);
      }
      --writers_running;
    });
  }
  // The deleter removes every third point of each writer once it is written; each delete must
  // find its point (nobody else deletes it).
  threads.emplace_back([&] {
    uint64_t next[kWriters] = {};
    while (true) {
      const bool last_round = writers_running == 0;
      bool any = false;
      for (int w = 0; w < kWriters; ++w) {
        const uint64_t limit = written[w];
        std::vector<ExternalId> ids;
        for (; next[w] < limit; ++next[w]) {
          if (next[w] % 3 == 0) {
            ids.emplace_back(w * kIdStride + next[w]);
            deleted.insert(w * kIdStride + next[w]);
          }
        }
        if (ids.empty()) continue;
        any = true;
        auto n = coll->Delete(ids);
        if (!n.ok()) {
          problems.Add("delete: " + n.status().ToString());
        } else if (*n != ids.size()) {
          problems.Add("delete found " + std::to_string(*n) + " of " + std::to_string(ids.size()) + " written points");
        }
      }
      if (last_round && !any) break;
      if (!any) std::this_thread::yield();
    }
    deleter_done = true;
  });
  // Searchers: vector and id searches, filtered and not, point reads and scroll pages.
  for (int s = 0; s < 2; ++s) {
    threads.emplace_back([&, s] {
      std::mt19937 rng(200 + s);
      auto filter = Filter::Parse(json{{"must", {{{"key", "writer"}, {"match", {{"value", s}}}}}}});
      if (!filter.ok()) {
        problems.Add("filter: " + filter.status().ToString());
        return;
      }
      int rounds = 0;
      while (!deleter_done || rounds < 5) {
        ++rounds;
        SearchQuery q;
        q.vector = RandomVector(rng);
        q.k = 10;
        q.params.exact = rounds % 4 == 0;
        if (rounds % 2 == 0) q.filter = *filter;
        auto hits = coll->Search(q);
        if (!hits.ok()) {
          problems.Add("search: " + hits.status().ToString());
          continue;
        }
        if (hits->size() > q.k) problems.Add("search returned more than k hits");
        std::set<std::string> seen;
        for (const auto& h : *hits) {
          if (!PlausibleId(h.id)) problems.Add("search returned an id nobody wrote: " + h.id.ToString());
          if (!std::isfinite(h.score)) problems.Add("search returned a non-finite score");
          if (!seen.insert(h.id.ToKey()).second) problems.Add("search returned an id twice");
          if (q.filter && (!h.payload || h.payload->value("writer", -1) != s)) problems.Add("a filtered search broke its filter");
        }
        const uint64_t id = s * kIdStride + rng() % kPointsPerWriter;
        auto got = coll->Get(ExternalId(id), /*with_vector=*/true);
        if (!got.ok()) problems.Add("get: " + got.status().ToString());
        else if (*got && (!(*got)->vector || (*got)->vector->size() != kDim)) problems.Add("get returned a bad vector");
        auto page = coll->Scroll(16, std::nullopt, nullptr, true, false);
        if (!page.ok()) problems.Add("scroll: " + page.status().ToString());
        (void)coll->Info();
      }
    });
  }
  // Index saves while all of the above runs (the background saver runs as well).
  threads.emplace_back([&] {
    while (!deleter_done) {
      if (auto st = coll->PersistIndex(/*sync=*/false); !st.ok()) problems.Add("persist: " + st.ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (auto& t : threads) t.join();

  for (const auto& p : problems.Take()) FAIL_CHECK(p);
  REQUIRE(problems.Take().empty());

  std::set<uint64_t> expected;
  for (int w = 0; w < kWriters; ++w) {
    for (uint64_t i = 0; i < kPointsPerWriter; ++i) {
      if (!deleted.count(w * kIdStride + i)) expected.insert(w * kIdStride + i);
    }
  }
  REQUIRE(deleted.size() == kWriters * ((kPointsPerWriter + 2) / 3));
  auto check_counts = [&](Collection& c) {
    CHECK(c.size() == expected.size());
    const CollectionInfo info = c.Info();
    CHECK(info.points == expected.size());
    CHECK(info.index.live == expected.size());
    Problems scroll_problems;
    CHECK(ScrollAll(c, &scroll_problems) == expected);
    CHECK(scroll_problems.Take().empty());
    SearchQuery all;
    all.vector = std::vector<float>(kDim, 0.5f);
    all.k = expected.size() + 10;
    all.params.exact = true;
    auto hits = c.Search(all);
    REQUIRE(hits.ok());
    std::set<uint64_t> found;
    for (const auto& h : *hits) found.insert(h.id.ToJson().get<uint64_t>());
    CHECK(found == expected);
  };
  check_counts(*coll);

  // The same after a restart (the index file saved while writes ran, plus the changelog).
  coll.reset();
  db->reset();
  auto reopened = Database::Open(options);
  REQUIRE(reopened.ok());
  auto again = (*reopened)->GetCollection("c");
  REQUIRE(again.ok());
  check_counts(**again);
}

}  // namespace

TEST_CASE("concurrent writers, deleters, searchers and saves on one HNSW collection agree on the counts",
          "[engine][concurrency]") {
  RunConcurrently("HNSW16");
}

TEST_CASE("concurrent writers, deleters, searchers and saves on one Flat collection agree on the counts",
          "[engine][concurrency]") {
  RunConcurrently("Flat");
}

TEST_CASE("concurrent writers, deleters, searchers and saves on a float16 HNSW collection with its codes on disk",
          "[engine][concurrency][codes_on_disk]") {
  // The code file is appended to under the exclusive lock and synced by the saves under the
  // shared one, while searches read it through the mapping.
  RunConcurrently("HNSW16", {{"datatype", "float16"}, {"on_disk", true}});
}
