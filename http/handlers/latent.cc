// Latent-space routes of a collection. The VAE ones need a collection whose encoder is a VAE
// (400 otherwise); the map works on any collection.
//   GET  /collections/{c}/points/{id}/decode   image/png of decode(stored latent)
//   POST /collections/{c}/points/decode        the same with {"id":…,"format":"png"|"json"} (any id type)
//   POST /collections/{c}/interpolate          {"from":id|vector,"to":id|vector,"steps":8,"mode":"linear"|"slerp"}
//   POST /collections/{c}/sample               {"n":16,"seed":…}
//   POST /collections/{c}/reconstruct          {"image":base64} or a raw image body
//   GET  /collections/{c}/anomalies?k=20       the k points of highest payload "neg_elbo"
//   GET  /collections/{c}/map?n=5000&field=…   2-D PCA of an evenly spaced sample
// Latent math (interpolation, sampling, PCA) is in engine/latent/math.h.
#include <algorithm>
#include <chrono>
#include <random>

#include "engine/encoders/image_model.h"
#include "http/codec.h"
#include "http/handlers/handlers.h"
#include "engine/latent/math.h"

namespace latentdb::http {

using nlohmann::json;

namespace {

constexpr size_t kMaxInterpolationSteps = 256;
constexpr size_t kMaxSamples = 256;
constexpr size_t kMaxMapPoints = 50000;
constexpr size_t kMaxMapFloats = size_t{1} << 24;  // 16,777,216 vector components (64 MiB) per map
constexpr size_t kScrollPage = 10000;

// An endpoint of an interpolation: a stored point's id or a vector of the collection's dim.
Result<std::vector<float>> Latent(engine::Collection& c, const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) {
    return Status::InvalidArgument(std::string("missing \"") + key + "\": a point id or a vector");
  }
  const json& v = body[key];
  if (v.is_array()) {
    LDB_ASSIGN_OR_RETURN(auto vec, ParseVector(v, key));
    if (vec.size() != c.config().dim) {
      return Status::InvalidArgument(std::string("\"") + key + "\" has " + std::to_string(vec.size()) +
                                     " values, the collection is " + std::to_string(c.config().dim) + "-d");
    }
    return vec;
  }
  LDB_ASSIGN_OR_RETURN(auto id, engine::ExternalId::FromJson(v));
  return c.VectorOf(id);
}

// The stored point closest to `vector` ({"id","score","payload"}), null for an empty collection.
Result<json> Nearest(engine::Collection& c, const std::vector<float>& vector) {
  engine::SearchQuery q;
  q.vector = vector;
  q.k = 1;
  LDB_ASSIGN_OR_RETURN(auto hits, c.Search(q));
  if (hits.empty()) return json(nullptr);
  return ScoredPointToJson(hits[0]);
}

// For each latent: {"vector", "image" (base64 PNG), "width", "height", "channels", "nearest"}.
Result<json> DecodedLatents(engine::Collection& c, const encoders::ImageModel& vae,
                            const std::vector<std::vector<float>>& latents) {
  // The images decoded for one request count against the same pixel budget as decoded inputs.
  const uint64_t pixels = uint64_t{latents.size()} * static_cast<uint64_t>(vae.input().width) *
                          static_cast<uint64_t>(vae.input().height);
  PixelBudget budget;
  LDB_RETURN_IF_ERROR(budget.Spend(pixels));
  LDB_ASSIGN_OR_RETURN(auto decoded, vae.Decode(latents));
  json out = json::array();
  for (size_t i = 0; i < latents.size(); ++i) {
    json item = {{"vector", VectorToJson(latents[i])}};
    AddImageJson(decoded.at(i), &item);
    LDB_ASSIGN_OR_RETURN(item["nearest"], Nearest(c, latents[i]));
    out.push_back(std::move(item));
  }
  return out;
}

Result<json> ObjectBody(const HttpRequest& req) {
  json body = json::object();
  if (req.body.empty()) return body;
  LDB_ASSIGN_OR_RETURN(body, BodyJson(req));
  if (!body.is_object()) return Status::InvalidArgument("body must be a JSON object");
  return body;
}

// A dotted path ("a.b") into a payload; null when absent.
json PayloadField(const json& payload, const std::string& path) {
  const json* cur = &payload;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    if (dot == std::string::npos) return *cur;
    start = dot + 1;
  }
}

}  // namespace

void RegisterLatentRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("GET", "/collections/{collection}/points/{id}/decode", RawRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<HttpResponse> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionVae(ctx, *c));
    LDB_ASSIGN_OR_RETURN(auto id, PathId(p));
    LDB_ASSIGN_OR_RETURN(auto latent, c->VectorOf(id));
    LDB_ASSIGN_OR_RETURN(auto decoded, vae->Decode({latent}));
    return PngResponse(images::EncodePng(decoded.at(0)));
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
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionVae(ctx, *c));
    LDB_ASSIGN_OR_RETURN(auto latent, c->VectorOf(id));
    LDB_ASSIGN_OR_RETURN(auto decoded, vae->Decode({latent}));
    if (format == "png") return PngResponse(images::EncodePng(decoded.at(0)));
    json out = {{"id", id.ToJson()}};
    AddImageJson(decoded.at(0), &out);
    return EnvelopeResponse(std::move(out), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }));

  router.Add("POST", "/collections/{collection}/interpolate", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionVae(ctx, *c));
    LDB_ASSIGN_OR_RETURN(size_t steps, ParseCount(body, "steps", 8, 2, kMaxInterpolationSteps));
    const json mode_name = body.value("mode", json("linear"));
    if (!mode_name.is_string()) return Status::InvalidArgument("\"mode\" must be \"linear\" or \"slerp\"");
    LDB_ASSIGN_OR_RETURN(auto mode, latent::ParseInterpolationMode(mode_name.get<std::string>()));
    LDB_ASSIGN_OR_RETURN(auto from, Latent(*c, body, "from"));
    LDB_ASSIGN_OR_RETURN(auto to, Latent(*c, body, "to"));
    auto latents = latent::Interpolate(from, to, steps, mode);
    LDB_ASSIGN_OR_RETURN(json items, DecodedLatents(*c, *vae, latents));
    for (size_t i = 0; i < items.size(); ++i) items[i]["t"] = static_cast<double>(i) / static_cast<double>(steps - 1);
    return json{{"mode", mode_name}, {"steps", std::move(items)}};
  }));

  router.Add("POST", "/collections/{collection}/sample", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionVae(ctx, *c));
    LDB_ASSIGN_OR_RETURN(size_t n, ParseCount(body, "n", 16, 1, kMaxSamples));
    uint64_t seed = 0;
    if (body.contains("seed") && !body["seed"].is_null()) {
      if (!body["seed"].is_number_unsigned()) return Status::InvalidArgument("\"seed\" must be an unsigned integer");
      seed = body["seed"].get<uint64_t>();
    } else {
      seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    }
    auto latents = latent::StandardNormalSamples(n, vae->dim(), seed);
    LDB_ASSIGN_OR_RETURN(json items, DecodedLatents(*c, *vae, latents));
    return json{{"seed", seed}, {"samples", std::move(items)}};
  }));

  router.Add("POST", "/collections/{collection}/reconstruct", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto vae, CollectionVae(ctx, *c));
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
    LDB_ASSIGN_OR_RETURN(auto recs, vae->Reconstruct({image}));
    const auto& r = recs.at(0);
    json out = {{"vector", VectorToJson(r.mean)},
                {"reconstruction_error", r.scores.reconstruction_error},
                {"kl", r.scores.kl},
                {"neg_elbo", r.scores.neg_elbo}};
    AddImageJson(r.image, &out);
    return out;
  }));

  router.Add("GET", "/collections/{collection}/anomalies", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(size_t k, QueryCount(req, "k", 20, 1, engine::kMaxK));
    LDB_RETURN_IF_ERROR(CollectionVae(ctx, *c).status());
    // Scores come from the payloads written at upsert; points without one are not ranked.
    struct Scored {
      double neg_elbo;
      size_t order;  // insertion order: ties keep it
      engine::PointRecord rec;
    };
    auto worse = [](const Scored& a, const Scored& b) {
      return a.neg_elbo != b.neg_elbo ? a.neg_elbo > b.neg_elbo : a.order < b.order;
    };
    std::vector<Scored> top;  // a heap whose front is the least anomalous kept
    size_t order = 0, scored = 0;
    std::optional<uint64_t> position = 0;
    do {
      LDB_ASSIGN_OR_RETURN(auto page, c->ScrollInsertionOrder(kScrollPage, *position, true, false));
      for (auto& rec : page.points) {
        const json& s = rec.payload.is_object() ? rec.payload.value("neg_elbo", json()) : json();
        ++order;
        if (!s.is_number()) continue;
        ++scored;
        top.push_back({s.get<double>(), order, std::move(rec)});
        std::push_heap(top.begin(), top.end(), worse);
        if (top.size() > k) {
          std::pop_heap(top.begin(), top.end(), worse);
          top.pop_back();
        }
      }
      position = page.next_position;
    } while (position);
    std::sort_heap(top.begin(), top.end(), worse);
    json points = json::array();
    for (auto& s : top) {
      points.push_back({{"id", s.rec.id.ToJson()}, {"neg_elbo", s.neg_elbo}, {"payload", std::move(s.rec.payload)}});
    }
    return json{{"points", std::move(points)}, {"scored", scored}};
  }));

  router.Add("GET", "/collections/{collection}/map", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    // The map holds n × dim floats at once (the PCA input): n is bounded by both.
    const size_t max_n = std::max<size_t>(2, std::min(kMaxMapPoints, kMaxMapFloats / std::max<size_t>(1, c->config().dim)));
    LDB_ASSIGN_OR_RETURN(size_t n, QueryCount(req, "n", std::min<size_t>(5000, max_n), 1, max_n));
    auto field_it = req.query.find("field");
    const bool with_field = field_it != req.query.end();
    if (with_field && field_it->second.empty()) return Status::InvalidArgument("query parameter 'field' is empty");
    // Pass 1: the ids in insertion order, keeping the evenly spaced ones. Pass 2: their vectors.
    const auto wanted = latent::EvenlySpacedIndices(c->size(), n);
    std::vector<engine::ExternalId> ids;
    size_t position = 0, next = 0;
    uint64_t scan_position = 0;
    while (next < wanted.size()) {
      LDB_ASSIGN_OR_RETURN(auto page, c->ScrollInsertionOrder(kScrollPage, scan_position, false, false));
      for (auto& rec : page.points) {
        if (next < wanted.size() && position == wanted[next]) {
          ids.push_back(std::move(rec.id));
          ++next;
        }
        ++position;
      }
      if (!page.next_position) break;  // points were deleted meanwhile
      scan_position = *page.next_position;
    }
    std::vector<std::vector<float>> rows;
    json points = json::array();
    for (const auto& id : ids) {
      LDB_ASSIGN_OR_RETURN(auto rec, c->Get(id, true));
      if (!rec || !rec->vector) continue;  // deleted meanwhile
      json item = {{"id", id.ToJson()}};
      if (with_field) item["label"] = PayloadField(rec->payload, field_it->second);
      points.push_back(std::move(item));
      rows.push_back(std::move(*rec->vector));
    }
    LDB_ASSIGN_OR_RETURN(auto pca, latent::Pca(rows, 2));
    for (size_t i = 0; i < rows.size(); ++i) {
      points[i]["x"] = pca.coords[i][0];
      points[i]["y"] = pca.coords[i][1];
    }
    return json{{"points", std::move(points)},
                {"explained_variance", pca.explained_variance},
                {"explained_variance_ratio", pca.explained_variance_ratio},
                {"total", c->size()}};
  }));
}

}  // namespace latentdb::http
