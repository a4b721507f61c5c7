// `latentdb serve` stops cleanly on SIGINT and SIGTERM whichever of its threads the kernel hands
// the signal to (tools/stop_signals.h): threads that a library started before main() — OpenBLAS's
// pool — do not block the signals, and a signal given to one of them used to kill the server with
// the default action (exit by signal: no clean shutdown, a cluster node's lease not revoked).
#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using latentdb::client::HttpClient;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
using nlohmann::json;

namespace {

struct ThreadMask {
  pid_t tid = 0;
  uint64_t blocked = 0;  // SigBlk of /proc/PID/task/TID/status
};

std::vector<ThreadMask> ThreadsOf(pid_t pid) {
  std::vector<ThreadMask> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    ThreadMask t;
    t.tid = static_cast<pid_t>(std::stol(e->d_name));
    std::ifstream status(dir + "/" + e->d_name + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("SigBlk:", 0) == 0) t.blocked = std::stoull(line.substr(7), nullptr, 16);
    }
    out.push_back(t);
  }
  closedir(d);
  return out;
}

bool Blocks(const ThreadMask& t, int sig) { return (t.blocked >> (sig - 1)) & 1; }

void PutPoint(uint16_t port, int id) {
  HttpClient client("127.0.0.1", port);
  auto created = client.Request("PUT", "/collections/sig", json{{"dim", 2}, {"metric", "l2"}}.dump());
  REQUIRE(created.ok());
  auto put = client.Request("PUT", "/collections/sig/points?wait=true",
                            json{{"points", {{{"id", id}, {"vector", {1.0, 2.0}}}}}}.dump());
  REQUIRE(put.ok());
  REQUIRE(put->status == 200);
}

}  // namespace

TEST_CASE("serve stops cleanly on SIGTERM and SIGINT given to any thread that takes it", "[http][signals]") {
  TempDir dir;
  int round = 0;
  for (int sig : {SIGTERM, SIGINT}) {
    // Round one: the process-directed signal (the kernel picks the thread). Round two: the first
    // thread other than the main one that does not block it (with Debian's OpenBLAS, one of its
    // pool's), or the process again where there is none.
    for (bool to_thread : {false, true}) {
      const std::string data = dir.Sub("data" + std::to_string(round++));
      ServerProcess server(data);
      PutPoint(server.port(), 7);
      pid_t tid = 0;
      if (to_thread) {
        for (const auto& t : ThreadsOf(server.pid())) {
          if (!Blocks(t, sig) && t.tid != server.pid()) {
            tid = t.tid;
            break;
          }
        }
      }
      INFO("signal " << sig << " to " << (tid ? "thread " + std::to_string(tid) : std::string("the process")));
      if (tid) {
        REQUIRE(syscall(SYS_tgkill, server.pid(), tid, sig) == 0);
      } else {
        REQUIRE(kill(server.pid(), sig) == 0);
      }
      const int status = server.Wait();
      INFO("wait status " << status);
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
      // The acknowledged point is there after the restart (a clean shutdown, not a kill).
      ServerProcess again(data);
      HttpClient client("127.0.0.1", again.port());
      auto got = client.Request("GET", "/collections/sig/points/7");
      REQUIRE(got.ok());
      CHECK(got->status == 200);
    }
  }
}
