// `latentdb ingest` end to end: the real binary on files the test writes, into a data directory
// (offline) or a real server (online), checked by reading the data directory or the server back.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>

#include "client/http_client.h"
#include "tests/ingest/ingest_files.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace {

using latentdb::testing::Matrix;
using latentdb::testing::RunLatentdb;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
using nlohmann::json;

int Ingest(std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(), "ingest");
  args.push_back("--quiet");
  int rc = RunLatentdb(args, out);
  UNSCOPED_INFO("latentdb ingest -> " << rc << "\n" << *out);
  return rc;
}

std::vector<json> IntIds(size_t n) {
  std::vector<json> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(i);
  return ids;
}

TEST_CASE("ingest cli: offline fvecs into a new Flat collection, then a rerun changes nothing", "[ingest]") {
  TempDir dir;
  Matrix m = latentdb::testing::RandomMatrix(3000, 12, 21);
  latentdb::testing::WriteFvecs(dir.Sub("v.fvecs"), m);
  const std::string data = dir.Sub("data");
  std::string out;
  REQUIRE(Ingest({"--collection", "vecs", "--data-dir", data, "--metric", "l2", "--index", "Flat", "--batch", "256",
                  dir.Sub("v.fvecs")},
                 &out) == 0);
  CHECK(out.find("stored   3000") != std::string::npos);
  auto info = latentdb::testing::InspectCollection(data, "vecs");
  CHECK(info.exists);
  CHECK(info.size == 3000);
  CHECK(info.dim == 12);
  CHECK(info.metric == "l2");
  CHECK(info.index == "Flat");
  auto pts = latentdb::testing::ReadPoints(data, "vecs", IntIds(3000));
  size_t wrong = 0;
  for (size_t i = 0; i < 3000; ++i) wrong += !pts[i] || pts[i]->vector != m[i];
  CHECK(wrong == 0);

  // Same ids again: upserts, no duplicates; with --resume nothing is written.
  REQUIRE(Ingest({"--collection", "vecs", "--data-dir", data, dir.Sub("v.fvecs")}, &out) == 0);
  CHECK(latentdb::testing::InspectCollection(data, "vecs").size == 3000);
  REQUIRE(Ingest({"--collection", "vecs", "--data-dir", data, "--resume", dir.Sub("v.fvecs")}, &out) == 0);
  CHECK(out.find("present  3000") != std::string::npos);
  CHECK(out.find("stored   0") != std::string::npos);
}

TEST_CASE("ingest cli: offline npy, bvecs, jsonl, csv and IDX sources store their values", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  std::string out;

  Matrix m = latentdb::testing::RandomMatrix(500, 8, 22);
  latentdb::testing::WriteNpyF32(dir.Sub("m.npy"), m);
  REQUIRE(Ingest({"--collection", "npy", "--data-dir", data, dir.Sub("m.npy")}, &out) == 0);
  auto npy = latentdb::testing::ReadPoints(data, "npy", {0, 250, 499, 500});
  REQUIRE(npy[0]);
  CHECK(npy[0]->vector == m[0]);
  CHECK(npy[1]->vector == m[250]);
  CHECK(npy[2]->vector == m[499]);
  CHECK_FALSE(npy[3]);

  std::vector<std::vector<uint8_t>> b = {{1, 2, 3}, {200, 100, 0}};
  latentdb::testing::WriteBvecs(dir.Sub("b.bvecs"), b);
  REQUIRE(Ingest({"--collection", "bytes", "--data-dir", data, dir.Sub("b.bvecs")}, &out) == 0);
  CHECK(latentdb::testing::ReadPoints(data, "bytes", {1})[0]->vector == std::vector<float>{200, 100, 0});

  std::string lines;
  for (int i = 0; i < 50; ++i) {
    lines += json{{"key", "doc-" + std::to_string(i)}, {"vector", {i, 0.5, -i}}, {"payload", {{"n", i}}}}.dump() + "\n";
  }
  latentdb::testing::WriteBytes(dir.Sub("d.jsonl"), lines);
  REQUIRE(Ingest({"--collection", "docs", "--data-dir", data, "--id-from", "field:key", dir.Sub("d.jsonl")}, &out) == 0);
  auto docs = latentdb::testing::ReadPoints(data, "docs", {"doc-7", "doc-49", "doc-50"});
  REQUIRE(docs[0]);
  CHECK(docs[0]->vector == std::vector<float>{7, 0.5f, -7});
  CHECK(docs[0]->payload == json{{"n", 7}});
  REQUIRE(docs[1]);
  CHECK_FALSE(docs[2]);
  CHECK(latentdb::testing::InspectCollection(data, "docs").size == 50);

  latentdb::testing::WriteBytes(dir.Sub("t.csv"), "id,e_0,e_1,tag\n10,1.5,2,red\n11,-3,4e-2,\"blue, dark\"\n");
  REQUIRE(Ingest({"--collection", "table", "--data-dir", data, "--id-from", "field:id", "--vector-prefix", "e_",
                  dir.Sub("t.csv")},
                 &out) == 0);
  auto rows = latentdb::testing::ReadPoints(data, "table", {10, 11});
  REQUIRE(rows[1]);
  CHECK(rows[1]->vector == std::vector<float>{-3, 4e-2f});
  CHECK(rows[1]->payload == json{{"tag", "blue, dark"}});

  std::vector<uint8_t> pixels(4 * 2 * 2);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(255 - i);
  latentdb::testing::WriteIdxImages(dir.Sub("train-images-idx3-ubyte"), 4, 2, 2, pixels);
  latentdb::testing::WriteIdxLabels(dir.Sub("train-labels-idx1-ubyte"), {9, 8, 7, 6});
  REQUIRE(Ingest({"--collection", "img", "--data-dir", data, "--metric", "l2", dir.Sub("train-images-idx3-ubyte")}, &out) == 0);
  auto img = latentdb::testing::ReadPoints(data, "img", {3});
  REQUIRE(img[0]);
  CHECK(img[0]->vector == std::vector<float>{243, 242, 241, 240});
  CHECK(img[0]->payload == json{{"label", 6}});
}

TEST_CASE("ingest cli: CSV and JSONL files that start with a UTF-8 BOM store what a file without it stores", "[ingest][bom]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  const std::string bom = "\xEF\xBB\xBF";
  std::string out;
  // Excel's "CSV UTF-8": with the BOM in the first column's name, --vector-prefix e_ used to drop
  // e_0 and store 1-d vectors with exit code 0.
  latentdb::testing::WriteBytes(dir.Sub("t.csv"), bom + "e_0,e_1,id\r\n1.5,2,10\r\n-3,4,11\r\n");
  REQUIRE(Ingest({"--collection", "table", "--data-dir", data, "--id-from", "field:id", "--vector-prefix", "e_",
                  dir.Sub("t.csv")},
                 &out) == 0);
  auto rows = latentdb::testing::ReadPoints(data, "table", {10, 11});
  REQUIRE(rows[1]);
  CHECK(rows[1]->vector == std::vector<float>{-3, 4});
  // The id column named first ("no CSV column 'id'" before).
  latentdb::testing::WriteBytes(dir.Sub("u.csv"), bom + "id,e_0,e_1\n10,1.5,2\n");
  REQUIRE(Ingest({"--collection", "ids", "--data-dir", data, "--id-from", "field:id", "--vector-prefix", "e_", dir.Sub("u.csv")},
                 &out) == 0);
  auto ids = latentdb::testing::ReadPoints(data, "ids", {10});
  REQUIRE(ids[0]);
  CHECK(ids[0]->vector == std::vector<float>{1.5f, 2});
  latentdb::testing::WriteBytes(dir.Sub("d.jsonl"), bom + "{\"key\": \"a\", \"vector\": [1, 2]}\n{\"key\": \"b\", \"vector\": [3, 4]}\n");
  REQUIRE(Ingest({"--collection", "docs", "--data-dir", data, "--id-from", "field:key", dir.Sub("d.jsonl")}, &out) == 0);
  auto docs = latentdb::testing::ReadPoints(data, "docs", {"a", "b"});
  REQUIRE(docs[0]);
  CHECK(docs[0]->vector == std::vector<float>{1, 2});
}

TEST_CASE("ingest cli: bad items are skipped and reported, --strict turns skips into exit 1", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  Matrix m = latentdb::testing::RandomMatrix(100, 4, 23);
  m[42][1] = std::nanf("");
  latentdb::testing::WriteFvecs(dir.Sub("n.fvecs"), m);
  std::string out;
  REQUIRE(Ingest({"--collection", "n", "--data-dir", data, dir.Sub("n.fvecs")}, &out) == 0);
  CHECK(out.find("n.fvecs row 42: NaN/Inf") != std::string::npos);
  CHECK(latentdb::testing::InspectCollection(data, "n").size == 99);
  CHECK_FALSE(latentdb::testing::ReadPoints(data, "n", {42})[0]);
  CHECK(Ingest({"--collection", "n2", "--data-dir", data, "--strict", dir.Sub("n.fvecs")}, &out) == 1);
  CHECK(out.find("--strict: 1 item(s) skipped") != std::string::npos);
  CHECK(latentdb::testing::InspectCollection(data, "n2").size == 99);  // still stored the good ones
}

TEST_CASE("ingest cli: a corrupt file among the sources is reported and skipped", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  Matrix good = latentdb::testing::RandomMatrix(40, 3, 24);
  latentdb::testing::WriteFvecs(dir.Sub("good.fvecs"), good);
  latentdb::testing::WriteBytes(dir.Sub("corrupt.npy"), std::string("\x93NUMPY\x01\x00\xff\xff", 10) + "junk");
  Matrix cut = latentdb::testing::RandomMatrix(10, 3, 25);
  latentdb::testing::WriteFvecs(dir.Sub("cut.fvecs"), cut);
  std::string bytes = latentdb::testing::ReadBytes(dir.Sub("cut.fvecs"));
  latentdb::testing::WriteBytes(dir.Sub("cut.fvecs"), bytes.substr(0, bytes.size() - 5));
  std::string out;
  REQUIRE(Ingest({"--collection", "mix", "--data-dir", data, dir.Sub("corrupt.npy"), dir.Sub("good.fvecs"), dir.Sub("cut.fvecs")},
                 &out) == 0);
  CHECK(out.find("unreadable file") != std::string::npos);
  CHECK(out.find("corrupt.npy") != std::string::npos);
  CHECK(out.find("cut.fvecs row 9: short record") != std::string::npos);
  CHECK(out.find("warning: ") != std::string::npos);
  CHECK(latentdb::testing::InspectCollection(data, "mix").size == 49);
  auto pts = latentdb::testing::ReadPoints(data, "mix", {"good.fvecs:39", "cut.fvecs:8", "cut.fvecs:9"});
  REQUIRE(pts[0]);
  CHECK(pts[0]->vector == good[39]);
  REQUIRE(pts[1]);
  CHECK(pts[1]->vector == cut[8]);
  CHECK_FALSE(pts[2]);
}

TEST_CASE("ingest cli: usage errors, encoders and text sources exit 2 with a clear message", "[ingest]") {
  TempDir dir;
  latentdb::testing::WriteBytes(dir.Sub("a.txt"), "a document\n");
  latentdb::testing::WriteFvecs(dir.Sub("a.fvecs"), latentdb::testing::RandomMatrix(2, 2, 1));
  std::string out;
  CHECK(Ingest({"--collection", "t", "--data-dir", dir.Sub("data"), "--encoder", "cnn-fashion", dir.Sub("a.fvecs")}, &out) == 2);
  CHECK(out.find("unknown encoder/model 'cnn-fashion'") != std::string::npos);
  CHECK(Ingest({"--collection", "t", "--data-dir", dir.Sub("data"), dir.Sub("a.txt")}, &out) == 2);
  CHECK(out.find("needs an encoder") != std::string::npos);
  CHECK(Ingest({"--collection", "t", "--data-dir", dir.Sub("data"), dir.path()}, &out) == 2);
  CHECK(out.find("needs an encoder") != std::string::npos);
  CHECK(Ingest({"--data-dir", dir.Sub("data"), dir.Sub("a.fvecs")}, &out) == 2);
  CHECK(out.find("--collection is required") != std::string::npos);
  CHECK(Ingest({"--collection", "../x", dir.Sub("a.fvecs")}, &out) == 2);
  CHECK(Ingest({"--collection", "t", "--id-from", "field:id", "--data-dir", dir.Sub("data"), dir.Sub("a.fvecs")}, &out) == 2);
  CHECK(Ingest({"--collection", "t", "--data-dir", dir.Sub("data"), dir.Sub("missing.fvecs")}, &out) == 2);
}

TEST_CASE("ingest cli: offline mode fails at once when a server holds the data directory", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  latentdb::testing::WriteFvecs(dir.Sub("a.fvecs"), latentdb::testing::RandomMatrix(10, 2, 1));
  ServerProcess server(data);
  std::string out;
  CHECK(Ingest({"--collection", "c", "--data-dir", data, dir.Sub("a.fvecs")}, &out) == 1);
  CHECK(out.find("is in use: lock file") != std::string::npos);
  CHECK(out.find("LOCK.latentdb") != std::string::npos);
  CHECK(out.find("stored") == std::string::npos);
}

json GetJson(latentdb::client::HttpClient& c, const std::string& target) {
  auto r = c.Request("GET", target);
  REQUIRE(r.ok());
  INFO(target << " -> " << r->status << " " << r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body)["result"];
}

TEST_CASE("ingest cli: online mode over HTTP with an API key, and --resume", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  Matrix m = latentdb::testing::RandomMatrix(2500, 16, 26);
  latentdb::testing::WriteFvecs(dir.Sub("v.fvecs"), m);
  ServerProcess server(data, {"--api-key", "s3cret"});
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  std::string out;

  CHECK(Ingest({"--collection", "web", "--url", url, dir.Sub("v.fvecs")}, &out) == 1);
  CHECK(out.find("401") != std::string::npos);

  REQUIRE(Ingest({"--collection", "web", "--url", url, "--api-key", "s3cret", "--metric", "ip", "--batch", "300",
                  dir.Sub("v.fvecs")},
                 &out) == 0);
  CHECK(out.find("stored   2500") != std::string::npos);
  latentdb::client::HttpClient client("127.0.0.1", server.port());
  client.SetHeader("api-key", "s3cret");
  json info = GetJson(client, "/collections/web");
  CHECK(info["points_count"] == 2500);
  CHECK(info["config"]["dim"] == 16);
  CHECK(info["config"]["metric"] == "ip");
  for (size_t i : {0u, 1234u, 2499u}) {
    json p = GetJson(client, "/collections/web/points/" + std::to_string(i));
    std::vector<float> v = p["vector"].get<std::vector<float>>();
    CHECK(v == m[i]);  // bit-exact through the JSON round trip
  }

  // The environment variable works too; --resume finds everything stored.
  setenv("LATENTDB_API_KEY", "s3cret", 1);
  REQUIRE(Ingest({"--collection", "web", "--url", url, "--resume", dir.Sub("v.fvecs")}, &out) == 0);
  unsetenv("LATENTDB_API_KEY");
  CHECK(out.find("present  2500") != std::string::npos);
  CHECK(GetJson(client, "/collections/web")["points_count"] == 2500);

  // A server that is not there: a clear failure, not a hang.
  CHECK(Ingest({"--collection", "web", "--url", "http://127.0.0.1:1", dir.Sub("v.fvecs")}, &out) == 1);
  CHECK(out.find("connecting") != std::string::npos);
}

}  // namespace
