#include "ingest/progress.h"

#include <cmath>
#include <string>

namespace latentdb::ingest {

std::string HumanCount(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1e4) std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

std::string HumanDuration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
  return buf;
}

Progress::Progress(const IngestStats* stats, ProgressOptions options) : stats_(stats), options_(std::move(options)) {}

Progress::~Progress() { Stop(); }

void Progress::Start() {
  start_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { Loop(); });
}

void Progress::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (options_.terminal) {
    std::fputs("\r\x1b[K", options_.out);
    std::fflush(options_.out);
  }
}

std::string Progress::Line(double seconds) const {
  const double done = static_cast<double>(stats_->stored.load() + stats_->already_stored.load());
  const double rate = seconds > 0 ? static_cast<double>(stats_->stored.load()) / seconds : 0;
  std::string line = HumanCount(done);
  double fraction = -1;
  if (options_.total_items && *options_.total_items > 0) {
    line += "/" + HumanCount(static_cast<double>(*options_.total_items));
    fraction = (done + static_cast<double>(stats_->skipped())) / static_cast<double>(*options_.total_items);
  } else if (options_.total_bytes > 0) {
    fraction = static_cast<double>(stats_->bytes_read.load()) / static_cast<double>(options_.total_bytes);
  }
  char buf[160];
  if (fraction >= 0) {
    fraction = std::min(fraction, 1.0);
    std::snprintf(buf, sizeof buf, " (%.1f%%)", fraction * 100);
    line += buf;
  }
  line += " items  " + HumanCount(rate) + " items/s";
  if (fraction > 0.001) line += "  ETA " + HumanDuration(seconds * (1 - fraction) / fraction);
  line += "  skipped " + std::to_string(stats_->skipped());
  return line;
}

void Progress::Loop() {
  const auto interval = options_.terminal ? options_.terminal_interval : options_.plain_interval;
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, interval, [&] { return stop_; })) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string line = Line(s);
    if (options_.terminal) {
      std::fprintf(options_.out, "\r\x1b[K%s", line.c_str());
    } else {
      std::fprintf(options_.out, "ingest: %s  (%s elapsed)\n", line.c_str(), HumanDuration(s).c_str());
    }
    std::fflush(options_.out);
  }
}

}  // namespace latentdb::ingest
