#pragma once
// Route handlers, one file per resource. Each Register* function adds its routes to the router.
// Handlers see only the engine API.

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "engine/database.h"
#include "engine/images/image.h"
#include "http/metrics.h"
#include "http/router.h"

namespace latentdb::words {
class WordModelCache;
}
namespace latentdb::encoders {
class ImageModel;
class ImageModelCache;
}

namespace latentdb::http {

struct HandlerContext {
  engine::Database* db = nullptr;
  Metrics* metrics = nullptr;
  // Word models opened by this server (shared by the word routes and text encoding).
  std::shared_ptr<words::WordModelCache> word_models;
  // Image models (CNN, VAE, TorchScript) opened by this server (image encoding, the VAE routes).
  std::shared_ptr<encoders::ImageModelCache> image_models;
};

using JsonHandlerFn = std::function<Result<nlohmann::json>(const HttpRequest&, const PathParams&)>;

// Wraps a handler that returns a JSON result into the API envelope
// {"result":…, "status":"ok", "time":seconds}, or an error response.
RouteHandler JsonRoute(JsonHandlerFn fn);
// For handlers that answer something other than the JSON envelope (PNG images): the response as
// built, or the usual JSON error response.
using RawHandlerFn = std::function<Result<HttpResponse>(const HttpRequest&, const PathParams&)>;
RouteHandler RawRoute(RawHandlerFn fn);
// A 200 response of content type image/png.
HttpResponse PngResponse(std::string png);
// An optional unsigned integer query parameter in [min, max]; `fallback` when absent.
Result<size_t> QueryCount(const HttpRequest& req, const std::string& key, size_t fallback, size_t min, size_t max);
// An optional boolean query parameter: "true" or "false" (else InvalidArgument); `fallback` when absent.
Result<bool> QueryBool(const HttpRequest& req, const std::string& key, bool fallback);
// Parses the request body as JSON (depth-capped).
Result<nlohmann::json> BodyJson(const HttpRequest& req);
// For a collection with a word-model encoder: replaces "text" in `item` (a point or a search)
// with the text's "vector" (mean of unit word vectors). InvalidArgument when the collection has no
// encoder or no word of the text is known. A no-op when `item` has no "text".
Status ResolveText(const HandlerContext& ctx, const engine::Collection& c, nlohmann::json* item);
// The dimension of the vectors an encoder (a word model or an image model) gives;
// InvalidArgument when it names no model or the model does not load.
Result<size_t> EncoderDim(const HandlerContext& ctx, const std::string& encoder);
// NotFound-free check used at collection creation: the encoder names a word model or an image
// model (which must load) of this dim.
Status CheckEncoder(const HandlerContext& ctx, const std::string& encoder, size_t dim);

// --- image input (http/handlers/images.cc) ---
// Decoding limits of the API, checked against each image's declared size (its header) before
// any pixel is decoded: PayloadTooLarge (413) beyond them.
constexpr uint64_t kMaxImagePixels = uint64_t{1} << 24;    // per image: 16,777,216 (4096 × 4096)
constexpr uint64_t kMaxRequestPixels = uint64_t{1} << 26;  // per request, all images: 67,108,864
// The pixels one request may still decode. Not thread-safe: one per request.
class PixelBudget {
 public:
  // Takes `pixels` from the budget, or PayloadTooLarge (nothing taken) when they do not fit.
  Status Spend(uint64_t pixels);

 private:
  uint64_t left_ = kMaxRequestPixels;
};
// Raw image bodies: true when the request's Content-Type is image/* (parameters after ';'
// ignored); such a body is an image, any other body is JSON.
bool IsImageRequest(const HttpRequest& req);
// The raw image body of `req` fitted to the model's input (channels, height × width), so that a
// large image is not kept at full size. UnsupportedMedia (415) unless the Content-Type is
// image/png, image/jpeg, image/bmp or image/gif; the format itself is sniffed from the bytes.
// Decoding errors as for ResolveImage. The image's declared pixels are charged to `budget`
// (null: a budget of its own) before it is decoded.
Result<images::Image> DecodeRawImage(const HttpRequest& req, const encoders::ImageModel& model,
                                     PixelBudget* budget = nullptr);
// The same for a JSON "image" value (a base64 string, "data:image/…;base64," prefix allowed).
Result<images::Image> DecodeImageField(const nlohmann::json& value, const encoders::ImageModel& model,
                                       PixelBudget* budget = nullptr);
// {"image": base64 PNG, "width", "height", "channels"} fields for a response object.
void AddImageJson(const images::Image& image, nlohmann::json* out);
// The JSON envelope response, as JsonRoute builds it.
HttpResponse EnvelopeResponse(nlohmann::json result, double seconds);
// The model that encodes a collection's images: InvalidArgument when the collection has no
// encoder or a word-model encoder.
Result<std::shared_ptr<encoders::ImageModel>> CollectionImageModel(const HandlerContext& ctx, const engine::Collection& c);
// The same, restricted to VAE encoders (decode, interpolate, sample, reconstruct, anomalies).
Result<std::shared_ptr<encoders::ImageModel>> CollectionVae(const HandlerContext& ctx, const engine::Collection& c);
// For a collection with an image encoder: replaces "image" (base64) in `item` (a search) with the
// image's "vector". A no-op when `item` has no "image". Image errors keep their codes: 400
// (corrupt, truncated, zero size, bad base64), 413 (declared size over the pixel limits), 415
// (not PNG/JPEG/BMP/GIF).
Status ResolveImage(const HandlerContext& ctx, const engine::Collection& c, nlohmann::json* item,
                    PixelBudget* budget = nullptr);
// An item of a batch that was left out, with its reason.
struct ItemError {
  size_t index = 0;  // position in the request's array
  nlohmann::json id;  // the item's "id" as sent (null when absent)
  Status status;
};
// For the points of an upsert (`points`, a JSON array): replaces each "image" with its "vector"
// (all images of the batch encoded at once) and, when the encoder is a VAE, sets the point's
// payload fields "reconstruction_error", "kl" and "neg_elbo". Points whose image cannot be
// decoded are removed from `points` and returned; the others stay in order. Errors that concern
// the whole request (no image encoder, the model fails, the images together declare more than
// kMaxRequestPixels — checked from their headers before any is decoded) are returned as the Status.
Result<std::vector<ItemError>> ResolvePointImages(const HandlerContext& ctx, const engine::Collection& c,
                                                  nlohmann::json* points);

// A raw image upsert (Content-Type image/…): decodes and encodes the body with the collection's
// image model and stores it as point `id` (payload from ?payload=<JSON object>; a VAE adds its
// anomaly scores). PUT /collections/{c}/points/{id} and PUT /collections/{c}/points?id=.
Result<nlohmann::json> UpsertRawImage(const HandlerContext& ctx, engine::Collection& c, const HttpRequest& req,
                                      engine::ExternalId id);
// The ?id= query parameter of a raw image upsert: a JSON id (7, "1990"), so its type is explicit.
Result<engine::ExternalId> QueryId(const HttpRequest& req);
// The point id of a path ({id}), by Qdrant's rule: a segment of digits only is an unsigned
// integer id (InvalidArgument when over 2^64 - 1, never silently a string); any other segment is
// the string as sent (a UUID keeps its case). A string id made of digits ("1990") therefore
// cannot be named in a path: every route with {id} has a form that takes the id in a JSON body.
Result<engine::ExternalId> PathId(const PathParams& params);
// The collection named in the path ({collection}).
Result<std::shared_ptr<engine::Collection>> PathCollection(const HandlerContext& ctx, const PathParams& params);

void RegisterSystemRoutes(Router& router, const HandlerContext& ctx);
void RegisterCollectionRoutes(Router& router, const HandlerContext& ctx);
void RegisterPointRoutes(Router& router, const HandlerContext& ctx);
void RegisterSearchRoutes(Router& router, const HandlerContext& ctx);
void RegisterWordRoutes(Router& router, const HandlerContext& ctx);
void RegisterConsoleRoutes(Router& router, const HandlerContext& ctx);  // GET /console
void RegisterImageRoutes(Router& router, const HandlerContext& ctx);
void RegisterLatentRoutes(Router& router, const HandlerContext& ctx);

}  // namespace latentdb::http
