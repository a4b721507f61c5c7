#pragma once
// Running a program through the shell from a test (Node.js scripts that drive a real server).

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace latentdb::testing {

// `s` as one single-quoted shell word.
inline std::string ShellQuoted(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// Runs `command` through /bin/sh, appending its stdout and stderr to `output`; returns its exit
// status, or -1 when it could not run or did not exit normally.
inline int RunShellCommand(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output->append(buf.data(), n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace latentdb::testing
