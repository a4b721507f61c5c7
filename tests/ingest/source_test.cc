// Unit tests of the ingest sources: each format is written to disk by the test (see
// ingest_files.h) and read back through OpenSource, record by record, and the decoded values are
// compared with what was written.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "ingest/line_source.h"
#include "formats/npy.h"
#include "ingest/npy_source.h"
#include "ingest/point_json.h"
#include "ingest/source.h"
#include "tests/ingest/ingest_files.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace latentdb::ingest;
namespace formats = latentdb::formats;
using latentdb::testing::Matrix;
using latentdb::testing::TempDir;
using nlohmann::json;

struct ReadAll {
  std::vector<DecodedRecord> records;
  std::vector<uint64_t> rows;
  std::vector<std::string> decode_errors;  // "row: reason"
  std::vector<BadRecord> bad;
  latentdb::Status read_error;
};

ReadAll ReadEverything(Source& s, size_t batch = 7) {
  ReadAll out;
  for (;;) {
    RecordBatch b;
    auto more = s.Read(batch, &b);
    for (const auto& r : b.records) {
      DecodedRecord rec;
      latentdb::Status st = s.Decode(b.record(r), r.row, &rec);
      if (st.ok()) {
        out.records.push_back(std::move(rec));
        out.rows.push_back(r.row);
      } else {
        out.decode_errors.push_back(std::to_string(r.row) + ": " + st.message());
      }
    }
    out.bad.insert(out.bad.end(), b.bad.begin(), b.bad.end());
    if (!more.ok()) {
      out.read_error = more.status();
      break;
    }
    if (!*more) break;
  }
  return out;
}

std::unique_ptr<Source> Open(const std::string& path, Format f, const SourceOptions& o = {}) {
  auto s = OpenSource(path, f, o);
  INFO(path << ": " << (s.ok() ? "ok" : s.status().ToString()));
  REQUIRE(s.ok());
  return std::move(*s);
}

TEST_CASE("ingest: fvecs records decode to the floats written, with rows in order", "[ingest]") {
  TempDir dir;
  Matrix m = latentdb::testing::RandomMatrix(23, 5, 1);
  latentdb::testing::WriteFvecs(dir.Sub("a.fvecs"), m);
  auto src = Open(dir.Sub("a.fvecs"), Format::kFvecs);
  CHECK(src->dim() == 5);
  CHECK(src->total_records() == 23u);
  CHECK(src->warning().empty());
  auto all = ReadEverything(*src);
  REQUIRE(all.records.size() == 23);
  for (size_t i = 0; i < 23; ++i) {
    CHECK(all.rows[i] == i);
    CHECK(all.records[i].vector == m[i]);
  }
  CHECK(all.bad.empty());
  CHECK(all.read_error.ok());
}

TEST_CASE("ingest: a truncated fvecs file yields its complete records and one short record", "[ingest]") {
  TempDir dir;
  Matrix m = latentdb::testing::RandomMatrix(10, 4, 2);
  latentdb::testing::WriteFvecs(dir.Sub("t.fvecs"), m);
  std::string bytes = latentdb::testing::ReadBytes(dir.Sub("t.fvecs"));
  latentdb::testing::WriteBytes(dir.Sub("t.fvecs"), bytes.substr(0, bytes.size() - 7));
  auto src = Open(dir.Sub("t.fvecs"), Format::kFvecs);
  CHECK_FALSE(src->warning().empty());
  auto all = ReadEverything(*src, 4);
  REQUIRE(all.records.size() == 9);
  CHECK(all.records[8].vector == m[8]);
  REQUIRE(all.bad.size() == 1);
  CHECK(all.bad[0].row == 9);
  CHECK(all.bad[0].reason.rfind("short record", 0) == 0);
}

TEST_CASE("ingest: an fvecs record with an impossible dimension field stops the file as corrupt", "[ingest]") {
  TempDir dir;
  Matrix m = latentdb::testing::RandomMatrix(6, 3, 3);
  latentdb::testing::WriteFvecs(dir.Sub("c.fvecs"), m);
  std::string bytes = latentdb::testing::ReadBytes(dir.Sub("c.fvecs"));
  const int32_t garbage = -7;
  std::memcpy(bytes.data() + 4 * 16, &garbage, 4);  // the header of record 4 (16 bytes per record)
  latentdb::testing::WriteBytes(dir.Sub("c.fvecs"), bytes);
  auto src = Open(dir.Sub("c.fvecs"), Format::kFvecs);
  auto all = ReadEverything(*src, 100);
  CHECK(all.records.size() == 4);
  CHECK(all.read_error.code() == latentdb::StatusCode::kCorruption);
  CHECK(all.read_error.message().find("record 4") != std::string::npos);
}

TEST_CASE("ingest: bvecs and ivecs elements become floats as they are", "[ingest]") {
  TempDir dir;
  std::vector<std::vector<uint8_t>> b = {{0, 1, 255}, {7, 128, 9}};
  std::vector<std::vector<int32_t>> iv = {{-5, 0, 1 << 20}, {3, 2, 1}};
  latentdb::testing::WriteBvecs(dir.Sub("a.bvecs"), b);
  latentdb::testing::WriteIvecs(dir.Sub("a.ivecs"), iv);
  auto bs = ReadEverything(*Open(dir.Sub("a.bvecs"), Format::kBvecs));
  REQUIRE(bs.records.size() == 2);
  CHECK(bs.records[0].vector == std::vector<float>{0, 1, 255});
  CHECK(bs.records[1].vector == std::vector<float>{7, 128, 9});
  auto is = ReadEverything(*Open(dir.Sub("a.ivecs"), Format::kIvecs));
  REQUIRE(is.records.size() == 2);
  CHECK(is.records[0].vector == std::vector<float>{-5, 0, 1 << 20});
}

TEST_CASE("ingest: npy float32 and uint8 matrices read row by row", "[ingest]") {
  TempDir dir;
  Matrix m = latentdb::testing::RandomMatrix(17, 6, 4);
  latentdb::testing::WriteNpyF32(dir.Sub("f.npy"), m);
  auto f = Open(dir.Sub("f.npy"), Format::kNpy);
  CHECK(f->dim() == 6);
  CHECK(f->total_records() == 17u);
  auto all = ReadEverything(*f, 5);
  REQUIRE(all.records.size() == 17);
  for (size_t i = 0; i < 17; ++i) CHECK(all.records[i].vector == m[i]);

  std::vector<std::vector<uint8_t>> u = {{1, 2}, {250, 0}, {9, 9}};
  latentdb::testing::WriteNpyU8(dir.Sub("u.npy"), u);
  auto us = ReadEverything(*Open(dir.Sub("u.npy"), Format::kNpy));
  REQUIRE(us.records.size() == 3);
  CHECK(us.records[1].vector == std::vector<float>{250, 0});
}

TEST_CASE("ingest: npy layouts other than C-order 2-D <f4/|u1 are refused by name", "[ingest]") {
  TempDir dir;
  auto refuse = [&](const std::string& dict, const std::string& expect) {
    latentdb::testing::WriteNpyRaw(dir.Sub("x.npy"), dict, std::string(64, '\0'));
    auto s = OpenSource(dir.Sub("x.npy"), Format::kNpy, {});
    INFO(dict);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == latentdb::StatusCode::kUnsupportedMedia);
    CHECK(s.status().message().find(expect) != std::string::npos);
  };
  refuse("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 4), }", "'<f8'");
  refuse("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 4), }", "'>f4'");
  refuse("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 4), }", "Fortran");
  refuse("{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }", "1 dimensions");
  refuse("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", "3 dimensions");
  latentdb::testing::WriteBytes(dir.Sub("y.npy"), "not numpy at all");
  auto bad = OpenSource(dir.Sub("y.npy"), Format::kNpy, {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("not a .npy file") != std::string::npos);

  auto h = formats::ParseNpyHeaderDict("{'descr': '|u1', 'fortran_order': False, 'shape': (60000, 784), }");
  REQUIRE(h.ok());
  CHECK(h->descr == "|u1");
  CHECK(h->shape == std::vector<uint64_t>{60000, 784});
}

TEST_CASE("ingest: a truncated npy file reads its complete rows and reports the cut", "[ingest]") {
  TempDir dir;
  Matrix m = latentdb::testing::RandomMatrix(10, 4, 5);
  latentdb::testing::WriteNpyF32(dir.Sub("t.npy"), m);
  std::string bytes = latentdb::testing::ReadBytes(dir.Sub("t.npy"));
  latentdb::testing::WriteBytes(dir.Sub("t.npy"), bytes.substr(0, bytes.size() - 20));  // row 8 cut, row 9 gone
  auto src = Open(dir.Sub("t.npy"), Format::kNpy);
  CHECK(src->warning().find("truncated") != std::string::npos);
  auto all = ReadEverything(*src);
  REQUIRE(all.records.size() == 8);
  CHECK(all.records[7].vector == m[7]);
  REQUIRE(all.bad.size() == 1);
  CHECK(all.bad[0].row == 8);
}

TEST_CASE("ingest: JSONL lines give vector, payload and id fields, bad lines give reasons", "[ingest]") {
  TempDir dir;
  latentdb::testing::WriteBytes(dir.Sub("a.jsonl"),
                                "{\"id\": \"p0\", \"vector\": [1, 2.5, -3], \"payload\": {\"color\": \"red\"}, \"x\": 1}\n"
                                "\n"
                                "{\"id\": 17, \"vector\": [0, 0, 1e-3]}\r\n"
                                "{not json\n"
                                "{\"id\": \"p4\", \"vector\": [1, \"a\", 2]}\n"
                                "{\"id\": \"p5\", \"vector\": [1, 2, 3], \"payload\": [1]}\n"
                                "{\"vector\": [4, 5, 6]}\n"
                                "[1, 2]\n"
                                "{\"id\": \"p8\", \"emb\": [1, 2, 3]}");
  SourceOptions o;
  o.id_field = "id";
  auto src = Open(dir.Sub("a.jsonl"), Format::kJsonl, o);
  CHECK(src->dim() == 3);
  auto all = ReadEverything(*src, 3);
  REQUIRE(all.records.size() == 2);
  CHECK(all.rows == std::vector<uint64_t>{0, 2});
  CHECK(all.records[0].vector == std::vector<float>{1, 2.5f, -3});
  CHECK(all.records[0].payload == json{{"color", "red"}});
  CHECK(all.records[0].field_id->ToJson() == "p0");
  CHECK(all.records[1].field_id->ToJson() == 17);
  CHECK(all.records[1].payload.is_null());
  REQUIRE(all.decode_errors.size() == 6);
  CHECK(all.decode_errors[0].rfind("3: bad JSON", 0) == 0);
  CHECK(all.decode_errors[1].rfind("4: bad vector: element 1", 0) == 0);
  CHECK(all.decode_errors[2].rfind("5: bad payload", 0) == 0);
  CHECK(all.decode_errors[3].rfind("6: missing id", 0) == 0);
  CHECK(all.decode_errors[4].rfind("7: bad JSON: the line is not an object", 0) == 0);
  CHECK(all.decode_errors[5].rfind("8: missing vector", 0) == 0);

  // Other field names, and payloads built from top-level fields.
  o.vector_field = "emb";
  o.payload_fields = {"*"};
  auto all2 = ReadEverything(*Open(dir.Sub("a.jsonl"), Format::kJsonl, o));
  REQUIRE(all2.records.size() == 1);
  CHECK(all2.records[0].payload == json::object());
  o.vector_field = "vector";
  o.payload_fields = {"x", "absent"};
  auto all3 = ReadEverything(*Open(dir.Sub("a.jsonl"), Format::kJsonl, o));
  REQUIRE(all3.records.size() >= 1);
  CHECK(all3.records[0].payload == json{{"x", 1}});
}

TEST_CASE("ingest: CSV rows split into id, vector columns and typed payload", "[ingest]") {
  auto f = SplitCsvLine("a,\"b,c\",\"say \"\"hi\"\"\",,d");
  REQUIRE(f.ok());
  CHECK(*f == std::vector<std::string>{"a", "b,c", "say \"hi\"", "", "d"});
  CHECK_FALSE(SplitCsvLine("a,\"open").ok());

  TempDir dir;
  latentdb::testing::WriteBytes(dir.Sub("a.csv"),
                                "key,v0,v1,v2,name,price\n"
                                "k1,0.5,-1,2e3,\"Smith, J\",12\n"
                                "k2,1,2,x,plain,1.5\n"
                                "k3,1,2,3\n"
                                "k4, 4 ,5,6,n,7\n");
  SourceOptions o;
  o.id_field = "key";
  o.vector_prefix = "v";
  auto src = Open(dir.Sub("a.csv"), Format::kCsv, o);
  CHECK(src->dim() == 3);
  auto all = ReadEverything(*src);
  REQUIRE(all.records.size() == 2);
  CHECK(all.rows == std::vector<uint64_t>{0, 3});
  CHECK(all.records[0].vector == std::vector<float>{0.5f, -1, 2000});
  CHECK(all.records[0].payload == json{{"name", "Smith, J"}, {"price", 12}});
  CHECK(all.records[0].field_id->ToJson() == "k1");
  CHECK(all.records[1].vector == std::vector<float>{4, 5, 6});
  REQUIRE(all.decode_errors.size() == 2);
  CHECK(all.decode_errors[0].find("bad vector: column 'v2' value 'x'") != std::string::npos);
  CHECK(all.decode_errors[1].find("bad CSV row: 4 fields") != std::string::npos);

  // Without a prefix, every column but the id and the payload columns is the vector.
  latentdb::testing::WriteBytes(dir.Sub("b.csv"), "a,b,label\n1,2,cat\n3,4,dog\n");
  SourceOptions o2;
  o2.payload_fields = {"label"};
  auto all2 = ReadEverything(*Open(dir.Sub("b.csv"), Format::kCsv, o2));
  REQUIRE(all2.records.size() == 2);
  CHECK(all2.records[1].vector == std::vector<float>{3, 4});
  CHECK(all2.records[1].payload == json{{"label", "dog"}});
}

TEST_CASE("ingest: a UTF-8 byte-order mark at the start of CSV, JSONL and text files is not data", "[ingest][bom]") {
  const std::string bom = "\xEF\xBB\xBF";
  TempDir dir;
  // CSV: the BOM would be part of the first column's name ("no CSV column 'id'"), and with a
  // vector prefix the first vector column would silently drop out of the vector.
  latentdb::testing::WriteBytes(dir.Sub("b.csv"), bom + "v0,v1,v2,name\n1,2,3,x\n4,5,6,y\n");
  SourceOptions p;
  p.vector_prefix = "v";
  auto prefixed = Open(dir.Sub("b.csv"), Format::kCsv, p);
  CHECK(prefixed->dim() == 3);
  auto rows = ReadEverything(*prefixed);
  REQUIRE(rows.records.size() == 2);
  CHECK(rows.records[0].vector == std::vector<float>{1, 2, 3});
  CHECK(rows.records[1].payload == json{{"name", "y"}});
  // The id column found through a BOM-prefixed header.
  latentdb::testing::WriteBytes(dir.Sub("c.csv"), bom + "id,v0,v1\r\n7,1,2\r\n");
  SourceOptions q;
  q.id_field = "id";
  q.vector_prefix = "v";
  auto ids = ReadEverything(*Open(dir.Sub("c.csv"), Format::kCsv, q));
  REQUIRE(ids.records.size() == 1);
  CHECK(ids.records[0].field_id->ToJson() == 7);
  CHECK(ids.records[0].vector == std::vector<float>{1, 2});

  // JSONL: the first line parses, its id is the one written.
  latentdb::testing::WriteBytes(dir.Sub("a.jsonl"), bom + "{\"id\": \"p0\", \"vector\": [1, 2]}\n{\"id\": \"p1\", \"vector\": [3, 4]}\n");
  SourceOptions j;
  j.id_field = "id";
  auto jsonl = Open(dir.Sub("a.jsonl"), Format::kJsonl, j);
  CHECK(jsonl->dim() == 2);
  auto lines = ReadEverything(*jsonl);
  CHECK(lines.decode_errors.empty());
  REQUIRE(lines.records.size() == 2);
  CHECK(lines.records[0].field_id->ToJson() == "p0");

  // Text: the first text is the words, without the mark.
  latentdb::testing::WriteBytes(dir.Sub("a.txt"), bom + "hello world\nsecond\n");
  auto text = ReadEverything(*Open(dir.Sub("a.txt"), Format::kText));
  REQUIRE(text.records.size() == 2);
  CHECK(text.records[0].raw.bytes == "hello world");
  // A BOM-only file has no records; a BOM later in the file is data, not stripped.
  latentdb::testing::WriteBytes(dir.Sub("b.txt"), "a\n" + bom + "b\n");
  auto later = ReadEverything(*Open(dir.Sub("b.txt"), Format::kText));
  REQUIRE(later.records.size() == 2);
  CHECK(later.records[1].raw.bytes == bom + "b");
}

TEST_CASE("ingest: IDX images become pixel vectors with labels from the sibling file", "[ingest]") {
  TempDir dir;
  const size_t n = 5, rows = 3, cols = 2;
  std::vector<uint8_t> pixels(n * rows * cols);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7);
  latentdb::testing::WriteIdxImages(dir.Sub("t10k-images-idx3-ubyte"), n, rows, cols, pixels);
  latentdb::testing::WriteIdxLabels(dir.Sub("t10k-labels-idx1-ubyte"), {3, 1, 4, 1, 5});
  auto f = DetectFormat(dir.Sub("t10k-images-idx3-ubyte"));
  REQUIRE(f.ok());
  CHECK(*f == Format::kIdx);
  auto src = Open(dir.Sub("t10k-images-idx3-ubyte"), Format::kIdx);
  CHECK(src->dim() == 6);
  auto all = ReadEverything(*src, 2);
  REQUIRE(all.records.size() == 5);
  CHECK(all.records[2].vector == std::vector<float>{84, 91, 98, 105, 112, 119});
  CHECK(all.records[2].payload == json{{"label", 4}});
}

TEST_CASE("ingest: formats are detected from file names", "[ingest]") {
  TempDir dir;
  for (const char* name : {"a.fvecs", "a.bvecs", "a.ivecs", "a.npy", "a.jsonl", "a.csv", "a.txt", "x.bin"}) {
    latentdb::testing::WriteBytes(dir.Sub(name), "");
  }
  CHECK(*DetectFormat(dir.Sub("a.fvecs")) == Format::kFvecs);
  CHECK(*DetectFormat(dir.Sub("a.bvecs")) == Format::kBvecs);
  CHECK(*DetectFormat(dir.Sub("a.ivecs")) == Format::kIvecs);
  CHECK(*DetectFormat(dir.Sub("a.npy")) == Format::kNpy);
  CHECK(*DetectFormat(dir.Sub("a.jsonl")) == Format::kJsonl);
  CHECK(*DetectFormat(dir.Sub("a.csv")) == Format::kCsv);
  CHECK(*DetectFormat(dir.Sub("a.txt")) == Format::kText);
  CHECK(*DetectFormat(dir.path()) == Format::kImageFolder);
  CHECK(DetectFormat(dir.Sub("x.bin")).status().code() == latentdb::StatusCode::kUnsupportedMedia);
  CHECK(DetectFormat(dir.Sub("missing.fvecs")).status().code() == latentdb::StatusCode::kNotFound);
}

TEST_CASE("ingest: point JSON writes floats that parse back to the same bits", "[ingest]") {
  std::mt19937 rng(9);
  std::vector<float> v = {0.0f, -0.0f, 1.0f, 0.1f, -1e-38f, 3.4028235e38f, std::numeric_limits<float>::denorm_min(),
                          std::numeric_limits<float>::min(), 16777217.0f, 1.0f / 3.0f};
  std::uniform_int_distribution<uint32_t> bits;
  while (v.size() < 5000) {
    uint32_t b = bits(rng);
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isfinite(f)) v.push_back(f);
  }
  std::string out;
  AppendPointJson(latentdb::engine::ExternalId(std::string("a\"b")), v.data(), v.size(), "{\"k\":1}", &out);
  json j = json::parse(out);
  CHECK(j["id"] == "a\"b");
  CHECK(j["payload"] == json{{"k", 1}});
  REQUIRE(j["vector"].size() == v.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const float back = j["vector"][i].get<float>();
    if (std::memcmp(&back, &v[i], 4) != 0) ++mismatches;
  }
  CHECK(mismatches == 0);
  std::string empty;
  AppendFloatArray(nullptr, 0, &empty);
  CHECK(empty == "[]");
}

}  // namespace
