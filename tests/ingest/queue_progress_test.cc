// The bounded queue that keeps the pipeline's memory bounded, and the progress line.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "ingest/bounded_queue.h"
#include "ingest/progress.h"

namespace {

using namespace latentdb::ingest;

TEST_CASE("ingest queue: a full queue blocks the producer until a consumer pops", "[ingest]") {
  BoundedQueue<int> q(2);
  REQUIRE(q.Push(1));
  REQUIRE(q.Push(2));
  std::atomic<bool> third_in{false};
  std::thread producer([&] {
    q.Push(3);
    third_in = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(third_in.load());  // blocked: capacity 2
  CHECK(q.Pop() == 1);
  producer.join();
  CHECK(third_in.load());
  q.Close();
  CHECK_FALSE(q.Push(4));  // closed: refused
  CHECK(q.Pop() == 2);     // drained in order after Close
  CHECK(q.Pop() == 3);
  CHECK_FALSE(q.Pop().has_value());
}

TEST_CASE("ingest queue: Cancel drops queued items and wakes blocked threads", "[ingest]") {
  BoundedQueue<int> q(1);
  REQUIRE(q.Push(1));
  std::atomic<int> push_result{-1};
  std::thread producer([&] { push_result = q.Push(2) ? 1 : 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  q.Cancel();
  producer.join();
  CHECK(push_result.load() == 0);
  CHECK_FALSE(q.Pop().has_value());
}

TEST_CASE("ingest progress: the line shows done/total, percent, rate, ETA and skips", "[ingest]") {
  IngestStats stats;
  stats.stored = 2500;
  stats.Skip("wrong dimension: 3, the collection has 4", "a.fvecs row 7");
  ProgressOptions o;
  o.total_items = 10001;
  Progress p(&stats, o);
  // 2500 stored + 1 skipped of 10001 after 5 s: 25.0%, 500 items/s, 15 s to go.
  CHECK(p.Line(5.0) == "2500/10.0k (25.0%) items  500 items/s  ETA 15s  skipped 1");
  CHECK(stats.SkipCounts().at("wrong dimension") == 1);
  CHECK(stats.FirstSkips().at(0) == "a.fvecs row 7: wrong dimension: 3, the collection has 4");
  CHECK(HumanCount(1234567) == "1.23M");
  CHECK(HumanDuration(3725) == "1h02m");
}

}  // namespace
