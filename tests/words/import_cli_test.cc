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

TEST_CASE("words: models import refuses invalid UTF-8 with the line and warns about every skipped word", "[words][utf8]") {
  TempDir tmp;
  const std::string data = tmp.Sub("data");
  std::string out;
  // gensim's default (unicode_errors='strict') raises: so does the import, exit 1, nothing stored.
  std::ofstream(tmp.Sub("bad.txt")) << "3 2\na 1 2\nb\xff 3 4\nc 5 6\n";
  CHECK(RunLatentdb({"models", "import", tmp.Sub("bad.txt"), "--name", "bad", "--data-dir", data}, &out) == 1);
  INFO(out);
  CHECK(out.find("line 3: the word 'b\\xff' is not valid UTF-8") != std::string::npos);
  CHECK(!PathExists(data + "/models/bad"));
  // Duplicates (gensim warns too) and over-long words: imported, exit 0, one warning each.
  std::ofstream(tmp.Sub("dup.txt")) << "5 2\nthe 1 2\nof 3 4\nthe 5 6\nof 7 8\n" << std::string(513, 'x') << " 9 9\n";
  CHECK(RunLatentdb({"models", "import", tmp.Sub("dup.txt"), "--name", "dup", "--data-dir", data}, &out) == 0);
  CHECK(out.find("2 words x 2 dims") != std::string::npos);
  CHECK(out.find("warning: " + tmp.Sub("dup.txt") +
                 ": skipped 2 duplicate words (the first occurrence of each was kept); the first: 'the'") != std::string::npos);
  CHECK(out.find("skipped 1 words that are empty or longer than 512 bytes; the first: 'xxxx") != std::string::npos);
  // A clean file: no warning.
  std::ofstream(tmp.Sub("ok.txt")) << "2 2\na 1 2\nb 3 4\n";
  CHECK(RunLatentdb({"models", "import", tmp.Sub("ok.txt"), "--name", "ok", "--data-dir", data}, &out) == 0);
  CHECK(out.find("warning") == std::string::npos);
  // The header "3 0": the problem in plain words, no empty part.
  std::ofstream(tmp.Sub("q_dim0.txt")) << "3 0\nalpha\nbeta\ngamma\n";
  CHECK(RunLatentdb({"models", "import", tmp.Sub("q_dim0.txt"), "--name", "q", "--data-dir", data}, &out) == 1);
  CHECK(out.find("dimension 0 (from the first line) is outside 1") != std::string::npos);
  CHECK(out.find(": ;") == std::string::npos);
}
