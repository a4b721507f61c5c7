#include "ingest/ingest_stats.h"

namespace latentdb::ingest {

void IngestStats::Skip(const std::string& reason, const std::string& where) {
  skipped_.fetch_add(1);
  const size_t colon = reason.find(':');
  std::lock_guard lock(mutex_);
  ++by_category_[colon == std::string::npos ? reason : reason.substr(0, colon)];
  if (first_.size() < kKeptReasons) first_.push_back(where + ": " + reason);
}

std::map<std::string, uint64_t> IngestStats::SkipCounts() const {
  std::lock_guard lock(mutex_);
  return by_category_;
}

std::vector<std::string> IngestStats::FirstSkips() const {
  std::lock_guard lock(mutex_);
  return first_;
}

}  // namespace latentdb::ingest
