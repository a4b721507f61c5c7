#include "tests/support/network_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>

namespace latentdb::testing {

bool JoinNetworkNamespace(const char* name) {
  char path[256];
  if (std::snprintf(path, sizeof path, "/run/netns/%s", name) >= static_cast<int>(sizeof path)) return false;
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool joined = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return joined;
}

}  // namespace latentdb::testing
