// Huge pages for the heap of the commands that hold indexes (common/huge_pages.h): `latentdb
// serve` restarts itself once with glibc.malloc.hugetlb=1 when the kernel offers transparent huge
// pages, keeps a user's own tunables, never overrides a user's hugetlb choice, and leaves it off
// with LATENTDB_HUGE_PAGES=0.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;

namespace {

// GLIBC_TUNABLES as the running server sees it; nullopt when unset.
std::optional<std::string> ServerTunables(const std::string& data_dir) {
  ServerProcess server(data_dir);
  std::ifstream in("/proc/" + std::to_string(server.pid()) + "/environ", std::ios::binary);
  const std::string environ((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t pos = 0; pos < environ.size();) {
    size_t end = environ.find('\0', pos);
    if (end == std::string::npos) end = environ.size();
    const std::string entry = environ.substr(pos, end - pos);
    if (entry.rfind("GLIBC_TUNABLES=", 0) == 0) return entry.substr(sizeof "GLIBC_TUNABLES=" - 1);
    pos = end + 1;
  }
  return std::nullopt;
}

bool KernelOffersHugePages() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(in, modes);
  return modes.find("[always]") != std::string::npos || modes.find("[madvise]") != std::string::npos;
}

// Sets (or, with nullopt, unsets) an environment variable for the scope; the child inherits it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    value ? ::setenv(name, value->c_str(), 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("serve runs with huge pages for its heap when the kernel offers them, and as the user says otherwise", "[cli]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  const bool offered = KernelOffersHugePages();
  ScopedEnv no_opt_out("LATENTDB_HUGE_PAGES", std::nullopt);
  {
    ScopedEnv tunables("GLIBC_TUNABLES", std::nullopt);
    const auto seen = ServerTunables(data);
    if (offered) {
      CHECK(seen == std::optional<std::string>("glibc.malloc.hugetlb=1"));
    } else {
      CHECK_FALSE(seen.has_value());
    }
  }
  {
    // (glibc rewrites the variable in place as it parses it: /proc/PID/environ then shows the
    // user's part of a combined value, which must survive; measured by hand, the combined value
    // gives the same AnonHugePages as hugetlb=1 alone.)
    INFO("a user's own tunables are kept");
    ScopedEnv tunables("GLIBC_TUNABLES", "glibc.malloc.tcache_count=5");
    const auto seen = ServerTunables(data);
    REQUIRE(seen.has_value());
    CHECK(seen->rfind("glibc.malloc.tcache_count=5", 0) == 0);
  }
  {
    INFO("a user's hugetlb choice wins");
    ScopedEnv tunables("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0");
    CHECK(ServerTunables(data) == std::optional<std::string>("glibc.malloc.hugetlb=0"));
  }
  {
    INFO("LATENTDB_HUGE_PAGES=0 turns it off");
    ScopedEnv tunables("GLIBC_TUNABLES", std::nullopt);
    ScopedEnv opt_out("LATENTDB_HUGE_PAGES", "0");
    CHECK_FALSE(ServerTunables(data).has_value());
  }
}
