#pragma once
// Measuring in a fresh process: a benchmark that compares memory or time to open runs each
// contender in its own child, so that none inherits another's heap, page cache state in the
// allocator, or RSS.

#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "bench/bench_util.h"

namespace latentdb::bench {

// Runs `body` (returning a JSON result) in a forked child that writes the result to the file
// `out`; returns it. Dies when the child fails.
template <typename Body>
nlohmann::json InChild(const std::string& out, Body body) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    nlohmann::json r = body();
    std::ofstream(out) << r.dump();
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("child for " + out + " failed");
  std::ifstream in(out);
  return nlohmann::json::parse(in);
}

}  // namespace latentdb::bench
