#include "tests/support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "tests/support/network_namespace.h"

namespace latentdb::testing {

const char* LatentdbBinary() {
  // Another build's binary can be tested with this suite (for example an older commit's, to see
  // which new tests it fails): LATENTDB_BINARY_UNDER_TEST=/path/to/latentdb.
  static const char* const overridden = std::getenv("LATENTDB_BINARY_UNDER_TEST");
  return overridden && *overridden ? overridden : LATENTDB_BINARY;
}

namespace {
// Starts `latentdb EXTRA…` (in network namespace `netns` when not empty) with its stdout (and
// stderr too, when asked) on a pipe; returns the child's pid and the read end of the pipe.
pid_t Spawn(const std::vector<std::string>& extra, bool merge_stderr, int* read_fd, const std::string& netns = "") {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {LatentdbBinary()};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (merge_stderr) dup2(out[1], STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    if (!netns.empty() && !JoinNetworkNamespace(netns.c_str())) {
      const char message[] = "cannot join the network namespace\n";
      (void)!write(STDOUT_FILENO, message, sizeof message - 1);
      _exit(126);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  *read_fd = out[0];
  return pid;
}
}  // namespace

ServerProcess::ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra_args,
                             const std::string& netns) {
  std::vector<std::string> args = {"serve", "--data-dir", data_dir, "--port", "0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  int out[1];
  pid_ = Spawn(args, /*merge_stderr=*/false, &out[0], netns);
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out[0], POLLIN, 0};
    if (poll(&pfd, 1, 100) > 0) {
      char buf[256];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
      size_t pos = seen.find("listening on ");
      size_t eol = seen.find('\n', pos == std::string::npos ? 0 : pos);
      if (pos != std::string::npos && eol != std::string::npos) {
        std::string line = seen.substr(pos, eol - pos);
        port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
        close(out[0]);
        return;
      }
    }
  }
  close(out[0]);
  Kill();
  throw std::runtime_error("latentdb serve did not start: " + seen);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Terminate();
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int ServerProcess::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return Wait();
}

int ServerProcess::Wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int RunLatentdb(const std::vector<std::string>& extra, std::string* output) {
  std::vector<std::string> args = {LatentdbBinary()};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunCapturing(args, output);
}

int RunCapturing(const std::vector<std::string>& args, std::string* output) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    // Test runners do not always have the administrator's directories (ip, iptables) in PATH.
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  output->clear();
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) output->append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace latentdb::testing
