#include "tools/stop_signals.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace latentdb::tools {

namespace {

int g_pipe[2] = {-1, -1};

extern "C" void OnStopSignal(int sig) {
  const int saved = errno;  // a handler must leave errno as it found it
  const unsigned char b = static_cast<unsigned char>(sig);
  (void)!write(g_pipe[1], &b, 1);  // async-signal-safe; a full pipe already holds a stop request
  errno = saved;
}

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

bool StopSignals::Install() {
  if (g_pipe[0] < 0 && pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &action, nullptr) != 0 || sigaction(SIGTERM, &action, nullptr) != 0) return false;
  const sigset_t set = StopSet();
  return pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
}

int StopSignals::Wait() {
  const sigset_t set = StopSet();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  while (true) {
    unsigned char b = 0;
    const ssize_t n = read(g_pipe[0], &b, 1);
    if (n == 1) return b;
    if (n < 0 && errno == EAGAIN) {
      // Nothing yet (both ends are non-blocking, so that the handler never blocks on a full
      // pipe): wait until it is readable. EINTR (the handler ran on this thread) loops.
      pollfd readable{g_pipe[0], POLLIN, 0};
      poll(&readable, 1, -1);
    }
  }
}

}  // namespace latentdb::tools
