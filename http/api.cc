#include "http/api.h"

#include <chrono>
#include <exception>

#include "common/logging.h"
#include "http/error_mapping.h"
#include "engine/encoders/image_model.h"
#include "engine/words/word_model.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

Api::Api(engine::Database* db) : db_(db) {
  HandlerContext ctx{db_, &metrics_, std::make_shared<words::WordModelCache>(db_),
                     std::make_shared<encoders::ImageModelCache>(db_->options().data_dir)};
  RegisterSystemRoutes(router_, ctx);
  RegisterCollectionRoutes(router_, ctx);
  RegisterPointRoutes(router_, ctx);
  RegisterSearchRoutes(router_, ctx);
  RegisterWordRoutes(router_, ctx);
  RegisterConsoleRoutes(router_, ctx);
  RegisterImageRoutes(router_, ctx);
  RegisterLatentRoutes(router_, ctx);
}

HttpResponse Api::Handle(const HttpRequest& request) {
  auto start = std::chrono::steady_clock::now();
  auto match = router_.Find(request.method, request.path);
  HttpResponse response;
  if (match.handler) {
    try {
      response = (*match.handler)(request, match.params);
    } catch (const std::exception& e) {
      // A bug: handlers report errors through Status. Keep serving, but say so.
      LogError("handler for " + match.pattern + " threw: " + e.what());
      response = ErrorResponse(Status::Internal(std::string("internal error: ") + e.what()));
    }
  } else if (match.method_mismatch) {
    response = ErrorResponse(Status::InvalidArgument("method " + request.method + " is not allowed on " + request.path));
    response.status = 405;
  } else {
    response = ErrorResponse(Status::NotFound("no route for " + request.method + " " + request.path));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Record(request.method, match.pattern, response.status, secs);
  return response;
}

}  // namespace latentdb::http
