#include "http/json_body.h"

#include "common/json_parser.h"

namespace latentdb::http {

Result<nlohmann::json> ParseJsonBody(std::string_view body, int max_depth) {
  if (body.empty()) return Status::InvalidArgument("request body is empty; expected JSON");
  return ParseJson(body, max_depth);
}

}  // namespace latentdb::http
