// kill -9 of `latentdb ingest` in the middle of a run, then a rerun: the collection must end with
// exactly the source's items — every row once, with its exact vector — because ids are stable
// (the row number) and every write is an upsert.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <thread>

#include "client/http_client.h"
#include "tests/ingest/ingest_files.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace {

using latentdb::testing::TempDir;

// Starts `latentdb ingest ARGS…` with its output discarded; returns the pid.
pid_t Spawn(const std::vector<std::string>& args) {
  std::vector<std::string> full = {latentdb::testing::LatentdbBinary(), "ingest"};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    FILE* null = std::fopen("/dev/null", "w");
    if (null) {
      dup2(fileno(null), STDOUT_FILENO);
      dup2(fileno(null), STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

TEST_CASE("ingest kill: SIGKILL mid-run then a rerun leaves exactly the source's rows", "[ingest][slow]") {
  TempDir dir;
  const size_t rows = 200000, dim = 16;
  auto m = latentdb::testing::RandomMatrix(rows, dim, 77);
  latentdb::testing::WriteFvecs(dir.Sub("big.fvecs"), m);
  const std::string data = dir.Sub("data");
  std::mt19937 rng(std::random_device{}());

  const std::vector<std::string> args = {"--collection", "big", "--data-dir", data, "--index", "Flat", "--metric",
                                         "l2", "--batch", "500", "--quiet", "--checkpoint-seconds", "0.05",
                                         dir.Sub("big.fvecs")};
  // Kill a fresh run, then kill a --resume run over the partial collection, then finish.
  size_t before_kill = 0;
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> a = args;
    if (round == 1) a.push_back("--resume");
    pid_t pid = Spawn(a);
    const int delay_ms = std::uniform_int_distribution<int>(150, 600)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    auto partial = latentdb::testing::InspectCollection(data, "big");
    INFO("round " << round << ": killed after " << delay_ms << " ms (" << (killed ? "mid-run" : "it had finished")
                  << "), " << partial.size << " points stored");
    if (killed) CHECK(partial.size < rows);
    CHECK(partial.size >= before_kill);  // nothing checkpointed is lost
    before_kill = partial.size;
  }

  std::string out;
  std::vector<std::string> rerun = {"ingest"};
  rerun.insert(rerun.end(), args.begin(), args.end());
  rerun.push_back("--resume");
  REQUIRE(latentdb::testing::RunLatentdb(rerun, &out) == 0);
  INFO(out);
  CHECK(out.find("skipped  0") != std::string::npos);
  auto full = latentdb::testing::InspectCollection(data, "big");
  CHECK(full.size == rows);
  // Every row id is there (so, with size == rows, nothing else is), and a sample has exact vectors.
  std::vector<nlohmann::json> ids;
  for (size_t i = 0; i < rows; ++i) ids.push_back(i);
  auto pts = latentdb::testing::ReadPoints(data, "big", ids);
  size_t missing = 0, wrong = 0;
  for (size_t i = 0; i < rows; ++i) missing += !pts[i];
  std::uniform_int_distribution<size_t> pick(0, rows - 1);
  for (int k = 0; k < 2000; ++k) {
    size_t i = pick(rng);
    wrong += pts[i] && pts[i]->vector != m[i];
  }
  CHECK(missing == 0);
  CHECK(wrong == 0);

  // A plain rerun over the complete collection upserts the same ids: still exactly `rows`.
  std::vector<std::string> again = {"ingest"};
  again.insert(again.end(), args.begin(), args.end());
  REQUIRE(latentdb::testing::RunLatentdb(again, &out) == 0);
  CHECK(latentdb::testing::InspectCollection(data, "big").size == rows);
}

TEST_CASE("ingest kill: online ingest rides out a server killed and restarted mid-run", "[ingest][slow]") {
  TempDir dir;
  const size_t rows = 100000, dim = 16;
  auto m = latentdb::testing::RandomMatrix(rows, dim, 78);
  latentdb::testing::WriteFvecs(dir.Sub("v.fvecs"), m);
  const std::string data = dir.Sub("data");
  auto server = std::make_unique<latentdb::testing::ServerProcess>(data);
  const uint16_t port = server->port();
  const std::string out_path = dir.Sub("ingest.out");
  // Run the tool in the background with its output in a file.
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(out_path.c_str(), "w");
    if (f) {
      dup2(fileno(f), STDOUT_FILENO);
      dup2(fileno(f), STDERR_FILENO);
    }
    std::vector<std::string> args = {latentdb::testing::LatentdbBinary(), "ingest", "--collection", "v", "--url",
                                     "http://127.0.0.1:" + std::to_string(port), "--index", "Flat", "--batch", "100",
                                     "--quiet", dir.Sub("v.fvecs")};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // Kill the server once the tool has started writing.
  size_t points_at_kill = 0;
  {
    latentdb::client::HttpClient client("127.0.0.1", port);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = client.Request("GET", "/collections/v");
      if (r.ok() && r->status == 200) {
        points_at_kill = nlohmann::json::parse(r->body)["result"]["points_count"].get<size_t>();
        if (points_at_kill >= 1000) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  server->Kill();  // SIGKILL: connections drop mid-request
  INFO(points_at_kill << " points stored when the server was killed");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  server = std::make_unique<latentdb::testing::ServerProcess>(data, std::vector<std::string>{"--port", std::to_string(port)});
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string out = latentdb::testing::ReadBytes(out_path);
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(out.find("stored   100000") != std::string::npos);
  if (points_at_kill < rows) CHECK(out.find("retried") != std::string::npos);  // the kill landed mid-run
  server.reset();  // releases the data directory
  auto full = latentdb::testing::InspectCollection(data, "v");
  CHECK(full.size == rows);
  auto pts = latentdb::testing::ReadPoints(data, "v", {0, 49999, 99999});
  for (size_t k = 0; k < 3; ++k) REQUIRE(pts[k]);
  CHECK(pts[0]->vector == m[0]);
  CHECK(pts[1]->vector == m[49999]);
  CHECK(pts[2]->vector == m[99999]);
}

}  // namespace
