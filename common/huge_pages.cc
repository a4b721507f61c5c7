#include "common/huge_pages.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace latentdb {
namespace {

// "always [madvise] never": the bracketed mode is the one in force.
bool KernelOffersHugePages() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (!std::getline(in, modes)) return false;
  return modes.find("[always]") != std::string::npos || modes.find("[madvise]") != std::string::npos;
}

}  // namespace

void ReexecWithHugePageMalloc(char** argv) {
  constexpr const char* kTunable = "glibc.malloc.hugetlb";
  if (const char* opt_out = std::getenv("LATENTDB_HUGE_PAGES"); opt_out && std::string(opt_out) == "0") return;
  std::string tunables = std::getenv("GLIBC_TUNABLES") ? std::getenv("GLIBC_TUNABLES") : "";
  if (tunables.find(kTunable) != std::string::npos || !KernelOffersHugePages()) return;
  const std::string before = tunables;
  tunables += (tunables.empty() ? "" : ":") + std::string(kTunable) + "=1";
  if (::setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc?): go on as started, with the environment as it was
  if (before.empty()) {
    (void)::unsetenv("GLIBC_TUNABLES");
  } else {
    (void)::setenv("GLIBC_TUNABLES", before.c_str(), 1);
  }
}

}  // namespace latentdb
