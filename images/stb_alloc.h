#pragma once
// Internal to images: the allocator stb_image uses (see stb_image_impl.cc).
//
// stb_image is not hardened against hostile input: a PNG chunk may declare a 2 GiB IDAT, a
// deflate stream may expand without bound. Every allocation stb_image makes goes through
// BoundedMalloc / BoundedRealloc, which refuse (return nullptr, which stb reports as "outofmem")
// any single block larger than the calling thread's current limit. Decode sets that limit from
// the image's declared size with a ScopedAllocationLimit.

#include <cstddef>

namespace latentdb::images::internal {

void* BoundedMalloc(size_t size);
void* BoundedRealloc(void* p, size_t size);
void BoundedFree(void* p);

// Sets the calling thread's per-allocation limit for its lifetime; restores the previous one.
class ScopedAllocationLimit {
 public:
  explicit ScopedAllocationLimit(size_t max_bytes);
  ~ScopedAllocationLimit();
  ScopedAllocationLimit(const ScopedAllocationLimit&) = delete;
  ScopedAllocationLimit& operator=(const ScopedAllocationLimit&) = delete;

 private:
  size_t previous_;
};

}  // namespace latentdb::images::internal
