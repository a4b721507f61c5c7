// Images in the API (engine/images decodes, engine/encoders encodes):
//   the "image" field of points and searches, raw image bodies, and the routes
//   POST /encode                              {"model","image"} or a raw image with ?model=NAME
//   POST /decode                              {"model","vector","format":"png"|"json"} (VAE)
//   PUT  /collections/{c}/points/{id}         a raw image body (?payload=<JSON object>)
//   PUT  /collections/{c}/points?id=<JSON id>  the same, with the id's JSON type explicit
//                                             (?id=%221990%22 is the string "1990")
#include <algorithm>
#include <cctype>
#include <chrono>

#include "engine/encoders/image_model.h"
#include "http/codec.h"
#include "http/error_mapping.h"
#include "http/handlers/handlers.h"
#include "http/json_body.h"

namespace latentdb::http {

using nlohmann::json;

namespace {

std::string ContentType(const HttpRequest& req) {
  std::string type = req.Header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  size_t start = 0;
  while (start < type.size() && std::isspace(static_cast<unsigned char>(type[start]))) ++start;
  type = type.substr(start);
  for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return type;
}

bool SupportedImageType(const std::string& type) {
  static const char* const kTypes[] = {"image/png", "image/jpeg", "image/jpg", "image/pjpeg",
                                       "image/bmp", "image/x-ms-bmp", "image/gif"};
  return std::any_of(std::begin(kTypes), std::end(kTypes), [&](const char* t) { return type == t; });
}

Status CheckImagePixels(const images::ImageInfo& info) {
  if (info.pixels() > kMaxImagePixels) {
    return Status::PayloadTooLarge(std::string(info.format) + " image of " + std::to_string(info.width) + "x" +
                                   std::to_string(info.height) + " pixels is over the limit of " +
                                   std::to_string(kMaxImagePixels) + " pixels per image");
  }
  return Status::Ok();
}

// An image's header, read without decoding, whose declared size is within the per-image limit.
Result<images::ImageInfo> InspectWithinLimit(std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("the image is empty (0 bytes)");
  LDB_ASSIGN_OR_RETURN(const images::ImageInfo info, images::Inspect(bytes));
  LDB_RETURN_IF_ERROR(CheckImagePixels(info));
  return info;
}

// The bytes of a JSON "image" field (base64).
Result<std::string> ImageFieldBytes(const json& value) {
  if (!value.is_string()) return Status::InvalidArgument("\"image\" must be a base64 string");
  return images::Base64Decode(value.get_ref<const std::string&>());
}

// Checks the declared size against the per-image limit and charges it to `budget` (or to a
// budget of its own), then decodes and fits the image to the model's input.
Result<images::Image> DecodeForModel(std::string_view bytes, const encoders::ImageModel& model, PixelBudget* budget) {
  LDB_ASSIGN_OR_RETURN(const images::ImageInfo info, InspectWithinLimit(bytes));
  PixelBudget own;
  LDB_RETURN_IF_ERROR((budget ? budget : &own)->Spend(info.pixels()));
  LDB_ASSIGN_OR_RETURN(auto image, images::Decode(bytes, images::DecodeLimits{kMaxImagePixels}));
  const auto& in = model.input();
  return images::Resize(images::ConvertChannels(image, in.channels), in.width, in.height);
}

json ScoresJson(const encoders::AnomalyScores& s) {
  return {{"reconstruction_error", s.reconstruction_error}, {"kl", s.kl}, {"neg_elbo", s.neg_elbo}};
}

// The vectors of `images` under `model` and, for a VAE, their anomaly scores (empty otherwise).
Status EncodeImages(const encoders::ImageModel& model, const std::vector<images::Image>& images,
                    std::vector<std::vector<float>>* vectors, std::vector<encoders::AnomalyScores>* scores) {
  if (model.generative()) {
    LDB_ASSIGN_OR_RETURN(auto recs, model.Reconstruct(images));
    vectors->clear();
    scores->clear();
    for (auto& r : recs) {
      vectors->push_back(std::move(r.mean));
      scores->push_back(r.scores);
    }
    return Status::Ok();
  }
  LDB_ASSIGN_OR_RETURN(*vectors, model.Encode(images));
  scores->clear();
  return Status::Ok();
}

Status SetScores(const encoders::AnomalyScores& s, json* payload) {
  if (payload->is_null()) *payload = json::object();
  if (!payload->is_object()) return Status::InvalidArgument("\"payload\" must be an object");
  (*payload)["reconstruction_error"] = s.reconstruction_error;
  (*payload)["kl"] = s.kl;
  (*payload)["neg_elbo"] = s.neg_elbo;
  return Status::Ok();
}

Result<std::shared_ptr<encoders::ImageModel>> NamedImageModel(const HandlerContext& ctx, const json& name) {
  if (!name.is_string() || name.get<std::string>().empty()) {
    return Status::InvalidArgument("\"model\" must name an image model");
  }
  return ctx.image_models->Get(name.get<std::string>());
}

}  // namespace

Status PixelBudget::Spend(uint64_t pixels) {
  if (pixels > left_) {
    return Status::PayloadTooLarge("the images of this request declare more than " +
                                   std::to_string(kMaxRequestPixels) + " pixels in all; send fewer per request");
  }
  left_ -= pixels;
  return Status::Ok();
}

bool IsImageRequest(const HttpRequest& req) { return ContentType(req).rfind("image/", 0) == 0; }

Result<images::Image> DecodeRawImage(const HttpRequest& req, const encoders::ImageModel& model, PixelBudget* budget) {
  const std::string type = ContentType(req);
  if (!SupportedImageType(type)) {
    return Status::UnsupportedMedia("Content-Type '" + type +
                                    "' is not an image type LatentDB reads: send image/png, image/jpeg, image/bmp or "
                                    "image/gif");
  }
  return DecodeForModel(req.body, model, budget);
}

Result<images::Image> DecodeImageField(const json& value, const encoders::ImageModel& model, PixelBudget* budget) {
  LDB_ASSIGN_OR_RETURN(std::string bytes, ImageFieldBytes(value));
  return DecodeForModel(bytes, model, budget);
}

void AddImageJson(const images::Image& image, json* out) {
  (*out)["image"] = images::Base64Encode(images::EncodePng(image));
  (*out)["width"] = image.width;
  (*out)["height"] = image.height;
  (*out)["channels"] = image.channels;
}

Result<std::shared_ptr<encoders::ImageModel>> CollectionImageModel(const HandlerContext& ctx, const engine::Collection& c) {
  if (!c.config().encoder) {
    return Status::InvalidArgument("collection '" + c.name() + "' has no encoder: create it with \"encoder\":\"<image model>\"");
  }
  const std::string& name = *c.config().encoder;
  auto model = ctx.image_models->Get(name);  // a cache hit on the hot path: no manifest read
  if (model.ok() || ctx.image_models->IsImageModel(name)) return model;  // or why it fails to load
  return Status::InvalidArgument("collection '" + c.name() + "' has the encoder '" + name +
                                 "', which is not an image model (" + model.status().message() + ")");
}

Result<std::shared_ptr<encoders::ImageModel>> CollectionVae(const HandlerContext& ctx, const engine::Collection& c) {
  auto model = CollectionImageModel(ctx, c);
  if (!model.ok() || !(*model)->generative()) {
    std::string why = model.ok() ? "its encoder '" + (*model)->name() + "' is a " + (*model)->kind() + " model"
                                 : model.status().message();
    if (!model.ok() && model.status().code() != StatusCode::kInvalidArgument) return model.status();
    return Status::InvalidArgument("this operation needs a collection with a VAE encoder; collection '" + c.name() +
                                   "': " + why);
  }
  return model;
}

Status ResolveImage(const HandlerContext& ctx, const engine::Collection& c, json* item, PixelBudget* budget) {
  if (!item->is_object() || !item->contains("image")) return Status::Ok();
  if (item->contains("vector")) return Status::InvalidArgument("give either \"image\" or \"vector\", not both");
  LDB_ASSIGN_OR_RETURN(auto model, CollectionImageModel(ctx, c));
  LDB_ASSIGN_OR_RETURN(auto image, DecodeImageField((*item)["image"], *model, budget));
  LDB_ASSIGN_OR_RETURN(auto vector, model->Encode(image));
  item->erase("image");
  (*item)["vector"] = VectorToJson(vector);
  return Status::Ok();
}

Result<std::vector<ItemError>> ResolvePointImages(const HandlerContext& ctx, const engine::Collection& c, json* points) {
  std::vector<ItemError> errors;
  if (!points->is_array()) return errors;
  const bool any = std::any_of(points->begin(), points->end(),
                               [](const json& p) { return p.is_object() && p.contains("image"); });
  if (!any) return errors;
  LDB_ASSIGN_OR_RETURN(auto model, CollectionImageModel(ctx, c));

  // Pass 1, headers only: each image's bytes and declared size. Images that cannot be read or
  // are over the per-image limit become item errors; if the rest together pass the request's
  // pixel budget, the whole request is refused before a single pixel is decoded.
  struct Pending {
    size_t index;
    std::string bytes;
  };
  std::vector<Pending> pending;
  uint64_t total_pixels = 0;
  for (size_t i = 0; i < points->size(); ++i) {
    json& p = (*points)[i];
    if (!p.is_object() || !p.contains("image")) continue;
    if (p.contains("vector")) {
      return Status::InvalidArgument("give either \"image\" or \"vector\", not both").WithContext("points[" + std::to_string(i) + "]");
    }
    auto checked = [&]() -> Result<std::string> {
      LDB_ASSIGN_OR_RETURN(std::string bytes, ImageFieldBytes(p["image"]));
      LDB_ASSIGN_OR_RETURN(const images::ImageInfo info, InspectWithinLimit(bytes));
      total_pixels += info.pixels();
      return bytes;
    }();
    if (!checked.ok()) {
      errors.push_back({i, p.value("id", json()), checked.status()});
      continue;
    }
    p.erase("image");  // the bytes move to `pending`: the body does not hold them twice
    pending.push_back({i, std::move(checked).value()});
  }
  if (total_pixels > kMaxRequestPixels) {
    return Status::PayloadTooLarge("the images of this request declare " + std::to_string(total_pixels) +
                                   " pixels in all, over the limit of " + std::to_string(kMaxRequestPixels) +
                                   " per request; send fewer per request");
  }
  // Pass 2: decode (within the budget just checked).
  std::vector<size_t> encoded;  // indices of the points whose image decoded
  std::vector<images::Image> batch;
  for (auto& item : pending) {
    json& p = (*points)[item.index];
    auto image = DecodeForModel(item.bytes, *model, nullptr);
    std::string().swap(item.bytes);
    if (!image.ok()) {
      errors.push_back({item.index, p.value("id", json()), image.status()});
      continue;
    }
    encoded.push_back(item.index);
    batch.push_back(std::move(image).value());
  }
  std::sort(errors.begin(), errors.end(), [](const ItemError& a, const ItemError& b) { return a.index < b.index; });
  std::vector<std::vector<float>> vectors;
  std::vector<encoders::AnomalyScores> scores;
  if (!batch.empty()) LDB_RETURN_IF_ERROR(EncodeImages(*model, batch, &vectors, &scores));
  for (size_t j = 0; j < encoded.size(); ++j) {
    json& p = (*points)[encoded[j]];
    p["vector"] = VectorToJson(vectors[j]);
    if (!scores.empty()) {
      if (!p.contains("payload")) p["payload"] = json::object();
      LDB_RETURN_IF_ERROR(SetScores(scores[j], &p["payload"]).WithContext("points[" + std::to_string(encoded[j]) + "]"));
    }
  }
  if (!errors.empty()) {
    json kept = json::array();
    size_t e = 0;
    for (size_t i = 0; i < points->size(); ++i) {
      if (e < errors.size() && errors[e].index == i) {
        ++e;
        continue;
      }
      kept.push_back(std::move((*points)[i]));
    }
    *points = std::move(kept);
  }
  return errors;
}

Result<engine::ExternalId> QueryId(const HttpRequest& req) {
  auto it = req.query.find("id");
  if (it == req.query.end()) {
    return Status::InvalidArgument("a raw image upsert to PUT /collections/{c}/points names its point with ?id=<JSON id> "
                                   "(e.g. ?id=7 or ?id=%221990%22)");
  }
  auto id = ParseJsonBody(it->second);
  if (!id.ok()) {
    return Status::InvalidArgument("query parameter 'id' must be a JSON id: an unsigned integer (7) or a quoted string "
                                   "(\"1990\")");
  }
  return engine::ExternalId::FromJson(*id);
}

Result<json> UpsertRawImage(const HandlerContext& ctx, engine::Collection& c, const HttpRequest& req, engine::ExternalId id) {
  LDB_ASSIGN_OR_RETURN(auto model, CollectionImageModel(ctx, c));
  if (!IsImageRequest(req)) {
    return Status::UnsupportedMedia("PUT /collections/{c}/points/{id} takes a raw image body (Content-Type image/png, "
                                    "image/jpeg, image/bmp or image/gif); send JSON points to PUT /collections/{c}/points");
  }
  engine::PointInput point;
  point.id = std::move(id);
  auto payload = req.query.find("payload");
  if (payload != req.query.end()) {
    LDB_ASSIGN_OR_RETURN(point.payload, ParseJsonBody(payload->second));
    if (!point.payload.is_object()) return Status::InvalidArgument("query parameter 'payload' must be a JSON object");
  }
  LDB_ASSIGN_OR_RETURN(auto image, DecodeRawImage(req, *model));
  std::vector<std::vector<float>> vectors;
  std::vector<encoders::AnomalyScores> scores;
  LDB_RETURN_IF_ERROR(EncodeImages(*model, {image}, &vectors, &scores));
  point.vector = std::move(vectors.at(0));
  json out = {{"upserted", 1}, {"status", "acknowledged"}, {"id", point.id.ToJson()}};
  if (!scores.empty()) {
    LDB_RETURN_IF_ERROR(SetScores(scores[0], &point.payload));
    out["scores"] = ScoresJson(scores[0]);
  }
  std::vector<engine::PointInput> batch;
  batch.push_back(std::move(point));
  LDB_RETURN_IF_ERROR(c.Upsert(std::move(batch)));
  return out;
}

void RegisterImageRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("POST", "/encode", JsonRoute([ctx](const HttpRequest& req, const PathParams&) -> Result<json> {
    std::shared_ptr<encoders::ImageModel> model;
    images::Image image;
    if (IsImageRequest(req)) {
      auto name = req.query.find("model");
      LDB_ASSIGN_OR_RETURN(model, NamedImageModel(ctx, name == req.query.end() ? json() : json(name->second)));
      LDB_ASSIGN_OR_RETURN(image, DecodeRawImage(req, *model));
    } else {
      LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
      if (!body.is_object() || !body.contains("image")) {
        return Status::InvalidArgument("body must be {\"model\":…, \"image\":\"<base64>\"} or a raw image with ?model=");
      }
      LDB_ASSIGN_OR_RETURN(model, NamedImageModel(ctx, body.value("model", json())));
      LDB_ASSIGN_OR_RETURN(image, DecodeImageField(body["image"], *model));
    }
    LDB_ASSIGN_OR_RETURN(auto vector, model->Encode(image));
    return json{{"model", model->name()}, {"dim", vector.size()}, {"vector", VectorToJson(vector)}};
  }));

  router.Add("POST", "/decode", RawRoute([ctx](const HttpRequest& req, const PathParams&) -> Result<HttpResponse> {
    auto start = std::chrono::steady_clock::now();
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    if (!body.is_object() || !body.contains("vector")) {
      return Status::InvalidArgument("body must be {\"model\":…, \"vector\":[…], \"format\":\"png\"|\"json\"}");
    }
    const json format = body.value("format", json("png"));
    if (format != "png" && format != "json") return Status::InvalidArgument("\"format\" must be \"png\" or \"json\"");
    LDB_ASSIGN_OR_RETURN(auto model, NamedImageModel(ctx, body.value("model", json())));
    if (!model->generative()) {
      return Status::InvalidArgument("model '" + model->name() + "' is a " + model->kind() + " model; only a VAE decodes");
    }
    LDB_ASSIGN_OR_RETURN(auto vector, ParseVector(body["vector"], "vector"));
    LDB_ASSIGN_OR_RETURN(auto decoded, model->Decode({vector}));
    if (format == "png") return PngResponse(images::EncodePng(decoded.at(0)));
    json out = {{"model", model->name()}};
    AddImageJson(decoded.at(0), &out);
    return EnvelopeResponse(std::move(out), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }));

  router.Add("PUT", "/collections/{collection}/points/{id}", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto id, PathId(p));
    return UpsertRawImage(ctx, *c, req, std::move(id));
  }));
}

}  // namespace latentdb::http
