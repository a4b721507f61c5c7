// The one compilation of stb_image's implementation, restricted to the formats LatentDB decodes
// with it (PNG, BMP, GIF; JPEG goes to libjpeg-turbo, see decode_jpeg.cc) and routed through the
// bounded allocator of stb_alloc.h.
//
// Thread safety: this stb (2.27+) keeps its failure reason in a thread_local (STBI_THREAD_LOCAL
// is defined for C++11 and later; the static_assert below checks it). The only other global
// state is the flip/unpremultiply/iPhone flags, which nothing in LatentDB sets.
#include <cstdlib>
#include <limits>

#include "images/stb_alloc.h"

namespace latentdb::images::internal {
namespace {
thread_local size_t g_max_allocation = std::numeric_limits<size_t>::max();
}  // namespace

void* BoundedMalloc(size_t size) { return size > g_max_allocation ? nullptr : std::malloc(size); }
void* BoundedRealloc(void* p, size_t size) {
  return size > g_max_allocation ? nullptr : std::realloc(p, size);
}
void BoundedFree(void* p) { std::free(p); }

ScopedAllocationLimit::ScopedAllocationLimit(size_t max_bytes) : previous_(g_max_allocation) {
  g_max_allocation = max_bytes;
}
ScopedAllocationLimit::~ScopedAllocationLimit() { g_max_allocation = previous_; }

}  // namespace latentdb::images::internal

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STBI_MALLOC(sz) ::latentdb::images::internal::BoundedMalloc(sz)
#define STBI_REALLOC(p, sz) ::latentdb::images::internal::BoundedRealloc(p, sz)
#define STBI_FREE(p) ::latentdb::images::internal::BoundedFree(p)

// Third-party code: its warnings are not ours to fix.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

#ifndef STBI_THREAD_LOCAL
#error "stb_image without STBI_THREAD_LOCAL: stbi_failure_reason would be shared between threads"
#endif
