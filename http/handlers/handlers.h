#pragma once
// Route handlers, one file per resource. Each Register* function adds its routes to the router.
// Handlers parse a request into typed inputs (http/codec.h), call the engine — the inference
// layer (inference) for texts and images, collections for the rest — and encode the answer.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "engine/database.h"
#include "images/image.h"
#include "inference/models.h"
#include "inference/point_encoding.h"
#include "latent/directions.h"
#include "http/metrics.h"
#include "http/router.h"

namespace latentdb::cluster {
class Membership;
}
namespace latentdb::words {
class WordModel;
}
namespace latentdb::encoders {
class ImageModel;
}

namespace latentdb::http {

struct HandlerContext {
  engine::Database* db = nullptr;
  Metrics* metrics = nullptr;
  // The models this server has loaded (word and image models alike): text and image encoding,
  // the word routes, the VAE routes.
  std::shared_ptr<inference::Models> models;
  // This node's cluster membership (`serve --cluster`): null on a single node, and on a cluster
  // node until it has joined (it joins once its server listens: Api::SetMembership).
  std::shared_ptr<std::atomic<cluster::Membership*>> membership;
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
// The body as a JSON object: InvalidArgument when it is another JSON value or no JSON; an empty
// body is {} when `empty_is_object` (routes whose fields are all optional).
Result<nlohmann::json> ObjectBody(const HttpRequest& req, bool empty_is_object = false);
// The dimension of the vectors an encoder (a word model or an image model) gives;
// InvalidArgument when it names no model or the model does not load.
Result<size_t> EncoderDim(const HandlerContext& ctx, const std::string& encoder);
// NotFound-free check used at collection creation: the encoder names a word model or an image
// model (which must load) of this dim.
Status CheckEncoder(const HandlerContext& ctx, const std::string& encoder, size_t dim);
// The word model NAME (the word routes): its load error, or InvalidArgument for an image model.
Result<std::shared_ptr<words::WordModel>> NamedWordModel(const HandlerContext& ctx, const std::string& name);

// --- image input (http/handlers/images.cc) ---
// Decoding limits of the API, checked against each image's declared size (its header) before
// any pixel is decoded: PayloadTooLarge (413) beyond them. The ingest tool has its own.
constexpr uint64_t kMaxImagePixels = uint64_t{1} << 24;    // per image: 16,777,216 (4096 × 4096)
constexpr uint64_t kMaxRequestPixels = uint64_t{1} << 26;  // per request, all images: 67,108,864
constexpr inference::ImageLimits kImageLimits{kMaxImagePixels, kMaxRequestPixels};
// The pixels one request may still decode (inference::PixelBudget at the API's request limit).
class PixelBudget : public inference::PixelBudget {
 public:
  PixelBudget() : inference::PixelBudget(kMaxRequestPixels) {}
};
// Raw image bodies: true when the request's Content-Type is image/* (parameters after ';'
// ignored); such a body is an image, any other body is JSON.
bool IsImageRequest(const HttpRequest& req);
// The raw image body of `req` as an input. UnsupportedMedia (415) unless the Content-Type is
// image/png, image/jpeg, image/bmp or image/gif (the format itself is sniffed from the bytes
// when it is decoded).
Result<inference::Input> RawImageInput(const HttpRequest& req);
// The raw image body of `req`, or a JSON "image" value, decoded within kImageLimits and fitted
// to `model`'s input (routes that use the image itself, not its vector). Its declared pixels are
// charged to `budget` (null: a budget of its own). Image errors keep their codes: 400 (corrupt,
// truncated, zero size, bad base64), 413 (declared size over the pixel limits), 415.
Result<images::Image> DecodeRawImage(const HttpRequest& req, const encoders::ImageModel& model,
                                     PixelBudget* budget = nullptr);
Result<images::Image> DecodeImageField(const nlohmann::json& value, const encoders::ImageModel& model,
                                       PixelBudget* budget = nullptr);
// {"image": base64 PNG, "width", "height", "channels"} fields for a response object.
void AddImageJson(const images::Image& image, nlohmann::json* out);
// The JSON envelope response, as JsonRoute builds it.
HttpResponse EnvelopeResponse(nlohmann::json result, double seconds);
// The model that encodes a collection's images: InvalidArgument when the collection has no
// encoder or a word-model encoder.
Result<std::shared_ptr<encoders::ImageModel>> CollectionImageModel(const HandlerContext& ctx, const engine::Collection& c);
// The same, restricted to generative encoders, a VAE or a GAN (decode, interpolate, sample;
// reconstruct and anomalies then refuse a GAN, which has no likelihood).
Result<std::shared_ptr<encoders::ImageModel>> CollectionGenerativeModel(const HandlerContext& ctx, const engine::Collection& c);

// A raw image upsert (Content-Type image/…): encodes the body with the collection's image model
// (inference::EncodePoints, as for JSON points) and stores it as point `id` (payload from
// ?payload=<JSON object>; a VAE adds its anomaly scores). PUT /collections/{c}/points/{id} and
// PUT /collections/{c}/points?id=.
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
void RegisterDirectionRoutes(Router& router, const HandlerContext& ctx);  // directions and edits
// The body of POST /collections/{c}/directions as a request (directions.cc; a sharded
// collection's router parses it the same way). InvalidArgument naming the field.
Result<latent::DirectionRequest> ParseDirectionRequest(const nlohmann::json& body);
// Snapshots of a collection and of the database, on Qdrant's paths (snapshots.cc).
void RegisterSnapshotRoutes(Router& router, const HandlerContext& ctx);
// Qdrant's routes that LatentDB's own do not already answer (qdrant.cc).
void RegisterQdrantRoutes(Router& router, const HandlerContext& ctx);
// GET /cluster (http/handlers/cluster.cc).
void RegisterClusterRoutes(Router& router, const HandlerContext& ctx);
// A Qdrant collection body ({"vectors": {"size", "distance"}, "hnsw_config", …}) as LatentDB's
// collection config ({"dim", "metric", "index", …}); InvalidArgument naming a setting LatentDB
// cannot honour (README, Qdrant compatibility).
Result<nlohmann::json> QdrantCollectionConfig(const nlohmann::json& body);

}  // namespace latentdb::http
