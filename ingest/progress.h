#pragma once
// Progress: a thread that reports an ingest run while it goes. On a terminal it redraws one line
// (items/s, done/total, percent, ETA, skipped) a few times a second; otherwise it prints a plain
// line every `plain_interval` so logs stay readable.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "ingest/ingest_stats.h"

namespace latentdb::ingest {

struct ProgressOptions {
  std::FILE* out = stderr;
  bool terminal = false;  // redraw in place
  std::chrono::milliseconds terminal_interval{250};
  std::chrono::milliseconds plain_interval{5000};
  std::optional<uint64_t> total_items;  // when every source knows its record count
  uint64_t total_bytes = 0;             // else ETA from bytes read
};

class Progress {
 public:
  Progress(const IngestStats* stats, ProgressOptions options);
  ~Progress();  // Stop()s
  void Start();
  // Stops the thread; on a terminal, clears the line.
  void Stop();

  // "12.3k/60.0k (20.5%)  8.1k items/s  ETA 6s  skipped 0"
  std::string Line(double seconds) const;

 private:
  void Loop();

  const IngestStats* stats_;
  ProgressOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// "60000" -> "60.0k", for progress lines.
std::string HumanCount(double n);
std::string HumanDuration(double seconds);

}  // namespace latentdb::ingest
