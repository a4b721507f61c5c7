# Fails when a source file includes a header from a module it may not depend on: the module map
# of docs/architecture.md, as a check (ctest: include_layers; run by hand with
#   cmake -DROOT=<repository> -P scripts/check_layers.cmake).
# Dependencies go one way, from the top (tools, http) down to common; a module may always
# include its own headers. Written in CMake so that it needs nothing beyond the build's tools.

cmake_minimum_required(VERSION 3.20)  # IN_LIST and friends in script mode

# Module of a path relative to the repository root, by its longest matching prefix. The order
# matters: more specific prefixes first (none overlap today).
set(LDB_MODULE_PREFIXES
  "formats/=formats"
  "images/=images"
  "models/=models"
  "words/=words"
  "encoders/=encoders"
  "inference/=inference"
  "latent/=latent"
  "ingest/=ingest"
  "engine/=engine"
  "common/=common"
  "storage/=storage"
  "index/=index"
  "client/=client"
  "cluster/=cluster"
  "http/=http"
  "tools/=tools")

# What each module may include besides itself (lowest layers first).
set(LDB_ALLOWED_common "")
set(LDB_ALLOWED_storage "common")
set(LDB_ALLOWED_index "common")
set(LDB_ALLOWED_client "common")
set(LDB_ALLOWED_cluster "common;client")
set(LDB_ALLOWED_formats "common")
set(LDB_ALLOWED_images "common")
set(LDB_ALLOWED_engine "common;storage;index")
set(LDB_ALLOWED_models "common;engine")
set(LDB_ALLOWED_words "common;index;formats;engine;models")
set(LDB_ALLOWED_encoders "common;formats;images;models")
set(LDB_ALLOWED_inference "common;engine;images;models;words;encoders")
set(LDB_ALLOWED_latent "common;index;engine;images;models;encoders;inference")
set(LDB_ALLOWED_ingest "common;storage;index;client;formats;engine;images;models;inference")
set(LDB_ALLOWED_http "common;index;client;cluster;engine;images;models;words;encoders;inference;latent")
set(LDB_ALLOWED_tools "common;storage;index;client;cluster;formats;engine;images;models;words;encoders;inference;latent;ingest;http")

function(ldb_module_of path out)
  foreach(entry IN LISTS LDB_MODULE_PREFIXES)
    string(REPLACE "=" ";" pair "${entry}")
    list(GET pair 0 prefix)
    list(GET pair 1 module)
    string(FIND "${path}" "${prefix}" at)
    if(at EQUAL 0)
      set(${out} "${module}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<repository> -P scripts/check_layers.cmake")
endif()
file(GLOB_RECURSE sources RELATIVE "${ROOT}"
  "${ROOT}/common/*.h" "${ROOT}/common/*.cc" "${ROOT}/storage/*.h" "${ROOT}/storage/*.cc"
  "${ROOT}/index/*.h" "${ROOT}/index/*.cc" "${ROOT}/client/*.h" "${ROOT}/client/*.cc"
  "${ROOT}/engine/*.h" "${ROOT}/engine/*.cc" "${ROOT}/http/*.h" "${ROOT}/http/*.cc"
  "${ROOT}/images/*.h" "${ROOT}/images/*.cc" "${ROOT}/models/*.h" "${ROOT}/models/*.cc"
  "${ROOT}/words/*.h" "${ROOT}/words/*.cc" "${ROOT}/encoders/*.h" "${ROOT}/encoders/*.cc"
  "${ROOT}/inference/*.h" "${ROOT}/inference/*.cc" "${ROOT}/latent/*.h" "${ROOT}/latent/*.cc"
  "${ROOT}/formats/*.h" "${ROOT}/formats/*.cc" "${ROOT}/ingest/*.h" "${ROOT}/ingest/*.cc"
  "${ROOT}/tools/*.h" "${ROOT}/tools/*.cc")
set(violations 0)
foreach(source IN LISTS sources)
  ldb_module_of("${source}" from)
  if(from STREQUAL "")
    continue()
  endif()
  file(STRINGS "${ROOT}/${source}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]+\"")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" header "${line}")
    ldb_module_of("${header}" to)
    if(to STREQUAL "" OR to STREQUAL from)
      continue()
    endif()
    if(NOT to IN_LIST LDB_ALLOWED_${from})
      message(SEND_ERROR "${source} (${from}) includes ${header} (${to}): ${from} may include only: ${LDB_ALLOWED_${from}}")
      math(EXPR violations "${violations} + 1")
    endif()
  endforeach()
endforeach()
list(LENGTH sources checked)
if(violations GREATER 0)
  message(FATAL_ERROR "${violations} include(s) against the module map (docs/architecture.md)")
endif()
message(STATUS "include layers: ${checked} files, every include within the module map")
