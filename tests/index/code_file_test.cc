// Codes kept on disk (index/code_file.h): the file itself (append, reserve, checksum, rows past a
// save dropped at open, names that cannot leave their directory) and quantized indexes that keep
// their codes in it — the same recall as in RAM, saved and loaded, a crash after a save, a damaged
// or missing code file refused rather than misread.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/resource.h>

#include <csignal>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "common/coding.h"
#include "common/file_util.h"
#include "index/code_file.h"
#include "index/vector_index.h"
#include "tests/index/oracle.h"
#include "tests/support/temp_dir.h"

using namespace latentdb::index;
using latentdb::Crc32;
using latentdb::StatusCode;
using latentdb::testing::Fixture;
using latentdb::testing::TempDir;

namespace {

std::set<std::string> CodeFilesIn(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d);
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".codes") == 0) out.insert(name);
  }
  ::closedir(d);
  return out;
}

std::vector<uint8_t> Rows(size_t n, size_t code_size, uint8_t seed) {
  std::vector<uint8_t> v(n * code_size);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 31 + seed);
  return v;
}

void FlipByte(const std::string& path, size_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

// An int8 spec of the fixture's dimension; `codes_file_prefix` empty keeps the codes in RAM.
IndexSpec Int8Spec(const Fixture& fx, const std::string& factory, const std::string& codes_file_prefix) {
  IndexSpec spec;
  spec.dim = fx.dim;
  spec.metric = Metric::kL2;
  spec.factory = factory;
  spec.quantization = Quantization::kInt8;
  spec.codes_file_prefix = codes_file_prefix;
  return spec;
}

std::unique_ptr<VectorIndex> Build(const Fixture& fx, const IndexSpec& spec, size_t n) {
  auto index = VectorIndex::Create(spec);
  REQUIRE(index.ok());
  for (size_t start = 0; start < n; start += 700) {
    const size_t m = std::min<size_t>(700, n - start);
    REQUIRE((*index)->Upsert(fx.ids.data() + start, fx.data.data() + start * fx.dim, m).ok());
  }
  return std::move(index).value();
}

}  // namespace

TEST_CASE("a code file appends rows, grows its mapping and checks its rows when opened", "[index][codes_on_disk]") {
  TempDir dir;
  const std::string path = dir.Sub("c.codes");
  const size_t cs = 13;
  auto created = CodeFile::Create(path, cs);
  REQUIRE(created.ok());
  auto& file = **created;
  const auto first = Rows(1000, cs, 1);
  CHECK(file.Append(first.data(), 1).code() == StatusCode::kInternal);  // no room reserved yet
  REQUIRE(file.Reserve(1000).ok());
  REQUIRE(file.Append(first.data(), 1000).ok());
  // Growing well past the first reservation moves the mapping; what was written stays.
  const auto second = Rows(200000, cs, 7);
  REQUIRE(file.Reserve(201000).ok());
  REQUIRE(file.Append(second.data(), 200000).ok());
  REQUIRE(file.rows() == 201000);
  CHECK(std::equal(first.begin(), first.end(), file.data()));
  CHECK(std::equal(second.begin(), second.end(), file.data() + first.size()));
  std::string all(first.begin(), first.end());
  all.append(second.begin(), second.end());
  CHECK(file.crc() == Crc32(all));
  const uint32_t crc_1000 = Crc32(std::string_view(all).substr(0, 1000 * cs));
  REQUIRE(file.Sync().ok());
  CHECK(CodeFile::Create(path, cs).status().code() != StatusCode::kOk);  // never over an existing file

  SECTION("opened with the rows and checksum an index file recorded") {
    auto opened = CodeFile::Open(path, cs, 201000, file.crc());
    REQUIRE(opened.ok());
    CHECK((*opened)->rows() == 201000);
    CHECK(std::equal(all.begin(), all.end(), reinterpret_cast<const char*>((*opened)->data())));
  }
  SECTION("rows past the recorded count are dropped and written over") {
    auto opened = CodeFile::Open(path, cs, 1000, crc_1000);
    REQUIRE(opened.ok());
    CHECK((*opened)->rows() == 1000);
    CHECK((*opened)->crc() == crc_1000);
    const auto more = Rows(5, cs, 99);
    REQUIRE((*opened)->Reserve(1005).ok());
    REQUIRE((*opened)->Append(more.data(), 5).ok());
    std::string expect = all.substr(0, 1000 * cs);
    expect.append(more.begin(), more.end());
    CHECK((*opened)->crc() == Crc32(expect));
  }
  SECTION("a damaged row, a wrong count or a missing file is refused") {
    CHECK(CodeFile::Open(path, cs, 201000, file.crc() ^ 1).status().code() == StatusCode::kCorruption);
    CHECK(CodeFile::Open(path, cs, size_t{1} << 40, file.crc()).status().code() == StatusCode::kCorruption);
    FlipByte(path, 5 * cs + 3);
    CHECK(CodeFile::Open(path, cs, 1000, crc_1000).status().code() == StatusCode::kCorruption);
    CHECK(CodeFile::Open(dir.Sub("none.codes"), cs, 0, 0).status().code() == StatusCode::kNotFound);
    CHECK(CodeFile::Open(dir.path(), cs, 0, 0).status().code() == StatusCode::kInvalidArgument);  // a directory
  }
}

TEST_CASE("code file names stay inside their index's directory and pattern", "[index][codes_on_disk]") {
  TempDir dir;
  const std::string prefix = dir.Sub("7.index");
  const std::string made = NewCodeFileName(prefix);
  const std::string name = made.substr(dir.path().size() + 1);
  CHECK(made.compare(0, prefix.size(), prefix) == 0);
  CHECK(IsCodeFileName(prefix, name));
  CHECK(NewCodeFileName(prefix) != made);
  for (const std::string bad : {"7.index.0123456789abcdef.code", "7.index.0123456789ABCDEF.codes", "8.index.0123456789abcdef.codes",
                                "../7.index.0123456789abcdef.codes", "7.index.0123456789abcde.codes",
                                "7.index./123456789abcdef.codes", "7.index.0123456789abcdef.codes/", ""}) {
    INFO(bad);
    CHECK_FALSE(IsCodeFileName(prefix, bad));
  }
  CHECK_FALSE(IsCodeFileName("", name));
  // Stale files go; the kept ones and anything not of the pattern stay.
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    names.push_back(NewCodeFileName(prefix));
    REQUIRE(CodeFile::Create(names.back(), 4).ok());
  }
  std::ofstream(dir.Sub("7.index")) << "x";
  std::ofstream(dir.Sub("70.index.0123456789abcdef.codes")) << "x";
  const std::string keep = names[1].substr(dir.path().size() + 1);
  REQUIRE(RemoveStaleCodeFiles(prefix, {keep, ""}).ok());
  CHECK(CodeFilesIn(dir.path()) == std::set<std::string>{keep, "70.index.0123456789abcdef.codes"});
  CHECK(latentdb::PathExists(dir.Sub("7.index")));
  REQUIRE(RemoveStaleCodeFiles(prefix, {}).ok());
  CHECK(CodeFilesIn(dir.path()) == std::set<std::string>{"70.index.0123456789abcdef.codes"});
  CHECK(RemoveStaleCodeFiles(dir.Sub("gone/1.index"), {}).ok());
}

TEST_CASE("quantized indexes with codes on disk search, save and load like those in RAM", "[index][codes_on_disk][persistence]") {
  Fixture fx(3000, 32, 30);
  for (Quantization q : {Quantization::kInt8, Quantization::kFloat16, Quantization::kBinary}) {
    for (const std::string factory : {"Flat", "HNSW16"}) {
      DYNAMIC_SECTION(factory << " " << QuantizationName(q)) {
        TempDir sub;
        IndexSpec spec;
        spec.dim = fx.dim;
        spec.metric = Metric::kCosine;
        spec.factory = factory;
        spec.quantization = q;
        auto in_ram = Build(fx, spec, 3000);
        spec.codes_file_prefix = sub.Sub("q.index");
        auto on_disk = Build(fx, spec, 3000);
        REQUIRE(on_disk->CodesFileName() != "");
        CHECK(in_ram->CodesFileName() == "");
        CHECK(CodeFilesIn(sub.path()) == std::set<std::string>{on_disk->CodesFileName()});
        SearchParams p;
        p.ef = 128;
        // The same codes: a flat scan answers identically; a graph built in parallel may differ a little.
        const double r_ram = fx.MeanRecall(*in_ram, Metric::kCosine, p);
        const double r_disk = fx.MeanRecall(*on_disk, Metric::kCosine, p);
        INFO("recall@10 in RAM " << r_ram << ", on disk " << r_disk);
        if (factory == "Flat") {
          CHECK(r_disk == r_ram);
        } else {
          CHECK(r_disk >= r_ram - 0.03);
        }
        on_disk->Remove(fx.ids.data(), 50);
        const std::string path = sub.Sub("q.index");
        REQUIRE(on_disk->Save(path, 5).ok());
        uint64_t seq = 0;
        auto loaded = VectorIndex::Load(path, spec, &seq);
        INFO(loaded.status().ToString());
        REQUIRE(loaded.ok());
        CHECK((*loaded)->CodesFileName() == on_disk->CodesFileName());
        CHECK((*loaded)->size() == on_disk->size());
        for (size_t i = 0; i < 10; ++i) {
          auto a = on_disk->Search(fx.queries.data() + i * fx.dim, 10, p, nullptr);
          auto b = (*loaded)->Search(fx.queries.data() + i * fx.dim, 10, p, nullptr);
          REQUIRE(a.ok());
          REQUIRE(b.ok());
          REQUIRE(a->size() == b->size());
          for (size_t j = 0; j < a->size(); ++j) CHECK((*a)[j].id == (*b)[j].id);
        }
        // The file's codes are the index's: the same file under codes in RAM is refused, and an
        // index file in RAM form is refused by a spec with codes on disk.
        IndexSpec ram_spec = spec;
        ram_spec.codes_file_prefix.clear();
        CHECK(VectorIndex::Load(path, ram_spec, &seq).status().code() == StatusCode::kCorruption);
        in_ram->Remove(fx.ids.data(), 50);
        REQUIRE(in_ram->Save(sub.Sub("ram.index"), 5).ok());
        IndexSpec other = spec;
        other.codes_file_prefix = sub.Sub("ram.index");
        CHECK(VectorIndex::Load(sub.Sub("ram.index"), other, &seq).status().code() == StatusCode::kCorruption);
      }
    }
  }
}

TEST_CASE("an index with codes on disk opens at its last save after a crash, and refuses damaged codes", "[index][codes_on_disk][persistence]") {
  Fixture fx(3000, 24, 10);
  TempDir dir;
  IndexSpec spec = Int8Spec(fx, "HNSW16", dir.Sub("c.index"));
  const std::string path = dir.Sub("c.index");
  auto index = Build(fx, spec, 2000);
  REQUIRE(index->Save(path, 1).ok());
  const std::string codes = dir.Sub(index->CodesFileName());
  // Rows appended after the save (and never saved) are in the file but not in the index file:
  // the load stops at the saved count, as if the process had died here.
  REQUIRE(index->Upsert(fx.ids.data() + 2000, fx.data.data() + 2000 * fx.dim, 1000).ok());
  uint64_t seq = 0;
  auto reopened = VectorIndex::Load(path, spec, &seq);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->size() == 2000);
  CHECK_FALSE((*reopened)->Contains(fx.ids[2500]));
  // Replaying the lost writes appends over the dropped rows.
  REQUIRE((*reopened)->Upsert(fx.ids.data() + 2000, fx.data.data() + 2000 * fx.dim, 1000).ok());
  CHECK((*reopened)->size() == 3000);
  CHECK(fx.MeanRecall(**reopened, Metric::kL2, {}) >= 0.8);
  REQUIRE((*reopened)->Save(path, 2).ok());
  (*reopened).reset();
  index.reset();
  REQUIRE(VectorIndex::Load(path, spec, &seq).ok());
  // A damaged row is refused; so is a missing code file.
  FlipByte(codes, 100);
  CHECK(VectorIndex::Load(path, spec, &seq).status().code() == StatusCode::kCorruption);
  REQUIRE(latentdb::RemoveFileIfExists(codes).ok());
  CHECK(VectorIndex::Load(path, spec, &seq).status().code() == StatusCode::kCorruption);
}

TEST_CASE("a code file that cannot grow refuses the upsert and keeps what it had", "[index][codes_on_disk]") {
  // The file-size limit stands in for a full disk (both fail the allocation; the server's full
  // disk is tests/storage/disk_full_test.cc): the upsert fails before anything is encoded.
  Fixture fx(6000, 256, 5);
  TempDir dir;
  IndexSpec spec = Int8Spec(fx, "HNSW16", dir.Sub("f.index"));
  auto index = Build(fx, spec, 2000);
  const size_t rows_before = index->size();
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  // The first reservation (1 MiB: 4,096 rows of 256 bytes) fits; 6,000 rows do not.
  small.rlim_cur = (1 << 20) + (256 << 10);
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  const auto status = index->Upsert(fx.ids.data() + 2000, fx.data.data() + 2000 * fx.dim, 4000);
  const auto prepared = index->PrepareUpsert(100000);
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &old) == 0);
  std::signal(SIGXFSZ, previous);
  INFO(status.ToString());
  CHECK_FALSE(status.ok());
  CHECK_FALSE(prepared.ok());
  CHECK(index->size() == rows_before);
  CHECK_FALSE(index->Contains(fx.ids[2500]));
  // Room again: the same upsert goes through, and the index saves and loads.
  REQUIRE(index->Upsert(fx.ids.data() + 2000, fx.data.data() + 2000 * fx.dim, 4000).ok());
  CHECK(index->size() == 6000);
  REQUIRE(index->Save(dir.Sub("f.index"), 3).ok());
  uint64_t seq = 0;
  auto loaded = VectorIndex::Load(dir.Sub("f.index"), spec, &seq);
  REQUIRE(loaded.ok());
  CHECK(fx.MeanRecall(**loaded, Metric::kL2, {}) >= 0.7);
}

TEST_CASE("an index file of version 2, with its codes inside FAISS's storage, still loads", "[index][codes_on_disk][persistence]") {
  // Version 3 writes a quantized storage empty and the rows after the FAISS section (or in a code
  // file). The same flat int8 index written the version-2 way — rows in FAISS's `codes` vector,
  // the storage's ntotal set — is rebuilt here from a version-3 file and must load with the same
  // answers (its rows copied into page-aligned memory).
  Fixture fx(3000, 16, 10);
  TempDir dir;
  IndexSpec spec = Int8Spec(fx, "Flat", "");
  auto index = Build(fx, spec, 3000);
  const std::string path = dir.Sub("v.index");
  REQUIRE(index->Save(path, 4).ok());
  const std::string v3 = *latentdb::ReadWholeFile(path);
  const size_t n = 3000, code_size = fx.dim;
  const size_t version_at = 8, codes_at = version_at + 4 + 8 + 4 * 5, npos_at = codes_at + 16;
  REQUIRE(latentdb::DecodeFixed64LE(v3.data() + npos_at) == n);
  const size_t faiss_len_at = npos_at + 8 + n * 9;
  const uint64_t faiss_len = latentdb::DecodeFixed64LE(v3.data() + faiss_len_at);
  std::string faiss = v3.substr(faiss_len_at + 8, faiss_len);
  const size_t inline_at = faiss_len_at + 8 + faiss_len;
  REQUIRE(latentdb::DecodeFixed64LE(v3.data() + inline_at) == n * code_size);
  const std::string rows = v3.substr(inline_at + 8, n * code_size);
  REQUIRE(faiss.substr(0, 4) == "IxSQ");
  REQUIRE(latentdb::DecodeFixed64LE(faiss.data() + 8) == 0);              // ntotal, written as 0
  REQUIRE(latentdb::DecodeFixed64LE(faiss.data() + faiss.size() - 8) == 0);  // the codes vector's size
  std::string ntotal;
  latentdb::PutFixed64LE(&ntotal, n);
  faiss.replace(8, 8, ntotal);
  faiss.resize(faiss.size() - 8);
  latentdb::PutFixed64LE(&faiss, n * code_size);
  faiss += rows;
  std::string v2 = v3.substr(0, version_at);
  latentdb::PutFixed32LE(&v2, 2);
  v2 += v3.substr(version_at + 4, codes_at - version_at - 4);
  v2 += v3.substr(npos_at, faiss_len_at - npos_at);
  latentdb::PutFixed64LE(&v2, faiss.size());
  v2 += faiss;
  latentdb::PutFixed32LE(&v2, Crc32(v2));
  REQUIRE(latentdb::WriteFileAtomically(path, v2).ok());
  uint64_t seq = 0;
  auto loaded = VectorIndex::Load(path, spec, &seq);
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  CHECK(seq == 4);
  for (size_t i = 0; i < 10; ++i) {
    auto a = index->Search(fx.queries.data() + i * fx.dim, 10, {}, nullptr);
    auto b = (*loaded)->Search(fx.queries.data() + i * fx.dim, 10, {}, nullptr);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(a->size() == b->size());
    for (size_t j = 0; j < a->size(); ++j) {
      CHECK((*a)[j].id == (*b)[j].id);
      CHECK((*a)[j].score == (*b)[j].score);
    }
  }
  // The same version-2 file under a spec with codes on disk is refused (its rows are in RAM form).
  spec.codes_file_prefix = path;
  CHECK(VectorIndex::Load(path, spec, &seq).status().code() == StatusCode::kCorruption);
}
