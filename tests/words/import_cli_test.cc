// `latentdb models import` on malformed and unusual word-vector files: the exit code and the
// message a user sees (the readers themselves are tested in vector_file_test.cc).
#include <catch2/catch.hpp>

#include <fstream>

#include "common/file_util.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using latentdb::PathExists;
using latentdb::testing::RunLatentdb;
using latentdb::testing::TempDir;

TEST_CASE("words: models import of a malformed word2vec text file exits 1 with the line, and imports nothing",
          "[words][format]") {
  TempDir tmp;
  const std::string data = tmp.Sub("data");
  // The example: read as binary, this imported a word "0.3\nsummer" and values like 2.9e26.
  std::ofstream(tmp.Sub("space.txt")) << "3 3\nnew york 0.1 0.2\nsummer 0.1 0.2 0.3\nwinter 0.4 0.5 0.6\n";
  std::ofstream(tmp.Sub("inf.txt")) << "3 3\nspring inf 0.2 0.3\nsummer 0.1 0.2 0.3\nwinter 0.4 0.5 0.6\n";
  for (const char* file : {"space.txt", "inf.txt"}) {
    INFO(file);
    std::string out;
    CHECK(RunLatentdb({"models", "import", tmp.Sub(file), "--name", "m", "--data-dir", data}, &out) == 1);
    INFO(out);
    CHECK(out.find("line 2") != std::string::npos);
    CHECK(!PathExists(data + "/models/m"));
  }
  // gensim's rule for a header that declares fewer rows: those rows, and a warning for the rest.
  std::ofstream(tmp.Sub("more.txt")) << "2 2\na 1 2\nb 3 4\nc 5 6\n";
  std::string out;
  CHECK(RunLatentdb({"models", "import", tmp.Sub("more.txt"), "--name", "more", "--data-dir", data}, &out) == 0);
  INFO(out);
  CHECK(out.find("2 words x 2 dims") != std::string::npos);
  CHECK(out.find("warning: " + tmp.Sub("more.txt") + " has 1 more rows after the 2 its header declares") != std::string::npos);
  // A BOM before the header.
  std::ofstream(tmp.Sub("bom.txt")) << "\xEF\xBB\xBF" << "2 2\na 1 2\nb 3 4\n";
  CHECK(RunLatentdb({"models", "import", tmp.Sub("bom.txt"), "--name", "bom", "--data-dir", data}, &out) == 0);
  CHECK(out.find("2 words x 2 dims (word2vec)") != std::string::npos);
}
