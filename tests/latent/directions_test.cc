// Attribute directions (latent/directions.h) on real collections of an engine::Database in a temp
// dir: mean difference, the logistic boundary against it on anisotropic clusters, pca, the
// projection of orthogonal_to, storage, the refused requests, and edits along a direction. The
// expected directions are the ones the synthetic data were built with.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/database.h"
#include "latent/directions.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using namespace latentdb;
using engine::ExternalId;
using latentdb::testing::CreateFlatCollection;
using latentdb::testing::TempDir;
using nlohmann::json;

namespace {


// n points of `label` around `mean`: mean + Σ_a N(0, σ_a²)·axis_a (the axes need not be unit).
void AddCluster(engine::Collection& c, const std::string& label, const std::vector<double>& mean,
                const std::vector<std::pair<std::vector<double>, double>>& axes, size_t n, std::mt19937_64& rng,
                size_t first_id) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<engine::PointInput> points;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> v(mean.begin(), mean.end());
    for (const auto& [axis, sigma] : axes) {
      const double z = normal(rng) * sigma;
      for (size_t j = 0; j < v.size(); ++j) v[j] += static_cast<float>(z * axis[j]);
    }
    engine::PointInput p;
    p.id = ExternalId(uint64_t{first_id + i});
    p.vector = std::move(v);
    p.payload = json{{"label", label}, {"i", i}};
    points.push_back(std::move(p));
  }
  auto s = c.Upsert(std::move(points));
  INFO(s.ToString());
  REQUIRE(s.ok());
}

std::shared_ptr<const engine::Filter> LabelFilter(const std::string& label) {
  auto f = engine::Filter::Parse(json{{"must", {{{"key", "label"}, {"match", {{"value", label}}}}}}});
  REQUIRE(f.ok());
  return *f;
}

latent::DirectionRequest Labelled(const std::string& name, latent::DirectionMethod method, const std::string& from,
                                  const std::string& to) {
  latent::DirectionRequest r;
  r.name = name;
  r.method = method;
  r.from = LabelFilter(from);
  r.to = LabelFilter(to);
  r.from_spec = json{{"label", from}};
  r.to_spec = json{{"label", to}};
  return r;
}

double Cosine(const std::vector<float>& a, const std::vector<double>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    na += double(a[i]) * a[i];
    nb += b[i] * b[i];
  }
  return dot / std::sqrt(na * nb);
}

double DotF(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

// The best accuracy of any threshold on the projections onto `d` ("from" below, "to" above).
double BestThresholdAccuracy(engine::Collection& c, const std::vector<float>& d) {
  std::vector<std::pair<double, int>> proj;
  auto page = c.Scroll(10000, std::nullopt, nullptr, true, true);
  REQUIRE(page.ok());
  for (const auto& p : page->points) proj.push_back({DotF(*p.vector, d), p.payload["label"] == "to" ? 1 : 0});
  std::sort(proj.begin(), proj.end());
  size_t to_total = 0;
  for (const auto& [x, y] : proj) to_total += y;
  // Threshold after position i: correct = "from" at or below + "to" above.
  size_t from_below = 0, to_below = 0, best = to_total;  // threshold below everything
  for (const auto& [x, y] : proj) {
    (y ? to_below : from_below) += 1;
    best = std::max(best, from_below + (to_total - to_below));
  }
  return double(best) / double(proj.size());
}

Status Code(const Result<latent::Direction>& r) { return r.status(); }

}  // namespace

TEST_CASE("directions: mean difference of two separable clusters points from one to the other", "[latent][directions]") {
  TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "c", 8);
  std::mt19937_64 rng(7);
  std::vector<double> a(8, 0.0), b(8, 0.0), offset(8, 0.0);
  a[0] = 1;
  b = {1, 2, -1, 0.5, 0, 0, 3, 0};
  for (size_t j = 0; j < 8; ++j) offset[j] = b[j] - a[j];
  std::vector<std::pair<std::vector<double>, double>> noise;
  for (size_t j = 0; j < 8; ++j) {
    std::vector<double> e(8, 0.0);
    e[j] = 1;
    noise.push_back({e, 0.3});
  }
  AddCluster(*c, "from", a, noise, 200, rng, 0);
  AddCluster(*c, "to", b, noise, 150, rng, 1000);

  auto d = latent::LearnDirection(*c, Labelled("up", latent::DirectionMethod::kMeanDifference, "from", "to"));
  INFO(d.status().ToString());
  REQUIRE(d.ok());
  CHECK(d->vector.size() == 8);
  CHECK(DotF(d->vector, d->vector) == Approx(1.0).margin(1e-6));
  CHECK(Cosine(d->vector, offset) > 0.9);
  CHECK(d->from_count == 200);
  CHECK(d->to_count == 150);
  CHECK(d->from_used == 200);
  CHECK(d->overlap == 0);
  CHECK_FALSE(d->training_accuracy.has_value());

  // The linear boundary also points from → to here, and separates the training sets.
  auto l = latent::LearnDirection(*c, Labelled("up_linear", latent::DirectionMethod::kLinear, "from", "to"));
  INFO(l.status().ToString());
  REQUIRE(l.ok());
  CHECK(Cosine(l->vector, offset) > 0.7);
  REQUIRE(l->training_accuracy.has_value());
  CHECK(*l->training_accuracy == 1.0);

  // Reversed sets give the opposite direction.
  auto rev = latent::LearnDirection(*c, Labelled("down", latent::DirectionMethod::kMeanDifference, "to", "from"));
  REQUIRE(rev.ok());
  CHECK(DotF(rev->vector, d->vector) == Approx(-1.0).margin(1e-6));
}

TEST_CASE("directions: linear is the classifier's normal, not the mean difference (anisotropic clusters)",
          "[latent][directions]") {
  TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "c", 3);
  std::mt19937_64 rng(11);
  // Both clusters are long along u = (1, 1, 0)/√2 (σ 3) and thin along v = (1, −1, 0)/√2 (σ 0.1)
  // and along z (σ 0.1). Their means differ by (1, 0, 0): half along u, half along v. The mean
  // difference (1, 0, 0) mixes the long axis into the projection (heavy overlap); the boundary
  // that separates them is normal to v.
  const double r = 1 / std::sqrt(2.0);
  std::vector<std::pair<std::vector<double>, double>> axes = {{{r, r, 0}, 3.0}, {{r, -r, 0}, 0.1}, {{0, 0, 1}, 0.1}};
  AddCluster(*c, "from", {0, 0, 0}, axes, 300, rng, 0);
  AddCluster(*c, "to", {1, 0, 0}, axes, 300, rng, 1000);

  auto md = latent::LearnDirection(*c, Labelled("md", latent::DirectionMethod::kMeanDifference, "from", "to"));
  auto lin = latent::LearnDirection(*c, Labelled("lin", latent::DirectionMethod::kLinear, "from", "to"));
  INFO(lin.status().ToString());
  REQUIRE(md.ok());
  REQUIRE(lin.ok());
  CHECK(Cosine(md->vector, {1, 0, 0}) > 0.95);
  CHECK(Cosine(lin->vector, {r, -r, 0}) > 0.95);  // oriented from → to: v · (1, 0, 0) > 0
  CHECK(std::abs(DotF(lin->vector, md->vector)) < 0.85);
  const double acc_linear = BestThresholdAccuracy(*c, lin->vector);
  const double acc_mean = BestThresholdAccuracy(*c, md->vector);
  CAPTURE(acc_linear, acc_mean);
  CHECK(acc_linear > 0.99);
  CHECK(acc_mean < 0.8);
  CHECK(acc_linear > acc_mean + 0.15);
  REQUIRE(lin->training_accuracy.has_value());
  CHECK(*lin->training_accuracy > 0.99);
}

TEST_CASE("directions: the logistic boundary is the raw space's, whatever the unit or rotation", "[latent][directions]") {
  // Feature 0 separates the sets at a scale of 1000; feature 1 is noise at scale 1: the normal is
  // (1, ~0) in the original space (standardized per feature, the noise would weigh as much).
  latent::Rows from, to;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int i = 0; i < 100; ++i) {
    from.push_back({static_cast<float>(1000 * (-2 + 0.3 * noise(rng))), static_cast<float>(noise(rng))});
    to.push_back({static_cast<float>(1000 * (2 + 0.3 * noise(rng))), static_cast<float>(noise(rng))});
  }
  auto fit = latent::LogisticBoundary(from, to);
  REQUIRE(fit.ok());
  CHECK(fit->normal[0] > 0.999);
  CHECK(std::abs(fit->normal[1]) < 0.01);
  CHECK(fit->training_accuracy == 1.0);
  CHECK(std::abs(fit->bias) < 300);  // the boundary passes near x0 = 0 (the sets are at ±2000)

  // Anisotropic clusters in 3-d, then the same data rotated and scaled by 1e-3: the normal rotates
  // with the data (x → R·x gives n → R·n) and does not depend on the unit.
  latent::Rows a, b, ra, rb;
  const double r = 1 / std::sqrt(2.0);
  for (int i = 0; i < 200; ++i) {
    const double u = 3 * noise(rng), v = 0.1 * noise(rng), w = 0.1 * noise(rng);
    std::vector<double> p = {u * r + v * r, u * r - v * r, w};
    a.push_back({float(p[0]), float(p[1]), float(p[2])});
    const double u2 = 3 * noise(rng), v2 = 0.1 * noise(rng), w2 = 0.1 * noise(rng);
    b.push_back({float(1 + u2 * r + v2 * r), float(u2 * r - v2 * r), float(w2)});
  }
  // R: a rotation about (1, 2, 2)/3 by 1 radian (Rodrigues).
  const double k[3] = {1.0 / 3, 2.0 / 3, 2.0 / 3}, ct = std::cos(1.0), st = std::sin(1.0);
  double R[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) R[i][j] = (i == j ? ct : 0) + (1 - ct) * k[i] * k[j];
  R[0][1] -= st * k[2]; R[0][2] += st * k[1];
  R[1][0] += st * k[2]; R[1][2] -= st * k[0];
  R[2][0] -= st * k[1]; R[2][1] += st * k[0];
  auto rotate = [&](const std::vector<float>& x) {
    std::vector<float> y(3);
    for (int i = 0; i < 3; ++i) y[i] = static_cast<float>(1e-3 * (R[i][0] * x[0] + R[i][1] * x[1] + R[i][2] * x[2]));
    return y;
  };
  for (const auto& x : a) ra.push_back(rotate(x));
  for (const auto& x : b) rb.push_back(rotate(x));
  auto f1 = latent::LogisticBoundary(a, b);
  auto f2 = latent::LogisticBoundary(ra, rb);
  REQUIRE(f1.ok());
  REQUIRE(f2.ok());
  double dot = 0;
  for (int i = 0; i < 3; ++i) dot += f2->normal[i] * (R[i][0] * f1->normal[0] + R[i][1] * f1->normal[1] + R[i][2] * f1->normal[2]);
  CHECK(dot > 0.999);
  CHECK(f1->training_accuracy == f2->training_accuracy);
}

TEST_CASE("directions: pca component 0 is the dominant axis of the data", "[latent][directions]") {
  TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "c", 4);
  std::mt19937_64 rng(5);
  const std::vector<double> main_axis = {0.6, 0.8, 0, 0};  // largest entry positive: PCA's sign
  const std::vector<double> second = {0, 0, 1, 0};
  AddCluster(*c, "all", {5, -3, 1, 2}, {{main_axis, 4.0}, {second, 1.0}, {{0.8, -0.6, 0, 0}, 0.2}, {{0, 0, 0, 1}, 0.2}},
             500, rng, 0);
  latent::DirectionRequest r;
  r.name = "pc0";
  r.method = latent::DirectionMethod::kPca;
  auto pc0 = latent::LearnDirection(*c, r);
  REQUIRE(pc0.ok());
  CHECK(Cosine(pc0->vector, main_axis) > 0.99);
  CHECK(pc0->component == 0u);
  CHECK(*pc0->explained_variance_ratio > 0.8);
  CHECK(pc0->points_used == 500);
  r.name = "pc1";
  r.component = 1;
  auto pc1 = latent::LearnDirection(*c, r);
  REQUIRE(pc1.ok());
  CHECK(std::abs(Cosine(pc1->vector, second)) > 0.98);
  CHECK(std::abs(DotF(pc0->vector, pc1->vector)) < 1e-5);
}

TEST_CASE("directions: orthogonal_to projects stored directions out, and stored directions round-trip", "[latent][directions]") {
  TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "c", 6);
  std::mt19937_64 rng(9);
  std::vector<std::pair<std::vector<double>, double>> noise;
  for (size_t j = 0; j < 6; ++j) {
    std::vector<double> e(6, 0.0);
    e[j] = 1;
    noise.push_back({e, 0.2});
  }
  AddCluster(*c, "a", {0, 0, 0, 0, 0, 0}, noise, 50, rng, 0);
  AddCluster(*c, "b", {1, 1, 0, 0, 0, 0}, noise, 50, rng, 100);
  AddCluster(*c, "x", {0, 1, 1, 0, 0, 0}, noise, 50, rng, 200);
  AddCluster(*c, "y", {0, 0, 1, 1, 1, 0}, noise, 50, rng, 300);

  auto ab = latent::LearnDirection(*c, Labelled("ab", latent::DirectionMethod::kMeanDifference, "a", "b"));
  auto ax = latent::LearnDirection(*c, Labelled("ax", latent::DirectionMethod::kLinear, "a", "x"));
  REQUIRE(ab.ok());
  REQUIRE(ax.ok());
  REQUIRE_FALSE(*latent::StoreDirection(*c, *ab));
  REQUIRE_FALSE(*latent::StoreDirection(*c, *ax));

  auto req = Labelled("ay", latent::DirectionMethod::kMeanDifference, "a", "y");
  req.orthogonal_to = {"ab", "ax"};
  auto ay = latent::LearnDirection(*c, req);
  INFO(ay.status().ToString());
  REQUIRE(ay.ok());
  CHECK(DotF(ay->vector, ay->vector) == Approx(1.0).margin(1e-6));
  CHECK(std::abs(DotF(ay->vector, ab->vector)) < 1e-5);
  CHECK(std::abs(DotF(ay->vector, ax->vector)) < 1e-5);
  CHECK(ay->orthogonal_to == std::vector<std::string>{"ab", "ax"});
  // The same for pca.
  latent::DirectionRequest pca;
  pca.name = "pc";
  pca.method = latent::DirectionMethod::kPca;
  pca.orthogonal_to = {"ab"};
  auto pc = latent::LearnDirection(*c, pca);
  REQUIRE(pc.ok());
  CHECK(std::abs(DotF(pc->vector, ab->vector)) < 1e-5);

  // Stored, read back, listed, replaced, deleted.
  REQUIRE(latent::StoreDirection(*c, *ay).ok());
  auto got = latent::GetDirection(*c, "ay");
  REQUIRE(got.ok());
  CHECK(got->vector == ay->vector);
  CHECK(got->from_spec == json{{"label", "a"}});
  CHECK(got->created == ay->created);
  auto list = latent::ListDirections(*c);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].name == "ab");
  CHECK((*list)[2].name == "ay");
  CHECK(*latent::StoreDirection(*c, *ab));  // replaced
  REQUIRE(latent::DeleteDirection(*c, "ab").ok());
  CHECK(latent::DeleteDirection(*c, "ab").code() == StatusCode::kNotFound);
  CHECK(latent::GetDirection(*c, "ab").status().code() == StatusCode::kNotFound);

  // A direction in the span of what it removes is refused: a → b projected out of itself.
  REQUIRE(latent::StoreDirection(*c, *ab).ok());
  auto again = Labelled("ab2", latent::DirectionMethod::kMeanDifference, "a", "b");
  again.orthogonal_to = {"ab"};
  auto none = latent::LearnDirection(*c, again);
  CHECK(none.status().code() == StatusCode::kInvalidArgument);
  CHECK(none.status().message().find("span") != std::string::npos);
  // An unknown name: NotFound.
  again.orthogonal_to = {"nope"};
  CHECK(latent::LearnDirection(*c, again).status().code() == StatusCode::kNotFound);
}

TEST_CASE("directions: refused requests name the problem", "[latent][directions]") {
  TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "c", 2);
  std::mt19937_64 rng(1);
  AddCluster(*c, "from", {0, 0}, {{{1, 0}, 0.1}}, 5, rng, 0);
  AddCluster(*c, "to", {1, 1}, {{{1, 0}, 0.1}}, 1, rng, 100);
  using M = latent::DirectionMethod;
  auto msg = [](const Result<latent::Direction>& r) { return r.status().message(); };

  auto empty = latent::LearnDirection(*c, Labelled("d", M::kMeanDifference, "from", "nothing"));
  CHECK(empty.status().code() == StatusCode::kInvalidArgument);
  CHECK(msg(empty).find("\"to\" matches no point") != std::string::npos);
  auto small = latent::LearnDirection(*c, Labelled("d", M::kLinear, "from", "to"));
  CHECK(small.status().code() == StatusCode::kInvalidArgument);
  CHECK(msg(small).find("\"to\" matches 1 point") != std::string::npos);
  CHECK(latent::LearnDirection(*c, Labelled("d", M::kMeanDifference, "from", "to")).ok());  // 1 is enough there
  auto same = latent::LearnDirection(*c, Labelled("d", M::kMeanDifference, "from", "from"));
  CHECK(msg(same).find("select the same 5 points") != std::string::npos);
  CHECK(Code(latent::LearnDirection(*c, Labelled("bad name", M::kMeanDifference, "from", "to"))).code() ==
        StatusCode::kInvalidArgument);
  auto no_sets = Labelled("d", M::kLinear, "from", "to");
  no_sets.to = nullptr;
  CHECK(msg(latent::LearnDirection(*c, no_sets)).find("needs \"from\" and \"to\"") != std::string::npos);
  auto pca_sets = Labelled("d", M::kPca, "from", "to");
  CHECK(msg(latent::LearnDirection(*c, pca_sets)).find("takes no \"from\"") != std::string::npos);
  latent::DirectionRequest pca;
  pca.name = "d";
  pca.method = M::kPca;
  pca.component = 2;  // 2-d collection: 0 or 1
  CHECK(msg(latent::LearnDirection(*c, pca)).find("between 0 and 1") != std::string::npos);
  auto comp = Labelled("d", M::kMeanDifference, "from", "to");
  comp.component = 0;
  CHECK(msg(latent::LearnDirection(*c, comp)).find("for method \"pca\" only") != std::string::npos);
  CHECK(latent::ParseDirectionMethod("svm").status().code() == StatusCode::kInvalidArgument);
  // Nothing of it was stored.
  CHECK(latent::ListDirections(*c)->empty());
}

TEST_CASE("directions: a cosine collection learns on unit-normalized vectors", "[latent][directions]") {
  TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "c", 2, "cosine");
  // "from" points along x with very different norms, "to" along y: on the unit circle the mean
  // difference is (−1, 1)/√2 whatever the norms.
  std::vector<engine::PointInput> pts;
  for (int i = 0; i < 4; ++i) {
    pts.push_back({ExternalId(uint64_t(i)), {static_cast<float>(std::pow(10.0, i)), 0}, json{{"label", "from"}}});
    pts.push_back({ExternalId(uint64_t(10 + i)), {0, 0.5f}, json{{"label", "to"}}});
  }
  REQUIRE(c->Upsert(std::move(pts)).ok());
  auto d = latent::LearnDirection(*c, Labelled("d", latent::DirectionMethod::kMeanDifference, "from", "to"));
  REQUIRE(d.ok());
  CHECK(d->unit_normalized_inputs);
  CHECK(Cosine(d->vector, {-1, 1}) > 0.9999);
}

TEST_CASE("directions: edits move the start along the direction and find neighbours", "[latent][directions]") {
  TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = CreateFlatCollection(*db, "c", 2);
  std::vector<engine::PointInput> pts;
  for (int i = 0; i < 5; ++i) pts.push_back({ExternalId(uint64_t(i)), {static_cast<float>(i), 0}, json{{"x", i}}});
  REQUIRE(c->Upsert(std::move(pts)).ok());
  latent::Direction d;
  d.name = "right";
  d.vector = {1, 0};
  auto steps = latent::EditAlong(*c, {0, 0}, d, {0, 2, 4}, 2, nullptr);
  INFO(steps.status().ToString());
  REQUIRE(steps.ok());
  REQUIRE(steps->size() == 3);
  CHECK((*steps)[1].latent == std::vector<float>{2, 0});
  CHECK((*steps)[1].strength == 2);
  REQUIRE((*steps)[1].neighbors.size() == 2);
  CHECK((*steps)[1].neighbors[0].id == ExternalId(uint64_t{2}));
  CHECK((*steps)[2].neighbors[0].id == ExternalId(uint64_t{4}));
  CHECK_FALSE((*steps)[0].image.has_value());

  auto code = [](const Result<std::vector<latent::EditStep>>& r) { return r.status().code(); };
  latent::Direction wrong = d;
  wrong.vector = {1, 0, 0};
  CHECK(code(latent::EditAlong(*c, {0, 0}, wrong, {1}, 2, nullptr)) == StatusCode::kInvalidArgument);
  CHECK(code(latent::EditAlong(*c, {0, 0, 0}, d, {1}, 2, nullptr)) == StatusCode::kInvalidArgument);
  CHECK(code(latent::EditAlong(*c, {0, 0}, d, {}, 2, nullptr)) == StatusCode::kInvalidArgument);
  CHECK(code(latent::EditAlong(*c, {0, 0}, d, std::vector<double>(latent::kMaxEditStrengths + 1, 1.0), 2, nullptr)) ==
        StatusCode::kInvalidArgument);
  CHECK(code(latent::EditAlong(*c, {0, 0}, d, {NAN}, 2, nullptr)) == StatusCode::kInvalidArgument);
  CHECK(code(latent::EditAlong(*c, {0, 0}, d, {1e300}, 2, nullptr)) == StatusCode::kInvalidArgument);
  CHECK(code(latent::EditAlong(*c, {0, 0}, d, {1}, 0, nullptr)) == StatusCode::kInvalidArgument);
}
