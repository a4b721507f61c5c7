// Images in the API (inference decodes and encodes them, with its limits and policies):
//   the "image" field of points and searches, raw image bodies, and the routes
//   POST /encode                              {"model","image"} or a raw image with ?model=NAME
//   POST /decode                              {"model","vector","format":"png"|"json"} (VAE)
//   PUT  /collections/{c}/points/{id}         a raw image body (?payload=<JSON object>)
//   PUT  /collections/{c}/points?id=<JSON id>  the same, with the id's JSON type explicit
//                                             (?id=%221990%22 is the string "1990")
#include <algorithm>
#include <cctype>
#include <chrono>

#include "common/base64.h"
#include "encoders/image_model.h"
#include "inference/point_encoding.h"
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

Status CheckRawImageType(const HttpRequest& req) {
  const std::string type = ContentType(req);
  if (!SupportedImageType(type)) {
    return Status::UnsupportedMedia("Content-Type '" + type +
                                    "' is not an image type LatentDB reads: send image/png, image/jpeg, image/bmp or "
                                    "image/gif");
  }
  return Status::Ok();
}

// An image input's pixels for `model`, charged to `budget` (or to a budget of its own).
Result<images::Image> DecodeInput(const inference::Input& input, const encoders::ImageModel& model, PixelBudget* budget) {
  if (!input.image_error.ok()) return input.image_error;
  PixelBudget own;
  return inference::DecodeForModel(input.image, model, kImageLimits, budget ? budget : &own);
}

Result<std::shared_ptr<encoders::ImageModel>> NamedImageModel(const HandlerContext& ctx, const json& name) {
  if (!name.is_string() || name.get<std::string>().empty()) {
    return Status::InvalidArgument("\"model\" must name an image model");
  }
  LDB_ASSIGN_OR_RETURN(auto encoder, ctx.models->Get(name.get<std::string>()));
  if (!encoder->image_model()) {
    return Status::InvalidArgument("model '" + encoder->name() + "' is a " + encoder->kind() + " model, not an image model");
  }
  return encoder->image_model();
}

}  // namespace

bool IsImageRequest(const HttpRequest& req) { return ContentType(req).rfind("image/", 0) == 0; }

Result<inference::Input> RawImageInput(const HttpRequest& req) {
  LDB_RETURN_IF_ERROR(CheckRawImageType(req));
  return inference::Input::Image(req.body);
}

Result<images::Image> DecodeRawImage(const HttpRequest& req, const encoders::ImageModel& model, PixelBudget* budget) {
  LDB_RETURN_IF_ERROR(CheckRawImageType(req));
  PixelBudget own;
  return inference::DecodeForModel(req.body, model, kImageLimits, budget ? budget : &own);  // the body, not a copy
}

Result<images::Image> DecodeImageField(const json& value, const encoders::ImageModel& model, PixelBudget* budget) {
  return DecodeInput(ParseImageField(value), model, budget);
}

void AddImageJson(const images::Image& image, json* out) {
  (*out)["image"] = Base64Encode(images::EncodePng(image));
  (*out)["width"] = image.width;
  (*out)["height"] = image.height;
  (*out)["channels"] = image.channels;
}

Result<std::shared_ptr<encoders::ImageModel>> CollectionImageModel(const HandlerContext& ctx, const engine::Collection& c) {
  LDB_ASSIGN_OR_RETURN(auto encoder, ctx.models->ForCollection(c, inference::InputKind::kImage));
  return encoder->image_model();
}

Result<std::shared_ptr<encoders::ImageModel>> CollectionGenerativeModel(const HandlerContext& ctx, const engine::Collection& c) {
  auto model = CollectionImageModel(ctx, c);
  if (!model.ok() || !(*model)->generative()) {
    std::string why = model.ok() ? "its encoder '" + (*model)->name() + "' is a " + (*model)->kind() + " model"
                                 : model.status().message();
    if (!model.ok() && model.status().code() != StatusCode::kInvalidArgument) return model.status();
    return Status::InvalidArgument("this operation needs a collection with a generative encoder (a VAE or a GAN); collection '" + c.name() +
                                   "': " + why);
  }
  return model;
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
  LDB_RETURN_IF_ERROR(CollectionImageModel(ctx, c).status());
  if (!IsImageRequest(req)) {
    return Status::UnsupportedMedia("PUT /collections/{c}/points/{id} takes a raw image body (Content-Type image/png, "
                                    "image/jpeg, image/bmp or image/gif); send JSON points to PUT /collections/{c}/points");
  }
  inference::PointRequest point;
  point.id = std::move(id);
  auto payload = req.query.find("payload");
  if (payload != req.query.end()) {
    LDB_ASSIGN_OR_RETURN(point.payload, ParseJsonBody(payload->second));
    if (!point.payload.is_object()) return Status::InvalidArgument("query parameter 'payload' must be a JSON object");
  }
  LDB_ASSIGN_OR_RETURN(point.input, RawImageInput(req));
  std::vector<inference::PointRequest> batch;
  batch.push_back(std::move(point));
  LDB_ASSIGN_OR_RETURN(auto encoded, inference::EncodePoints(*ctx.models, c, std::move(batch), kImageLimits));
  if (!encoded.rejected.empty()) return encoded.rejected[0].status;
  json out = {{"upserted", 1}, {"operation_id", 0}, {"status", "completed"}, {"id", encoded.points.id(0).ToJson()}};
  if (encoded.scores[0]) out["scores"] = inference::AnomalyScoresJson(*encoded.scores[0]);
  LDB_RETURN_IF_ERROR(c.Upsert(std::move(encoded.points)));
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
      return Status::InvalidArgument("model '" + model->name() + "' is a " + model->kind() + " model; only a generative model (a VAE or a GAN) decodes");
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
