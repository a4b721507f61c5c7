// The latent module's operations (latent) on real collections of an engine::Database in a
// temp dir: anomaly ranking, the map, the VAE analogy sum, interpolation endpoints, and decoding
// through a tiny VAE trained here on synthetic images. Expected values are computed in the test
// from the points it stored.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/database.h"
#include "encoders/dataset.h"
#include "encoders/image_model.h"
#include "encoders/trainer.h"
#include "latent/analogy.h"
#include "latent/anomalies.h"
#include "latent/decode.h"
#include "latent/interpolation.h"
#include "latent/map.h"
#include "latent/math.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using namespace latentdb;
using engine::ExternalId;
using latentdb::testing::CreateFlatCollection;
using latentdb::testing::TempDir;
using nlohmann::json;

namespace {



engine::PointInput Point(ExternalId id, std::vector<float> v, json payload = nullptr) {
  engine::PointInput p;
  p.id = std::move(id);
  p.vector = std::move(v);
  p.payload = std::move(payload);
  return p;
}

void Upsert(engine::Collection& c, std::vector<engine::PointInput> points) {
  auto s = c.Upsert(std::move(points));
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// A VAE with 4-d latents trained for two batches on synthetic 28 × 28 gradients: the operations
// need a generative model, not a good one. Trained once per process.
struct TinyVae {
  TempDir dir;
  std::shared_ptr<encoders::ImageModel> model;
};

TinyVae& Vae() {
  static TinyVae vae;
  static bool trained = [] {
    encoders::ImageDataset ds;
    ds.channels = 1;
    ds.height = 28;
    ds.width = 28;
    for (int i = 0; i < 64; ++i) {
      for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) ds.pixels.push_back(static_cast<uint8_t>((x * (i % 8) + y * (i / 8)) * 255 / 400));
      ds.labels.push_back(i % 10);
    }
    ds.class_names = encoders::FashionMnistClasses();
    encoders::TrainImageOptions o;
    o.kind = "vae";
    o.name = "vae";
    o.latent = 4;
    o.epochs = 1;
    o.batch_size = 32;
    o.conv1 = 4;
    o.conv2 = 8;
    o.max_batches_per_epoch = 2;
    o.threads = 1;  // ctest runs cases in parallel
    auto manifest = encoders::TrainImageModel(vae.dir.path(), o, ds, ds.Head(16));
    INFO(manifest.status().ToString());
    REQUIRE(manifest.ok());
    auto model = encoders::ImageModel::Open(vae.dir.path(), "vae");
    INFO(model.status().ToString());
    REQUIRE(model.ok());
    vae.model = *model;
    return true;
  }();
  REQUIRE(trained);
  return vae;
}

}  // namespace

TEST_CASE("latent ops: anomalies rank by the payload's neg_elbo, highest first, k points", "[latent][ops]") {
  TempDir dir;
  auto db = latentdb::testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "scores", 2);
  // Scores 0, 7, 3, 7 (a tie: insertion order decides), a point without a score, one whose score
  // is not a number, one without a payload, then 9 under a string id.
  Upsert(*c, {Point(ExternalId(uint64_t{0}), {0, 0}, {{"neg_elbo", 0.0}, {"label", "a"}}),
              Point(ExternalId(uint64_t{1}), {1, 0}, {{"neg_elbo", 7.0}}),
              Point(ExternalId(uint64_t{2}), {2, 0}, {{"neg_elbo", 3}}),
              Point(ExternalId(uint64_t{3}), {3, 0}, {{"neg_elbo", 7.0}, {"label", "d"}}),
              Point(ExternalId(uint64_t{4}), {4, 0}, {{"label", "unscored"}}),
              Point(ExternalId(uint64_t{5}), {5, 0}, {{"neg_elbo", "high"}}),
              Point(ExternalId(uint64_t{6}), {6, 0}),
              Point(ExternalId(std::string("s")), {7, 0}, {{"neg_elbo", 9.5}})});

  auto top = latent::RankAnomalies(*c, 3);
  REQUIRE(top.ok());
  CHECK(top->scored == 5);
  REQUIRE(top->points.size() == 3);
  CHECK(top->points[0].id == ExternalId(std::string("s")));
  CHECK(top->points[0].neg_elbo == 9.5);
  CHECK(top->points[1].id == ExternalId(uint64_t{1}));  // 7 inserted before the other 7
  CHECK(top->points[2].id == ExternalId(uint64_t{3}));
  CHECK(top->points[2].payload == json({{"neg_elbo", 7.0}, {"label", "d"}}));  // the whole payload

  // k above the scored points returns every scored point; the order of the rest follows.
  auto all = latent::RankAnomalies(*c, 100);
  REQUIRE(all.ok());
  REQUIRE(all->points.size() == 5);
  CHECK(all->points[3].id == ExternalId(uint64_t{2}));
  CHECK(all->points[3].neg_elbo == 3.0);
  CHECK(all->points[4].id == ExternalId(uint64_t{0}));
  auto one = latent::RankAnomalies(*c, 1);
  REQUIRE(one.ok());
  REQUIRE(one->points.size() == 1);
  CHECK(one->points[0].id == ExternalId(std::string("s")));

  CHECK(latent::RankAnomalies(*c, 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(latent::RankAnomalies(*c, engine::kMaxK + 1).status().code() == StatusCode::kInvalidArgument);
  CHECK(latent::RankAnomalies(*c, engine::kMaxK).ok());

  auto empty = CreateFlatCollection(*db, "empty", 2);
  auto none = latent::RankAnomalies(*empty, 5);
  REQUIRE(none.ok());
  CHECK(none->points.empty());
  CHECK(none->scored == 0);
}

TEST_CASE("latent ops: anomalies over more than one scroll page", "[latent][ops]") {
  TempDir dir;
  auto db = latentdb::testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "many", 1);
  // 25,000 points (pages of 10,000), score (i * 7919) mod 25,000: a permutation, so the top k
  // are the ids whose score is 24,999, 24,998, …
  const uint64_t n = 25000;
  std::vector<engine::PointInput> points;
  std::vector<uint64_t> id_of_score(n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t score = (i * 7919) % n;
    id_of_score[score] = i;
    points.push_back(Point(ExternalId(i), {static_cast<float>(i)}, {{"neg_elbo", score}}));
  }
  Upsert(*c, std::move(points));
  // Deleted points are not ranked.
  REQUIRE(c->Delete({ExternalId(id_of_score[n - 1])}).ok());
  auto top = latent::RankAnomalies(*c, 10);
  REQUIRE(top.ok());
  CHECK(top->scored == n - 1);
  REQUIRE(top->points.size() == 10);
  for (size_t i = 0; i < 10; ++i) {
    CHECK(top->points[i].id == ExternalId(id_of_score[n - 2 - i]));
    CHECK(top->points[i].neg_elbo == static_cast<double>(n - 2 - i));
  }
}

TEST_CASE("latent ops: the map samples evenly and projects on the principal axes, labelled by a payload field", "[latent][ops]") {
  TempDir dir;
  auto db = latentdb::testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "pts", 3);
  // The 8 points m ± 2·x ± 5·y ± 0.5·z: variances along y, x, z are (8/7)·25, (8/7)·4, (8/7)·0.25,
  // so the map's x is the signed 5 and its y the signed 2 (axes signed to a positive largest entry).
  const float m[3] = {1.0f, -2.0f, 0.5f};
  std::vector<engine::PointInput> points;
  std::vector<std::array<int, 3>> signs;
  for (int p = 0; p < 8; ++p) {
    std::array<int, 3> sg{p & 1 ? 1 : -1, p & 2 ? 1 : -1, p & 4 ? 1 : -1};
    signs.push_back(sg);
    points.push_back(Point(ExternalId(static_cast<uint64_t>(p)), {m[0] + 2.0f * sg[0], m[1] + 5.0f * sg[1], m[2] + 0.5f * sg[2]},
                           {{"name", "p" + std::to_string(p)}, {"meta", {{"kind", p % 2}}}}));
  }
  Upsert(*c, std::move(points));

  latent::MapRequest r;
  r.n = 5000;
  r.field = "name";
  auto map = latent::MapCollection(*c, r);
  REQUIRE(map.ok());
  CHECK(map->total == 8);
  REQUIRE(map->points.size() == 8);
  const double total = 8.0 / 7 * (25 + 4 + 0.25);
  REQUIRE(map->explained_variance.size() == 2);
  CHECK(map->explained_variance[0] == Approx(8.0 / 7 * 25));
  CHECK(map->explained_variance[1] == Approx(8.0 / 7 * 4));
  CHECK(map->explained_variance_ratio[0] == Approx(8.0 / 7 * 25 / total));
  CHECK(map->explained_variance_ratio[1] == Approx(8.0 / 7 * 4 / total));
  for (int p = 0; p < 8; ++p) {
    const auto& pt = map->points[p];
    CHECK(pt.id == ExternalId(static_cast<uint64_t>(p)));
    REQUIRE(pt.label);
    CHECK(*pt.label == "p" + std::to_string(p));
    CHECK(pt.x == Approx(5.0 * signs[p][1]).margin(1e-4));
    CHECK(pt.y == Approx(2.0 * signs[p][0]).margin(1e-4));
  }

  // The basis places any vector where the map put it: the mean m, the axes ±y and ±x.
  REQUIRE(map->basis.mean.size() == 3);
  REQUIRE(map->basis.axes.size() == 2);
  for (int i = 0; i < 3; ++i) CHECK(map->basis.mean[i] == Approx(m[i]));
  CHECK(std::abs(map->basis.axes[0][1]) == Approx(1.0));
  CHECK(std::abs(map->basis.axes[1][0]) == Approx(1.0));
  for (int p = 0; p < 8; ++p) {
    auto rec = c->Get(ExternalId(static_cast<uint64_t>(p)), true);
    REQUIRE(rec.ok());
    REQUIRE(*rec);
    auto xy = map->basis.Project(*(*rec)->vector);
    REQUIRE(xy.ok());
    CHECK(xy->first == Approx(map->points[p].x).margin(1e-9));
    CHECK(xy->second == Approx(map->points[p].y).margin(1e-9));
  }
  CHECK(map->basis.Project({1, 2}).status().code() == StatusCode::kInvalidArgument);

  // An evenly spaced sample: positions floor(i · 8 / 3) = 0, 2, 5; a dotted field.
  r.n = 3;
  r.field = "meta.kind";
  auto sample = latent::MapCollection(*c, r);
  REQUIRE(sample.ok());
  REQUIRE(sample->points.size() == 3);
  CHECK(sample->points[0].id == ExternalId(uint64_t{0}));
  CHECK(sample->points[1].id == ExternalId(uint64_t{2}));
  CHECK(sample->points[2].id == ExternalId(uint64_t{5}));
  CHECK(*sample->points[2].label == 1);
  CHECK(sample->total == 8);
  // A point left out of the sample (position 1) lands where the sample's own basis puts it: its
  // offset from the sample's mean along the sample's axes.
  {
    auto rec = c->Get(ExternalId(uint64_t{1}), true);
    REQUIRE(rec.ok());
    REQUIRE(*rec);
    const auto& v = *(*rec)->vector;
    const auto& b = sample->basis;
    double want[2] = {0, 0};
    for (int a = 0; a < 2; ++a)
      for (int i = 0; i < 3; ++i) want[a] += (double(v[i]) - b.mean[i]) * b.axes[a][i];
    auto xy = b.Project(v);
    REQUIRE(xy.ok());
    CHECK(xy->first == Approx(want[0]).margin(1e-9));
    CHECK(xy->second == Approx(want[1]).margin(1e-9));
    // The sample's mean is the mean of points 0, 2 and 5.
    for (int i = 0; i < 3; ++i) {
      double mean = 0;
      for (uint64_t id : {0, 2, 5}) mean += (*(*c->Get(ExternalId(id), true))->vector)[i];
      CHECK(b.mean[i] == Approx(mean / 3));
    }
  }
  // No field: no labels. A field no payload has: null labels.
  r.field.reset();
  auto unlabeled = latent::MapCollection(*c, r);
  REQUIRE(unlabeled.ok());
  CHECK_FALSE(unlabeled->points[0].label.has_value());
  r.field = "missing.deeper";
  auto missing = latent::MapCollection(*c, r);
  REQUIRE(missing.ok());
  REQUIRE(missing->points[0].label.has_value());
  CHECK(missing->points[0].label->is_null());

  // The payload-field path on its own.
  const json payload = {{"a", {{"b", {1, 2}}}}, {"n", 3}};
  CHECK(latent::PayloadField(payload, "a.b") == json({1, 2}));
  CHECK(latent::PayloadField(payload, "n") == 3);
  CHECK(latent::PayloadField(payload, "n.x").is_null());
  CHECK(latent::PayloadField(json(nullptr), "n").is_null());

  // An empty collection: no points, zero variances.
  auto empty = CreateFlatCollection(*db, "empty", 3);
  auto none = latent::MapCollection(*empty, latent::MapRequest{});
  REQUIRE(none.ok());
  CHECK(none->points.empty());
  CHECK(none->explained_variance == std::vector<double>{0.0, 0.0});
  CHECK(none->basis.mean == std::vector<double>(3, 0.0));  // still places a 3-d vector (at 0, 0)
  auto origin = none->basis.Project({1, 2, 3});
  REQUIRE(origin.ok());
  CHECK(origin->first == 0);
  CHECK(none->total == 0);

  // Bounds: n in [1, MaxMapPoints(dim)], which holds n × dim under kMaxMapFloats.
  CHECK(latent::MaxMapPoints(3) == latent::kMaxMapPoints);
  CHECK(latent::MaxMapPoints(1024) == latent::kMaxMapFloats / 1024);
  CHECK(latent::MaxMapPoints(size_t{1} << 30) == 2);
  CHECK(latent::MaxMapPoints(0) == latent::kMaxMapPoints);
  latent::MapRequest bad;
  bad.n = 0;
  CHECK(latent::MapCollection(*c, bad).status().code() == StatusCode::kInvalidArgument);
  bad.n = latent::kMaxMapPoints + 1;
  CHECK(latent::MapCollection(*c, bad).status().code() == StatusCode::kInvalidArgument);
  bad.n = 2;
  bad.field = "";
  CHECK(latent::MapCollection(*c, bad).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("latent ops: the analogy sum of raw latents", "[latent][ops][analogy]") {
  TempDir dir;
  auto db = latentdb::testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "lat", 3, "cosine");
  // Unequal norms: the sum is of the stored vectors, not of unit ones.
  Upsert(*c, {Point(ExternalId(uint64_t{1}), {1, 2, 3}), Point(ExternalId(uint64_t{2}), {10, 0, -4}),
              Point(ExternalId(std::string("c")), {0.5f, 0.25f, 8})});
  engine::AnalogyQuery q;
  q.positive = {{ExternalId(uint64_t{1}), std::nullopt}, {ExternalId(uint64_t{2}), std::nullopt}};
  q.negative = {{ExternalId(std::string("c")), std::nullopt}};
  auto sum = latent::AnalogySum(*c, q);
  REQUIRE(sum.ok());
  CHECK(*sum == std::vector<float>{1 + 10 - 0.5f, 2 + 0 - 0.25f, 3 - 4 - 8.0f});

  // A term given as a vector; positives only; no terms at all.
  q.negative = {{std::nullopt, std::vector<float>{1, 1, 1}}};
  sum = latent::AnalogySum(*c, q);
  REQUIRE(sum.ok());
  CHECK(*sum == std::vector<float>{10, 1, -2});
  q.negative.clear();
  CHECK(*latent::AnalogySum(*c, q) == std::vector<float>{11, 2, -1});
  CHECK(*latent::AnalogySum(*c, engine::AnalogyQuery{}) == std::vector<float>{0, 0, 0});

  // Errors: an unknown id, a vector of the wrong dim, a term with neither.
  engine::AnalogyQuery unknown;
  unknown.positive = {{ExternalId(uint64_t{1}), std::nullopt}};
  unknown.negative = {{ExternalId(uint64_t{99}), std::nullopt}};
  CHECK(latent::AnalogySum(*c, unknown).status().code() == StatusCode::kNotFound);
  engine::AnalogyQuery wrong_dim;
  wrong_dim.positive = {{std::nullopt, std::vector<float>{1, 2}}};
  CHECK(latent::AnalogySum(*c, wrong_dim).status().code() == StatusCode::kInvalidArgument);
  engine::AnalogyQuery empty_term;
  empty_term.positive = {{std::nullopt, std::nullopt}};
  CHECK(latent::AnalogySum(*c, empty_term).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("latent ops: interpolation endpoints by id and by vector", "[latent][ops][interpolation]") {
  TempDir dir;
  auto db = latentdb::testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "lat", 4);
  const std::vector<float> a = {1, -2, 0.5f, 3}, b = {-1, 4, 2, 0};
  Upsert(*c, {Point(ExternalId(uint64_t{7}), a), Point(ExternalId(std::string("b")), b)});

  // By id.
  auto by_id = latent::ResolveEndpoint(*c, ExternalId(uint64_t{7}), "from");
  REQUIRE(by_id.ok());
  CHECK(*by_id == a);
  // By vector.
  const std::vector<float> v = {0.25f, 0.5f, -0.75f, 1};
  auto by_vector = latent::ResolveEndpoint(*c, v, "to");
  REQUIRE(by_vector.ok());
  CHECK(*by_vector == v);

  // From an id to a vector, linear: exact endpoints, (1 − t)·a + t·v between.
  latent::InterpolationRequest r{ExternalId(uint64_t{7}), v, 5, latent::InterpolationMode::kLinear};
  auto lin = latent::InterpolateLatents(*c, r);
  REQUIRE(lin.ok());
  REQUIRE(lin->size() == 5);
  CHECK(lin->front() == a);
  CHECK(lin->back() == v);
  for (size_t k = 0; k < 5; ++k)
    for (size_t i = 0; i < 4; ++i) CHECK((*lin)[k][i] == Approx(a[i] + (v[i] - a[i]) * k / 4.0).margin(1e-6));
  // From a vector to an id, spherical: the midpoint is sin(Ω/2)·(v + b)/sin Ω.
  r = {v, ExternalId(std::string("b")), 3, latent::InterpolationMode::kSlerp};
  auto sl = latent::InterpolateLatents(*c, r);
  REQUIRE(sl.ok());
  REQUIRE(sl->size() == 3);
  CHECK(sl->front() == v);
  CHECK(sl->back() == b);
  double dot = 0, nv = 0, nb = 0;
  for (size_t i = 0; i < 4; ++i) dot += v[i] * b[i], nv += v[i] * v[i], nb += b[i] * b[i];
  const double omega = std::acos(dot / std::sqrt(nv * nb));
  for (size_t i = 0; i < 4; ++i) CHECK((*sl)[1][i] == Approx(std::sin(omega / 2) * (v[i] + b[i]) / std::sin(omega)).margin(1e-5));

  // Errors: an unknown id is NotFound; a vector of the wrong dim or not finite, and fewer than 2
  // steps, are InvalidArgument naming what is wrong.
  auto unknown = latent::InterpolateLatents(*c, {ExternalId(uint64_t{7}), ExternalId(uint64_t{999}), 3});
  CHECK(unknown.status().code() == StatusCode::kNotFound);
  auto wrong_dim = latent::InterpolateLatents(*c, {ExternalId(uint64_t{7}), std::vector<float>{1, 2}, 3});
  CHECK(wrong_dim.status().code() == StatusCode::kInvalidArgument);
  CHECK(wrong_dim.status().message() == "\"to\" has 2 values, the collection is 4-d");
  auto nan = latent::InterpolateLatents(*c, {std::vector<float>{1, NAN, 0, 0}, ExternalId(uint64_t{7}), 3});
  CHECK(nan.status().code() == StatusCode::kInvalidArgument);
  CHECK(nan.status().message().find("\"from\"") != std::string::npos);
  auto one_step = latent::InterpolateLatents(*c, {ExternalId(uint64_t{7}), v, 1});
  CHECK(one_step.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("latent ops: decoding through a VAE - interpolation, samples, points, reconstruction", "[latent][ops][vae]") {
  TinyVae& vae = Vae();
  const encoders::ImageModel& model = *vae.model;
  REQUIRE(model.generative());
  REQUIRE(model.dim() == 4);
  TempDir dir;
  auto db = latentdb::testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "vae_c", 4);
  const std::vector<float> a = {0.5f, -1, 0, 2}, b = {-1.5f, 0.5f, 1, -0.5f}, far = {9, 9, 9, 9};
  Upsert(*c, {Point(ExternalId(uint64_t{1}), a, {{"label", "a"}}), Point(ExternalId(uint64_t{2}), b),
              Point(ExternalId(uint64_t{3}), far)});

  SECTION("interpolation: frames decoded, each with its nearest stored point, pixels charged once") {
    std::vector<uint64_t> charged;
    auto charge = [&](uint64_t pixels) {
      charged.push_back(pixels);
      return Status::Ok();
    };
    latent::InterpolationRequest r{ExternalId(uint64_t{1}), ExternalId(uint64_t{2}), 4, latent::InterpolationMode::kLinear};
    auto got = latent::InterpolateDecoded(*c, model, r, charge);
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    CHECK(charged == std::vector<uint64_t>{4 * 28 * 28});
    REQUIRE(got->steps.size() == 4);
    CHECK(got->t == std::vector<double>{0.0, 1.0 / 3, 2.0 / 3, 1.0});
    auto latents = latent::InterpolateLatents(*c, r);
    REQUIRE(latents.ok());
    for (size_t i = 0; i < 4; ++i) {
      const auto& step = got->steps[i];
      CHECK(step.latent == (*latents)[i]);
      CHECK(step.image.width == 28);
      CHECK(step.image.height == 28);
      CHECK(step.image.channels == 1);
      REQUIRE(step.nearest.has_value());
      CHECK_FALSE(step.nearest->id == ExternalId(uint64_t{3}));  // the far point is never nearest
    }
    // The endpoints are their own nearest points (l2 distance 0), payload included.
    CHECK(got->steps[0].nearest->id == ExternalId(uint64_t{1}));
    CHECK(got->steps[0].nearest->score == Approx(0).margin(1e-6));
    REQUIRE(got->steps[0].nearest->payload.has_value());
    CHECK((*got->steps[0].nearest->payload)["label"] == "a");
    CHECK(got->steps[3].nearest->id == ExternalId(uint64_t{2}));
    // The frames are the model's decodes: an endpoint decodes as its stored point does.
    auto point = latent::DecodePoint(*c, model, ExternalId(uint64_t{1}));
    REQUIRE(point.ok());
    CHECK(point->pixels == got->steps[0].image.pixels);

    // A charge that refuses ends the operation with its status, before decoding.
    auto refuse = [](uint64_t) { return Status::PayloadTooLarge("over budget"); };
    CHECK(latent::InterpolateDecoded(*c, model, r, refuse).status().code() == StatusCode::kPayloadTooLarge);
    // Endpoint errors come before the charge.
    r.to = ExternalId(uint64_t{404});
    CHECK(latent::InterpolateDecoded(*c, model, r, refuse).status().code() == StatusCode::kNotFound);
  }

  SECTION("samples from the prior: seeded, reproducible, nearest point for each") {
    auto first = latent::SampleFromPrior(*c, model, 3, uint64_t{7});
    REQUIRE(first.ok());
    CHECK(first->seed == 7);
    REQUIRE(first->samples.size() == 3);
    const auto want = latent::StandardNormalSamples(3, 4, 7);
    for (size_t k = 0; k < 3; ++k) {
      const auto& s = first->samples[k];
      CHECK(s.latent == want[k]);
      CHECK(s.image.pixels.size() == 28 * 28);
      REQUIRE(s.nearest.has_value());
      // The nearest of the three stored points, by l2.
      double best = 1e300;
      for (const auto* v : {&a, &b, &far}) {
        double d = 0;
        for (size_t i = 0; i < 4; ++i) d += (double((*v)[i]) - want[k][i]) * (double((*v)[i]) - want[k][i]);
        best = std::min(best, std::sqrt(d));
      }
      CHECK(s.nearest->score == Approx(best).epsilon(1e-4));
    }
    auto again = latent::SampleFromPrior(*c, model, 3, uint64_t{7});
    REQUIRE(again.ok());
    for (size_t k = 0; k < 3; ++k) CHECK(again->samples[k].image.pixels == first->samples[k].image.pixels);
    // Without a seed, the drawn one is returned and reproduces the samples.
    auto drawn = latent::SampleFromPrior(*c, model, 2, std::nullopt);
    REQUIRE(drawn.ok());
    auto replay = latent::SampleFromPrior(*c, model, 2, drawn->seed);
    REQUIRE(replay.ok());
    CHECK(replay->samples[1].latent == drawn->samples[1].latent);
    CHECK(latent::SampleFromPrior(*c, model, 0, uint64_t{1}).status().code() == StatusCode::kInvalidArgument);

    // On an empty collection a sample has no nearest point.
    auto empty = CreateFlatCollection(*db, "empty", 4);
    auto lonely = latent::SampleFromPrior(*empty, model, 1, uint64_t{3});
    REQUIRE(lonely.ok());
    CHECK_FALSE(lonely->samples[0].nearest.has_value());
  }

  SECTION("decode a point, decode latents, reconstruct an image") {
    auto point = latent::DecodePoint(*c, model, ExternalId(uint64_t{2}));
    REQUIRE(point.ok());
    auto direct = model.Decode({b});
    REQUIRE(direct.ok());
    CHECK(point->pixels == direct->at(0).pixels);
    CHECK(latent::DecodePoint(*c, model, ExternalId(uint64_t{404})).status().code() == StatusCode::kNotFound);

    auto decoded = latent::DecodeWithNearest(*c, model, std::vector<std::vector<float>>{b, far});
    REQUIRE(decoded.ok());
    REQUIRE(decoded->size() == 2);
    CHECK((*decoded)[1].nearest->id == ExternalId(uint64_t{3}));
    CHECK(latent::DecodeWithNearest(*c, model, std::vector<std::vector<float>>{{1, 2}}).status().code() == StatusCode::kInvalidArgument);
    CHECK(latent::DecodeWithNearest(*c, model, std::vector<std::vector<float>>{{1, INFINITY, 0, 0}}).status().code() == StatusCode::kInvalidArgument);
    auto nothing = latent::DecodeWithNearest(*c, model, std::vector<std::vector<float>>{});
    REQUIRE(nothing.ok());
    CHECK(nothing->empty());

    images::Image image{28, 28, 1, std::vector<uint8_t>(28 * 28)};
    for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i % 251);
    auto rec = latent::ReconstructImage(model, image);
    REQUIRE(rec.ok());
    CHECK(rec->mean.size() == 4);
    CHECK(rec->image.width == 28);
    CHECK(rec->scores.neg_elbo == Approx(rec->scores.reconstruction_error + rec->scores.kl));
    auto mean = model.Encode(image);
    REQUIRE(mean.ok());
    for (size_t i = 0; i < 4; ++i) CHECK(rec->mean[i] == Approx((*mean)[i]).margin(1e-5));
  }

  SECTION("a collection whose dim is not the VAE's latent dim is refused") {
    auto other = CreateFlatCollection(*db, "other", 3);
    Upsert(*other, {Point(ExternalId(uint64_t{1}), {1, 2, 3})});
    CHECK(latent::DecodePoint(*other, model, ExternalId(uint64_t{1})).status().code() == StatusCode::kInvalidArgument);
    CHECK(latent::SampleFromPrior(*other, model, 1, uint64_t{1}).status().code() == StatusCode::kInvalidArgument);
    auto interp = latent::InterpolateDecoded(*other, model, {ExternalId(uint64_t{1}), ExternalId(uint64_t{1}), 2});
    CHECK(interp.status().code() == StatusCode::kInvalidArgument);
    CHECK(interp.status().message().find("VAE") != std::string::npos);
  }
}
