// GET /healthz, /readyz, /metrics, /openapi.json
#include <cstdio>

#include "http/handlers/handlers.h"
#include "http/openapi/openapi.h"

namespace latentdb::http {

using nlohmann::json;

void RegisterSystemRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("GET", "/healthz", JsonRoute([](const HttpRequest&, const PathParams&) -> Result<json> {
    return json{{"healthy", true}};
  }));
  router.Add("GET", "/readyz", JsonRoute([ctx](const HttpRequest&, const PathParams&) -> Result<json> {
    return json{{"ready", true}, {"collections", ctx.db->ListCollections().size()}};
  }));
  // The API's OpenAPI 3 document, as it is (no envelope), open like the health probes.
  router.Add("GET", "/openapi.json", [](const HttpRequest&, const PathParams&) {
    HttpResponse r;
    r.content_type = "application/json";
    r.body = std::string(openapi::Document());
    return r;
  });
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
