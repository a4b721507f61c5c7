// The merge of shard answers (http/cluster/shard_merge.h) on hand-made answers: the edge cases a
// cluster test meets only by chance (ties, offsets past the end, pages that end early, duplicate
// and mixed-type ids).
#include <catch2/catch.hpp>

#include "engine/external_id.h"
#include "http/cluster/shard_merge.h"
#include "http/cluster/sharded_analogy.h"
#include "http/cluster/sharded_directions.h"
#include "http/cluster/sharded_latent.h"

using namespace latentdb::http::cluster_routing;
using nlohmann::json;

namespace {
json Hit(json id, double score) { return {{"id", id}, {"score", score}}; }
json Ids(const json& points) {
  json out = json::array();
  for (const auto& p : points) out.push_back(p["id"]);
  return out;
}
}  // namespace

TEST_CASE("Ids sort as a single node's scroll: integers ascending, then strings by bytes", "[cluster]") {
  CHECK(IdBefore(2, 10));
  CHECK_FALSE(IdBefore(10, 2));
  CHECK(IdBefore(18446744073709551615ull, "0"));
  CHECK_FALSE(IdBefore("0", 5));
  CHECK(IdBefore("B", "a"));
  CHECK(IdBefore("a", "ab"));
  CHECK(IdBefore("z", "\xc3\xa9"));  // UTF-8 bytes compare unsigned: 'é' (0xC3…) after 'z'
  CHECK_FALSE(IdBefore(7, 7));
}

TEST_CASE("Top-k merge: score order per metric, ties by id, offset and limit over the merged list", "[cluster]") {
  std::vector<json> lists = {json::array({Hit(1, 0.9), Hit(4, 0.5), Hit(6, 0.1)}),
                             json::array({Hit("a", 0.95), Hit(2, 0.5)}), json::array()};
  CHECK(Ids(MergeScored(lists, 0, 3, false)) == json::array({"a", 1, 2}));  // 2 before 4 at 0.5
  CHECK(Ids(MergeScored(lists, 2, 2, false)) == json::array({2, 4}));
  CHECK(Ids(MergeScored(lists, 4, 10, false)) == json::array({6}));
  CHECK(MergeScored(lists, 9, 3, false).empty());
  CHECK(Ids(MergeScored(lists, 0, 2, true)) == json::array({6, 2}));  // distances: smallest first
  CHECK(MergeScored({}, 0, 5, false).empty());
}

TEST_CASE("Scroll merge: the next page starts at the first id not returned", "[cluster]") {
  json a = {{"points", {{{"id", 1}}, {{"id", 5}}, {{"id", 9}}}}, {"next_page_offset", 12}};
  json b = {{"points", {{{"id", 2}}, {{"id", 3}}}}, {"next_page_offset", nullptr}};  // b ended
  json c = {{"points", {{{"id", 4}}, {{"id", 6}}, {{"id", 7}}}}, {"next_page_offset", 8}};
  json page = MergeScrollPages({a, b, c}, 3);
  CHECK(Ids(page["points"]) == json::array({1, 2, 3}));
  CHECK(page["next_page_offset"] == 4);
  // Every shard's page is used up before its own next offset: that offset bounds the page.
  json d = {{"points", {{{"id", 1}}}}, {"next_page_offset", 2}};
  json e = {{"points", {{{"id", 3}}, {{"id", 4}}}}, {"next_page_offset", nullptr}};
  page = MergeScrollPages({d, e}, 1);
  CHECK(Ids(page["points"]) == json::array({1}));
  CHECK(page["next_page_offset"] == 2);
  page = MergeScrollPages({e, {{"points", json::array()}, {"next_page_offset", nullptr}}}, 5);
  CHECK(Ids(page["points"]) == json::array({3, 4}));
  CHECK(page["next_page_offset"].is_null());
  // String ids after integers.
  json f = {{"points", {{{"id", "x"}}}}, {"next_page_offset", "y"}};
  json g = {{"points", {{{"id", 40}}}}, {"next_page_offset", nullptr}};
  page = MergeScrollPages({f, g}, 2);
  CHECK(Ids(page["points"]) == json::array({40, "x"}));
  CHECK(page["next_page_offset"] == "y");
}

TEST_CASE("Retrieval merge: the order asked, each id once, 7 and \"7\" distinct, missing ids left out", "[cluster]") {
  std::vector<json> answers = {json::array({{{"id", 7}, {"v", 1}}, {{"id", "b"}, {"v", 2}}}),
                               json::array({{{"id", "7"}, {"v", 3}}})};
  json ids = {"b", 7, 99, "7", 7};
  json got = OrderByIds(ids, answers);
  REQUIRE(got.size() == 3);
  CHECK(got[0]["v"] == 2);
  CHECK(got[1]["v"] == 1);
  CHECK(got[2]["v"] == 3);
}

TEST_CASE("A sharded analogy reads its id terms, sends them as vectors with k raised, and leaves them out of the merged hits", "[cluster]") {
  const json body = {{"positive", {1u, "king", json::array({0.5, 0.5})}}, {"negative", {"man"}}, {"k", 2}};
  auto ids = AnalogyIdTerms(body);
  REQUIRE(ids.ok());
  CHECK(*ids == json({1u, "king", "man"}));
  CHECK(AnalogyIdTerms({{"positive", {1u}}, {"restrict_vocab", 5}}).status().code() == latentdb::StatusCode::kInvalidArgument);

  std::map<std::string, json> vectors;
  for (const json& id : {json(1u), json("king"), json("man")}) {
    vectors[latentdb::engine::ExternalId::FromJson(id)->ToKey()] = json::array({id.is_string() ? 1.0 : 2.0, 0.0});
  }
  auto shard_body = ShardAnalogyBody(body, vectors, "words", 10000);
  REQUIRE(shard_body.ok());
  CHECK((*shard_body)["positive"] == json::array({json::array({2.0, 0.0}), json::array({1.0, 0.0}), json::array({0.5, 0.5})}));
  CHECK((*shard_body)["negative"] == json::array({json::array({1.0, 0.0})}));
  CHECK((*shard_body)["k"] == 5);  // 2 asked + 3 id terms
  CHECK(ShardAnalogyBody(body, vectors, "words", 4).value()["k"] == 4);
  vectors.erase(latentdb::engine::ExternalId::FromJson("man")->ToKey());
  auto missing = ShardAnalogyBody(body, vectors, "words", 10000);
  CHECK(missing.status().code() == latentdb::StatusCode::kNotFound);
  CHECK(missing.status().message().find("\"man\"") != std::string::npos);

  // The terms' own points (an integer id and a string id) leave (JSON from the wire: unsigned); the best 2 others remain.
  const json merged = MergeAnalogy({json::array({Hit("king", 0.99), Hit("queen", 0.8), Hit(3u, 0.5)}),
                                    json::array({Hit(1u, 0.95), Hit("woman", 0.7)})},
                                   body);
  CHECK(Ids(merged) == json({"queen", "woman"}));
  // A generative collection's answers are objects: the first one's decoded sum is kept.
  const json decoded = MergeAnalogy({json{{"hits", json::array({Hit(7u, 0.4)})}, {"vector", {1, 2}}, {"image", "png"}},
                                     json{{"hits", json::array({Hit(8u, 0.6), Hit("man", 0.9)})}, {"vector", {1, 2}}}},
                                    body);
  CHECK(Ids(decoded["hits"]) == json({8u, 7u}));
  CHECK(decoded["image"] == "png");
}

TEST_CASE("Sharded generative routes: the nearest point of all shards, merged anomalies, stored samples, map shares", "[cluster]") {
  // Each shard decoded the same latents; the nearest of all shards wins (by score, or distance).
  auto step = [](json nearest) { return json{{"vector", {1, 2}}, {"image", "png"}, {"nearest", nearest}}; };
  const std::vector<json> answers = {json{{"steps", {step(Hit(1u, 0.5)), step(nullptr)}}, {"mode", "slerp"}},
                                     json{{"steps", {step(Hit(2u, 0.7)), step(Hit(3u, 0.2))}}}};
  const json by_score = MergeNearest(answers, "steps", /*ascending=*/false);
  CHECK(by_score["mode"] == "slerp");
  CHECK(by_score["steps"][0]["nearest"]["id"] == 2u);
  CHECK(by_score["steps"][1]["nearest"]["id"] == 3u);
  CHECK(MergeNearest(answers, "steps", /*ascending=*/true)["steps"][0]["nearest"]["id"] == 1u);

  const json anomalies = MergeAnomalies({json{{"points", {{{"id", 1u}, {"neg_elbo", 9.0}}, {{"id", 2u}, {"neg_elbo", 3.0}}}}, {"scored", 10}},
                                         json{{"points", {{{"id", 5u}, {"neg_elbo", 7.0}}}}, {"scored", 4}}},
                                        2);
  CHECK(Ids(anomalies["points"]) == json({1u, 5u}));
  CHECK(anomalies["scored"] == 14);

  const json points = SamplePoints(json{{"samples", {{{"vector", {0.5, 1.5}}}, {{"vector", {2.5, 3.5}}}}}}, 42);
  REQUIRE(points.size() == 2);
  CHECK(points[1]["id"] == "sample-42-1");
  CHECK(points[1]["vector"] == json({2.5, 3.5}));
  CHECK(points[1]["payload"] == json{{"generated", true}, {"seed", 42}, {"sample", 1}});
  // A class-conditional GAN's samples keep their class, as a single node stores them.
  const json classed = SamplePoints(json{{"samples", {{{"vector", {0.5}}, {"label", 4}, {"class", "Coat"}}}}}, 7);
  CHECK(classed[0]["payload"] == json{{"generated", true}, {"seed", 7}, {"sample", 0}, {"label", 4}, {"class", "Coat"}});

  // Shares of a map's sample: proportional (largest remainders), capped by what a shard holds.
  CHECK(MapShares({100, 100, 100}, 10) == std::vector<size_t>{4, 3, 3});
  CHECK(MapShares({1, 1000, 0}, 50) == std::vector<size_t>{0, 50, 0});
  CHECK(MapShares({3, 4}, 100) == std::vector<size_t>{3, 4});
  CHECK(MapShares({}, 5).empty());
  auto sample = GatherMapSample({json{{"points", {{{"id", 7u}, {"x", 0}, {"y", 0}, {"label", "a"}, {"vector", {1.0, 2.0}}}}}},
                                 json{{"points", json::array()}}});
  REQUIRE(sample.ok());
  REQUIRE(sample->points.size() == 1);
  CHECK(sample->rows[0] == std::vector<float>{1.f, 2.f});
  CHECK(*sample->points[0].label == "a");
  CHECK(GatherMapSample({json{{"points", {{{"id", 7u}}}}}}).status().code() == latentdb::StatusCode::kInvalidArgument);
}

TEST_CASE("Sharded directions: sample rows and merged samples, the sets' conjunction, edits' neighbours from every shard",
          "[cluster]") {
  const json a = {{"points", {{{"id", 9}, {"vector", {1, 2}}}, {{"id", "b"}, {"vector", {3, 4}}}}}, {"matched", 40}};
  const json b = {{"points", {{{"id", 2}, {"vector", {5, 6}}}}}, {"matched", 7}};
  auto rows = SampleRows({a, b});
  REQUIRE(rows.ok());
  CHECK(*rows == latentdb::latent::Rows{{1, 2}, {3, 4}, {5, 6}});
  CHECK(SampleRows({json{{"points", {{{"id", 1}}}}, {"matched", 1}}}).status().code() ==
        latentdb::StatusCode::kInvalidArgument);
  CHECK_FALSE(SampleRows({json::array()}).ok());
  const json merged = MergeSamples({a, b}, 40 + 7);
  CHECK(merged["matched"] == 47);
  REQUIRE(merged["points"].size() == 3);
  CHECK(merged["points"][0]["id"] == 2);  // id order: integers ascending, then strings
  CHECK(merged["points"][1]["id"] == 9);
  CHECK(merged["points"][2]["id"] == "b");
  CHECK(BothSetsFilter(json{{"x", 1}}, json{{"y", 2}}) == json{{"must", {{{"x", 1}}, {{"y", 2}}}}});

  auto step = [](json neighbors) { return json{{"strength", 1}, {"vector", {0, 0}}, {"neighbors", neighbors}}; };
  const json shard0 = {{"direction", "d"}, {"start", {0, 0}},
                       {"steps", {step({{{"id", 1}, {"score", 0.5}}, {{"id", 3}, {"score", 2.0}}})}}};
  json image_step = shard0;
  image_step["steps"][0]["image"] = "png";
  const json shard1 = {{"direction", "d"}, {"start", {0, 0}},
                       {"steps", {step({{{"id", 2}, {"score", 0.1}}, {{"id", 4}, {"score", 1.0}}})}}};
  const json l2 = MergeEdits({image_step, shard1}, 3, /*ascending=*/true);
  REQUIRE(l2["steps"][0]["neighbors"].size() == 3);
  CHECK(l2["steps"][0]["neighbors"][0]["id"] == 2);
  CHECK(l2["steps"][0]["neighbors"][1]["id"] == 1);
  CHECK(l2["steps"][0]["neighbors"][2]["id"] == 4);
  CHECK(l2["steps"][0]["image"] == "png");  // shard 0's
  const json ip = MergeEdits({shard0, shard1}, 2, /*ascending=*/false);
  CHECK(ip["steps"][0]["neighbors"][0]["id"] == 3);
  CHECK(ip["steps"][0]["neighbors"][1]["id"] == 4);
  CHECK(MergeEdits({json{{"error", 1}}, shard1}, 2, true) == json{{"error", 1}});
}
