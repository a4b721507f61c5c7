#pragma once
// The web console: one self-contained HTML page (markup, style and script inline, no external
// resource), compiled into the binary and served at GET /console by http/handlers/console.cc.
// Its sources are http/console/assets/console.{html,css,js}; the build inlines the style and the
// script into the page (http/console/embed_console.cmake) and compiles it in.
// It talks to the server with the public REST API only: GET /collections, /models,
// /collections/{c}/map, /collections/{c}/points/{id}, /collections/{c}/points/{id}/decode,
// POST /collections/{c}/search and /collections/{c}/points/scroll, GET /words/{m}/{w}/neighbors.

#include <string_view>

namespace latentdb::http::console {

// The page's HTML (UTF-8). Its map canvas has id "map".
std::string_view ConsolePage();

}  // namespace latentdb::http::console
