#pragma once
// Method + path-pattern routing. Patterns are literal segments and {name} captures:
// "/collections/{collection}/points/{id}". The pattern string doubles as the metrics label, so
// metrics never carry user-chosen names.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/message.h"

namespace latentdb::http {

using PathParams = std::map<std::string, std::string>;
using RouteHandler = std::function<HttpResponse(const HttpRequest&, const PathParams&)>;

class Router {
 public:
  void Add(const std::string& method, const std::string& pattern, RouteHandler handler);

  struct Match {
    const RouteHandler* handler = nullptr;  // null: no route
    PathParams params;
    std::string pattern;        // the matched pattern ("unmatched" when none)
    bool method_mismatch = false;  // the path exists under another method (405)
  };
  Match Find(const std::string& method, const std::string& path) const;
  // Every route as (method, pattern), in the order added (the OpenAPI document's test checks
  // that it describes each).
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace latentdb::http
