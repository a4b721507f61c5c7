#pragma once
// The OpenAPI 3 document of LatentDB's REST API (every route, its request and answer shapes and
// its errors), served at GET /openapi.json by http/handlers/system.cc. Its source is
// http/openapi/openapi.json, checked to be JSON and compiled in at build time
// (http/openapi/embed_openapi.cmake). Tests check that it describes exactly the routes the
// server registers (tests/http/openapi_test.cc) and that a maintained validator accepts it
// (tests/clients, @apidevtools/swagger-parser).

#include <string_view>

namespace latentdb::http::openapi {

// The document (UTF-8 JSON).
std::string_view Document();

}  // namespace latentdb::http::openapi
