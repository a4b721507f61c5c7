// GET /healthz, /readyz, /metrics
#include <cstdio>

#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

void RegisterSystemRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("GET", "/healthz", JsonRoute([](const HttpRequest&, const PathParams&) -> Result<json> {
    return json{{"healthy", true}};
  }));
  router.Add("GET", "/readyz", JsonRoute([ctx](const HttpRequest&, const PathParams&) -> Result<json> {
    return json{{"ready", true}, {"collections", ctx.db->ListCollections().size()}};
  }));
  router.Add("GET", "/metrics", [ctx](const HttpRequest&, const PathParams&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    ctx.metrics->Render(&r.body);
    r.body += "# HELP latentdb_collection_points Points stored per collection.\n";
    r.body += "# TYPE latentdb_collection_points gauge\n";
    char buf[256];
    for (const auto& c : ctx.db->ListCollections()) {
      std::snprintf(buf, sizeof buf, "latentdb_collection_points{collection=\"%s\"} %zu\n", c->name().c_str(), c->size());
      r.body += buf;
    }
    return r;
  });
}

}  // namespace latentdb::http
