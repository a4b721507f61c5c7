#pragma once
// The error bodies' machine-readable kind ({"status": {"error", "code"}}) against the HTTP
// status the server answered with: one check for every HTTP test's error assertions.

#include <nlohmann/json.hpp>

#include <string>

namespace latentdb::testing {

// Whether an error body's status.code names a kind that maps to the reply's HTTP status
// (http/error_mapping.cc; 405 is an InvalidArgument answered with its own status).
inline bool ErrorCodeMatches(int http_status, const nlohmann::json& code) {
  if (!code.is_string()) return false;
  const std::string c = code.get<std::string>();
  switch (http_status) {
    case 400: case 405: return c == "InvalidArgument";
    case 401: return c == "Unauthenticated";
    case 404: return c == "NotFound";
    case 409: return c == "AlreadyExists" || c == "Conflict";
    case 413: return c == "PayloadTooLarge";
    case 415: return c == "UnsupportedMedia";
    case 501: return c == "NotImplemented";
    case 503: return c == "Busy" || c == "Unavailable";
    case 507: return c == "NoSpace";
    case 500: return c == "IOError" || c == "Corruption" || c == "Internal";
    default: return false;
  }
}

}  // namespace latentdb::testing
