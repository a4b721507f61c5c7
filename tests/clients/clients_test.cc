// Node.js clients against a real `latentdb serve` (issue 14), each a script in tests/clients/node
// run with the modules the client_tests_npm_ci fixture installs from the lock file:
//   qdrant_client.cjs     every everyday call of Qdrant's official @qdrant/js-client-rest, with
//                         the answers checked; afterwards the server is healthy and, after a
//                         restart, what the script dropped is gone;
//   validate_openapi.cjs  GET /openapi.json validated as OpenAPI 3 by @apidevtools/swagger-parser;
//   qdrant_cluster_client.cjs  the same client against three `serve --cluster` nodes (a real
//                         etcd): a sharded collection created, written and read through
//                         different nodes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <vector>
#include <string>

#include "client/http_client.h"
#include "tests/cluster/etcd_cluster.h"
#include "tests/support/server_process.h"
#include "tests/support/shell_command.h"
#include "tests/support/temp_dir.h"

using latentdb::client::HttpClient;
using latentdb::testing::RunShellCommand;
using latentdb::testing::ServerProcess;
using latentdb::testing::ShellQuoted;

namespace {

// Runs tests/clients/node/`script` against the server on `port` (whose data directory is
// `data_dir`, absolute); returns its exit status.
int RunClientScript(const std::string& script, uint16_t port, std::string* output, const std::string& data_dir = "") {
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  return RunShellCommand("NODE_PATH=" + ShellQuoted(LATENTDB_CLIENT_MODULES) + " " + std::string(LATENTDB_NODE) + " " +
                             ShellQuoted(std::string(LATENTDB_CLIENT_SCRIPTS) + "/" + script) + " " + ShellQuoted(url) + " " +
                             ShellQuoted(data_dir),
                         output);
}

}  // namespace

TEST_CASE("Qdrant's JavaScript client: every everyday call against latentdb serve", "[clients][qdrant]") {
  latentdb::testing::TempDir dir;
  const std::string data_dir = dir.Sub("data");
  {
    ServerProcess server(data_dir);
    std::string output;
    const int rc = RunClientScript("qdrant_client.cjs", server.port(), &output, std::filesystem::canonical(data_dir).string());
    INFO(output);
    CHECK(rc == 0);
    CHECK(output.find("all Qdrant client checks passed") != std::string::npos);
    HttpClient http("127.0.0.1", server.port());
    auto health = http.Request("GET", "/healthz", "");
    REQUIRE(health.ok());
    CHECK(health->status == 200);
  }
  // What the script created it also dropped: nothing is left after a restart.
  ServerProcess restarted(data_dir);
  HttpClient http("127.0.0.1", restarted.port());
  auto list = http.Request("GET", "/collections", "");
  REQUIRE(list.ok());
  CHECK(list->body.find("qc_") == std::string::npos);
}

TEST_CASE("Qdrant's JavaScript client against a three-node cluster and a sharded collection", "[clients][qdrant]") {
  latentdb::testing::TempDir dir;
  latentdb::testing::EtcdCluster etcd(dir.Sub("etcd"));
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  std::string urls;
  for (int n = 1; n <= 3; ++n) {
    nodes.push_back(std::make_unique<ServerProcess>(
        dir.Sub("n" + std::to_string(n)),
        latentdb::testing::ServeClusterArgs(etcd, n)));
    urls += " " + ShellQuoted("http://127.0.0.1:" + std::to_string(nodes.back()->port()));
  }
  std::string output;
  const int rc = RunShellCommand("NODE_PATH=" + ShellQuoted(LATENTDB_CLIENT_MODULES) + " " + std::string(LATENTDB_NODE) +
                                     " " + ShellQuoted(std::string(LATENTDB_CLIENT_SCRIPTS) + "/qdrant_cluster_client.cjs") +
                                     urls,
                                 &output);
  INFO(output);
  CHECK(rc == 0);
  CHECK(output.find("all Qdrant cluster client checks passed") != std::string::npos);
}

TEST_CASE("GET /openapi.json is a valid OpenAPI 3 document (swagger-parser)", "[clients][openapi]") {
  latentdb::testing::TempDir dir;
  ServerProcess server(dir.Sub("data"), {"--api-key", "k3y"});  // the document is open without it
  std::string output;
  const int rc = RunClientScript("validate_openapi.cjs", server.port(), &output);
  INFO(output);
  CHECK(rc == 0);
  CHECK(output.find("valid OpenAPI 3.") != std::string::npos);
}
