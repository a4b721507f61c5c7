// AtomicFileWriter: streamed files appear only on Commit(), with the checksum of what was written.
#include <catch2/catch.hpp>

#include <string>

#include "common/file_util.h"
#include "tests/support/temp_dir.h"

using latentdb::AtomicFileWriter;
using latentdb::testing::TempDir;

namespace {

// Bytes with a pattern that a lost or reordered block would change.
std::string Pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 31 + (i >> 10));
  return s;
}

}  // namespace

TEST_CASE("AtomicFileWriter streams small and large appends in order and publishes on Commit", "[common]") {
  TempDir dir;
  const std::string path = dir.Sub("file.bin");
  REQUIRE(latentdb::WriteFileAtomically(path, "old contents").ok());

  // Small appends are buffered, a 3 MB one goes straight to the file: the order must hold.
  const std::string a = Pattern(100, 'a'), b = Pattern(3 << 20, 'b'), c = Pattern(5000, 'c');
  auto file = AtomicFileWriter::Create(path);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append(a).ok());
  REQUIRE((*file)->Append(b).ok());
  REQUIRE((*file)->Append(c).ok());
  CHECK((*file)->size() == a.size() + b.size() + c.size());
  CHECK((*file)->crc() == latentdb::Crc32(a + b + c));
  // Before Commit the target still holds the old file.
  CHECK(*latentdb::ReadWholeFile(path) == "old contents");
  REQUIRE((*file)->Commit(/*sync=*/false).ok());
  CHECK(*latentdb::ReadWholeFile(path) == a + b + c);
  CHECK_FALSE(latentdb::PathExists(path + ".tmp"));
  CHECK_FALSE((*file)->Append("more").ok());  // committed: closed
}

TEST_CASE("an AtomicFileWriter dropped without Commit leaves the old file and no temporary", "[common]") {
  TempDir dir;
  const std::string path = dir.Sub("file.bin");
  REQUIRE(latentdb::WriteFileAtomically(path, "kept").ok());
  {
    auto file = AtomicFileWriter::Create(path);
    REQUIRE(file.ok());
    REQUIRE((*file)->Append(Pattern(2 << 20, 'x')).ok());
    CHECK(latentdb::PathExists(path + ".tmp"));
  }
  CHECK(*latentdb::ReadWholeFile(path) == "kept");
  CHECK_FALSE(latentdb::PathExists(path + ".tmp"));
}

TEST_CASE("ReadWholeFile reads empty and large files and reports a missing one", "[common]") {
  TempDir dir;
  const std::string big = Pattern(5 << 20, 'r');
  REQUIRE(latentdb::WriteFileAtomically(dir.Sub("big"), big).ok());
  REQUIRE(latentdb::WriteFileAtomically(dir.Sub("empty"), "").ok());
  CHECK(*latentdb::ReadWholeFile(dir.Sub("big")) == big);
  CHECK(latentdb::ReadWholeFile(dir.Sub("empty"))->empty());
  auto missing = latentdb::ReadWholeFile(dir.Sub("none"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == latentdb::StatusCode::kNotFound);
}
