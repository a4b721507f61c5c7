// Qdrant's official JavaScript client against a real `latentdb serve` (issue 14): the script
// tests/qdrant/client/qdrant_client.cjs makes every everyday call of @qdrant/js-client-rest
// (installed from its lock file by the qdrant_client_npm_ci fixture) and checks the answers; this
// driver starts the server on a fresh data directory, runs it under Node.js, and checks that the
// server is still healthy afterwards and that the collections the script dropped are gone after a
// restart.
#include <catch2/catch.hpp>

#include <string>

#include "client/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/shell_command.h"
#include "tests/support/temp_dir.h"


using latentdb::testing::RunShellCommand;
using latentdb::testing::ShellQuoted;

TEST_CASE("Qdrant's JavaScript client: every everyday call against latentdb serve", "[qdrant]") {
  latentdb::testing::TempDir dir;
  const std::string data_dir = dir.Sub("data");
  {
    latentdb::testing::ServerProcess server(data_dir);
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    std::string output;
    const int rc = RunShellCommand("NODE_PATH=" + ShellQuoted(LATENTDB_QDRANT_MODULES) + " " + std::string(LATENTDB_NODE) + " " +
                           ShellQuoted(LATENTDB_QDRANT_SCRIPT) + " " + ShellQuoted(url),
                       &output);
    INFO(output);
    CHECK(rc == 0);
    CHECK(output.find("all Qdrant client checks passed") != std::string::npos);
    latentdb::client::HttpClient http("127.0.0.1", server.port());
    auto health = http.Request("GET", "/healthz", "");
    REQUIRE(health.ok());
    CHECK(health->status == 200);
  }
  // What the script created it also dropped: nothing is left after a restart.
  latentdb::testing::ServerProcess restarted(data_dir);
  latentdb::client::HttpClient http("127.0.0.1", restarted.port());
  auto list = http.Request("GET", "/collections", "");
  REQUIRE(list.ok());
  CHECK(list->body.find("qc_") == std::string::npos);
}
