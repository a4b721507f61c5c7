#pragma once
// ServerProcess: a real `latentdb serve` child process on a free loopback port, for HTTP and
// crash tests. The constructor waits until the server prints its "listening on" line.

#include <sys/types.h>

#include <string>
#include <vector>

namespace latentdb::testing {

class ServerProcess {
 public:
  // Starts `latentdb serve --data-dir DIR --port 0 EXTRA…`, in the network namespace `netns` when
  // one is named (support/network_namespace.h; then pass `--host` with that namespace's address).
  // Throws std::runtime_error if the server does not come up within 30 s.
  ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra_args = {},
                const std::string& netns = "");
  ~ServerProcess();  // SIGTERM, then waits

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends SIGKILL and reaps the child.
  void Kill();
  // Sends SIGTERM and waits; returns the exit status (as from waitpid).
  int Terminate();
  // Waits for the child to exit (after a signal sent some other way); returns its exit status.
  int Wait();

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// Runs `latentdb ARGS…` to completion; returns the exit code and captures stderr+stdout.
int RunLatentdb(const std::vector<std::string>& args, std::string* output);

// Runs `args` to completion (args[0] looked up in PATH, the administrator's sbin directories
// added) with stdout and stderr captured in `output`; the exit code, or 128 + the signal.
int RunCapturing(const std::vector<std::string>& args, std::string* output);

// The path of the latentdb binary under test: this build's, or $LATENTDB_BINARY_UNDER_TEST.
const char* LatentdbBinary();

}  // namespace latentdb::testing
