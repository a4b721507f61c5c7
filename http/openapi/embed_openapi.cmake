# Build step of the OpenAPI document (run with cmake -P by http/CMakeLists.txt): checks that
# INPUT (http/openapi/openapi.json) is JSON with an "openapi" version, and writes it to OUTPUT as
# the C++ definition of latentdb::http::openapi::Document().
file(READ "${INPUT}" doc)
string(JSON version ERROR_VARIABLE error GET "${doc}" openapi)
if(error)
  message(FATAL_ERROR "${INPUT} is not an OpenAPI JSON document: ${error}")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../../scripts/embed_bytes.cmake)
latentdb_write_embedded("${doc}" "${OUTPUT}" "http/openapi/openapi.h" "latentdb::http::openapi" "Document"
                        "http/openapi/openapi.json by http/openapi/embed_openapi.cmake")
