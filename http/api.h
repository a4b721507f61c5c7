#pragma once
// Api: the whole REST API as one pure function from request to response, over a Database.
// The server (http/server.h) feeds it requests; tests can call it directly.

#include "engine/database.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/router.h"

namespace latentdb::http {

class Api {
 public:
  explicit Api(engine::Database* db);
  // Routes the request, records metrics, never throws.
  HttpResponse Handle(const HttpRequest& request);
  Metrics& metrics() { return metrics_; }

 private:
  engine::Database* db_;
  Metrics metrics_;
  Router router_;
};

}  // namespace latentdb::http
