// The pipeline in process, against a recording fake sink: ids by rule, validation skips with
// reasons, a refused batch split down to the one bad item, --resume, and a fatal sink error.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "ingest/pipeline.h"
#include "tests/ingest/ingest_files.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace latentdb::ingest;
using latentdb::Status;
using latentdb::testing::TempDir;
using nlohmann::json;

class FakeSink final : public Sink {
 public:
  std::map<std::string, std::vector<float>> points;  // id (JSON text) -> vector
  std::set<std::string> refuse;                      // ids whose batches are refused
  std::set<std::string> preexisting;                 // ids Stored() reports
  size_t writes = 0, fail_after_writes = SIZE_MAX;
  size_t prepared = 0;
  bool exists = false;  // the collection existed before the run
  mutable std::mutex mu;

  std::string Describe() const override { return "fake"; }
  Status Open() override { return Status::Ok(); }
  latentdb::Result<nlohmann::json> ModelManifest(const std::string& name) override {
    return Status::NotFound("model '" + name + "' does not exist");
  }
  latentdb::Result<CollectionTarget> EnsureCollection(const std::string&, const latentdb::engine::CollectionConfig& w) override {
    CollectionTarget t;
    t.config = w;
    t.created = !exists;
    return t;
  }
  void Prepare(Item* item) const override {
    std::lock_guard lock(mu);
    item->wire = "prepared";
    const_cast<FakeSink*>(this)->prepared++;
  }
  Status Write(std::span<const Item> items) override {
    if (++writes > fail_after_writes) return Status::IOError("disk on fire");
    for (const auto& it : items) {
      if (refuse.count(it.id.ToJson().dump())) return Status::InvalidArgument("point " + it.id.ToString() + " is cursed");
    }
    for (const auto& it : items) {
      CHECK(it.wire == "prepared");
      points[it.id.ToJson().dump()] = it.vector;
    }
    return Status::Ok();
  }
  Status Stored(const std::vector<Item>& items, std::vector<bool>* stored) override {
    stored->clear();
    for (const auto& it : items) stored->push_back(preexisting.count(it.id.ToJson().dump()) != 0);
    return Status::Ok();
  }
  latentdb::Result<size_t> Count() override { return points.size(); }
  Status Finish() override { return Status::Ok(); }
};

PipelineOptions Options(size_t batch = 16) {
  PipelineOptions o;
  o.collection = "c";
  o.batch = batch;
  o.threads = 2;
  o.show_progress = false;
  return o;
}

TEST_CASE("ingest pipeline: one source gets integer row ids, every row arrives once", "[ingest]") {
  TempDir dir;
  auto m = latentdb::testing::RandomMatrix(1000, 4, 11);
  latentdb::testing::WriteFvecs(dir.Sub("a.fvecs"), m);
  FakeSink sink;
  auto r = RunIngest({{dir.Sub("a.fvecs"), Format::kFvecs}}, {}, &sink, Options(64));
  REQUIRE(r.ok());
  CHECK(r->error.ok());
  CHECK(r->read == 1000);
  CHECK(r->stored == 1000);
  CHECK(r->skipped == 0);
  CHECK(r->config.dim == 4);
  REQUIRE(sink.points.size() == 1000);
  for (size_t i = 0; i < 1000; i += 97) CHECK(sink.points.at(std::to_string(i)) == m[i]);
  CHECK(sink.prepared == 1000);
}

TEST_CASE("ingest pipeline: several sources get '<file>:<row>' ids, same names are refused", "[ingest]") {
  TempDir dir;
  auto a = latentdb::testing::RandomMatrix(30, 3, 1), b = latentdb::testing::RandomMatrix(20, 3, 2);
  latentdb::testing::WriteFvecs(dir.Sub("a.fvecs"), a);
  latentdb::testing::WriteNpyF32(dir.Sub("b.npy"), b);
  FakeSink sink;
  auto r = RunIngest({{dir.Sub("a.fvecs"), Format::kFvecs}, {dir.Sub("b.npy"), Format::kNpy}}, {}, &sink, Options());
  REQUIRE(r.ok());
  CHECK(r->stored == 50);
  CHECK(sink.points.at("\"a.fvecs:29\"") == a[29]);
  CHECK(sink.points.at("\"b.npy:0\"") == b[0]);

  latentdb::testing::WriteFvecs(dir.Sub("sub_a.fvecs"), a);
  std::string sub = dir.Sub("x");
  REQUIRE(system(("mkdir -p " + sub + " && cp " + dir.Sub("a.fvecs") + " " + sub + "/a.fvecs").c_str()) == 0);
  FakeSink sink2;
  auto dup = RunIngest({{dir.Sub("a.fvecs"), Format::kFvecs}, {sub + "/a.fvecs", Format::kFvecs}}, {}, &sink2, Options());
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().message().find("two sources are named 'a.fvecs'") != std::string::npos);
}

TEST_CASE("ingest pipeline: invalid items are skipped with reasons, the rest is stored", "[ingest]") {
  TempDir dir;
  std::string lines;
  for (int i = 0; i < 100; ++i) {
    json v = {i, 1, 2};
    if (i == 10) v = {1, 2};                 // wrong dimension
    if (i == 20) v = {1e39, 1, 2};           // overflows float: Inf
    lines += json{{"id", "p" + std::to_string(i)}, {"vector", v}}.dump() + "\n";
    if (i == 30) lines += "{oops\n";         // bad JSON, a line of its own
  }
  latentdb::testing::WriteBytes(dir.Sub("a.jsonl"), lines);
  SourceOptions so;
  so.id_field = "id";
  PipelineOptions po = Options(7);
  po.id_rule.kind = IdRule::Kind::kField;
  po.id_rule.field = "id";
  FakeSink sink;
  sink.refuse = {"\"p55\""};  // refused by the sink: found by splitting its batch
  auto r = RunIngest({{dir.Sub("a.jsonl"), Format::kJsonl}}, so, &sink, po);
  REQUIRE(r.ok());
  CHECK(r->read == 101);
  CHECK(r->skipped == 4);
  CHECK(r->stored == 97);
  CHECK(sink.points.size() == 97);
  CHECK(sink.points.count("\"p10\"") == 0);
  CHECK(sink.points.count("\"p20\"") == 0);
  CHECK(sink.points.count("\"p55\"") == 0);
  CHECK(sink.points.count("\"p54\"") == 1);
  CHECK(sink.points.count("\"p56\"") == 1);
  CHECK(r->skip_counts == std::map<std::string, uint64_t>{
                              {"wrong dimension", 1}, {"NaN/Inf", 1}, {"bad JSON", 1}, {"refused by the collection", 1}});
  const std::string summary = FormatSummary(*r);
  CHECK(summary.find("skipped  4") != std::string::npos);
  CHECK(summary.find("a.jsonl row 31: bad JSON") != std::string::npos);
}

TEST_CASE("ingest pipeline: --resume leaves stored ids out, a sink failure stops the run", "[ingest]") {
  TempDir dir;
  auto m = latentdb::testing::RandomMatrix(100, 2, 3);
  latentdb::testing::WriteFvecs(dir.Sub("a.fvecs"), m);
  FakeSink sink;
  sink.exists = true;
  for (int i = 0; i < 40; ++i) sink.preexisting.insert(std::to_string(i));
  PipelineOptions po = Options(10);
  po.resume = true;
  auto r = RunIngest({{dir.Sub("a.fvecs"), Format::kFvecs}}, {}, &sink, po);
  REQUIRE(r.ok());
  CHECK(r->already_stored == 40);
  CHECK(r->stored == 60);
  CHECK(sink.points.count("39") == 0);
  CHECK(sink.points.count("40") == 1);

  FakeSink failing;
  failing.fail_after_writes = 3;
  auto f = RunIngest({{dir.Sub("a.fvecs"), Format::kFvecs}}, {}, &failing, Options(10));
  REQUIRE(f.ok());
  CHECK(f->error.code() == latentdb::StatusCode::kIOError);
  CHECK(f->stored == 30);
  CHECK(FormatSummary(*f).find("disk on fire") != std::string::npos);
}

TEST_CASE("ingest pipeline: sources without vectors need an encoder, unreadable files are skipped", "[ingest]") {
  TempDir dir;
  latentdb::testing::WriteBytes(dir.Sub("a.txt"), "hello\nworld\n");
  FakeSink sink;
  auto r = RunIngest({{dir.Sub("a.txt"), Format::kText}}, {}, &sink, Options());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("needs an encoder") != std::string::npos);

  auto m = latentdb::testing::RandomMatrix(10, 2, 4);
  latentdb::testing::WriteFvecs(dir.Sub("good.fvecs"), m);
  latentdb::testing::WriteBytes(dir.Sub("bad.npy"), "\x93NUMPY garbage");
  auto r2 = RunIngest({{dir.Sub("bad.npy"), Format::kNpy}, {dir.Sub("good.fvecs"), Format::kFvecs}}, {}, &sink, Options());
  REQUIRE(r2.ok());
  CHECK(r2->stored == 10);
  CHECK(r2->skipped == 1);
  CHECK(r2->skip_counts.count("unreadable file") == 1);
}

}  // namespace

namespace {

// Exercises the hook's contract (batching, per-input failures) independently of any model:
// text -> {length, number of 'a's, 1}. The real encoders are tested in encoder_test.cc.
class FakeTextEncoder final : public ItemEncoder {
 public:
  const std::string& name() const override { return name_; }
  size_t dim() const override { return 3; }
  bool Accepts(RawInput::Kind kind) const override { return kind == RawInput::Kind::kText; }
  std::vector<latentdb::Result<EncodedInput>> Encode(const std::vector<const RawInput*>& inputs) const override {
    std::vector<latentdb::Result<EncodedInput>> out;
    for (const RawInput* in : inputs) {
      if (in->bytes == "unreadable") {
        out.push_back(Status::InvalidArgument("cannot encode: unreadable"));
        continue;
      }
      float a = static_cast<float>(std::count(in->bytes.begin(), in->bytes.end(), 'a'));
      out.push_back(EncodedInput{{static_cast<float>(in->bytes.size()), a, 1}, nullptr});
    }
    return out;
  }

 private:
  std::string name_ = "fake-text";
};

TEST_CASE("ingest pipeline: the encoder hook turns text lines and JSONL text fields into vectors", "[ingest]") {
  TempDir dir;
  latentdb::testing::WriteBytes(dir.Sub("docs.txt"), "banana\n\nunreadable\ncat\n");
  latentdb::testing::WriteBytes(dir.Sub("mixed.jsonl"),
                                "{\"text\": \"aaa\", \"payload\": {\"k\": 1}}\n"
                                "{\"vector\": [9, 9, 9]}\n"
                                "{\"image\": \"missing.png\"}\n");
  FakeTextEncoder encoder;
  PipelineOptions po = Options(2);
  po.encoder = &encoder;
  FakeSink sink;
  auto r = RunIngest({{dir.Sub("docs.txt"), Format::kText}, {dir.Sub("mixed.jsonl"), Format::kJsonl}}, {}, &sink, po);
  REQUIRE(r.ok());
  CHECK(r->config.dim == 3);
  CHECK(r->config.encoder == std::optional<std::string>("fake-text"));
  CHECK(sink.points.at("\"docs.txt:0\"") == std::vector<float>{6, 3, 1});
  CHECK(sink.points.at("\"docs.txt:3\"") == std::vector<float>{3, 1, 1});
  CHECK(sink.points.at("\"mixed.jsonl:0\"") == std::vector<float>{3, 3, 1});
  CHECK(sink.points.at("\"mixed.jsonl:1\"") == std::vector<float>{9, 9, 9});
  CHECK(r->stored == 4);
  // "unreadable" fails in the encoder; the image line fails reading its file.
  CHECK(r->skipped == 2);
  CHECK(r->skip_counts.count("cannot encode") == 1);
  CHECK(r->skip_counts.count("bad image") == 1);

  // Without an encoder, a JSONL line with only text is skipped with the reason.
  FakeSink plain;
  auto r2 = RunIngest({{dir.Sub("mixed.jsonl"), Format::kJsonl}}, {}, &plain, Options());
  REQUIRE(r2.ok());
  CHECK(r2->stored == 1);
  CHECK(r2->skip_counts.count("needs an encoder") == 1);
}

}  // namespace
