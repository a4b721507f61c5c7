// The image folder source: a folder tree the test writes (real PNG, JPEG and BMP files, a text
// file, an empty image file), read back through OpenSource: sorted order, rows, labels from the
// class sub-folder, the bytes of each file, and the unreadable file reported, not fatal.

#include <catch2/catch.hpp>

#include <filesystem>

#include "ingest/image_folder_source.h"
#include "ingest/source.h"
#include "tests/ingest/image_files.h"
#include "tests/ingest/ingest_files.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace latentdb::ingest;
using latentdb::testing::TempDir;

void Write(const TempDir& dir, const std::string& rel, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(dir.Sub(rel)).parent_path());
  latentdb::testing::WriteBytes(dir.Sub(rel), bytes);
}

TEST_CASE("ingest: an image folder is read recursively in sorted order with labels and paths", "[ingest]") {
  TempDir dir;
  using latentdb::testing::PatternPixels;
  const std::string png_a = latentdb::testing::PngBytes(6, 5, 1, PatternPixels(6, 5, 1, 1));
  const std::string png_b = latentdb::testing::PngBytes(4, 4, 3, PatternPixels(4, 4, 3, 2));
  const std::string bmp = latentdb::testing::BmpBytes(3, 2, 3, PatternPixels(3, 2, 3, 3));
  const std::string jpg = latentdb::testing::JpegBytes(8, 8, 3, PatternPixels(8, 8, 3, 4));
  REQUIRE(png_a.substr(1, 3) == "PNG");
  REQUIRE(jpg.substr(0, 2) == "\xff\xd8");
  Write(dir, "shoe/b.png", png_b);
  Write(dir, "shoe/a.png", png_a);
  Write(dir, "bag/x.bmp", bmp);
  Write(dir, "bag/empty.gif", "");
  Write(dir, "deep/inner/y.JPEG", jpg);
  Write(dir, "top.PNG", png_a);
  Write(dir, "notes.txt", "not an image");
  Write(dir, "shoe/readme", "no extension");

  REQUIRE(DetectFormat(dir.path()).value() == Format::kImageFolder);
  auto opened = OpenSource(dir.path(), Format::kImageFolder, {});
  REQUIRE(opened.ok());
  Source& src = **opened;
  CHECK(src.dim() == 0);
  CHECK(src.total_records() == 6u);
  CHECK(src.total_bytes() == png_a.size() * 2 + png_b.size() + bmp.size() + jpg.size());

  std::vector<DecodedRecord> recs;
  std::vector<uint64_t> rows;
  std::vector<BadRecord> bad;
  for (;;) {
    RecordBatch b;
    auto more = src.Read(4, &b);
    REQUIRE(more.ok());
    for (const auto& r : b.records) {
      DecodedRecord rec;
      REQUIRE(src.Decode(b.record(r), r.row, &rec).ok());
      recs.push_back(std::move(rec));
      rows.push_back(r.row);
    }
    bad.insert(bad.end(), b.bad.begin(), b.bad.end());
    if (!*more) break;
  }
  // Sorted by relative path: bag/empty.gif, bag/x.bmp, deep/inner/y.JPEG, shoe/a.png, shoe/b.png, top.PNG.
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].row == 0);
  CHECK(bad[0].reason == "unreadable file: bag/empty.gif: empty file");
  REQUIRE(recs.size() == 5);
  CHECK(rows == std::vector<uint64_t>{1, 2, 3, 4, 5});
  const std::vector<std::string> paths = {"bag/x.bmp", "deep/inner/y.JPEG", "shoe/a.png", "shoe/b.png", "top.PNG"};
  const std::vector<std::string> bytes = {bmp, jpg, png_a, png_b, png_a};
  for (size_t i = 0; i < recs.size(); ++i) {
    INFO(paths[i]);
    CHECK(recs[i].needs_encoding());
    CHECK(recs[i].raw.kind == RawInput::Kind::kImage);
    CHECK(recs[i].raw.bytes == bytes[i]);
    CHECK(recs[i].path == paths[i]);
    CHECK(recs[i].payload["path"] == paths[i]);
    CHECK(src.RecordName(rows[i]) == paths[i]);
  }
  CHECK(recs[0].payload["label"] == "bag");
  CHECK(recs[1].payload["label"] == "deep");
  CHECK(recs[3].payload["label"] == "shoe");
  CHECK_FALSE(recs[4].payload.contains("label"));  // directly in the folder
}

TEST_CASE("ingest: image folder errors and extensions", "[ingest]") {
  TempDir dir;
  latentdb::testing::WriteBytes(dir.Sub("file.png"), "x");
  CHECK(OpenSource(dir.Sub("file.png"), Format::kImageFolder, {}).status().code() == latentdb::StatusCode::kNotFound);
  CHECK(OpenSource(dir.Sub("missing"), Format::kImageFolder, {}).status().code() == latentdb::StatusCode::kNotFound);
  // An empty folder is a source with no records.
  std::filesystem::create_directories(dir.Sub("empty"));
  auto e = OpenSource(dir.Sub("empty"), Format::kImageFolder, {});
  REQUIRE(e.ok());
  CHECK((*e)->total_records() == 0u);
  RecordBatch b;
  CHECK_FALSE((*e)->Read(10, &b).value());
  CHECK(b.records.empty());

  for (const char* yes : {"a.png", "a.PNG", "b.jpg", "c.jpeg", "d.JPG", "e.bmp", "f.gif"}) CHECK(HasImageExtension(yes));
  for (const char* no : {"png", ".png", "a.png.txt", "a.tif", "a.webp", "a"}) CHECK_FALSE(HasImageExtension(no));
}

}  // namespace
