// GET /console: the web console (http/console/console_page.h), a single self-contained page.
// GET /favicon.ico: 204 No Content. Browsers ask for it beside every page; a 404 would be an error
// in the console of every visit (the browser test requires none), and the page's CSP keeps it
// from naming an icon of its own (no data: images).
// GET / is Qdrant's root (title and version, http/handlers/qdrant.cc), not the console.
#include <string>

#include "http/console/console_page.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

namespace {

// The page loads nothing from elsewhere: say so to the browser too.
void AddPageHeaders(HttpResponse* r) {
  r->headers["Content-Security-Policy"] =
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
      "connect-src 'self'; img-src 'self' blob:; base-uri 'none'; form-action 'none'";
  r->headers["X-Content-Type-Options"] = "nosniff";
  r->headers["Cache-Control"] = "no-cache";
}

}  // namespace

void RegisterConsoleRoutes(Router& router, const HandlerContext&) {
  router.Add("GET", "/console", [](const HttpRequest&, const PathParams&) {
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(console::ConsolePage());
    AddPageHeaders(&r);
    return r;
  });
  router.Add("GET", "/favicon.ico", [](const HttpRequest&, const PathParams&) {
    HttpResponse r;
    r.status = 204;
    r.content_type = "image/x-icon";
    r.headers["Cache-Control"] = "max-age=86400";
    return r;
  });
}

}  // namespace latentdb::http
