#include "http/metrics.h"

#include <algorithm>
#include <cstdio>

namespace latentdb::http {

const std::string& Metrics::MethodLabel(const std::string& method) {
  // The methods of RFC 9110 and PATCH; any other token a client invents shares one label, so
  // that invented methods cannot grow the metrics without end.
  static const std::string kKnown[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  static const std::string kOther = "other";
  auto it = std::find(std::begin(kKnown), std::end(kKnown), method);
  return it == std::end(kKnown) ? kOther : *it;
}

void Metrics::Record(const std::string& raw_method, const std::string& route, int status, double seconds) {
  const std::string& method = MethodLabel(raw_method);
  // Status codes are the API's own (a bounded set); clamp anyway so a label can never be invented.
  if (status < 100 || status > 599) status = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{method, route, status}];
  Histogram& h = latency_[{method, route}];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::Render(std::string* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  char buf[512];
  *out += "# HELP latentdb_http_requests_total HTTP requests by method, route and status code.\n";
  *out += "# TYPE latentdb_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    std::snprintf(buf, sizeof buf, "latentdb_http_requests_total{method=\"%s\",route=\"%s\",code=\"%d\"} %llu\n",
                  method.c_str(), route.c_str(), status, static_cast<unsigned long long>(n));
    *out += buf;
  }
  *out += "# HELP latentdb_http_request_duration_seconds HTTP request latency by method and route.\n";
  *out += "# TYPE latentdb_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    const auto& [method, route] = key;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(buf, sizeof buf, "latentdb_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
                    method.c_str(), route.c_str(), kBuckets[i], static_cast<unsigned long long>(h.buckets[i]));
      *out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "latentdb_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n"
                  "latentdb_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
                  "latentdb_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
                  method.c_str(), route.c_str(), static_cast<unsigned long long>(h.count), method.c_str(),
                  route.c_str(), h.sum, method.c_str(), route.c_str(), static_cast<unsigned long long>(h.count));
    *out += buf;
  }
  for (const auto& [name, counter] : counters_) {
    *out += "# HELP " + name + " " + counter.first + "\n# TYPE " + name + " counter\n";
    *out += name + " " + std::to_string(counter.second) + "\n";
  }
}

void Metrics::Count(const std::string& name, const std::string& help, uint64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& counter = counters_[name];
  if (counter.first.empty()) counter.first = help;
  counter.second += n;
}

}  // namespace latentdb::http
