#pragma once
// Helpers shared by the fuzz targets. Each target defines LLVMFuzzerTestOneInput and is built two
// ways: with clang and libFuzzer in build-fuzz (`make fuzz`), and with the normal compiler into a
// replay driver (tests/fuzz_replay) that runs the committed corpus and crash inputs in `make test`.
// Nothing here may depend on libFuzzer.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace latentdb::fuzz {

// The readers under test take a path, so inputs go through files: one scratch directory per process
// (removed at a normal exit), one file per name, rewritten for every input.
class ScratchDir {
 public:
  static ScratchDir& Get() {
    static ScratchDir dir;
    return dir;
  }
  const std::string& path() const { return path_; }

  // Writes `data` to <dir>/<name> and returns the file's path. Aborts on I/O failure: a harness
  // that silently tests nothing is worse than one that stops.
  std::string Write(const std::string& name, const uint8_t* data, size_t size) {
    std::string file = path_ + "/" + name;
    FILE* f = std::fopen(file.c_str(), "wb");
    if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
      std::fprintf(stderr, "fuzz harness: cannot write %s\n", file.c_str());
      std::abort();
    }
    return file;
  }
  std::string Write(const std::string& name, std::string_view bytes) {
    return Write(name, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }

  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

 private:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/latentdb-fuzz-" +
            std::to_string(::getpid());
    std::error_code ec;
    std::filesystem::create_directories(path_, ec);
    if (ec) {
      std::fprintf(stderr, "fuzz harness: cannot create %s: %s\n", path_.c_str(), ec.message().c_str());
      std::abort();
    }
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path_;
};

// A harness check that must hold for every input (a property of the code under test, not of the
// input). A failure aborts, which libFuzzer and the replay driver both report as a crash.
inline void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

// Deterministic pseudo-random floats from the input, for targets that need vectors.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  float Uniform() { return static_cast<float>(Next() >> 40) / static_cast<float>(1 << 24) * 2.0f - 1.0f; }

 private:
  uint64_t state_;
};

}  // namespace latentdb::fuzz
