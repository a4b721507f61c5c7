// Image-model encoding in the ingest pipeline (built with encoders): a tiny CNN and a tiny
// VAE trained here for a few steps on synthetic stripes, then an image folder the test writes —
// PNG and BMP files in class sub-folders plus a truncated PNG and a truncated JPEG — ingested
// offline. The corrupt files are skipped with their reason and path, the others stored with the
// vector the model gives for the same decoded image, the class label and, for the VAE, the
// anomaly scores.

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "encoders/image_model.h"
#include "encoders/trainer.h"
#include "images/image.h"
#include "ingest/encoder_hook.h"
#include "ingest/pipeline.h"
#include "ingest/sink.h"
#include "tests/ingest/image_files.h"
#include "tests/ingest/ingest_files.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace latentdb::ingest;
using latentdb::testing::TempDir;
using nlohmann::json;
namespace encoders = latentdb::encoders;

constexpr int kSide = 28;

// Horizontal (label 0) or vertical (label 1) stripes with a per-image phase.
std::vector<uint8_t> Stripes(int label, int phase) {
  std::vector<uint8_t> p(kSide * kSide);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) p[y * kSide + x] = (((label ? x : y) + phase) / 3) % 2 ? 230 : 20;
  }
  return p;
}

encoders::ImageDataset StripesDataset(size_t n) {
  encoders::ImageDataset ds;
  ds.channels = 1;
  ds.height = ds.width = kSide;
  ds.class_names = {"horizontal", "vertical"};
  for (size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 2);
    auto p = Stripes(label, static_cast<int>(i / 2) % 6);
    ds.pixels.insert(ds.pixels.end(), p.begin(), p.end());
    ds.labels.push_back(label);
  }
  return ds;
}

void TrainTiny(const std::string& data, const std::string& kind, const std::string& name) {
  encoders::TrainImageOptions o;
  o.kind = kind;
  o.name = name;
  o.dim = 8;
  o.latent = 4;
  o.epochs = 1;
  o.batch_size = 16;
  o.threads = 1;
  o.max_batches_per_epoch = 2;
  auto ds = StripesDataset(48);
  auto m = encoders::TrainImageModel(data, o, ds, ds.Head(16));
  INFO((m.ok() ? std::string("ok") : m.status().ToString()));
  REQUIRE(m.ok());
}

// The folder: 3 PNGs in horizontal/, 3 BMPs in vertical/, a truncated PNG and a truncated JPEG.
std::map<std::string, std::string> WriteFolder(const std::string& root) {
  std::map<std::string, std::string> files;
  for (int i = 0; i < 3; ++i) {
    files["horizontal/h" + std::to_string(i) + ".png"] = latentdb::testing::PngBytes(kSide, kSide, 1, Stripes(0, i));
    files["vertical/v" + std::to_string(i) + ".bmp"] = latentdb::testing::BmpBytes(kSide, kSide, 1, Stripes(1, i));
  }
  const std::string png = latentdb::testing::PngBytes(kSide, kSide, 1, Stripes(0, 5));
  const std::string jpg = latentdb::testing::JpegBytes(kSide, kSide, 1, Stripes(1, 5));
  files["vertical/broken.png"] = png.substr(0, png.size() / 2);
  files["horizontal/broken.jpg"] = jpg.substr(0, 40);
  for (const auto& [rel, bytes] : files) {
    std::filesystem::create_directories(std::filesystem::path(root + "/" + rel).parent_path());
    latentdb::testing::WriteBytes(root + "/" + rel, bytes);
  }
  return files;
}

IngestReport IngestFolder(const std::string& data, const std::string& folder, const std::string& model) {
  auto sink = MakeOfflineSink({data});
  REQUIRE(sink->Open().ok());
  auto manifest = sink->ModelManifest(model);
  REQUIRE(manifest.ok());
  auto info = EncoderInfoFromManifest(model, *manifest);
  REQUIRE(info.ok());
  CHECK(info->input == RawInput::Kind::kImage);
  auto encoder = MakeItemEncoder(*info, {data, sink->database()});
  REQUIRE(encoder.ok());
  PipelineOptions po;
  po.collection = model + "-images";
  po.threads = 2;
  po.batch = 3;
  po.show_progress = false;
  po.id_rule.kind = IdRule::Kind::kPath;
  po.encoder = encoder->get();
  auto r = RunIngest({{folder, Format::kImageFolder}}, {}, sink.get(), po);
  REQUIRE(r.ok());
  return *r;
}

void CheckCommon(const IngestReport& r, size_t dim) {
  INFO(FormatSummary(r));
  REQUIRE(r.error.ok());
  CHECK(r.created);
  CHECK(r.config.dim == dim);
  CHECK(r.stored == 6);
  CHECK(r.skipped == 2);
  CHECK(r.skip_counts.count("corrupt image") == 1);
  CHECK(r.skip_counts.at("corrupt image") == 2);
  const std::string summary = FormatSummary(r);
  CHECK(summary.find("vertical/broken.png") != std::string::npos);
  CHECK(summary.find("horizontal/broken.jpg") != std::string::npos);
}

bool Close(const std::vector<float>& a, const std::vector<float>& b, float tol) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::fabs(a[i] - b[i]) > tol) return false;
  }
  return true;
}

TEST_CASE("ingest: a CNN encodes an image folder offline, corrupt files are skipped with their path", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  TrainTiny(data, "cnn", "cnn");
  auto files = WriteFolder(dir.Sub("imgs"));
  auto r = IngestFolder(data, dir.Sub("imgs"), "cnn");
  CheckCommon(r, 8);
  CHECK(r.config.encoder == std::optional<std::string>("cnn"));

  auto model = encoders::ImageModel::Open(data, "cnn");
  REQUIRE(model.ok());
  std::vector<json> ids;
  std::vector<std::string> rels;
  for (const auto& [rel, bytes] : files) {
    ids.push_back(rel);
    rels.push_back(rel);
  }
  auto pts = latentdb::testing::ReadPoints(data, "cnn-images", ids);
  for (size_t i = 0; i < rels.size(); ++i) {
    INFO(rels[i]);
    if (rels[i].find("broken") != std::string::npos) {
      CHECK_FALSE(pts[i]);
      continue;
    }
    REQUIRE(pts[i]);
    auto image = latentdb::images::Decode(files[rels[i]]);
    REQUIRE(image.ok());
    auto expected = (*model)->Encode(*image);
    REQUIRE(expected.ok());
    CHECK(Close(pts[i]->vector, *expected, 1e-5f));
    CHECK(pts[i]->payload["label"] == rels[i].substr(0, rels[i].find('/')));
    CHECK(pts[i]->payload["path"] == rels[i]);
    CHECK_FALSE(pts[i]->payload.contains("neg_elbo"));
  }

  // The same through the tool: --strict fails because of the two corrupt files, after storing the rest.
  std::string out;
  const int rc = latentdb::testing::RunLatentdb({"ingest", "--collection", "cli", "--data-dir", data, "--encoder", "cnn",
                                                 "--id-from", "path", "--quiet", "--strict", dir.Sub("imgs")},
                                                &out);
  INFO(out);
  CHECK(rc == 1);
  CHECK(out.find("stored   6") != std::string::npos);
  CHECK(out.find("corrupt image:") != std::string::npos);
  CHECK(latentdb::testing::InspectCollection(data, "cli").size == 6);

  // Online: the tool sends the files' bytes (base64) and the server encodes them with the same
  // model; the corrupt files are refused by the server one by one and skipped.
  {
    latentdb::testing::ServerProcess server(data);
    const int orc = latentdb::testing::RunLatentdb(
        {"ingest", "--collection", "online", "--url", "http://127.0.0.1:" + std::to_string(server.port()), "--encoder",
         "cnn", "--id-from", "path", "--batch", "4", "--quiet", dir.Sub("imgs")},
        &out);
    INFO(out);
    CHECK(orc == 0);
    CHECK(out.find("stored   6") != std::string::npos);
    CHECK(out.find("refused by the collection") != std::string::npos);
    REQUIRE(server.Terminate() == 0);
  }
  auto online = latentdb::testing::ReadPoints(data, "online", ids);
  for (size_t i = 0; i < rels.size(); ++i) {
    INFO(rels[i]);
    CHECK(online[i].has_value() == pts[i].has_value());
    if (!online[i] || !pts[i]) continue;
    CHECK(Close(online[i]->vector, pts[i]->vector, 1e-5f));
    CHECK(online[i]->payload["label"] == pts[i]->payload["label"]);
  }
}

TEST_CASE("ingest: a VAE stores its posterior means and anomaly scores in the payload", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  TrainTiny(data, "vae", "vae");
  auto files = WriteFolder(dir.Sub("imgs"));
  auto r = IngestFolder(data, dir.Sub("imgs"), "vae");
  CheckCommon(r, 4);

  auto model = encoders::ImageModel::Open(data, "vae");
  REQUIRE(model.ok());
  const std::string rel = "vertical/v1.bmp";
  auto pts = latentdb::testing::ReadPoints(data, "vae-images", {rel});
  REQUIRE(pts[0]);
  auto image = latentdb::images::Decode(files[rel]);
  REQUIRE(image.ok());
  auto rec = (*model)->Reconstruct({*image});
  REQUIRE(rec.ok());
  CHECK(Close(pts[0]->vector, (*rec)[0].mean, 1e-5f));
  const json& p = pts[0]->payload;
  REQUIRE(p.contains("reconstruction_error"));
  REQUIRE(p.contains("kl"));
  REQUIRE(p.contains("neg_elbo"));
  CHECK(p["label"] == "vertical");
  CHECK(p["neg_elbo"].get<double>() == Approx(p["reconstruction_error"].get<double>() + p["kl"].get<double>()));
  CHECK(p["neg_elbo"].get<double>() == Approx((*rec)[0].scores.neg_elbo).epsilon(1e-4));
  CHECK(p["kl"].get<double>() >= 0);
}

TEST_CASE("ingest: IDX images go to an image encoder, with their labels, when --encoder is given", "[ingest]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  TrainTiny(data, "cnn", "cnn");
  // 5 images and their labels as IDX files (the Fashion-MNIST layout).
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels;
  for (int i = 0; i < 5; ++i) {
    auto p = Stripes(i % 2, i);
    pixels.insert(pixels.end(), p.begin(), p.end());
    labels.push_back(static_cast<uint8_t>(i % 2));
  }
  const std::string images_path = dir.Sub("tiny-images-idx3-ubyte");
  latentdb::testing::WriteIdxImages(images_path, 5, kSide, kSide, pixels);
  latentdb::testing::WriteIdxLabels(dir.Sub("tiny-labels-idx1-ubyte"), labels);

  auto sink = MakeOfflineSink({data});
  REQUIRE(sink->Open().ok());
  auto manifest = sink->ModelManifest("cnn");
  REQUIRE(manifest.ok());
  auto info = EncoderInfoFromManifest("cnn", *manifest);
  REQUIRE(info.ok());
  auto encoder = MakeItemEncoder(*info, {data, sink->database()});
  REQUIRE(encoder.ok());
  PipelineOptions po;
  po.collection = "idx-images";
  po.threads = 2;
  po.batch = 2;
  po.show_progress = false;
  po.encoder = encoder->get();
  auto r = RunIngest({{images_path, Format::kIdx}}, {}, sink.get(), po);
  REQUIRE(r.ok());
  INFO(FormatSummary(*r));
  CHECK(r->config.dim == 8);  // the encoder's dimension, not 784 pixels
  CHECK(r->stored == 5);
  CHECK(r->skipped == 0);
  sink.reset();

  auto model = encoders::ImageModel::Open(data, "cnn");
  REQUIRE(model.ok());
  auto pts = latentdb::testing::ReadPoints(data, "idx-images", {json(3)});
  REQUIRE(pts[0]);
  latentdb::images::Image img{kSide, kSide, 1, Stripes(1, 3)};
  auto v = (*model)->Encode(img);
  REQUIRE(v.ok());
  CHECK(Close(pts[0]->vector, *v, 1e-5f));
  CHECK(pts[0]->payload["label"] == 1);
}

}  // namespace
