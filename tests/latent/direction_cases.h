#pragma once
// Data and requests shared by the direction tests of a single node
// (tests/latent/directions_http_test.cc) and of a sharded collection
// (tests/cluster/sharded_directions_test.cc), so that both check the same answers and refusals.

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/http_client.h"
#include "tests/support/http_reply.h"

namespace latentdb::testing::directions {

// Anisotropic clusters in 3-d (see tests/latent/directions_test.cc): labels "from" (ids 0…59),
// "to" (ids 100…159), and one "lonely" point (id 500).
inline nlohmann::json ClusterPoints() {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0.0, 1.0);
  const double r = 1 / std::sqrt(2.0);
  nlohmann::json points = nlohmann::json::array();
  for (int set = 0; set < 2; ++set) {
    for (int i = 0; i < 60; ++i) {
      const double u = 3 * normal(rng), v = 0.1 * normal(rng), w = 0.1 * normal(rng);
      points.push_back({{"id", set * 100 + i},
                        {"vector", {set + u * r + v * r, u * r - v * r, w}},
                        {"payload", {{"label", set == 0 ? "from" : "to"}}}});
    }
  }
  points.push_back({{"id", 500}, {"vector", {5, 5, 5}}, {"payload", {{"label", "lonely"}}}});
  return points;
}

inline void FillClusters(::latentdb::client::HttpClient& c, const std::string& collection) {
  Ok(c, "PUT", "/collections/" + collection + "/points", {{"points", ClusterPoints()}});
}

inline nlohmann::json Label(const std::string& label) {
  return {{"must", {{{"key", "label"}, {"match", {{"value", label}}}}}}};
}

inline double Dot(const nlohmann::json& a, const nlohmann::json& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i].get<double>() * b[i].get<double>();
  return s;
}

struct Refused {
  std::string method, target;
  nlohmann::json body;
  int code;
  std::string mention;
};

// Requests on collection "vec" (3-d, l2, filled by FillClusters, with direction "md" stored from
// "from" to "to") that must be refused with `code`, naming `mention`, and change nothing.
inline std::vector<Refused> RefusedDirectionRequests() {
  using nlohmann::json;
  auto with = [](json extra) {
    json b = {{"name", "x"}, {"method", "mean_difference"}, {"from", Label("from")}, {"to", Label("to")}};
    for (auto& [k, v] : extra.items()) {
      if (v.is_null()) b.erase(k);
      else b[k] = v;
    }
    return b;
  };
  json md_record = {{"method", "mean_difference"}, {"vector", {0.0, 0.6, 0.8}}};
  auto record = [&](json extra) {
    json b = md_record;
    for (auto& [k, v] : extra.items()) {
      if (v.is_null()) b.erase(k);
      else b[k] = v;
    }
    return b;
  };
  return {
      {"POST", "/collections/vec/directions", with({{"method", "svm"}}), 400, "\"method\" must be"},
      {"POST", "/collections/vec/directions", with({{"name", nullptr}}), 400, "missing \"name\""},
      {"POST", "/collections/vec/directions", with({{"name", "no spaces"}}), 400, "direction name"},
      {"POST", "/collections/vec/directions", with({{"to", Label("nobody")}}), 400, "\"to\" matches no point"},
      {"POST", "/collections/vec/directions", with({{"to", Label("from")}}), 400, "select the same 60 points"},
      {"POST", "/collections/vec/directions", with({{"method", "linear"}, {"to", Label("lonely")}}), 400,
       "\"to\" matches 1 point"},
      {"POST", "/collections/vec/directions", with({{"from", {{"must", {{{"key", "label"}, {"geo_radius", 1}}}}}}}), 400,
       "from"},
      {"POST", "/collections/vec/directions", with({{"to", nullptr}}), 400, "needs \"from\" and \"to\""},
      {"POST", "/collections/vec/directions", with({{"method", "pca"}}), 400, "takes no \"from\""},
      {"POST", "/collections/vec/directions", {{"name", "x"}, {"method", "pca"}, {"component", 3}}, 400, "between 0 and 2"},
      {"POST", "/collections/vec/directions", with({{"orthogonal_to", {"nope"}}}), 404, "no direction 'nope'"},
      {"POST", "/collections/vec/directions", with({{"orthogonal_to", {"md"}}}), 400, "span"},
      {"POST", "/collections/vec/directions", with({{"orthogonal_to", "md"}}), 400, "array"},
      {"POST", "/collections/vec/directions", json::array(), 400, "object"},
      {"POST", "/collections/vec/directions?with_vector=maybe", with({}), 400, "with_vector"},
      {"POST", "/collections/nope/directions", with({}), 404, "nope"},
      {"GET", "/collections/vec/directions/nope", nullptr, 404, "no direction 'nope'"},
      {"DELETE", "/collections/vec/directions/nope", nullptr, 404, "no direction 'nope'"},
      {"GET", "/collections/vec/directions?with_vector=maybe", nullptr, 400, "with_vector"},
      // A direction given with its vector (PUT): every malformed record.
      {"PUT", "/collections/vec/directions/x", record({{"vector", {1, 2}}}), 400, "is 2-d"},
      {"PUT", "/collections/vec/directions/x", record({{"vector", {0, 0, 0}}}), 400, "non-zero"},
      {"PUT", "/collections/vec/directions/x", record({{"vector", {1, "a", 0}}}), 400, "\"vector\""},
      {"PUT", "/collections/vec/directions/x", record({{"vector", nullptr}}), 400, "\"vector\""},
      {"PUT", "/collections/vec/directions/x", record({{"method", nullptr}}), 400, "\"method\""},
      {"PUT", "/collections/vec/directions/x", record({{"method", "svm"}}), 400, "mean_difference"},
      {"PUT", "/collections/vec/directions/x", record({{"name", "y"}}), 400, "the name in the path"},
      {"PUT", "/collections/vec/directions/x", record({{"from_count", -1}}), 400, "\"from_count\""},
      {"PUT", "/collections/vec/directions/x", record({{"training_accuracy", "high"}}), 400, "\"training_accuracy\""},
      {"PUT", "/collections/vec/directions/x", record({{"from", {{"must", 3}}}}), 400, "\"from\""},
      {"PUT", "/collections/vec/directions/x", record({{"orthogonal_to", {"no spaces"}}}), 400, "direction name"},
      {"PUT", "/collections/vec/directions/x", record({{"created", 5}}), 400, "\"created\""},
      {"PUT", "/collections/vec/directions/bad%20name", md_record, 400, "direction name"},
      {"PUT", "/collections/vec/directions/x", json::array(), 400, "object"},
      {"PUT", "/collections/nope/directions/x", md_record, 404, "nope"},
      // Edits.
      {"POST", "/collections/vec/edit", {{"from", 0}, {"direction", "nope"}, {"strengths", {1}}}, 404, "no direction 'nope'"},
      {"POST", "/collections/vec/edit", {{"from", 0}, {"strengths", {1}}}, 400, "missing \"direction\""},
      {"POST", "/collections/vec/edit", {{"from", 0}, {"direction", "md"}, {"strengths", json::array()}}, 400, "1 to 64"},
      {"POST", "/collections/vec/edit", {{"from", 0}, {"direction", "md"}, {"strengths", std::vector<int>(65, 1)}}, 400,
       "1 to 64"},
      {"POST", "/collections/vec/edit", {{"from", 0}, {"direction", "md"}, {"strengths", {"a"}}}, 400, "numbers"},
      {"POST", "/collections/vec/edit", {{"from", {1, 2}}, {"direction", "md"}, {"strengths", {1}}}, 400, "has 2 values"},
      {"POST", "/collections/vec/edit", {{"from", 9999}, {"direction", "md"}, {"strengths", {1}}}, 404, "9999"},
      {"POST", "/collections/vec/edit", {{"direction", "md"}, {"strengths", {1}}}, 400, "missing \"from\""},
      {"POST", "/collections/vec/edit", {{"from", 0}, {"direction", "md"}, {"strengths", {1}}, {"k", 0}}, 400, "\"k\""},
      {"POST", "/collections/vec/edit", {{"from", 0}, {"direction", "md"}, {"strengths", {1e300}}}, 400, "float range"},
      {"POST", "/collections/vec/edit", {{"from", 0}, {"direction", "md"}, {"strengths", {1}}, {"with_images", true}}, 400,
       "generative"},
      {"POST", "/collections/vec/edit", {{"from", {{"text", "shoe"}}}, {"direction", "md"}, {"strengths", {1}}}, 400, ""},
      // The sample directions learn from.
      {"POST", "/collections/vec/points/sample", {{"limit", 0}}, 400, "\"limit\""},
      {"POST", "/collections/vec/points/sample", {{"limit", 100001}}, 400, "\"limit\""},
      {"POST", "/collections/vec/points/sample", {{"filter", {{"must", 3}}}}, 400, ""},
      {"POST", "/collections/vec/points/sample", {{"with_vector", "yes"}}, 400, "with_vector"},
      {"POST", "/collections/vec/points/sample", json::array(), 400, "object"},
      {"POST", "/collections/nope/points/sample", json::object(), 404, "nope"},
  };
}

}  // namespace latentdb::testing::directions
