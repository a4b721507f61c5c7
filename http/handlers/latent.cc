// Latent-space routes of a collection. The VAE ones need a collection whose encoder is a VAE
// (400 otherwise); the map works on any collection.
//   GET  /collections/{c}/points/{id}/decode   image/png of decode(stored latent)
//   POST /collections/{c}/points/decode        the same with {"id":…,"format":"png"|"json"} (any id type)
//   POST /collections/{c}/interpolate          {"from":id|vector,"to":id|vector,"steps":8,"mode":"linear"|"slerp"}
//   POST /collections/{c}/sample               {"n":16,"seed":…,"store":false}
//   POST /collections/{c}/reconstruct          {"image":base64} or a raw image body
//   GET  /collections/{c}/anomalies?k=20       the k points of highest payload "neg_elbo"
//   GET  /collections/{c}/map?n=5000&field=…&with_vectors=false   2-D PCA of an evenly spaced
//                                              sample, with its basis {"mean", "axes"} to place any
//                                              other vector on it (and the sample's vectors when asked)
// Each handler parses the request, calls the latent module (latent) and encodes its
// result; the operations, their errors and their algorithms are documented there.
//
// Limits: the API's own policy stays here — at most 256 interpolation steps or samples per request
// (the size of one answer), and the pixels of the decoded frames charged to the request's
// PixelBudget (as decoded inputs are). The map's bounds (points, and points × dim) protect the
// engine's memory, so they are the module's (latent::MaxMapPoints); this route only turns them
// into the bounds of its ?n=.
#include <algorithm>
#include <chrono>
#include <optional>

#include "encoders/image_model.h"
#include "latent/anomalies.h"
#include "latent/decode.h"
#include "latent/interpolation.h"
#include "latent/map.h"
#include "latent/prior.h"
#include "http/codec.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

namespace {

constexpr size_t kMaxInterpolationSteps = 256;
constexpr size_t kMaxSamples = 256;

// An endpoint of an interpolation ("from", "to"): a point id or a vector.
Result<latent::Endpoint> ParseEndpoint(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) {
    return Status::InvalidArgument(std::string("missing \"") + key + "\": a point id or a vector");
  }
  const json& v = body[key];
  if (v.is_array()) {
    LDB_ASSIGN_OR_RETURN(auto vec, ParseVector(v, key));
    return latent::Endpoint(std::move(vec));
  }
  LDB_ASSIGN_OR_RETURN(auto id, engine::ExternalId::FromJson(v));
  return latent::Endpoint(std::move(id));
}

// The decoded frames of one request count against the same pixel budget as decoded inputs.
latent::PixelCharge ChargeTo(PixelBudget* budget) {
  return [budget](uint64_t pixels) { return budget->Spend(pixels); };
}

// {"vector", "image" (base64 PNG), "width", "height", "channels", "nearest" (a hit, or null)}.
json DecodedLatentJson(const latent::DecodedLatent& d) {
  json item = {{"vector", VectorToJson(d.latent)}};
  AddImageJson(d.image, &item);
  item["nearest"] = d.nearest ? ScoredPointToJson(*d.nearest) : json(nullptr);
  return item;
}

// The sample request's "class" (a name or an index; absent or null: none). 400 when the model is
// not class-conditional or has no such class.
Result<std::optional<int>> ParseSampleClass(const json& body, const encoders::ImageModel& model) {
  auto it = body.find("class");
  if (it == body.end() || it->is_null()) return std::optional<int>();
  const encoders::ClassConditioning* cond = model.conditioning();
  if (!cond) return Status::InvalidArgument("\"class\": model '" + model.name() + "' is not class-conditional");
  if (it->is_number_unsigned()) {
    const uint64_t k = it->get<uint64_t>();
    if (k >= cond->class_names.size()) return latent::ParseClass(std::to_string(k), cond->class_names).status();
    return std::optional<int>(static_cast<int>(k));
  }
  if (!it->is_string()) return Status::InvalidArgument("\"class\" must be a class name or index");
  LDB_ASSIGN_OR_RETURN(int k, latent::ParseClass(it->get<std::string>(), cond->class_names));
  return std::optional<int>(k);
}

}  // namespace

void RegisterLatentRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("GET", "/collections/{collection}/points/{id}/decode", RawRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<HttpResponse> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionGenerativeModel(ctx, *c));
    LDB_ASSIGN_OR_RETURN(auto id, PathId(p));
    LDB_ASSIGN_OR_RETURN(auto image, latent::DecodePoint(*c, *vae, id));
    return PngResponse(images::EncodePng(image));
  }));
  // The body form, for any id ("1990" the string included): {"id": …, "format": "png"|"json"}.
  router.Add("POST", "/collections/{collection}/points/decode", RawRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<HttpResponse> {
    auto start = std::chrono::steady_clock::now();
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    if (!body.is_object() || !body.contains("id")) {
      return Status::InvalidArgument("body must be {\"id\":<point id>, \"format\":\"png\"|\"json\"}");
    }
    const json format = body.value("format", json("png"));
    if (format != "png" && format != "json") return Status::InvalidArgument("\"format\" must be \"png\" or \"json\"");
    LDB_ASSIGN_OR_RETURN(auto id, engine::ExternalId::FromJson(body["id"]));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionGenerativeModel(ctx, *c));
    LDB_ASSIGN_OR_RETURN(auto image, latent::DecodePoint(*c, *vae, id));
    if (format == "png") return PngResponse(images::EncodePng(image));
    json out = {{"id", id.ToJson()}};
    AddImageJson(image, &out);
    return EnvelopeResponse(std::move(out), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }));

  router.Add("POST", "/collections/{collection}/interpolate", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req, /*empty_is_object=*/true));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionGenerativeModel(ctx, *c));
    latent::InterpolationRequest r;
    LDB_ASSIGN_OR_RETURN(r.steps, ParseCount(body, "steps", 8, 2, kMaxInterpolationSteps));
    const json mode_name = body.value("mode", json("linear"));
    if (!mode_name.is_string()) return Status::InvalidArgument("\"mode\" must be \"linear\" or \"slerp\"");
    LDB_ASSIGN_OR_RETURN(r.mode, latent::ParseInterpolationMode(mode_name.get<std::string>()));
    LDB_ASSIGN_OR_RETURN(r.from, ParseEndpoint(body, "from"));
    LDB_ASSIGN_OR_RETURN(r.to, ParseEndpoint(body, "to"));
    PixelBudget budget;
    LDB_ASSIGN_OR_RETURN(auto result, latent::InterpolateDecoded(*c, *vae, r, ChargeTo(&budget)));
    json steps = json::array();
    for (size_t i = 0; i < result.steps.size(); ++i) {
      steps.push_back(DecodedLatentJson(result.steps[i]));
      steps.back()["t"] = result.t[i];
    }
    return json{{"mode", mode_name}, {"steps", std::move(steps)}};
  }));

  router.Add("POST", "/collections/{collection}/sample", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req, /*empty_is_object=*/true));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionGenerativeModel(ctx, *c));
    LDB_ASSIGN_OR_RETURN(size_t n, ParseCount(body, "n", 16, 1, kMaxSamples));
    std::optional<uint64_t> seed;  // absent: the module draws one and returns it
    if (body.contains("seed") && !body["seed"].is_null()) {
      if (!body["seed"].is_number_unsigned()) return Status::InvalidArgument("\"seed\" must be an unsigned integer");
      seed = body["seed"].get<uint64_t>();
    }
    const json store = body.value("store", json(false));
    if (!store.is_boolean()) return Status::InvalidArgument("\"store\" must be true or false");
    LDB_ASSIGN_OR_RETURN(std::optional<int> label, ParseSampleClass(body, *vae));
    PixelBudget budget;
    LDB_ASSIGN_OR_RETURN(auto result, latent::SampleFromPrior(*c, *vae, n, seed, ChargeTo(&budget), label));
    json samples = json::array();
    for (size_t i = 0; i < result.samples.size(); ++i) {
      samples.push_back(DecodedLatentJson(result.samples[i]));
      if (i < result.labels.size()) {
        const int k = result.labels[i];
        samples.back().update({{"label", k}, {"class", result.class_names[static_cast<size_t>(k)]}});
      }
    }
    json out = {{"seed", result.seed}};
    if (store.get<bool>()) {
      LDB_ASSIGN_OR_RETURN(auto ids, latent::StoreSamples(*c, result));
      for (size_t i = 0; i < ids.size(); ++i) samples[i]["id"] = ids[i].ToJson();
      out["stored"] = ids.size();
    }
    out["samples"] = std::move(samples);
    return out;
  }));

  router.Add("POST", "/collections/{collection}/reconstruct", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionGenerativeModel(ctx, *c));
    images::Image image;
    if (IsImageRequest(req)) {
      LDB_ASSIGN_OR_RETURN(image, DecodeRawImage(req, *vae));
    } else {
      LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
      if (!body.is_object() || !body.contains("image")) {
        return Status::InvalidArgument("body must be {\"image\":\"<base64>\"} or a raw image");
      }
      LDB_ASSIGN_OR_RETURN(image, DecodeImageField(body["image"], *vae));
    }
    LDB_ASSIGN_OR_RETURN(auto r, latent::ReconstructImage(*vae, image));
    json out = inference::AnomalyScoresJson(r.scores);
    out["vector"] = VectorToJson(r.mean);
    AddImageJson(r.image, &out);
    return out;
  }));

  router.Add("GET", "/collections/{collection}/anomalies", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(size_t k, QueryCount(req, "k", 20, 1, engine::kMaxK));
    LDB_ASSIGN_OR_RETURN(auto model, CollectionGenerativeModel(ctx, *c));
    if (model->kind() != "vae") {
      return Status::InvalidArgument("anomaly scores are a VAE's negative ELBO; collection '" + c->name() +
                                     "' has the GAN '" + model->name() + "', which has no likelihood");
    }
    LDB_ASSIGN_OR_RETURN(auto ranking, latent::RankAnomalies(*c, k));
    json points = json::array();
    for (auto& a : ranking.points) {
      points.push_back({{"id", a.id.ToJson()}, {"neg_elbo", a.neg_elbo}, {"payload", std::move(a.payload)}});
    }
    return json{{"points", std::move(points)}, {"scored", ranking.scored}};
  }));

  router.Add("GET", "/collections/{collection}/map", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    const size_t max_n = latent::MaxMapPoints(c->config().dim);
    latent::MapRequest r;
    LDB_ASSIGN_OR_RETURN(r.n, QueryCount(req, "n", std::min(latent::kDefaultMapPoints, max_n), 1, max_n));
    if (auto field = req.query.find("field"); field != req.query.end()) {
      if (field->second.empty()) return Status::InvalidArgument("query parameter 'field' is empty");
      r.field = field->second;
    }
    LDB_ASSIGN_OR_RETURN(r.with_vectors, QueryBool(req, "with_vectors", false));
    LDB_ASSIGN_OR_RETURN(auto map, latent::MapCollection(*c, r));
    return latent::MapToJson(std::move(map));
  }));
}

}  // namespace latentdb::http
