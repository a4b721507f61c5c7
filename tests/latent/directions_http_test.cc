// Attribute directions and edits over HTTP against a real `latentdb serve`: the routes' answers,
// persistence across a restart and a drop, every refused request (4xx, and the stored list
// unchanged after it), and edits with decoded images on VAE and GAN collections, none on a plain
// vector collection.
#include <sys/wait.h>

#include <cmath>
#include <random>

#include "tests/latent/http_fixture.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
using namespace latentdb::testing::latent;

namespace {

// Anisotropic clusters in 3-d (see tests/latent/directions_test.cc): labels "from" (ids 0…59),
// "to" (ids 100…159), and one "lonely" point (id 500).
void FillClusters(HttpClient& c, const std::string& collection) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0.0, 1.0);
  const double r = 1 / std::sqrt(2.0);
  json points = json::array();
  for (int set = 0; set < 2; ++set) {
    for (int i = 0; i < 60; ++i) {
      const double u = 3 * normal(rng), v = 0.1 * normal(rng), w = 0.1 * normal(rng);
      points.push_back({{"id", set * 100 + i},
                        {"vector", {set + u * r + v * r, u * r - v * r, w}},
                        {"payload", {{"label", set == 0 ? "from" : "to"}}}});
    }
  }
  points.push_back({{"id", 500}, {"vector", {5, 5, 5}}, {"payload", {{"label", "lonely"}}}});
  Ok(c, "PUT", "/collections/" + collection + "/points", {{"points", points}});
}

json Label(const std::string& label) { return {{"must", {{{"key", "label"}, {"match", {{"value", label}}}}}}}; }

double Dot(const json& a, const json& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i].get<double>() * b[i].get<double>();
  return s;
}

}  // namespace

TEST_CASE("directions over HTTP: create, list, get, replace, delete - they survive a restart, not a drop",
          "[latent][directions][http]") {
  TempDir dir;
  json stored_list;
  {
    ServerProcess server(dir.path());
    HttpClient c("127.0.0.1", server.port());
    Ok(c, "PUT", "/collections/vec", {{"dim", 3}, {"metric", "l2"}, {"index", "Flat"}});
    FillClusters(c, "vec");

    auto md = Ok(c, "POST", "/collections/vec/directions",
                 {{"name", "md"}, {"method", "mean_difference"}, {"from", Label("from")}, {"to", Label("to")}});
    CHECK(md["name"] == "md");
    CHECK(md["method"] == "mean_difference");
    CHECK(md["dim"] == 3);
    CHECK(md["from_count"] == 60);
    CHECK(md["to_count"] == 60);
    CHECK(md["replaced"] == false);
    CHECK(md["created"].is_string());
    CHECK_FALSE(md.contains("vector"));
    CHECK_FALSE(md.contains("training_accuracy"));
    auto lin = Ok(c, "POST", "/collections/vec/directions?with_vector=true",
                  {{"name", "lin"}, {"method", "linear"}, {"from", Label("from")}, {"to", Label("to")}});
    CHECK(lin["training_accuracy"].get<double>() > 0.99);
    REQUIRE(lin["vector"].size() == 3);
    CHECK(Dot(lin["vector"], lin["vector"]) == Approx(1.0).margin(1e-5));
    auto pc = Ok(c, "POST", "/collections/vec/directions", {{"name", "pc"}, {"method", "pca"}, {"component", 0}});
    CHECK(pc["component"] == 0);
    CHECK(pc["points_used"] == 121);
    auto ortho = Ok(c, "POST", "/collections/vec/directions?with_vector=true",
                    {{"name", "ortho"}, {"method", "pca"}, {"orthogonal_to", {"md", "lin"}}});
    auto md_full = Ok(c, "GET", "/collections/vec/directions/md");
    CHECK(std::abs(Dot(ortho["vector"], md_full["vector"])) < 1e-5);
    CHECK(std::abs(Dot(ortho["vector"], lin["vector"])) < 1e-5);
    CHECK(ortho["orthogonal_to"] == json{"md", "lin"});

    // A second POST of a name replaces it, and says so.
    auto again = Ok(c, "POST", "/collections/vec/directions",
                    {{"name", "md"}, {"method", "mean_difference"}, {"from", Label("to")}, {"to", Label("from")}});
    CHECK(again["replaced"] == true);
    CHECK(Dot(Ok(c, "GET", "/collections/vec/directions/md")["vector"], md_full["vector"]) == Approx(-1.0).margin(1e-5));

    auto list = Ok(c, "GET", "/collections/vec/directions")["directions"];
    REQUIRE(list.size() == 4);
    CHECK(list[0]["name"] == "lin");  // by name
    CHECK_FALSE(list[0].contains("vector"));
    CHECK(Ok(c, "GET", "/collections/vec/directions?with_vector=true")["directions"][0].contains("vector"));
    CHECK(Ok(c, "DELETE", "/collections/vec/directions/pc") == true);
    Fails(c, 404, "GET", "/collections/vec/directions/pc");
    stored_list = Ok(c, "GET", "/collections/vec/directions?with_vector=true")["directions"];
    REQUIRE(stored_list.size() == 3);
    CHECK(WEXITSTATUS(server.Terminate()) == 0);
  }
  {
    ServerProcess server(dir.path());
    HttpClient c("127.0.0.1", server.port());
    CHECK(Ok(c, "GET", "/collections/vec/directions?with_vector=true")["directions"] == stored_list);
    // Dropped with the collection: a collection created again under the name has none.
    Ok(c, "DELETE", "/collections/vec");
    Ok(c, "PUT", "/collections/vec", {{"dim", 3}, {"metric", "l2"}, {"index", "Flat"}});
    CHECK(Ok(c, "GET", "/collections/vec/directions")["directions"].empty());
    Fails(c, 404, "GET", "/collections/vec/directions/md");
  }
}

TEST_CASE("directions over HTTP: every refused request is 4xx and changes nothing", "[latent][directions][http]") {
  TempDir dir;
  ServerProcess server(dir.path());
  HttpClient c("127.0.0.1", server.port());
  Ok(c, "PUT", "/collections/vec", {{"dim", 3}, {"metric", "l2"}, {"index", "Flat"}});
  FillClusters(c, "vec");
  Ok(c, "POST", "/collections/vec/directions",
     {{"name", "md"}, {"method", "mean_difference"}, {"from", Label("from")}, {"to", Label("to")}});
  const json before = Ok(c, "GET", "/collections/vec/directions?with_vector=true");
  const json points_before = Ok(c, "POST", "/collections/vec/points/scroll", {{"limit", 1000}, {"with_vector", true}});

  struct Bad {
    std::string method, target;
    json body;
    int code;
    std::string mention;
  };
  auto with = [&](json extra) {
    json b = {{"name", "x"}, {"method", "mean_difference"}, {"from", Label("from")}, {"to", Label("to")}};
    for (auto& [k, v] : extra.items()) {
      if (v.is_null()) b.erase(k);
      else b[k] = v;
    }
    return b;
  };
  const std::vector<Bad> cases = {
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
      {"POST", "/collections/nope/directions", with({}), 404, "nope"},
      {"GET", "/collections/vec/directions/nope", nullptr, 404, "no direction 'nope'"},
      {"DELETE", "/collections/vec/directions/nope", nullptr, 404, "no direction 'nope'"},
      {"GET", "/collections/vec/directions?with_vector=maybe", nullptr, 400, "with_vector"},
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
  };
  for (const auto& bad : cases) {
    INFO(bad.method << " " << bad.target << " " << bad.body.dump());
    Fails(c, bad.code, bad.method, bad.target, bad.body, bad.mention);
    CHECK(Ok(c, "GET", "/collections/vec/directions?with_vector=true") == before);
  }
  CHECK(Ok(c, "POST", "/collections/vec/points/scroll", {{"limit", 1000}, {"with_vector", true}}) == points_before);
}

TEST_CASE("edit over HTTP: steps with neighbours on a vector collection, no images", "[latent][directions][http]") {
  TempDir dir;
  ServerProcess server(dir.path());
  HttpClient c("127.0.0.1", server.port());
  Ok(c, "PUT", "/collections/vec", {{"dim", 3}, {"metric", "l2"}, {"index", "Flat"}});
  FillClusters(c, "vec");
  auto d = Ok(c, "POST", "/collections/vec/directions?with_vector=true",
              {{"name", "lin"}, {"method", "linear"}, {"from", Label("from")}, {"to", Label("to")}});
  auto start = Floats(Ok(c, "GET", "/collections/vec/points/3")["vector"]);
  auto edit = Ok(c, "POST", "/collections/vec/edit", {{"from", 3}, {"direction", "lin"}, {"strengths", {-1, 0, 0.5, 2}}, {"k", 3}});
  CHECK(edit["direction"] == "lin");
  REQUIRE(edit["steps"].size() == 4);
  const std::vector<double> strengths = {-1, 0, 0.5, 2};
  for (size_t i = 0; i < 4; ++i) {
    const json& step = edit["steps"][i];
    CHECK(step["strength"] == strengths[i]);
    auto v = Floats(step["vector"]);
    for (size_t j = 0; j < 3; ++j) CHECK(v[j] == Approx(start[j] + strengths[i] * d["vector"][j].get<double>()).margin(1e-5));
    REQUIRE(step["neighbors"].size() == 3);
    CHECK(step["neighbors"][0]["payload"].contains("label"));
    CHECK_FALSE(step.contains("image"));
  }
  CHECK(edit["steps"][1]["neighbors"][0]["id"] == 3);  // strength 0 is the start itself
  // The start as a vector gives the same steps; payloads can be left out.
  auto by_vector = Ok(c, "POST", "/collections/vec/edit",
                      {{"from", start}, {"direction", "lin"}, {"strengths", {-1, 0, 0.5, 2}}, {"k", 3}, {"with_payload", false}});
  CHECK(by_vector["steps"][3]["vector"] == edit["steps"][3]["vector"]);
  CHECK_FALSE(by_vector["steps"][0]["neighbors"][0].contains("payload"));
  // with_images false is accepted anywhere.
  CHECK(Ok(c, "POST", "/collections/vec/edit", {{"from", 3}, {"direction", "lin"}, {"strengths", {1}}, {"with_images", false}})["steps"].size() == 1);
}

TEST_CASE("edit over HTTP: a VAE collection decodes every step, and a GAN collection too", "[latent][directions][http]") {
  Served& s = Server();
  HttpClient c("127.0.0.1", s.server->port());
  SendJson(c, "DELETE", "/collections/dir_vae");
  Ok(c, "PUT", "/collections/dir_vae", {{"dim", 8}, {"encoder", "vae"}, {"metric", "l2"}, {"index", "Flat"}});
  json points = json::array();
  for (size_t i = 0; i < 40; ++i) {
    points.push_back({{"id", i}, {"image", Base64Png(s.images.ImageAt(i))}, {"payload", {{"label", s.images.labels[i]}}}});
  }
  Ok(c, "PUT", "/collections/dir_vae/points", {{"points", points}});
  const int a = s.images.labels[0];
  int b = a;
  for (size_t i = 1; i < 40 && b == a; ++i) b = s.images.labels[i];
  REQUIRE(a != b);
  auto label = [](int l) { return json{{"must", {{{"key", "label"}, {"match", {{"value", l}}}}}}}; };
  auto d = Ok(c, "POST", "/collections/dir_vae/directions",
              {{"name", "ab"}, {"method", "mean_difference"}, {"from", label(a)}, {"to", label(b)}});
  CHECK(d["dim"] == 8);

  auto edit = Ok(c, "POST", "/collections/dir_vae/edit", {{"from", 0}, {"direction", "ab"}, {"strengths", {0, 1, 3}}, {"k", 2}});
  REQUIRE(edit["steps"].size() == 3);
  for (const auto& step : edit["steps"]) {
    CHECK(step["neighbors"].size() == 2);
    auto image = DecodeBase64Png(step["image"]);
    CHECK(image.width == 28);
    CHECK(image.height == 28);
    CHECK(step["width"] == 28);
  }
  // Strength 0 decodes the start: the same image as GET …/points/0/decode.
  auto decoded = DecodePng(Send(c, "GET", "/collections/dir_vae/points/0/decode", "").raw);
  CHECK(MaxPixelDiff(DecodeBase64Png(edit["steps"][0]["image"]), decoded) == 0);
  // An image as the start is encoded as a search's would be (μ(x)): the stored point's latent.
  auto by_image = Ok(c, "POST", "/collections/dir_vae/edit",
                     {{"from", {{"image", Base64Png(s.images.ImageAt(0))}}}, {"direction", "ab"}, {"strengths", {0}}});
  auto v0 = Floats(by_image["start"]);
  auto stored = Floats(Ok(c, "GET", "/collections/dir_vae/points/0")["vector"]);
  for (size_t j = 0; j < 8; ++j) CHECK(v0[j] == Approx(stored[j]).margin(1e-4));
  // with_images false: no decoding.
  auto plain = Ok(c, "POST", "/collections/dir_vae/edit", {{"from", 0}, {"direction", "ab"}, {"strengths", {1}}, {"with_images", false}});
  CHECK_FALSE(plain["steps"][0].contains("image"));

  // A GAN collection of latent codes (vectors: no inversion needed here) decodes through the GAN.
  SendJson(c, "DELETE", "/collections/dir_gan");
  Ok(c, "PUT", "/collections/dir_gan", {{"dim", 8}, {"encoder", "gan"}, {"metric", "l2"}, {"index", "Flat"}});
  json codes = json::array();
  std::mt19937_64 rng(2);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int i = 0; i < 12; ++i) {
    std::vector<double> z(8);
    for (auto& e : z) e = normal(rng);
    codes.push_back({{"id", i}, {"vector", z}});
  }
  Ok(c, "PUT", "/collections/dir_gan/points", {{"points", codes}});
  Ok(c, "POST", "/collections/dir_gan/directions", {{"name", "pc0"}, {"method", "pca"}});
  auto gan_edit = Ok(c, "POST", "/collections/dir_gan/edit", {{"from", 1}, {"direction", "pc0"}, {"strengths", {-2, 2}}});
  REQUIRE(gan_edit["steps"].size() == 2);
  CHECK(DecodeBase64Png(gan_edit["steps"][1]["image"]).width == 28);
  CHECK(gan_edit["steps"][0]["neighbors"].size() == 5);  // k defaults to 5

  // A CNN collection is not generative: no images by default, 400 when asked for them.
  SendJson(c, "DELETE", "/collections/dir_cnn");
  Ok(c, "PUT", "/collections/dir_cnn", {{"encoder", "cnn"}, {"index", "Flat"}});
  Ok(c, "PUT", "/collections/dir_cnn/points", {{"points", {points[0], points[1], points[2], points[3]}}});
  Ok(c, "POST", "/collections/dir_cnn/directions", {{"name", "pc0"}, {"method", "pca"}});
  auto cnn_edit = Ok(c, "POST", "/collections/dir_cnn/edit", {{"from", 0}, {"direction", "pc0"}, {"strengths", {1}}});
  CHECK_FALSE(cnn_edit["steps"][0].contains("image"));
  const json before = Ok(c, "GET", "/collections/dir_cnn/directions?with_vector=true");
  Fails(c, 400, "POST", "/collections/dir_cnn/edit", {{"from", 0}, {"direction", "pc0"}, {"strengths", {1}}, {"with_images", true}},
        "generative");
  CHECK(Ok(c, "GET", "/collections/dir_cnn/directions?with_vector=true") == before);
}
