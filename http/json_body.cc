#include "http/json_body.h"

namespace latentdb::http {

Result<nlohmann::json> ParseJsonBody(std::string_view body, int max_depth) {
  if (body.empty()) return Status::InvalidArgument("request body is empty; expected JSON");
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return Status::InvalidArgument("JSON nesting is deeper than the limit of " + std::to_string(max_depth));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    return nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument(std::string("malformed JSON: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    // Not only parse_error: a number that overflows a double ("1e999") throws out_of_range.
    return Status::InvalidArgument(std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace latentdb::http
