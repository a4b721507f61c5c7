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
# A byte array rather than a raw string literal: no delimiter can collide with the page's text.
string(HEX "${page}" hex)
string(LENGTH "${page}" size)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from http/console/assets/ by http/console/embed_console.cmake: edit the assets.
#include \"http/console/console_page.h\"

namespace latentdb::http::console {
namespace {
const unsigned char kPage[] = {
${bytes}
};
}  // namespace

std::string_view ConsolePage() { return {reinterpret_cast<const char*>(kPage), ${size}}; }

}  // namespace latentdb::http::console
")
# Only touch OUTPUT when it changes, so that an unrelated rebuild recompiles nothing.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
