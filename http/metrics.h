#pragma once
// Request counters and latency histograms by route, rendered as Prometheus text.
// Labels are bounded: `route` is a route pattern of the router (or "unmatched"), never a path a
// client chose, and methods outside the standard ones are counted under method="other".

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace latentdb::http {

class Metrics {
 public:
  // `route`: a route pattern or "unmatched" (the caller guarantees a bounded set).
  void Record(const std::string& method, const std::string& route, int status, double seconds);
  // The label for a request method: the method itself when standard, else "other".
  static const std::string& MethodLabel(const std::string& method);
  // Adds `n` to the counter `name` (created at 0 with `help` on first use). `name` must be one of
  // the caller's constants (a bounded set), with Prometheus's _total suffix. Thread-safe.
  void Count(const std::string& name, const std::string& help, uint64_t n = 1);
  // Appends the HTTP metrics and the counters in Prometheus text exposition format.
  void Render(std::string* out) const;

 private:
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1.0,   2.5,  5.0,  10.0};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
  std::map<std::string, std::pair<std::string, uint64_t>> counters_;  // name → (help, value)
};

}  // namespace latentdb::http
