// `latentdb ingest --encoder` end to end with a word model: offline (the tool encodes) and online
// (the tool sends the text, the server encodes with the collection's model); both store the same
// vectors, the mean of unit word vectors computed by the test.

#include <catch2/catch.hpp>

#include <cmath>

#include "tests/ingest/ingest_files.h"
#include "tests/ingest/word_model_files.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace {

using latentdb::testing::RunLatentdb;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
using latentdb::testing::TinyTextVector;

int Ingest(std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(), "ingest");
  args.push_back("--quiet");
  int rc = RunLatentdb(args, out);
  UNSCOPED_INFO("latentdb ingest -> " << rc << "\n" << *out);
  return rc;
}

bool Close(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::fabs(a[i] - b[i]) > 1e-6f) return false;
  }
  return true;
}

void CheckDocs(const std::string& data, const std::string& collection) {
  auto pts = latentdb::testing::ReadPoints(data, collection, {0, 1, 2});
  REQUIRE(pts[0]);
  REQUIRE(pts[1]);
  CHECK_FALSE(pts[2]);
  CHECK(Close(pts[0]->vector, TinyTextVector({"king", "man"})));
  CHECK(Close(pts[1]->vector, TinyTextVector({"apple"})));
  auto info = latentdb::testing::InspectCollection(data, collection);
  CHECK(info.dim == 3);
  CHECK(info.size == 2);
}

TEST_CASE("ingest cli: text with a word model, offline and online, stores the same text vectors", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  latentdb::testing::ImportTinyWordModel(data, dir.Sub("w.txt"), "tiny");
  latentdb::testing::WriteBytes(dir.Sub("docs.txt"), "King man\napple\nnothing known\n");
  std::string out;

  REQUIRE(Ingest({"--collection", "off", "--data-dir", data, "--encoder", "tiny", dir.Sub("docs.txt")}, &out) == 0);
  CHECK(out.find("stored   2") != std::string::npos);
  CHECK(out.find("bad text: no token of the text has a vector") != std::string::npos);
  CheckDocs(data, "off");
  // --strict: the unknown line makes the run fail after storing the rest.
  CHECK(Ingest({"--collection", "off", "--data-dir", data, "--encoder", "tiny", "--strict", dir.Sub("docs.txt")}, &out) == 1);

  // A text file needs a word model; an unknown model is a usage error.
  CHECK(Ingest({"--collection", "x", "--data-dir", data, "--encoder", "nope", dir.Sub("docs.txt")}, &out) == 2);
  CHECK(out.find("unknown encoder/model 'nope'") != std::string::npos);
  // A collection bound to no encoder refuses encoded input (the server could not encode queries).
  latentdb::testing::WriteFvecs(dir.Sub("v.fvecs"), latentdb::testing::RandomMatrix(2, 3, 1));
  REQUIRE(Ingest({"--collection", "raw", "--data-dir", data, dir.Sub("v.fvecs")}, &out) == 0);
  CHECK(Ingest({"--collection", "raw", "--data-dir", data, "--encoder", "tiny", dir.Sub("docs.txt")}, &out) == 2);
  CHECK(out.find("has no encoder, not 'tiny'") != std::string::npos);

  {
    ServerProcess server(data);
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    REQUIRE(Ingest({"--collection", "on", "--url", url, "--encoder", "tiny", dir.Sub("docs.txt")}, &out) == 0);
    CHECK(out.find("stored   2") != std::string::npos);
    CHECK(out.find("refused by the collection") != std::string::npos);  // the server refuses it, alone
    CHECK(Ingest({"--collection", "on2", "--url", url, "--encoder", "nope", dir.Sub("docs.txt")}, &out) == 2);
    CHECK(out.find("unknown encoder/model 'nope'") != std::string::npos);
    REQUIRE(server.Terminate() == 0);
  }
  CheckDocs(data, "on");
}

}  // namespace
