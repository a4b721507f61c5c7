// Analogy (3CosAdd, 3CosMul) against gensim's formulas computed independently in the test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

#include "engine/database.h"
#include "tests/support/temp_dir.h"

using namespace latentdb::engine;
using latentdb::testing::TempDir;
using nlohmann::json;

namespace {

using Vec = std::vector<double>;

Vec Unit(const std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += double(x) * x;
  n = std::sqrt(n);
  Vec u(v.size());
  for (size_t i = 0; i < v.size(); ++i) u[i] = v[i] / n;
  return u;
}
double Dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

struct Expected {
  std::vector<std::string> words;
  std::vector<double> scores;
};

// gensim KeyedVectors.most_similar / most_similar_cosmul, written out from their definitions.
Expected Gensim(const std::map<std::string, std::vector<float>>& vocab, const std::vector<std::string>& pos,
                const std::vector<std::string>& neg, size_t k, bool cosmul) {
  std::vector<std::pair<double, std::string>> scored;
  Vec mean(vocab.begin()->second.size(), 0.0);
  for (const auto& w : pos) { Vec u = Unit(vocab.at(w)); for (size_t i = 0; i < u.size(); ++i) mean[i] += u[i]; }
  for (const auto& w : neg) { Vec u = Unit(vocab.at(w)); for (size_t i = 0; i < u.size(); ++i) mean[i] -= u[i]; }
  double n = std::sqrt(Dot(mean, mean));
  for (auto& x : mean) x /= n;
  for (const auto& [word, v] : vocab) {
    if (std::count(pos.begin(), pos.end(), word) || std::count(neg.begin(), neg.end(), word)) continue;
    Vec u = Unit(v);
    double s;
    if (!cosmul) {
      s = Dot(u, mean);
    } else {
      double num = 1, den = 1;
      for (const auto& w : pos) num *= (1 + Dot(u, Unit(vocab.at(w)))) / 2;
      for (const auto& w : neg) den *= (1 + Dot(u, Unit(vocab.at(w)))) / 2;
      s = num / (den + 1e-6);
    }
    scored.emplace_back(-s, word);
  }
  std::sort(scored.begin(), scored.end());
  Expected e;
  for (size_t i = 0; i < std::min(k, scored.size()); ++i) {
    e.words.push_back(scored[i].second);
    e.scores.push_back(-scored[i].first);
  }
  return e;
}

}  // namespace

TEST_CASE("analogy matches gensim's most_similar and most_similar_cosmul", "[engine][analogy]") {
  TempDir dir;
  DatabaseOptions o;
  o.data_dir = dir.path();
  o.persist_interval_seconds = 0;
  auto db = *Database::Open(o);
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0, 1);
  std::map<std::string, std::vector<float>> vocab;
  std::vector<PointInput> points;
  for (int i = 0; i < 300; ++i) {
    std::vector<float> v(12);
    for (auto& x : v) x = g(rng) * (1 + i % 3);  // unequal norms: normalization matters
    std::string word = "w" + std::to_string(i);
    vocab[word] = v;
    PointInput p;
    p.id = ExternalId(word);
    p.vector = v;
    points.push_back(p);
  }
  for (const std::string metric : {"cosine", "l2"}) {
    SECTION(metric) {
      auto c = *db->CreateCollection("words_" + metric,
                                     *CollectionConfig::FromJson(json{{"dim", 12}, {"metric", metric}, {"index", "HNSW16"}}));
      REQUIRE(c->Upsert(points).ok());
      // gensim's most_similar also takes negative terms alone (the mean of their negated unit
      // vectors); most_similar_cosmul needs a positive one.
      for (const auto& [cosmul, pos, neg] : std::vector<std::tuple<bool, std::vector<std::string>, std::vector<std::string>>>{
               {false, {"w1", "w7"}, {"w42"}}, {true, {"w1", "w7"}, {"w42"}}, {false, {}, {"w42"}}, {false, {}, {"w3", "w9"}}}) {
        AnalogyQuery q;
        for (const auto& w : pos) q.positive.push_back({ExternalId(w), std::nullopt});
        for (const auto& w : neg) q.negative.push_back({ExternalId(w), std::nullopt});
        q.k = 10;
        q.method = cosmul ? AnalogyMethod::kCosMul : AnalogyMethod::kCosAdd;
        auto got = c->Analogy(q);
        REQUIRE(got.ok());
        auto want = Gensim(vocab, pos, neg, 10, cosmul);
        REQUIRE(got->hits.size() == want.words.size());
        for (size_t i = 0; i < want.words.size(); ++i) {
          INFO("rank " << i << (cosmul ? " cosmul" : " cosadd"));
          CHECK(got->hits[i].id == ExternalId(want.words[i]));
          CHECK(std::abs(got->hits[i].score - want.scores[i]) < 1e-5);
        }
      }
      // Unknown ids are a NotFound naming the id; no positive term is invalid.
      AnalogyQuery bad;
      bad.positive.push_back({ExternalId(std::string("nope")), std::nullopt});
      auto r = c->Analogy(bad);
      CHECK(r.status().code() == latentdb::StatusCode::kNotFound);
      CHECK(r.status().message().find("nope") != std::string::npos);
      CHECK(c->Analogy(AnalogyQuery{}).status().code() == latentdb::StatusCode::kInvalidArgument);
      AnalogyQuery negative_cosmul;
      negative_cosmul.negative.push_back({ExternalId(std::string("w3")), std::nullopt});
      negative_cosmul.method = AnalogyMethod::kCosMul;
      CHECK(c->Analogy(negative_cosmul).status().code() == latentdb::StatusCode::kInvalidArgument);
    }
  }
}

// Issue 10, kind 2: cosine is scale-free, so a vocabulary scaled to tiny (norms ~1e-39, where 1/norm
// overflows float) or huge (1e30, whose squares overflow float) norms ranks exactly as gensim
// ranks the unscaled one.
TEST_CASE("analogy on tiny and huge vectors ranks as on unscaled ones", "[engine][analogy][normalize]") {
  TempDir dir;
  DatabaseOptions o;
  o.data_dir = dir.path();
  o.persist_interval_seconds = 0;
  auto db = *Database::Open(o);
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0, 1);
  std::map<std::string, std::vector<float>> vocab;
  for (int i = 0; i < 60; ++i) {
    std::vector<float> v(8);
    for (auto& x : v) x = g(rng);
    vocab["w" + std::to_string(i)] = v;
  }
  const std::vector<std::string> pos = {"w1", "w2"}, neg = {"w3"};
  for (const float scale : {1e-39f, 1e30f}) {
    auto c = *db->CreateCollection(scale < 1 ? "tiny" : "huge",
                                   *CollectionConfig::FromJson(json{{"dim", 8}, {"metric", "cosine"}, {"index", "Flat"}}));
    std::vector<PointInput> points;
    for (const auto& [word, v] : vocab) {
      PointInput p;
      p.id = ExternalId(word);
      for (float x : v) p.vector.push_back(x * scale);
      points.push_back(p);
    }
    REQUIRE(c->Upsert(points).ok());
    for (bool cosmul : {false, true}) {
      AnalogyQuery q;
      auto term = [](const std::string& w) {
        AnalogyTerm t;
        t.id = ExternalId(w);
        return t;
      };
      for (const auto& w : pos) q.positive.push_back(term(w));
      for (const auto& w : neg) q.negative.push_back(term(w));
      q.k = 5;
      q.method = cosmul ? AnalogyMethod::kCosMul : AnalogyMethod::kCosAdd;
      auto got = c->Analogy(q);
      REQUIRE(got.ok());
      auto want = Gensim(vocab, pos, neg, 5, cosmul);
      REQUIRE(got->hits.size() == want.words.size());
      for (size_t i = 0; i < want.words.size(); ++i) {
        INFO("scale " << scale << " rank " << i << (cosmul ? " cosmul" : " cosadd"));
        CHECK(got->hits[i].id == ExternalId(want.words[i]));
        CHECK(std::abs(got->hits[i].score - want.scores[i]) < 1e-4);
      }
    }
    // Neighbours of a stored word (the index path) agree too, and are finite.
    SearchQuery nq;
    nq.id = ExternalId(std::string("w1"));
    nq.k = 3;
    auto hits = c->Search(nq);
    REQUIRE(hits.ok());
    REQUIRE(hits->size() == 3);
    for (const auto& h : *hits) CHECK(std::isfinite(h.score));
  }
}
