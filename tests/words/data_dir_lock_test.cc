// Every command that writes into a data directory takes its lock (common/dir_lock.h) before it
// does any work, and fails at once naming the directory and the holder when a server (here: this
// test process) holds it. Model files must be regular files: a device or FIFO never ends.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "common/dir_lock.h"
#include "common/file_util.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using latentdb::DirLock;
using latentdb::PathExists;
using latentdb::testing::RunLatentdb;
using latentdb::testing::TempDir;

namespace {

struct Run {
  int rc = -1;
  std::string out;
  double seconds = 0;
};

Run Latentdb(const std::vector<std::string>& args) {
  Run r;
  auto start = std::chrono::steady_clock::now();
  r.rc = RunLatentdb(args, &r.out);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace

TEST_CASE("words: every command that writes into a data directory fails at once while another process holds it",
          "[words][lock]") {
  TempDir tmp;
  const std::string data = tmp.Sub("data");
  std::ofstream(tmp.Sub("w.txt")) << "2 2\nthe 1 2\nof 3 4\n";
  std::ofstream(tmp.Sub("corpus.txt")) << "the cat sat on the mat the end\n";
  std::ofstream(tmp.Sub("model.pt")) << "not really torchscript";
  Run keep = Latentdb({"models", "import", tmp.Sub("w.txt"), "--name", "keep", "--data-dir", data});
  INFO(keep.out);
  REQUIRE(keep.rc == 0);
  auto lock = DirLock::Acquire(data);
  REQUIRE(lock.ok());
  const std::string pid = std::to_string(::getpid());
  std::vector<std::vector<std::string>> commands = {
      {"models", "import", tmp.Sub("w.txt"), "--name", "w", "--data-dir", data},
      {"models", "import", tmp.Sub("model.pt"), "--name", "ts", "--input", "1x28x28", "--data-dir", data},
      {"models", "delete", "keep", "--data-dir", data},
      {"train", "word2vec", "--corpus", tmp.Sub("corpus.txt"), "--name", "wv", "--min-count", "1", "--dim", "4", "--epoch", "1",
       "--threads", "1", "--data-dir", data},
  };
#ifdef LDB_TEST_ENCODERS
  // Trains for real on a slice of Fashion-MNIST (Debian package dataset-fashion-mnist) unless it
  // takes the lock first.
  for (const char* kind : {"cnn", "vae"}) {
    commands.push_back({"train", kind, "--data", "fashion-mnist", "--name", std::string("img-") + kind, "--limit", "64",
                        "--epochs", "1", "--max-batches", "1", "--batch", "32", "--threads", "1", "--data-dir", data});
  }
#endif
  for (const auto& args : commands) {
    INFO(args[0] + " " + args[1]);
    Run r = Latentdb(args);
    INFO(r.out);
    CHECK(r.rc == 1);
    CHECK(r.out.find("data directory '" + data + "' is in use") != std::string::npos);
    CHECK(r.out.find("by pid " + pid) != std::string::npos);
    CHECK(r.seconds < 20);
  }
  // Nothing was written under the lock.
  for (const char* name : {"w", "ts", "wv", "img-cnn", "img-vae"}) CHECK(!PathExists(data + "/models/" + name));
  CHECK(PathExists(data + "/models/keep/manifest.json"));
  // Released: the same import works.
  lock->reset();
  Run ok = Latentdb({"models", "import", tmp.Sub("w.txt"), "--name", "w", "--data-dir", data});
  INFO(ok.out);
  CHECK(ok.rc == 0);
}

TEST_CASE("words: models import refuses devices, FIFOs and directories as not regular files", "[words][files]") {
  TempDir tmp;
  REQUIRE(::mkfifo(tmp.Sub("fifo").c_str(), 0600) == 0);
  REQUIRE(latentdb::CreateDirectories(tmp.Sub("dir")).ok());
  for (const std::string& path : {tmp.Sub("fifo"), tmp.Sub("dir"), std::string("/dev/zero")}) {
    std::vector<std::vector<std::string>> formats = {{}};
    if (path == "/dev/zero") formats.insert(formats.end(), {{"--format", "word2vec-bin"}, {"--format", "fasttext-bin"}});
    for (const auto& extra : formats) {
      std::vector<std::string> args = {"models", "import", path, "--name", "z", "--data-dir", tmp.Sub("data")};
      args.insert(args.end(), extra.begin(), extra.end());
      INFO(path << " " << (extra.empty() ? "" : extra[1]));
      Run r = Latentdb(args);
      INFO(r.out);
      CHECK(r.rc != 0);
      CHECK(r.rc < 128);  // an error, not a signal
      CHECK(r.out.find(path + " is not a regular file") != std::string::npos);
      CHECK(r.seconds < 20);
    }
    Run ts = Latentdb({"models", "import", path, "--name", "t", "--format", "torchscript", "--input", "1x28x28", "--data-dir",
                       tmp.Sub("data")});
    INFO(ts.out);
    CHECK(ts.rc != 0);
    CHECK(ts.out.find("is not a regular file") != std::string::npos);
  }
  CHECK(!PathExists(tmp.Sub("data/models/z")));
}
