# latentdb_write_embedded(TEXT OUTPUT HEADER NAMESPACE FUNCTION SOURCE): writes OUTPUT, a C++ file
# defining `std::string_view NAMESPACE::FUNCTION()` that returns TEXT, compiled in as a byte array
# (no raw-string delimiter can collide with the text). SOURCE names what it was generated from.
# OUTPUT is only touched when it changes, so that an unrelated rebuild recompiles nothing.
# Used in cmake -P scripts: http/console/embed_console.cmake, http/openapi/embed_openapi.cmake.
function(latentdb_write_embedded text output header namespace function source)
  string(HEX "${text}" hex)
  string(LENGTH "${text}" size)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x..,){24})" "\\1\n" bytes "${bytes}")
  file(WRITE "${output}.tmp"
"// Generated from ${source} at build time: edit that, not this file.
#include \"${header}\"

namespace ${namespace} {
namespace {
const unsigned char kBytes[] = {
${bytes}
};
}  // namespace

std::string_view ${function}() { return {reinterpret_cast<const char*>(kBytes), ${size}}; }

}  // namespace ${namespace}
")
  file(COPY_FILE "${output}.tmp" "${output}" ONLY_IF_DIFFERENT)
endfunction()
