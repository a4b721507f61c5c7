#pragma once
// From typed inputs to what a Collection stores: the one path by which a vector, a text or an
// image becomes a point or a query vector, for the server's JSON routes, its raw-image routes
// and (per item) the ingest tool. The HTTP codec parses a request into these types; nothing
// here knows JSON beyond a point's payload.
//
// Policies that live here and nowhere else:
//   - which encoder a collection's text or image goes to (Models::ForCollection);
//   - image limits: each image's declared size (its header) is checked against
//     ImageLimits::max_image_pixels, and all images of a request against a PixelBudget, before
//     any pixel is decoded (PayloadTooLarge, 413);
//   - what a VAE collection stores for an image: the vector μ(x) and the payload fields
//     "reconstruction_error", "kl", "neg_elbo" (AddAnomalyScores);
//   - what a GAN collection stores for an image: the inverted latent z and the payload field
//     "inversion_error" (AddInversionError);
//   - image errors keep their codes everywhere: InvalidArgument (corrupt, truncated, zero size,
//     bad base64), PayloadTooLarge (over a pixel limit), UnsupportedMedia (not PNG/JPEG/BMP/GIF).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"
#include "inference/encoder.h"
#include "inference/models.h"

namespace latentdb::inference {

// One input as a request or a file gives it.
struct Input {
  enum class Kind { kVector, kText, kImage };
  Kind kind = Kind::kVector;
  std::vector<float> vector;  // kVector
  std::string text;           // kText
  std::string image;          // kImage: the file's bytes (PNG, JPEG, BMP or GIF)
  // kImage: why the image's bytes could not be had (bad base64, not a string); the item is
  // refused with it when it is encoded, like an image that does not decode.
  Status image_error;

  static Input Vector(std::vector<float> v);
  static Input Text(std::string text);
  static Input Image(std::string bytes);
  static Input BadImage(Status why);
};

// A point to upsert before encoding.
struct PointRequest {
  engine::ExternalId id;
  nlohmann::json payload;  // an object or null
  Input input;
};

struct ImageLimits {
  uint64_t max_image_pixels = uint64_t{1} << 24;    // per image (16,777,216 = 4096 × 4096)
  uint64_t max_request_pixels = uint64_t{1} << 26;  // per request, all images (67,108,864)
};

// The pixels one request may still decode. Not thread-safe: one per request.
class PixelBudget {
 public:
  explicit PixelBudget(uint64_t pixels) : limit_(pixels), left_(pixels) {}
  // Takes `pixels` from the budget, or PayloadTooLarge (nothing taken) when they do not fit.
  Status Spend(uint64_t pixels);

 private:
  uint64_t limit_;
  uint64_t left_;
};

// An input that was left out of a batch, and why.
struct ItemError {
  size_t index = 0;  // position in the request
  engine::ExternalId id;
  Status status;
};

struct EncodedPoints {
  engine::UpsertBatch points;  // the requests that encoded, in their order
  // For each of `points`: the anomaly scores its image had (VAE collections), else nullopt.
  std::vector<std::optional<encoders::AnomalyScores>> scores;
  std::vector<ItemError> rejected;  // by index
};

// Encodes the inputs of an upsert for collection `c`. Vectors pass as they are (the collection
// checks them). Texts go to the collection's word model; a text that does not encode fails the
// whole request (its error names "points[i]"). Images go to its image model: one that cannot be
// read, is over limits.max_image_pixels or does not decode is rejected alone (the others are
// stored); images that together declare more than limits.max_request_pixels fail the request
// before any is decoded. Whole-request errors: no encoder or the wrong kind (InvalidArgument),
// the model failing to load or to run.
Result<EncodedPoints> EncodePoints(Models& models, const engine::Collection& c, std::vector<PointRequest> requests,
                                   const ImageLimits& limits);

// The query vector of `input` for collection `c` (a search, an analogy term). Images are charged
// to `budget`, which a batch of searches shares.
Result<std::vector<float>> EncodeQuery(Models& models, const engine::Collection& c, Input input,
                                       const ImageLimits& limits, PixelBudget& budget);

// Reads the image's header, checks its declared size against limits.max_image_pixels and
// `budget` (null: no request budget), decodes it and fits it to the model's input.
Result<images::Image> DecodeForModel(std::string_view bytes, const encoders::ImageModel& model,
                                     const ImageLimits& limits, PixelBudget* budget);

// The payload field that holds a point's anomaly score in a VAE collection (a JSON number): what
// the anomaly ranking (latent/anomalies.h) reads.
inline constexpr const char* kAnomalyScoreField = "neg_elbo";

// An image's scores as a VAE collection stores them and the API answers them:
// {"reconstruction_error", "kl", "neg_elbo"}.
nlohmann::json AnomalyScoresJson(const encoders::AnomalyScores& scores);

// What a VAE collection stores from an image's scores: sets the fields of AnomalyScoresJson in
// `payload` (null becomes an object). InvalidArgument when payload is not an object.
Status AddAnomalyScores(const encoders::AnomalyScores& scores, nlohmann::json* payload);

// The payload field that holds the residual of a GAN inversion: the mean squared pixel error of
// G(z) against the image (pixels in [0,1]).
inline constexpr const char* kInversionErrorField = "inversion_error";

// Sets kInversionErrorField in `payload` (null becomes an object). InvalidArgument when payload is
// not an object.
Status AddInversionError(double pixel_error, nlohmann::json* payload);

}  // namespace latentdb::inference
