#pragma once
// Transport-independent HTTP request and response, so the API can be exercised as a pure
// function (request -> response) and the Beast server stays a thin adapter.

#include <map>
#include <string>

namespace latentdb::http {

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  // The path without the query string, percent-escapes kept: the router splits it at '/' first
  // and decodes each segment, so an id may contain an escaped slash ("a%2Fb").
  std::string path;
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  // When set, the response's body is this file, streamed from disk by the server (`body` is
  // ignored): downloads too large to hold in memory (snapshots).
  std::string file_path;
};

// Decodes %XX escapes (and '+' as space when asked). False on a malformed escape.
bool PercentDecode(const std::string& in, bool plus_is_space, std::string* out);

// Splits "/a/b?x=1&y=%20" into the raw path and decoded query parameters. False on a malformed
// escape anywhere in the target.
bool ParseTarget(const std::string& target, std::string* path, std::map<std::string, std::string>* query);

}  // namespace latentdb::http
