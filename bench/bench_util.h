#pragma once
// What every benchmark in bench/ needs around its measurements: a steady clock, dying with a
// message (removing the run's temporary directory), and unwrapping Results on the way.

#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "common/result.h"

namespace latentdb::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// The 1, 5 and 15 minute load averages ("0.12 0.30 0.41"): benchmarks print them at their start
// and end, since a ratio measured on a loaded machine is not a result.
inline std::string LoadAverage() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "unknown";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", l[0], l[1], l[2]);
  return buf;
}

// Resident-set figures of this process, in bytes ("VmRSS", "VmHWM"); 0 when unreadable.
inline size_t ProcStatusBytes(const char* key) {
  std::ifstream in("/proc/self/status");
  const size_t klen = std::strlen(key);
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, klen, key) == 0 && line.size() > klen && line[klen] == ':') {
      return static_cast<size_t>(std::strtoull(line.c_str() + klen + 1, nullptr, 10)) * 1024;
    }
  }
  return 0;
}
inline double MiB(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// How Die() reports and cleans up: set `program` first thing in main, `temp_dir` while a run owns
// a temporary directory (empty: nothing to remove).
struct DieContext {
  const char* program = "bench";
  std::string temp_dir;
};
inline DieContext& Dying() {
  static DieContext context;
  return context;
}

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", Dying().program, what.c_str());
  if (!Dying().temp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(Dying().temp_dir, ec);
  }
  std::fflush(stdout);
  std::exit(1);
}

template <typename T>
T Check(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(r).value();
}
inline void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

}  // namespace latentdb::bench
