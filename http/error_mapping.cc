#include "http/error_mapping.h"

#include <nlohmann/json.hpp>

namespace latentdb::http {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kConflict: return 409;
    case StatusCode::kPayloadTooLarge: return 413;
    case StatusCode::kUnsupportedMedia: return 415;
    case StatusCode::kNotImplemented: return 501;
    case StatusCode::kBusy: return 503;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kNoSpace: return 507;  // Insufficient Storage (RFC 4918)
    case StatusCode::kIOError: return 500;
    case StatusCode::kCorruption: return 500;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Status& status, double seconds) {
  HttpResponse r;
  r.status = HttpStatusFor(status.code());
  // "error" is Qdrant's; "code" is for programs, so that they need not parse the message.
  nlohmann::json body = {{"status", {{"error", status.message()}, {"code", StatusCodeName(status.code())}}},
                         {"time", seconds}};
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace latentdb::http
