// The `latentdb` command line (tools/args.cc, Boost.Program_options): every command answers
// --help with its usage and exit code 0, and bad options are refused with exit code 2 before
// anything runs.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

using latentdb::testing::RunLatentdb;
using latentdb::testing::TempDir;

TEST_CASE("cli: --help and -h print the usage of every command and subcommand", "[cli]") {
  const std::vector<std::vector<std::string>> commands = {
      {"serve"},           {"ingest"},           {"models"},         {"models", "import"}, {"models", "list"},
      {"words", "neighbors"}, {"train"},         {"train", "word2vec"}, {"train", "cnn"},  {"train", "vae"},
      {"corpus"},          {"eval"},             {"eval", "words"}};
  for (const auto& command : commands) {
    for (const char* flag : {"--help", "-h"}) {
      std::vector<std::string> args = command;
      args.push_back(flag);
      std::string out;
      INFO(args[0] << (args.size() > 2 ? " " + args[1] : std::string()) << " " << flag);
      CHECK(RunLatentdb(args, &out) == 0);
      CHECK(out.find("usage: latentdb") != std::string::npos);
      CHECK(out.find("unrecognised") == std::string::npos);
    }
  }
}

TEST_CASE("cli: unknown, abbreviated and value-less options exit 2 and name the option", "[cli]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"models", "list", "--no-such-option", "1"}, "no-such-option"},
      {{"models", "list", "--data"}, "data"},  // a prefix of --data-dir is not guessed
      {{"models", "list", "--data-dir"}, "data-dir"},
      {{"train", "cnn", "--name", "m", "--epochs"}, "epochs"},
      {{"ingest", "--collection", "c", "--bogus", "x"}, "bogus"},
  };
  for (const auto& c : cases) {
    std::string out;
    INFO(c.args[0] << " … " << c.names);
    CHECK(RunLatentdb(c.args, &out) == 2);
    CHECK(out.find(c.names) != std::string::npos);
    CHECK(out.find("usage: latentdb") != std::string::npos);
  }
}

TEST_CASE("cli: a switch does not take the word after it", "[cli]") {
  TempDir dir;
  std::string out;
  // --resume is a switch of ingest: the word after it stays a source, never its value.
  CHECK(RunLatentdb({"models", "list", "--data-dir", dir.path() + "/data"}, &out) == 0);
  CHECK(RunLatentdb({"ingest", "--collection", "c", "--data-dir", dir.path() + "/data", "--resume", "/no/such.fvecs"}, &out) != 0);
  CHECK(out.find("give at least one SOURCE") == std::string::npos);
  CHECK(out.find("/no/such.fvecs") != std::string::npos);
  CHECK(RunLatentdb({"ingest", "--collection", "c", "--data-dir", dir.path() + "/data", "--resume=yes", "/no/such.fvecs"}, &out) == 2);
}

TEST_CASE("cli: --flag value and --flag=value are the same option", "[cli]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::string spaced, joined;
  REQUIRE(RunLatentdb({"models", "list", "--data-dir", data}, &spaced) == 0);
  REQUIRE(RunLatentdb({"models", "list", "--data-dir=" + data}, &joined) == 0);
  CHECK(spaced == joined);
  // Given twice, the last value wins (the first directory here does not exist and is not created).
  std::string twice;
  REQUIRE(RunLatentdb({"models", "list", "--data-dir", "/nonexistent/never", "--data-dir=" + data}, &twice) == 0);
  CHECK(twice == spaced);
}

TEST_CASE("cli: serve's numeric options out of range exit 2 and name the option", "[cli]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"row-cache-mb", "-1"}, {"row-cache-mb", "lots"}, {"block-cache-mb", "0"}, {"port", "65536"}}) {
    std::string out;
    INFO("--" << option << " " << value);
    CHECK(RunLatentdb({"serve", "--data-dir", data, "--" + option, value}, &out) == 2);
    CHECK(out.find(option) != std::string::npos);
  }
}
