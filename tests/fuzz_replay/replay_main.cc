// Replay driver for the fuzz targets (fuzz/<target>.cc), built with the normal compiler: feeds
// every file of the given folders to the target's LLVMFuzzerTestOneInput, in name order, in one
// process, as libFuzzer does when given files instead of a corpus to grow.
//
//   fuzz_replay_<target> --corpus DIR [--crashes DIR]
//
// The corpus folder must exist and hold at least one input (a test that replays nothing must not
// pass); the crashes folder holds the regression inputs fuzzing found and may be absent or empty.
// A README* file in either folder is documentation, not an input. An input that crashes the
// target ends the process: its name was printed to stderr just before, so ctest shows it.
//
// Like libFuzzer (-malloc_limit_mb, 2 GiB by default), the driver treats one allocation larger
// than 2 GiB as a crash: an input that makes a reader allocate what its header declares is a bug
// even on a machine where the allocation would succeed (and zero-filling it would cost gigabytes
// in `make test`). Sanitizer builds keep their own allocator, which refuses such sizes itself.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LDB_REPLAY_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define LDB_REPLAY_SANITIZER 1
#endif
#endif

#ifndef LDB_REPLAY_SANITIZER
constexpr size_t kMaxAllocation = size_t{2} << 30;

// The replaceable global allocation functions (the nothrow forms call these); the aligned forms
// keep their defaults.
void* operator new(size_t n) {
  if (n > kMaxAllocation) {
    std::fprintf(stderr, "replay: one allocation of %zu bytes, over the 2 GiB limit: the input makes the code "
                 "allocate what it declares\n", n);
    std::abort();
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
#endif

namespace {

namespace fs = std::filesystem;

// Regular files of `dir`, sorted by name; README* files are skipped.
bool ListInputs(const fs::path& dir, std::vector<fs::path>* out) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return false;
  std::vector<fs::path> files;
  for (const auto& entry : it) {
    if (!entry.is_regular_file()) continue;
    if (entry.path().filename().string().rfind("README", 0) == 0) continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  out->insert(out->end(), files.begin(), files.end());
  return true;
}

int Replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
  std::fflush(stderr);
  // libFuzzer passes a non-null pointer even for empty inputs; so do we.
  static const uint8_t kEmpty = 0;
  LLVMFuzzerTestOneInput(bytes.empty() ? &kEmpty : bytes.data(), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus, crashes;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--corpus" && i + 1 < argc) {
      corpus = argv[++i];
    } else if (arg == "--crashes" && i + 1 < argc) {
      crashes = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s --corpus DIR [--crashes DIR]\n", argv[0]);
      return 2;
    }
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "usage: %s --corpus DIR [--crashes DIR]\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> inputs;
  if (!ListInputs(corpus, &inputs) || inputs.empty()) {
    std::fprintf(stderr, "no inputs in the corpus folder %s\n", corpus.c_str());
    return 1;
  }
  const size_t seeds = inputs.size();
  if (!crashes.empty() && fs::exists(crashes) && !ListInputs(crashes, &inputs)) {
    std::fprintf(stderr, "cannot list %s\n", crashes.c_str());
    return 1;
  }
  for (const auto& file : inputs) {
    if (Replay(file) != 0) return 1;
  }
  std::printf("replayed %zu corpus inputs and %zu regression inputs\n", seeds, inputs.size() - seeds);
  return 0;
}
