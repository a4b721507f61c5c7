// Word-model encoding in the ingest pipeline, offline in process: a word model imported from a
// word2vec text file the test writes, a text file ingested with --encoder; each stored vector is
// checked against the mean of unit word vectors computed here from the file's numbers.

#include <catch2/catch.hpp>

#include <cmath>

#include "engine/database.h"
#include "ingest/encoder_hook.h"
#include "ingest/pipeline.h"
#include "ingest/sink.h"
#include "words/importer.h"
#include "tests/ingest/ingest_files.h"
#include "tests/ingest/word_model_files.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace latentdb::ingest;
using latentdb::testing::TempDir;
using nlohmann::json;

TEST_CASE("ingest: a word model encodes text lines offline like the server's text upserts", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  latentdb::testing::ImportTinyWordModel(data, dir.Sub("w.txt"), "tiny");
  latentdb::testing::WriteBytes(dir.Sub("docs.txt"), "king queen\nzzz qqq\n\nQueen apple\napple\n");

  auto sink = MakeOfflineSink({data});
  REQUIRE(sink->Open().ok());
  auto manifest = sink->ModelManifest("tiny");
  REQUIRE(manifest.ok());
  auto info = EncoderInfoFromManifest("tiny", *manifest);
  REQUIRE(info.ok());
  CHECK(info->input == RawInput::Kind::kText);
  CHECK(info->dim == 3);
  auto encoder = MakeItemEncoder(*info, {data, sink->database()});
  REQUIRE(encoder.ok());
  CHECK((*encoder)->dim() == 3);
  CHECK((*encoder)->Accepts(RawInput::Kind::kText));
  CHECK_FALSE((*encoder)->Accepts(RawInput::Kind::kImage));

  PipelineOptions po;
  po.collection = "docs";
  po.threads = 2;
  po.batch = 2;
  po.show_progress = false;
  po.encoder = encoder->get();
  auto r = RunIngest({{dir.Sub("docs.txt"), Format::kText}}, {}, sink.get(), po);
  REQUIRE(r.ok());
  INFO(FormatSummary(*r));
  REQUIRE(r->error.ok());
  CHECK(r->created);
  CHECK(r->config.dim == 3);
  CHECK(r->config.encoder == std::optional<std::string>("tiny"));
  CHECK(r->stored == 3);
  CHECK(r->skipped == 1);
  CHECK(r->skip_counts.count("bad text") == 1);
  REQUIRE(r->first_skips.size() == 1);
  CHECK(r->first_skips[0].find("docs.txt row 1") != std::string::npos);

  auto pts = latentdb::testing::ReadPoints(data, "docs", {0, 1, 3, 4});
  REQUIRE(pts[0]);
  CHECK_FALSE(pts[1]);
  REQUIRE(pts[2]);
  REQUIRE(pts[3]);
  using latentdb::testing::TinyTextVector;
  const auto close = [](const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::fabs(a[i] - b[i]) > 1e-6f) return false;
    }
    return true;
  };
  CHECK(close(pts[0]->vector, TinyTextVector({"king", "queen"})));
  CHECK(close(pts[2]->vector, TinyTextVector({"queen", "apple"})));  // "Queen" falls back to lower case
  CHECK(close(pts[3]->vector, TinyTextVector({"apple"})));
}

TEST_CASE("ingest: encoder resolution errors", "[ingest]") {
  CHECK(EncoderInfoFromManifest("m", json{{"kind", "word2vec"}}).status().code() == latentdb::StatusCode::kInvalidArgument);
  CHECK(EncoderInfoFromManifest("m", json{{"kind", "nope"}, {"dim", 4}}).status().code() ==
        latentdb::StatusCode::kInvalidArgument);
  CHECK(EncoderInfoFromManifest("m", json{{"kind", "cnn"}, {"dim", 4}})->input == RawInput::Kind::kImage);
  CHECK(EncoderInfoFromManifest("m", json{{"kind", "vae"}, {"dim", 4}})->input == RawInput::Kind::kImage);
  // A word model needs the open data directory.
  auto info = EncoderInfoFromManifest("m", json{{"kind", "word2vec"}, {"dim", 4}});
  REQUIRE(info.ok());
  CHECK(MakeItemEncoder(*info, {"/nonexistent", nullptr}).status().code() == latentdb::StatusCode::kInvalidArgument);

  // A text source with an image model (or the reverse) is refused before anything is written.
  TempDir dir;
  latentdb::testing::WriteBytes(dir.Sub("docs.txt"), "king\n");
  auto sink = MakeOfflineSink({dir.Sub("data")});
  REQUIRE(sink->Open().ok());
  CHECK(sink->ModelManifest("absent").status().code() == latentdb::StatusCode::kNotFound);
  PipelineOptions po;
  po.collection = "docs";
  po.show_progress = false;
  po.server_encoder = *EncoderInfoFromManifest("img", json{{"kind", "cnn"}, {"dim", 4}});
  auto r = RunIngest({{dir.Sub("docs.txt"), Format::kText}}, {}, sink.get(), po);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("needs an encoder (--encoder MODEL, a word model)") != std::string::npos);
}

}  // namespace
