// Issue 10, kind 11: a full disk. A real `latentdb serve` runs on a real, small tmpfs (mounted in
// a private mount namespace by `unshare`, so the test needs no mount of its own: as root it
// unshares the mount namespace only, otherwise also a user namespace). The test fills the
// filesystem with a file of its own, then:
//   - every write (points into a Flat, an HNSW and an int8 HNSW collection with its codes on disk,
//     deletes, a new collection, the background index saves) fails cleanly: 507 Insufficient Storage, the server stays up;
//   - once the file is removed, writes succeed again without a restart;
//   - after a restart on the same filesystem every acknowledged write is there.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::TempDir;
using Vec = std::vector<float>;

constexpr size_t kDim = 64;

// A shell in its own mount namespace with a tmpfs of `size_mb` at `dir` (all but `free_mb` of it
// filled by the file "filler"), starting `latentdb serve` on it twice in a row (the second start
// is the restart). The filesystem lives as long as the
// shell; the test reaches it through /proc/<shell>/root.
class ServersOnTmpfs {
 public:
  ServersOnTmpfs(const std::string& dir, int size_mb, int free_mb) : dir_(dir) {
    const std::string bin = latentdb::testing::LatentdbBinary();
    const std::string serve = "'" + bin + "' serve --data-dir '" + dir + "/data' --port 0 --persist-interval 1";
    // All but `free_mb` is taken by the filler before the server starts: RocksDB then cannot
    // preallocate its WAL (70 MB) and meets the full disk at once, not after 70 MB of writes.
    const std::string script = "mount -t tmpfs -o size=" + std::to_string(size_mb) + "m tmpfs '" + dir +
                               "' || { echo 'MOUNT FAILED'; exit 90; }\n" + "head -c " +
                               std::to_string(size_mb - free_mb) + "M /dev/zero > '" + dir + "/filler'\n" + serve +
                               " & echo \"server-pid $!\"; wait $!\n" + serve + " & echo \"server-pid $!\"; wait $!\n";
    std::vector<std::string> args = {"unshare", "--mount", "--propagation", "private"};
    if (geteuid() != 0) {
      args.push_back("--user");
      args.push_back("--map-root-user");
    }
    args.insert(args.end(), {"sh", "-c", script});
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    shell_ = fork();
    if (shell_ < 0) throw std::runtime_error("fork failed");
    if (shell_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("unshare", argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
  }

  ~ServersOnTmpfs() {
    if (server_ > 0) kill(server_, SIGKILL);
    if (shell_ > 0) {
      kill(shell_, SIGKILL);
      int status = 0;
      waitpid(shell_, &status, 0);
    }
    if (out_ >= 0) close(out_);
  }

  // Waits for the next server's "listening on" line; returns its port.
  uint16_t WaitForServer() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      size_t eol;
      while ((eol = seen_.find('\n')) != std::string::npos) {
        std::string line = seen_.substr(0, eol);
        seen_.erase(0, eol + 1);
        if (line.rfind("server-pid ", 0) == 0) server_ = std::stoi(line.substr(11));
        if (line == "MOUNT FAILED") throw std::runtime_error("could not mount a tmpfs in a private mount namespace");
        if (line.rfind("listening on ", 0) == 0) return static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
      }
      pollfd pfd{out_, POLLIN, 0};
      if (poll(&pfd, 1, 100) > 0) {
        char buf[256];
        ssize_t n = read(out_, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("the server's shell exited: " + seen_);
        seen_.append(buf, static_cast<size_t>(n));
      }
    }
    throw std::runtime_error("latentdb serve did not start on the tmpfs: " + seen_);
  }

  bool ServerAlive() const { return server_ > 0 && kill(server_, 0) == 0; }
  void StopServer() {
    if (server_ > 0) kill(server_, SIGTERM);
    server_ = -1;
  }
  // `dir` as the server sees it (inside its mount namespace).
  std::string Path(const std::string& name) const { return "/proc/" + std::to_string(shell_) + "/root" + dir_ + "/" + name; }

 private:
  std::string dir_;
  pid_t shell_ = -1;
  pid_t server_ = -1;
  int out_ = -1;
  std::string seen_;
};

// Writes zeros to `path` until the filesystem is full; returns the bytes written.
size_t FillDisk(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  REQUIRE(fd >= 0);
  std::string block(1 << 16, '\0');
  size_t total = 0;
  for (size_t chunk : {size_t{1} << 16, size_t{4096}, size_t{512}, size_t{1}}) {
    for (;;) {
      ssize_t n = ::write(fd, block.data(), chunk);
      if (n < 0) {
        REQUIRE(errno == ENOSPC);
        break;
      }
      total += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return total;
}

struct Acked {
  std::map<uint64_t, Vec> points;
};

Vec RandomVector(std::mt19937& rng) {
  std::normal_distribution<float> g;
  Vec v(kDim);
  for (auto& x : v) x = g(rng);
  return v;
}

// One upsert of `n` fresh points; returns the HTTP status (200 adds them to `acked`).
int Upsert(HttpClient& client, const std::string& collection, Acked* acked, uint64_t* next_id, std::mt19937& rng,
           size_t n, std::string* body_out = nullptr) {
  json body = {{"points", json::array()}};
  std::map<uint64_t, Vec> batch;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t id = (*next_id)++;
    batch[id] = RandomVector(rng);
    body["points"].push_back({{"id", id}, {"vector", batch[id]}, {"payload", {{"n", id}}}});
  }
  auto r = client.Request("PUT", "/collections/" + collection + "/points", body.dump());
  REQUIRE(r.ok());
  if (body_out) *body_out = r->body;
  if (r->status == 200) acked->points.insert(batch.begin(), batch.end());
  return r->status;
}

void CheckAllThere(HttpClient& client, const std::string& collection, const Acked& acked) {
  auto info = client.Request("GET", "/collections/" + collection);
  REQUIRE(info.ok());
  REQUIRE(info->status == 200);
  CHECK(json::parse(info->body)["result"]["points_count"].get<size_t>() == acked.points.size());
  size_t wrong_get = 0, wrong_search = 0, i = 0;
  std::string examples;
  for (const auto& [id, v] : acked.points) {
    if (i++ % 7 != 0) continue;  // a sample keeps the test quick
    auto r = client.Request("GET", "/collections/" + collection + "/points/" + std::to_string(id));
    REQUIRE(r.ok());
    if (r->status != 200 || json::parse(r->body)["result"]["vector"].get<Vec>() != v) {
      if (wrong_get++ < 3) examples += collection + ": GET " + std::to_string(id) + " answered " + r->body.substr(0, 200) + "\n";
    }
    // Exact: random 64-d vectors are a hard case for HNSW; what matters is that the index holds them.
    json q = {{"vector", v}, {"k", 1}, {"with_payload", false}, {"params", {{"exact", true}}}};
    auto s = client.Request("POST", "/collections/" + collection + "/search", q.dump());
    REQUIRE(s.ok());
    REQUIRE(s->status == 200);
    auto hits = json::parse(s->body)["result"];
    if (hits.empty() || hits[0]["id"] != id) {
      if (wrong_search++ < 3) examples += collection + ": search for " + std::to_string(id) + " found " + hits.dump().substr(0, 200) + "\n";
    }
  }
  INFO(examples);
  CHECK(wrong_get == 0);
  CHECK(wrong_search == 0);
}

}  // namespace

TEST_CASE("a full disk answers 507, loses nothing, and writes work again once space is back", "[disk][slow]") {
  TempDir dir;
  // 96 MB: once the filler is removed, RocksDB's own recovery wants 64 MB free (its memtable
  // size) before it resumes writes.
  ServersOnTmpfs servers(dir.path(), 96, 8);
  uint16_t port = servers.WaitForServer();
  std::mt19937 rng(5);
  std::map<std::string, Acked> acked;
  uint64_t next_id = 1;
  {
    HttpClient client("127.0.0.1", port);
    // "ondisk" keeps its int8 codes in a memory-mapped file of its own (trained at 1,000 points,
    // so it has codes before the disk fills).
    const std::pair<std::string, json> collections[] = {
        {"flat", {{"dim", kDim}, {"metric", "l2"}, {"index", "Flat"}}},
        {"hnsw", {{"dim", kDim}, {"metric", "l2"}, {"index", "HNSW16"}}},
        {"ondisk", {{"dim", kDim}, {"metric", "l2"}, {"index", "HNSW16"}, {"on_disk", true},
                    {"quantization_config", {{"scalar", {{"type", "int8"}}}}}}}};
    for (const auto& [name, config] : collections) {
      auto r = client.Request("PUT", "/collections/" + name, config.dump());
      REQUIRE(r.ok());
      REQUIRE(r->status == 200);
      for (int i = 0; i < (name == "ondisk" ? 12 : 5); ++i) REQUIRE(Upsert(client, name, &acked[name], &next_id, rng, 100) == 200);
    }

    // The HNSW index has been saved (persist interval 1 s): a failed save must leave it in place.
    std::string saved_index;
    for (int i = 0; i < 100 && saved_index.empty(); ++i) {
      for (const auto& entry : std::filesystem::directory_iterator(servers.Path("data/indexes"))) {
        if (entry.path().extension() == ".idx") saved_index = entry.path().string();
      }
      if (saved_index.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_FALSE(saved_index.empty());

    // Fill the filesystem, then write until the server notices (RocksDB may have room left in a
    // preallocated WAL). Every answer is 200 or 507 — never 500, never a dead server.
    FillDisk(servers.Path("filler"));
    std::map<std::string, int> full_answers;
    for (int round = 0; round < 400 && (full_answers["flat"] < 3 || full_answers["hnsw"] < 3 || full_answers["ondisk"] < 3);
         ++round) {
      for (const std::string name : {"flat", "hnsw", "ondisk"}) {
        std::string body;
        int status = Upsert(client, name, &acked[name], &next_id, rng, 200, &body);
        INFO(name << " round " << round << ": " << body.substr(0, 300));
        REQUIRE((status == 200 || status == 507));
        if (status == 507) {
          ++full_answers[name];
          CHECK(body.find("disk is full") != std::string::npos);
        }
      }
      FillDisk(servers.Path("filler"));  // take back whatever a flush or compaction freed
    }
    REQUIRE(full_answers["flat"] >= 3);
    REQUIRE(full_answers["hnsw"] >= 3);
    REQUIRE(full_answers["ondisk"] >= 3);
    // Other writes on the full disk: a new collection, deletes. Then background index saves get a
    // few chances to fail (persist interval 1 s); the server must live through all of it.
    auto created = client.Request("PUT", "/collections/more", json{{"dim", kDim}}.dump());
    REQUIRE(created.ok());
    CHECK((created->status == 507 || created->status == 200));
    if (created->status == 200) acked["more"];
    const uint64_t victim = acked["hnsw"].points.begin()->first;
    auto del = client.Request("POST", "/collections/hnsw/points/delete", json{{"ids", {victim}}}.dump());
    REQUIRE(del.ok());
    CHECK((del->status == 507 || del->status == 200));
    if (del->status == 200) acked["hnsw"].points.erase(victim);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    REQUIRE(servers.ServerAlive());
    // Failed index saves leave no temporary file behind, and the old file in place.
    CHECK(std::filesystem::file_size(saved_index) > 0);
    for (const auto& entry : std::filesystem::directory_iterator(servers.Path("data/indexes"))) {
      CHECK(entry.path().extension() != ".tmp");
    }
    auto health = client.Request("GET", "/healthz");
    REQUIRE(health.ok());
    CHECK(health->status == 200);

    // Space is back: writes succeed again without a restart — at once, or once RocksDB's own
    // recovery notices the free space (its SstFileManager checks every 5 s for 64 MB).
    REQUIRE(::unlink(servers.Path("filler").c_str()) == 0);
    const auto freed = std::chrono::steady_clock::now();
    for (const std::string name : {"flat", "hnsw", "ondisk"}) {
      int status = 0;
      std::string body;
      while (std::chrono::steady_clock::now() - freed < std::chrono::seconds(20)) {
        status = Upsert(client, name, &acked[name], &next_id, rng, 100, &body);
        REQUIRE((status == 200 || status == 507));
        if (status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
      INFO(name << ": " << body.substr(0, 300));
      REQUIRE(status == 200);
      CHECK(Upsert(client, name, &acked[name], &next_id, rng, 100) == 200);
    }

    for (const auto& [name, a] : acked) CheckAllThere(client, name, a);
  }

  // Restart on the same filesystem: every acknowledged write is there.
  servers.StopServer();
  port = servers.WaitForServer();
  HttpClient client("127.0.0.1", port);
  for (const auto& [name, a] : acked) CheckAllThere(client, name, a);
  CHECK(Upsert(client, "hnsw", &acked["hnsw"], &next_id, rng, 10) == 200);
}
