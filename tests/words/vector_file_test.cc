// Format readers (files the test writes, in every format, plus malformed and truncated ones) and
// the importer on every real file in tests/fixtures.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/file_util.h"
#include "engine/database.h"
#include "words/importer.h"
#include "models/model_registry.h"
#include "words/tokenize.h"
#include "formats/word_vectors.h"
#include "tests/support/temp_dir.h"
#include "tests/words/words_test_util.h"
#include "tests/support/test_database.h"
#include "tests/words/import_status.h"

using namespace latentdb;
using namespace latentdb::words;
using namespace latentdb::formats;
using latentdb::testing::TempDir;
using namespace latentdb::testing::words;
using nlohmann::json;

namespace {

std::vector<WordVector> ReadAll(const std::string& path, VectorFormat f, size_t limit, Status* status) {
  std::vector<WordVector> out;
  *status = ReadVectorFile(
      path, f, limit, [](const VectorFileHeader&) { return Status::Ok(); },
      [&](WordVector&& wv) {
        out.push_back(std::move(wv));
        return Status::Ok();
      });
  return out;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}


}  // namespace

TEST_CASE("words: tokenize splits punctuation and keeps UTF-8 letters", "[words]") {
  auto t = Tokenize("Don't stop, Élan-vital!  x", false);
  std::vector<std::string> want = {"Don", "'", "t", "stop", ",", "Élan", "-", "vital", "!", "x"};
  CHECK(t == want);
  CHECK(Tokenize("ABC déF", true) == std::vector<std::string>{"abc", "déf"});
  std::string s = "ok\xff\xfe then \xc3\xa9 \xe2\x82";  // two bad bytes, é, a truncated sequence
  CHECK(StripInvalidUtf8(&s) == 4);
  CHECK(s == "ok then \xc3\xa9 ");
}

TEST_CASE("words: each format reads back exactly what was written", "[words]") {
  TempDir tmp;
  Vocab v = RandomVocab(50, 7, 1);
  WriteText(v, tmp.Sub("w2v.txt"), true);
  WriteText(v, tmp.Sub("glove.txt"), false);
  WriteBinary(v, tmp.Sub("w2v.bin"));
  struct Case {
    std::string file;
    VectorFormat format;
  };
  for (const auto& c : {Case{"w2v.txt", VectorFormat::kWord2VecText}, Case{"glove.txt", VectorFormat::kGlove},
                        Case{"w2v.bin", VectorFormat::kWord2VecBinary}}) {
    INFO(c.file);
    auto detected = DetectVectorFormat(tmp.Sub(c.file));
    REQUIRE(detected.ok());
    CHECK(*detected == c.format);
    Status s;
    auto got = ReadAll(tmp.Sub(c.file), c.format, 0, &s);
    REQUIRE(s.ok());
    REQUIRE(got.size() == v.words.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].word == v.words[i]);
      CHECK(got[i].vector == v.vectors[i]);  // %.9g round-trips float exactly
    }
    auto limited = ReadAll(tmp.Sub(c.file), c.format, 10, &s);
    CHECK(s.ok());
    CHECK(limited.size() == 10);
  }
}

TEST_CASE("words: malformed and truncated vector files give clear errors", "[words]") {
  TempDir tmp;
  Vocab v = RandomVocab(20, 4, 2);
  WriteBinary(v, tmp.Sub("full.bin"));
  std::string full = *ReadWholeFile(tmp.Sub("full.bin"));
  Status s;
  // Truncated binary at many points: always Corruption, never a crash.
  for (size_t cut : {size_t{5}, size_t{9}, size_t{30}, full.size() / 2, full.size() - 3}) {
    WriteBytes(tmp.Sub("cut.bin"), full.substr(0, cut));
    ReadAll(tmp.Sub("cut.bin"), VectorFormat::kWord2VecBinary, 0, &s);
    INFO("cut at " << cut << ": " << s.ToString());
    CHECK(s.code() == StatusCode::kCorruption);
  }
  WriteBytes(tmp.Sub("short.txt"), "3 2\na 1 2\nb 3 4\n");
  ReadAll(tmp.Sub("short.txt"), VectorFormat::kWord2VecText, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().find("truncated") != std::string::npos);
  WriteBytes(tmp.Sub("fields.txt"), "2 2\na 1 2\nb 3\n");
  ReadAll(tmp.Sub("fields.txt"), VectorFormat::kWord2VecText, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().find("line 3") != std::string::npos);
  WriteBytes(tmp.Sub("nan.txt"), "a 1 nan\n");
  ReadAll(tmp.Sub("nan.txt"), VectorFormat::kGlove, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  WriteBytes(tmp.Sub("empty.txt"), "");
  CHECK(!DetectVectorFormat(tmp.Sub("empty.txt")).ok());
  ReadAll(tmp.Sub("empty.txt"), VectorFormat::kGlove, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  WriteBytes(tmp.Sub("dim.txt"), "1 0\n");
  ReadAll(tmp.Sub("dim.txt"), VectorFormat::kWord2VecText, 0, &s);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(ReadVectorFile(tmp.Sub("missing"), VectorFormat::kGlove, 0, nullptr, nullptr).code() == StatusCode::kNotFound);
}

TEST_CASE("words: the importer makes a collection of words in frequency order and a manifest", "[words]") {
  TempDir tmp;
  Vocab v = RandomVocab(30, 5, 3);
  v.words[20] = v.words[3];  // a duplicate: the first occurrence wins
  WriteBinary(v, tmp.Sub("m.bin"));
  auto db = latentdb::testing::OpenTestDatabase(tmp.Sub("data"));
  ImportOptions o;
  o.path = tmp.Sub("m.bin");
  o.name = "m";
  auto m = ImportWordModel(*db, o);
  REQUIRE(m.ok());
  CHECK((*m)["vocab_size"] == 29);
  CHECK((*m)["skipped"]["duplicates"] == 1);
  CHECK((*m)["format"] == "word2vec-bin");
  CHECK((*m)["sha256"].get<std::string>().size() == 64);
  auto c = db->GetCollection("m");
  REQUIRE(c.ok());
  CHECK((*c)->config().metric == index::Metric::kCosine);
  auto page = (*c)->ScrollInsertionOrder(100, 0, true, true);  // the file's order
  REQUIRE(page.ok());
  REQUIRE(page->points.size() == 29);
  CHECK(page->points[0].id.ToJson() == v.words[0]);
  CHECK(page->points[5].payload["rank"] == 5);
  CHECK(*page->points[3].vector == v.vectors[3]);
  auto manifest = models::ReadManifest(tmp.Sub("data"), "m");
  REQUIRE(manifest.ok());
  CHECK((*manifest)["dim"] == 5);
  // The name is taken now.
  CHECK(ImportWordModel(*db, o).status().code() == StatusCode::kAlreadyExists);
  // A failed import leaves nothing behind.
  WriteBytes(tmp.Sub("bad.txt"), "2 2\na 1 2\nb x y\n");
  o.path = tmp.Sub("bad.txt");
  o.name = "bad";
  CHECK(ImportWordModel(*db, o).status().code() == StatusCode::kCorruption);
  CHECK(!db->GetCollection("bad").ok());
  CHECK(!PathExists(models::ModelDir(tmp.Sub("data"), "bad")));
}

TEST_CASE("words: every real fixture file imports, the old fastText format is refused", "[words]") {
  std::string dir = LATENTDB_FIXTURES_DIR;
  REQUIRE(PathExists(dir + "/README.md"));
  TempDir tmp;
  auto db = latentdb::testing::OpenTestDatabase(tmp.Sub("data"));
  struct Case {
    std::string file;
    size_t words, dim;
    std::string format;
  };
  for (const auto& c : {Case{"lee_fasttext.vec", 1762, 10, "word2vec"}, Case{"euclidean_vectors.bin", 2747, 10, "word2vec-bin"},
                        Case{"test_glove.txt", 0, 50, "glove"}, Case{"crime-and-punishment.vec", 291, 5, "word2vec"},
                        Case{"crime-and-punishment.bin", 291, 5, "fasttext-bin"},
                        Case{"lee_fasttext_new.bin", 0, 10, "fasttext-bin"}}) {
    INFO(c.file);
    ImportOptions o;
    o.path = dir + "/" + c.file;
    o.name = "m" + std::to_string(std::hash<std::string>()(c.file) % 100000);
    auto m = ImportWordModel(*db, o);
    INFO(m.status().ToString());
    REQUIRE(m.ok());
    CHECK((*m)["format"] == c.format);
    CHECK((*m)["dim"] == c.dim);
    if (c.words) CHECK((*m)["vocab_size"] == c.words);
    CHECK((*m)["vocab_size"].get<size_t>() > 50);
  }
  ImportOptions old;
  old.path = dir + "/lee_fasttext.bin";
  old.name = "old";
  auto r = ImportWordModel(*db, old);
  CHECK(r.status().code() == StatusCode::kUnsupportedMedia);
  CHECK(r.status().message().find("not a fastText model in the current format") != std::string::npos);
  CHECK(!db->GetCollection("old").ok());
  // --limit keeps the most frequent words.
  ImportOptions lim;
  lim.path = dir + "/lee_fasttext.vec";
  lim.name = "lim";
  lim.limit = 100;
  auto l = ImportWordModel(*db, lim);
  REQUIRE(l.ok());
  CHECK((*l)["vocab_size"] == 100);
}

namespace {

std::string Floats(std::initializer_list<float> v) {
  std::string out(v.size() * sizeof(float), '\0');
  std::memcpy(out.data(), std::data(v), out.size());
  return out;
}

}  // namespace

TEST_CASE("words: a malformed first text record is a text error with its line number, never binary garbage",
          "[words][format]") {
  TempDir tmp;
  struct Case {
    const char* what;
    std::string body;  // after the "3 3" header
    const char* error;
  };
  const std::string rest = "summer 0.1 0.2 0.3\nwinter 0.4 0.5 0.6\n";
  for (const auto& c : {Case{"a word with a space", "new york 0.1 0.2 0.3\n", "line 2: expected a word and 3 numbers, found 5"},
                        Case{"inf", "spring inf 0.2 0.3\n", "line 2: 'inf' is not a finite number"},
                        Case{"nan", "spring 0.1 nan 0.3\n", "line 2: 'nan' is not a finite number"},
                        Case{"one number too many", "spring 0.1 0.2 0.3 0.4\n", "line 2: expected a word and 3 numbers, found 5"},
                        Case{"one number too few", "spring 0.1 0.2\n", "line 2: expected a word and 3 numbers, found 3"},
                        Case{"a word with a space and a non-ASCII byte", "new zürich 0.1 0.2\n", "line 2"}}) {
    INFO(c.what);
    const std::string path = tmp.Sub("bad.txt");
    WriteBytes(path, "3 3\n" + c.body + rest);
    auto detected = DetectVectorFormat(path);
    // Either detected as text (the reader then reports the line) or refused here with the text error.
    if (detected.ok()) CHECK(*detected == VectorFormat::kWord2VecText);
    Status s = ImportStatus(tmp, path);
    INFO(s.ToString());
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message().find(c.error) != std::string::npos);
  }
  // A bad line further down keeps its own line number (blank lines count).
  WriteBytes(tmp.Sub("late.txt"), "3 3\na 1 2 3\n\nb 1 2 3\nc 1 2 inf\n");
  Status s = ImportStatus(tmp, tmp.Sub("late.txt"));
  CHECK(s.message().find("line 5") != std::string::npos);
}

TEST_CASE("words: word2vec binary is chosen on evidence and its reader refuses empty words, control bytes and trailing bytes",
          "[words][format]") {
  TempDir tmp;
  const std::string a = Floats({1, 2}), b = Floats({-3, 0.5f});
  Status s;
  // Well-formed, with and without the '\n' word2vec's C tool writes after each vector (gensim writes none).
  for (const std::string& sep : {std::string("\n"), std::string()}) {
    WriteBytes(tmp.Sub("ok.bin"), "2 2\nalpha " + a + sep + "beta " + b + sep);
    auto f = DetectVectorFormat(tmp.Sub("ok.bin"));
    REQUIRE(f.ok());
    CHECK(*f == VectorFormat::kWord2VecBinary);
    auto got = ReadAll(tmp.Sub("ok.bin"), VectorFormat::kWord2VecBinary, 0, &s);
    REQUIRE(s.ok());
    REQUIRE(got.size() == 2);
    CHECK(got[1].word == "beta");
    CHECK(got[1].vector == std::vector<float>{-3, 0.5f});
  }
  struct Case {
    const char* what;
    std::string bytes;
    const char* error;
  };
  for (const auto& c : {Case{"an empty word", "2 2\nalpha " + a + "\n " + b, "word 2 of 2 is empty"},
                        Case{"a control byte in a word", "2 2\nalpha " + a + "\nbe\x01ta " + b, "word 2 of 2 contains the control byte 1"},
                        Case{"a tab in a word", "2 2\nal\tpha " + a + "\nbeta " + b, "word 1 of 2 contains the control byte 9"},
                        Case{"trailing bytes", "2 2\nalpha " + a + "\nbeta " + b + "\ngamma " + a, "unexpected bytes after the 2 words"},
                        Case{"more declared than present", "3 2\nalpha " + a + "\nbeta " + b + "\n", "truncated at word 3 of 3"}}) {
    INFO(c.what);
    WriteBytes(tmp.Sub("bad.bin"), c.bytes);
    ReadAll(tmp.Sub("bad.bin"), VectorFormat::kWord2VecBinary, 0, &s);
    INFO(s.ToString());
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message().find(c.error) != std::string::npos);
    Status imported = ImportStatus(tmp, tmp.Sub("bad.bin"));
    INFO(imported.ToString());
    CHECK(imported.code() == StatusCode::kCorruption);
  }
  // --limit below the declared count reads the first words only; trailing bytes are not looked at.
  WriteBytes(tmp.Sub("lim.bin"), "2 2\nalpha " + a + "\nbeta " + b + "junk");
  auto first = ReadAll(tmp.Sub("lim.bin"), VectorFormat::kWord2VecBinary, 1, &s);
  CHECK(s.ok());
  CHECK(first.size() == 1);
}

TEST_CASE("words: a header that declares fewer rows than the file has reads exactly the declared count, as gensim",
          "[words][format]") {
  TempDir tmp;
  WriteBytes(tmp.Sub("more.txt"), "2 2\na 1 2\nb 3 4\nc 5 6\n\nd 7 8\n");
  Status s;
  VectorFileReport report;
  std::vector<WordVector> got;
  s = ReadVectorFile(
      tmp.Sub("more.txt"), VectorFormat::kWord2VecText, 0, [](const VectorFileHeader&) { return Status::Ok(); },
      [&](WordVector&& wv) {
        got.push_back(std::move(wv));
        return Status::Ok();
      },
      &report);
  REQUIRE(s.ok());
  CHECK(got.size() == 2);
  CHECK(got[1].word == "b");
  CHECK(report.rows_after_declared == 2);
  json m;
  REQUIRE(ImportStatus(tmp, tmp.Sub("more.txt"), &m).ok());
  CHECK(m["vocab_size"] == 2);
  CHECK(m["declared_words"] == 2);
  CHECK(m["rows_after_declared"] == 2);
  // Rows after the declared count are not parsed: gensim ignores them too.
  WriteBytes(tmp.Sub("junk.txt"), "1 2\na 1 2\nnot a vector at all\n");
  REQUIRE(ImportStatus(tmp, tmp.Sub("junk.txt"), &m).ok());
  CHECK(m["vocab_size"] == 1);
  CHECK(m["rows_after_declared"] == 1);
  // More declared than present stays an error.
  WriteBytes(tmp.Sub("less.txt"), "3 2\na 1 2\nb 3 4\n");
  s = ImportStatus(tmp, tmp.Sub("less.txt"));
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().find("the header declares 3 words, the file has 2") != std::string::npos);
}

TEST_CASE("words: GloVe and fastText .vec files are still detected and read", "[words][format]") {
  TempDir tmp;
  WriteBytes(tmp.Sub("g.txt"), "the 0.1 -0.2 3e-2\nof 1 2 3\n");
  auto g = DetectVectorFormat(tmp.Sub("g.txt"));
  REQUIRE(g.ok());
  CHECK(*g == VectorFormat::kGlove);
  WriteBytes(tmp.Sub("v.vec"), "2 3\nthe 0.1 -0.2 3e-2 \nof 1 2 3 \n");  // fastText writes a trailing space
  auto v = DetectVectorFormat(tmp.Sub("v.vec"));
  REQUIRE(v.ok());
  CHECK(*v == VectorFormat::kWord2VecText);
  Status s;
  CHECK(ReadAll(tmp.Sub("v.vec"), VectorFormat::kFastTextVec, 0, &s).size() == 2);
  CHECK(s.ok());
  // Neither a header, nor a text vector, nor fastText: refused by name.
  WriteBytes(tmp.Sub("x.dat"), std::string("\x01\x02\x03\x04 \x05\x06", 7));
  auto x = DetectVectorFormat(tmp.Sub("x.dat"));
  CHECK(x.status().code() == StatusCode::kCorruption);
  CHECK(x.status().message().find("not a word-vector file") != std::string::npos);
}

TEST_CASE("words: word-vector files that start with a UTF-8 byte-order mark read as without it", "[words][bom]") {
  TempDir tmp;
  const std::string bom = "\xEF\xBB\xBF";
  struct Case {
    const char* file;
    std::string bytes;
    VectorFormat format;
  };
  for (const auto& c : {Case{"w.txt", bom + "2 2\nthe 1 2\nof 3 4\n", VectorFormat::kWord2VecText},
                        Case{"g.txt", bom + "the 1 2\nof 3 4\n", VectorFormat::kGlove},
                        Case{"w.bin", bom + "2 2\nthe " + Floats({1, 2}) + "\nof " + Floats({3, 4}) + "\n",
                             VectorFormat::kWord2VecBinary}}) {
    INFO(c.file);
    WriteBytes(tmp.Sub(c.file), c.bytes);
    auto f = DetectVectorFormat(tmp.Sub(c.file));
    INFO(f.status().ToString());
    REQUIRE(f.ok());
    CHECK(*f == c.format);
    Status s;
    auto got = ReadAll(tmp.Sub(c.file), c.format, 0, &s);
    INFO(s.ToString());
    REQUIRE(s.ok());
    REQUIRE(got.size() == 2);
    CHECK(got[0].word == "the");
    CHECK(got[0].vector == std::vector<float>{1, 2});
    json m;
    REQUIRE(ImportStatus(tmp, tmp.Sub(c.file), &m).ok());
    CHECK(m["dim"] == 2);
    CHECK(m["vocab_size"] == 2);
  }
}

TEST_CASE("words: devices, FIFOs and directories are refused as not regular files", "[words][files]") {
  TempDir tmp;
  REQUIRE(::mkfifo(tmp.Sub("fifo").c_str(), 0600) == 0);
  std::filesystem::create_directory(tmp.Sub("dir"));
  for (const std::string& path : {std::string("/dev/zero"), tmp.Sub("fifo"), tmp.Sub("dir")}) {
    INFO(path);
    CHECK(DetectVectorFormat(path).status().code() == StatusCode::kInvalidArgument);
    Status s = ImportStatus(tmp, path);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find("is not a regular file") != std::string::npos);
    for (auto f : {VectorFormat::kWord2VecText, VectorFormat::kWord2VecBinary, VectorFormat::kGlove}) {
      CHECK(ReadVectorFile(path, f, 0, nullptr, nullptr).code() == StatusCode::kInvalidArgument);
    }
  }
  CHECK(ImportStatus(tmp, tmp.Sub("absent")).code() == StatusCode::kNotFound);
}

TEST_CASE("words: every refusal of format detection says what is wrong, with no empty or doubled parts", "[words][format]") {
  TempDir tmp;
  struct Case {
    const char* what;
    std::string bytes;
    std::vector<const char*> says;
  };
  for (const auto& c :
       {Case{"dimension 0 with words after it (the reviewer's q_dim0.txt)", "3 0\nalpha\nbeta\ngamma\n",
             {"dimension 0 (from the first line) is outside 1…65536"}},
        Case{"dimension 0, header only", "3 0\n", {"dimension 0"}},
        Case{"a dimension too large", "2 70000\na 1\n", {"dimension 70000"}},
        Case{"neither text nor binary", "2 2\nalpha \x01\x02\n", {"not word2vec text (line 2", "not word2vec binary (truncated at word 1 of 2"}},
        Case{"a non-ASCII number field", "1 2\nnew zürich 0.1\n", {"not word2vec text (line 2: 'zürich' is not a finite number",
                                                                 "not word2vec binary ("}},
        Case{"no header and no vector", "\x01\x02\x03\n", {"line 1 is neither a 'COUNT DIM' header"}}}) {
    INFO(c.what);
    const std::string path = tmp.Sub("q_dim0.txt");
    WriteBytes(path, c.bytes);
    auto detected = DetectVectorFormat(path);
    Status s = detected.ok() ? ImportStatus(tmp, path) : detected.status();
    INFO(s.ToString());
    REQUIRE(s.code() == StatusCode::kCorruption);
    const std::string& msg = s.message();
    for (const char* part : c.says) CHECK(msg.find(part) != std::string::npos);
    CHECK(msg.rfind(path + ": ", 0) == 0);                         // names the file once, first
    CHECK(msg.find(path, path.size()) == std::string::npos);       // and only once
    for (const char* garbled : {": ;", "()", "( ", " )", ": )", ":  ", "; and"}) CHECK(msg.find(garbled) == std::string::npos);
  }
  // Leading blanks before a word are text (the text reader skips them), not a failed binary probe.
  WriteBytes(tmp.Sub("indent.txt"), "2 2\n  alpha 1 2\n\tbeta 3 4\n");
  auto f = DetectVectorFormat(tmp.Sub("indent.txt"));
  REQUIRE(f.ok());
  CHECK(*f == VectorFormat::kWord2VecText);
  CHECK(ImportStatus(tmp, tmp.Sub("indent.txt")).ok());
}

TEST_CASE("words: a word that is not valid UTF-8 is refused with its line or word number, as gensim", "[words][utf8]") {
  TempDir tmp;
  const std::string a = Floats({1, 2}), b = Floats({3, 4});
  struct Case {
    const char* what;
    std::string bytes;
    std::vector<const char*> says;
  };
  for (const auto& c :
       {Case{"word2vec text", "2 2\nalpha 1 2\nbe\xfft\xc3\xa9 3 4\n", {"line 3: the word 'be\\xfft\xc3\xa9'", "byte 0xff at offset 2"}},
        Case{"a character cut by word2vec's 50-byte limit", "2 2\ncaf\xc3 1 2\nb 3 4\n", {"line 2", "byte 0xc3 at offset 3"}},
        Case{"GloVe", "a 1 2\n\n\xed\xa0\x80x 3 4\n", {"line 3", "not valid UTF-8", "byte 0xed at offset 0"}},  // a surrogate
        Case{"an overlong form", "1 2\n\xc0\xaf 1 2\n", {"line 2", "byte 0xc0"}},
        Case{"word2vec binary", "2 2\nalpha " + a + "\nbet\xe2\x82 " + b + "\n", {"word 2 of 2: the word 'bet\\xe2\\x82'"}},
        Case{"word2vec binary, first word", "2 2\n\xff" "alpha " + a + "beta " + b, {"word 1 of 2", "byte 0xff at offset 0"}}}) {
    INFO(c.what);
    WriteBytes(tmp.Sub("u.txt"), c.bytes);
    Status s = ImportStatus(tmp, tmp.Sub("u.txt"));
    INFO(s.ToString());
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message().find("not valid UTF-8") != std::string::npos);
    CHECK(s.message().find("unicode_errors='strict'") != std::string::npos);
    for (const char* part : c.says) CHECK(s.message().find(part) != std::string::npos);
  }
  // Valid multi-byte words of every length read as they are.
  WriteBytes(tmp.Sub("ok.txt"), "4 1\n\xc3\xa9 1\n\xe2\x82\xac 2\n\xf0\x9f\x98\x80 3\nplain 4\n");
  json m;
  REQUIRE(ImportStatus(tmp, tmp.Sub("ok.txt"), &m).ok());
  CHECK(m["vocab_size"] == 4);
  CHECK(m["skipped"]["invalid_utf8"] == 0);
  CHECK(m["skipped_examples"] == json::object());
  CHECK(FirstInvalidUtf8("ok\xf4\x90\x80\x80") == 2);  // above U+10FFFF
  CHECK(PrintableWord("a'\\\x01\xc3\xa9\xff") == "a\\x27\\x5c\\x01\xc3\xa9\\xff");
  CHECK(PrintableWord(std::string(50, 'x'), 4) == "xxxx…");
}

TEST_CASE("words: skipped words are counted with the first example of each reason", "[words][utf8]") {
  TempDir tmp;
  WriteBytes(tmp.Sub("dup.txt"), "4 1\nthe 1\nof 2\nthe 3\n" + std::string(600, 'w') + " 4\n");
  json m;
  REQUIRE(ImportStatus(tmp, tmp.Sub("dup.txt"), &m).ok());
  CHECK(m["vocab_size"] == 2);
  CHECK(m["skipped"]["duplicates"] == 1);
  CHECK(m["skipped"]["too_long_or_empty"] == 1);
  CHECK(m["skipped_examples"]["duplicates"] == "the");
  CHECK(m["skipped_examples"]["too_long_or_empty"] == std::string(40, 'w') + "…");
  CHECK(!m["skipped_examples"].contains("invalid_utf8"));
}
