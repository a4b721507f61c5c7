// Snapshot routes and `latentdb snapshot` on a real server process (issue 14): a snapshot
// downloaded, uploaded (multipart as Qdrant's clients send it, or raw) and recovered from the
// snapshots folder restores the collection as it was; hostile names, locations and files answer
// 4xx and change nothing; a restore survives kill -9; the command line restores offline and
// refuses while a server holds the directory.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "client/http_client.h"
#include "common/sha256.h"
#include "tests/support/http_reply.h"
#include "tests/support/server_process.h"
#include "tests/support/shell_command.h"
#include "tests/support/temp_dir.h"

using namespace latentdb::testing;
using latentdb::client::HttpClient;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json Points(int n, int first = 0) {
  json points = json::array();
  for (int i = first; i < first + n; ++i) {
    points.push_back({{"id", i}, {"vector", {1.0 + i, 0.5 * i, 1.0}}, {"payload", {{"color", i % 2 ? "red" : "blue"}, {"n", i}}}});
  }
  return points;
}

json Everything(HttpClient& client, const std::string& c) {
  return Ok(client, "POST", "/collections/" + c + "/points/scroll", {{"limit", 1000}, {"with_vector", true}})["points"];
}

std::string Multipart(const std::string& field, const std::string& bytes) {
  return "--XyZzY\r\nContent-Disposition: form-data; name=\"" + field +
         "\"; filename=\"a.snapshot\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n--XyZzY--\r\n";
}
const std::string kMultipartType = "multipart/form-data; boundary=XyZzY";

Reply Upload(HttpClient& client, const std::string& collection, const std::string& bytes, const std::string& query = "") {
  return Send(client, "POST", "/collections/" + collection + "/snapshots/upload" + query, Multipart("snapshot", bytes),
              kMultipartType);
}

// Runs `latentdb snapshot ARGS`; `output` gets its stdout and stderr (only this run's).
int RunCli(const std::string& args, std::string* output) {
  output->clear();
  return RunShellCommand(ShellQuoted(LatentdbBinary()) + " snapshot " + args + " 2>&1", output);
}

}  // namespace

TEST_CASE("snapshot routes: create, list, download, upload, recover, delete", "[http][snapshot]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  ServerProcess server(data);
  HttpClient client("127.0.0.1", server.port());
  CHECK(Ok(client, "PUT", "/collections/s", {{"vectors", {{"size", 3}, {"distance", "Euclid"}}}}) == true);
  Ok(client, "PUT", "/collections/s/points", {{"points", Points(40)}});
  Ok(client, "PUT", "/collections/s/index", {{"field_name", "color"}, {"field_schema", "keyword"}});
  const json before = Everything(client, "s");

  const json info = Ok(client, "POST", "/collections/s/snapshots");
  const std::string name = info["name"];
  CHECK(info["size"].get<uint64_t>() > 0);
  CHECK(info["checksum"].get<std::string>().size() == 64);
  CHECK(info["creation_time"].get<std::string>().size() == 19);
  const json listed = Ok(client, "GET", "/collections/s/snapshots");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0] == info);

  const Reply file = Send(client, "GET", "/collections/s/snapshots/" + name, "");
  REQUIRE(file.status == 200);
  CHECK(file.content_type == "application/octet-stream");
  CHECK(file.raw.size() == info["size"].get<size_t>());
  std::ofstream(dir.Sub("downloaded.snapshot"), std::ios::binary) << file.raw;
  CHECK(*latentdb::Sha256File(dir.Sub("downloaded.snapshot")) == info["checksum"]);

  // Changes after the snapshot, which a restore over "s" undoes.
  Ok(client, "PUT", "/collections/s/points", {{"points", Points(5, 100)}});
  Ok(client, "POST", "/collections/s/points/delete", {{"points", {1, 2, 3}}});

  SECTION("uploaded as Qdrant's clients send it, raw, and recovered from the snapshots folder") {
    CHECK(Ok(Upload(client, "u", file.raw, "?priority=snapshot&checksum=" + info["checksum"].get<std::string>())) == true);
    CHECK(Everything(client, "u") == before);
    CHECK(Ok(Send(client, "POST", "/collections/s/snapshots/upload", file.raw, "application/octet-stream")) == true);
    CHECK(Everything(client, "s") == before);
    CHECK(Ok(client, "PUT", "/collections/r/snapshots/recover", {{"location", "s/" + name}}) == true);
    CHECK(Everything(client, "r") == before);
    CHECK(Ok(client, "PUT", "/collections/r2/snapshots/recover",
             {{"location", "file://" + fs::canonical(data).string() + "/snapshots/s/" + name}, {"priority", "replica"}}) == true);
    CHECK(Everything(client, "r2") == before);
    // The payload index came along and answers filters.
    const json count = Ok(client, "POST", "/collections/r/points/count", {{"filter", {{"must", {{{"key", "color"}, {"match", {{"value", "red"}}}}}}}}});
    CHECK(count["count"] == 20);
    const json r_info = Ok(client, "GET", "/collections/r");
    CHECK(r_info["payload_schema"].contains("color"));
    // kill -9 right after: the restored collections are there when the server starts again.
    server.Kill();
    ServerProcess again(data);
    HttpClient c2("127.0.0.1", again.port());
    CHECK(Everything(c2, "r") == before);
    CHECK(Everything(c2, "s") == before);
    CHECK(Everything(c2, "u") == before);
  }

  SECTION("hostile names, locations and files answer 4xx and change nothing") {
    const json s_now = Everything(client, "s");
    Fails(Send(client, "GET", "/collections/s/snapshots/..%2F..%2Fstore%2FCURRENT", ""), 400, "not a snapshot name");
    Fails(Send(client, "GET", "/collections/s/snapshots/missing.snapshot", ""), 404);
    Fails(Send(client, "GET", "/collections/..%2Fs/snapshots/" + name, ""), 400);
    Fails(Send(client, "GET", "/snapshots/..%2Fs%2F" + name, ""), 400);
    Fails(Send(client, "DELETE", "/snapshots/" + name, ""), 404);  // a collection's, not a full one
    Fails(SendJson(client, "POST", "/collections/missing/snapshots"), 404);
    const std::vector<json> bad_recover = {
        {{"location", "file:///etc/passwd"}},
        {{"location", "../../store/CURRENT"}},
        {{"location", "s/../../store/CURRENT"}},
        {{"location", "http://127.0.0.1:1/x.snapshot"}},
        {{"location", 7}},
        {{"location", "s/" + name}, {"priority", "urgent"}},
        {{"location", "s/" + name}, {"checksum", std::string(64, '0')}},
        {{"location", "s/" + name}, {"unknown", true}},
        json::object(),
    };
    for (const json& body : bad_recover) {
      INFO(body.dump());
      Fails(SendJson(client, "PUT", "/collections/s/snapshots/recover", body), 400);
    }
    Fails(SendJson(client, "PUT", "/collections/s/snapshots/recover", {{"location", "s/none.snapshot"}}), 404);
    std::string damaged = file.raw;
    damaged[damaged.size() / 2] ^= 0x20;
    const std::vector<std::string> bad_files = {"", "not a tar", damaged, file.raw.substr(0, file.raw.size() / 3)};
    for (const std::string& bytes : bad_files) {
      Fails(Upload(client, "s", bytes), 400);
      Fails(Upload(client, "fresh", bytes), 400);
    }
    Fails(Send(client, "POST", "/collections/s/snapshots/upload", Multipart("other", file.raw), kMultipartType), 400, "snapshot");
    Fails(Send(client, "POST", "/collections/s/snapshots/upload", "--x\r\n", "multipart/form-data"), 400, "boundary");
    Fails(Upload(client, "s", file.raw, "?checksum=abc"), 400, "SHA-256");
    CHECK(Everything(client, "s") == s_now);
    Fails(Send(client, "GET", "/collections/fresh", ""), 404);
    CHECK(Ok(client, "GET", "/collections")["collections"].size() == 1);
    CHECK((!fs::exists(data + "/snapshots/.tmp") || fs::is_empty(data + "/snapshots/.tmp")));
  }

  SECTION("deleted snapshots and whole-database snapshots") {
    CHECK(Ok(client, "DELETE", "/collections/s/snapshots/" + name) == true);
    CHECK(Ok(client, "GET", "/collections/s/snapshots").empty());
    Fails(Send(client, "GET", "/collections/s/snapshots/" + name, ""), 404);
    const json full = Ok(client, "POST", "/snapshots");
    CHECK(full["name"].get<std::string>().starts_with("full-snapshot-"));
    CHECK(Ok(client, "GET", "/snapshots").size() == 1);
    const Reply full_file = Send(client, "GET", "/snapshots/" + full["name"].get<std::string>(), "");
    CHECK(full_file.status == 200);
    CHECK(full_file.raw.size() == full["size"].get<size_t>());
    // A full snapshot is refused where a collection's is expected.
    Fails(Upload(client, "x", full_file.raw), 400, "full snapshot");
    CHECK(Ok(client, "DELETE", "/snapshots/" + full["name"].get<std::string>()) == true);
    CHECK(Ok(client, "GET", "/snapshots").empty());
  }
}

TEST_CASE("latentdb snapshot: offline create and restore, refused while a server holds the directory",
          "[http][snapshot][tools]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  json before;
  {
    ServerProcess server(data);
    HttpClient client("127.0.0.1", server.port());
    Ok(client, "PUT", "/collections/s", {{"vectors", {{"size", 3}, {"distance", "Cosine"}}}});
    Ok(client, "PUT", "/collections/s/points", {{"points", Points(30)}});
    before = Everything(client, "s");
    std::string output;
    CHECK(RunCli("create s --data-dir " + ShellQuoted(data), &output) == 1);
    CHECK(output.find("use its routes") != std::string::npos);
  }
  std::string output;
  REQUIRE(RunCli("create s --data-dir " + ShellQuoted(data), &output) == 0);
  const std::string path = output.substr(output.find(data), output.find(".snapshot") + 9 - output.find(data));
  REQUIRE(fs::exists(path));
  CHECK(RunCli("list s --data-dir " + ShellQuoted(data), &output) == 0);
  CHECK(output.find(path) != std::string::npos);
  REQUIRE(RunCli("restore " + ShellQuoted(path) + " --collection copy --data-dir " + ShellQuoted(data), &output) == 0);
  CHECK(RunCli("restore " + ShellQuoted(path) + " --data-dir " + ShellQuoted(data), &output) == 2);
  CHECK(RunCli("restore /etc/passwd --collection bad --data-dir " + ShellQuoted(data), &output) == 2);
  CHECK(RunCli("create --full --data-dir " + ShellQuoted(data), &output) == 0);
  const std::string full = output.substr(output.find(data), output.find(".snapshot") + 9 - output.find(data));
  INFO(full);
  const int restored = RunCli("restore " + ShellQuoted(full) + " --full --data-dir " + ShellQuoted(dir.Sub("other")), &output);
  INFO(output);
  REQUIRE(restored == 0);
  for (const std::string& d : {data, dir.Sub("other")}) {
    ServerProcess server(d);
    HttpClient client("127.0.0.1", server.port());
    CHECK(Everything(client, "copy") == before);
    CHECK(Everything(client, "s") == before);
    Fails(Send(client, "GET", "/collections/bad", ""), 404);
  }
}
