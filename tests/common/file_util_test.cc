// AtomicFileWriter: streamed files appear only on Commit(), with the checksum of what was written.
// DirLock: one holder per data directory. The UTF-8 BOM helpers every text reader uses.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>

#include "common/dir_lock.h"
#include "common/file_util.h"
#include "common/mapped_file.h"
#include "common/utf8_bom.h"
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

TEST_CASE("DirLock: a second holder fails at once, naming the directory and the holder's pid", "[common][lock]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  auto first = latentdb::DirLock::Acquire(data);  // creates the directory
  REQUIRE(first.ok());
  // flock locks belong to an open file description: a second open in this process conflicts
  // exactly as another process would.
  auto second = latentdb::DirLock::Acquire(data);
  REQUIRE(!second.ok());
  CHECK(second.status().code() == latentdb::StatusCode::kBusy);
  CHECK(second.status().message().find("data directory '" + data + "' is in use") != std::string::npos);
  CHECK(second.status().message().find("by pid " + std::to_string(::getpid())) != std::string::npos);
  first->reset();
  CHECK(latentdb::DirLock::Acquire(data).ok());
}

TEST_CASE("UTF-8 BOM helpers drop the mark at the start only", "[common][bom]") {
  const std::string bom = "\xEF\xBB\xBF";
  CHECK(latentdb::SkipUtf8Bom(std::string_view(bom + "id,x")) == "id,x");
  CHECK(latentdb::SkipUtf8Bom(std::string_view("id," + bom)) == "id," + bom);
  CHECK(latentdb::SkipUtf8Bom(std::string_view("\xEF\xBB")) == "\xEF\xBB");  // a partial mark is data
  std::string s = bom + bom + "x";
  CHECK(latentdb::StripUtf8Bom(&s));
  CHECK(s == bom + "x");  // one mark only: a second one is text
}

TEST_CASE("MappedFile maps empty and large files, keeps a file replaced by rename, refuses what is not a file", "[common]") {
  TempDir dir;
  const std::string big = Pattern(5 << 20, 'm');
  REQUIRE(latentdb::WriteFileAtomically(dir.Sub("big"), big).ok());
  REQUIRE(latentdb::WriteFileAtomically(dir.Sub("empty"), "").ok());
  {
    auto mapped = latentdb::MappedFile::Open(dir.Sub("big"));
    REQUIRE(mapped.ok());
    CHECK(mapped->bytes() == big);
    // The project replaces files by rename: a mapping of the old file stays whole.
    REQUIRE(latentdb::WriteFileAtomically(dir.Sub("big"), "new").ok());
    CHECK(mapped->bytes() == big);
    latentdb::MappedFile moved = std::move(*mapped);
    CHECK(moved.bytes() == big);
    CHECK(mapped->bytes().empty());
  }
  auto empty = latentdb::MappedFile::Open(dir.Sub("empty"));
  REQUIRE(empty.ok());
  CHECK(empty->bytes().empty());
  auto missing = latentdb::MappedFile::Open(dir.Sub("none"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == latentdb::StatusCode::kNotFound);
  auto directory = latentdb::MappedFile::Open(dir.path());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.status().code() == latentdb::StatusCode::kInvalidArgument);
}
