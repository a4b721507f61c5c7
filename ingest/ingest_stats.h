#pragma once
// IngestStats: the counters the progress line and the summary show, and the skipped items with
// their reasons (counted per category, the first few kept word for word).
// Thread-safety: counters are atomics; Skip() takes a lock.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace latentdb::ingest {

class IngestStats {
 public:
  static constexpr size_t kKeptReasons = 10;

  std::atomic<uint64_t> read{0};            // records read from the sources (good or bad)
  std::atomic<uint64_t> stored{0};          // items written to the collection
  std::atomic<uint64_t> already_stored{0};  // items left out by --resume
  std::atomic<uint64_t> bytes_read{0};

  // `reason` is "category: detail"; `where` is "file row N" (or the file alone).
  void Skip(const std::string& reason, const std::string& where);
  uint64_t skipped() const { return skipped_.load(); }
  // Category -> count, and the first kKeptReasons skips as "where: reason".
  std::map<std::string, uint64_t> SkipCounts() const;
  std::vector<std::string> FirstSkips() const;

 private:
  std::atomic<uint64_t> skipped_{0};
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> by_category_;
  std::vector<std::string> first_;
};

}  // namespace latentdb::ingest
