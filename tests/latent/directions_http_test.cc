// Attribute directions and edits over HTTP against a real `latentdb serve`: the routes' answers,
// persistence across a restart and a drop, every refused request (4xx, and the stored list
// unchanged after it), and edits with decoded images on VAE and GAN collections, none on a plain
// vector collection.
#include <sys/wait.h>

#include <cmath>
#include <random>

#include "tests/latent/direction_cases.h"
#include "tests/latent/http_fixture.h"

using nlohmann::json;
using latentdb::client::HttpClient;
using latentdb::testing::ServerProcess;
using latentdb::testing::TempDir;
using namespace latentdb::testing::latent;

using namespace latentdb::testing::directions;

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

TEST_CASE("a direction given with its vector is stored at unit length, and the sample is evenly spaced in id order",
          "[latent][directions][http]") {
  TempDir dir;
  ServerProcess server(dir.path());
  HttpClient c("127.0.0.1", server.port());
  Ok(c, "PUT", "/collections/vec", {{"dim", 3}, {"metric", "l2"}, {"index", "Flat"}});
  FillClusters(c, "vec");
  // A record as GET gives it, learned elsewhere: kept as given, its vector scaled to unit length.
  json learned = Ok(c, "POST", "/collections/vec/directions?with_vector=true",
                    {{"name", "md"}, {"method", "mean_difference"}, {"from", Label("from")}, {"to", Label("to")}});
  json record = learned;
  record.erase("replaced");
  record["name"] = "copy";
  for (auto& x : record["vector"]) x = x.get<double>() * 4;
  json put = Ok(c, "PUT", "/collections/vec/directions/copy?with_vector=true", record);
  CHECK(put["replaced"] == false);
  CHECK(put["from_count"] == 60);
  CHECK(put["created"] == learned["created"]);
  CHECK(Dot(put["vector"], learned["vector"]) == Approx(1.0).margin(1e-6));
  json bare = Ok(c, "PUT", "/collections/vec/directions/copy", {{"method", "pca"}, {"vector", {0, 0, 2}}});
  CHECK(bare["replaced"] == true);
  CHECK(bare["created"].is_string());
  CHECK(Ok(c, "GET", "/collections/vec/directions/copy")["vector"] == json{0.0, 0.0, 1.0});
  // An edit along it moves the start by the strength along the unit vector.
  json edit = Ok(c, "POST", "/collections/vec/edit", {{"from", {1, 1, 1}}, {"direction", "copy"}, {"strengths", {2}}});
  CHECK(edit["steps"][0]["vector"] == json{1.0, 1.0, 3.0});

  // The sample: every matching point when the limit is above their number, else evenly spaced.
  json all = Ok(c, "POST", "/collections/vec/points/sample", {{"limit", 1000}, {"filter", Label("to")}});
  CHECK(all["matched"] == 60);
  REQUIRE(all["points"].size() == 60);
  CHECK(all["points"][0]["id"] == 100);
  CHECK(all["points"][59]["id"] == 159);
  CHECK(all["points"][0]["payload"]["label"] == "to");
  CHECK_FALSE(all["points"][0].contains("vector"));
  json some = Ok(c, "POST", "/collections/vec/points/sample",
                 {{"limit", 4}, {"filter", Label("to")}, {"with_vector", true}, {"with_payload", false}});
  CHECK(some["matched"] == 60);
  REQUIRE(some["points"].size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(some["points"][i]["id"] == 100 + i * 15);  // floor(i * 60 / 4)
  CHECK(some["points"][0]["vector"].size() == 3);
  CHECK_FALSE(some["points"][0].contains("payload"));
  json everything = Ok(c, "POST", "/collections/vec/points/sample", json());
  CHECK(everything["matched"] == 121);
  CHECK(everything["points"].size() == 10);
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

  const std::vector<Refused> cases = RefusedDirectionRequests();
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
