# Build step of the console (run with cmake -P by http/CMakeLists.txt): inlines each asset named
# by a "/* @inline NAME */" marker of assets/console.html (the CSS, then the JavaScript files in
# the order the page lists them) at that marker, so the served page stays one self-contained
# document, and writes it as a C++ byte array to OUTPUT.
# Inputs: ASSETS (the assets folder), OUTPUT (the .cc to write).
file(READ "${ASSETS}/console.html" page)
string(REGEX MATCHALL "/\\* @inline [A-Za-z0-9_.-]+ \\*/" markers "${page}")
if(NOT markers)
  message(FATAL_ERROR "console.html has no /* @inline NAME */ marker")
endif()
foreach(marker ${markers})
  string(REGEX REPLACE "^/\\* @inline ([A-Za-z0-9_.-]+) \\*/$" "\\1" asset "${marker}")
  if(NOT EXISTS "${ASSETS}/${asset}")
    message(FATAL_ERROR "console.html inlines ${asset}, which is not in ${ASSETS}")
  endif()
  file(READ "${ASSETS}/${asset}" content)
  string(REPLACE "${marker}\n" "${content}" page "${page}")
endforeach()
include(${CMAKE_CURRENT_LIST_DIR}/../../scripts/embed_bytes.cmake)
latentdb_write_embedded("${page}" "${OUTPUT}" "http/console/console_page.h" "latentdb::http::console" "ConsolePage"
                        "http/console/assets/ by http/console/embed_console.cmake")
