#pragma once
// The one place where engine Status codes become HTTP status codes.

#include "common/status.h"
#include "http/message.h"

namespace latentdb::http {

int HttpStatusFor(StatusCode code);
// {"status":{"error":"<message>","code":"<StatusCodeName>"}, "time": seconds} with the mapped status
// code.
HttpResponse ErrorResponse(const Status& status, double seconds = 0);

}  // namespace latentdb::http
