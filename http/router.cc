#include "http/router.h"

namespace latentdb::http {
namespace {
std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  if (path.empty() || path[0] != '/') return out;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string seg = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    out.push_back(seg);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (out.size() == 1 && out[0].empty()) out.clear();  // "/"
  return out;
}
}  // namespace

void Router::Add(const std::string& method, const std::string& pattern, RouteHandler handler) {
  routes_.push_back(Route{method, pattern, SplitPath(pattern), std::move(handler)});
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match result;
  result.pattern = "unmatched";
  auto segs = SplitPath(path);
  for (auto& seg : segs) {
    std::string decoded;
    if (!PercentDecode(seg, false, &decoded)) return result;  // ParseTarget validated already
    seg = std::move(decoded);
  }
  // Of the routes that match, the one with the most literal segments wins, whatever the order they
  // were added in: "/collections/{c}/points/payload" before "/collections/{c}/points/{id}".
  int best = -1;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    PathParams params;
    bool ok = true;
    int literals = 0;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const std::string& want = r.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        if (segs[i].empty()) ok = false;
        else params[want.substr(1, want.size() - 2)] = segs[i];
      } else if (want != segs[i]) {
        ok = false;
      } else {
        ++literals;
      }
    }
    if (!ok) continue;
    if (r.method != method) {
      if (!result.handler) {
        result.method_mismatch = true;
        result.pattern = r.pattern;
      }
      continue;
    }
    if (literals <= best) continue;
    best = literals;
    result.handler = &r.handler;
    result.params = std::move(params);
    result.pattern = r.pattern;
    result.method_mismatch = false;
  }
  return result;
}

}  // namespace latentdb::http
