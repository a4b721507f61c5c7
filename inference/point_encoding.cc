#include "inference/point_encoding.h"

#include <algorithm>

#include "images/image.h"

namespace latentdb::inference {
namespace {

std::string Where(size_t index) { return "points[" + std::to_string(index) + "]"; }

Status CheckImagePixels(const images::ImageInfo& info, const ImageLimits& limits) {
  if (info.pixels() > limits.max_image_pixels) {
    return Status::PayloadTooLarge(std::string(info.format) + " image of " + std::to_string(info.width) + "x" +
                                   std::to_string(info.height) + " pixels is over the limit of " +
                                   std::to_string(limits.max_image_pixels) + " pixels per image");
  }
  return Status::Ok();
}

// The image's header, read without decoding, with its declared size within the per-image limit.
Result<images::ImageInfo> InspectWithinLimit(std::string_view bytes, const ImageLimits& limits) {
  if (bytes.empty()) return Status::InvalidArgument("the image is empty (0 bytes)");
  LDB_ASSIGN_OR_RETURN(const images::ImageInfo info, images::Inspect(bytes));
  LDB_RETURN_IF_ERROR(CheckImagePixels(info, limits));
  return info;
}

// Decodes bytes whose header InspectWithinLimit passed, and fits the image to the model.
Result<images::Image> DecodeInspected(std::string_view bytes, const encoders::ImageModel& model,
                                      const ImageLimits& limits) {
  LDB_ASSIGN_OR_RETURN(auto image, images::Decode(bytes, images::DecodeLimits{limits.max_image_pixels}));
  return model.Fit(image);
}

Status TooManyPixels(uint64_t total, const ImageLimits& limits) {
  return Status::PayloadTooLarge("the images of this request declare " + std::to_string(total) +
                                 " pixels in all, over the limit of " + std::to_string(limits.max_request_pixels) +
                                 " per request; send fewer per request");
}

// Texts of the batch, all encoded in one call; the first that fails fails the request.
Status EncodeTexts(Models& models, const engine::Collection& c, std::vector<PointRequest>& requests,
                   std::vector<Result<Encoding>>& encodings) {
  std::vector<size_t> at;
  std::vector<std::string> texts;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].input.kind != Input::Kind::kText) continue;
    at.push_back(i);
    texts.push_back(std::move(requests[i].input.text));
  }
  if (at.empty()) return Status::Ok();
  auto encoder = models.ForCollection(c, InputKind::kText);
  if (!encoder.ok()) return encoder.status().WithContext(Where(at[0]));
  auto results = (*encoder)->EncodeTexts(texts);
  for (size_t j = 0; j < at.size(); ++j) {
    if (!results[j].ok()) return results[j].status().WithContext(Where(at[j]));
    encodings[at[j]] = std::move(results[j]);
  }
  return Status::Ok();
}

// Images of the batch. Pass 1 reads headers only: an image that cannot be read or is over the
// per-image limit is rejected; if the rest together pass the request's limit, the request fails
// before a pixel is decoded. Pass 2 decodes (a failure rejects that image), then one model call.
Status EncodeImages(Models& models, const engine::Collection& c, std::vector<PointRequest>& requests,
                    const ImageLimits& limits, std::vector<Result<Encoding>>& encodings,
                    std::vector<ItemError>& rejected) {
  std::vector<size_t> pending;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].input.kind == Input::Kind::kImage) pending.push_back(i);
  }
  if (pending.empty()) return Status::Ok();
  LDB_ASSIGN_OR_RETURN(auto encoder, models.ForCollection(c, InputKind::kImage));
  const auto model = encoder->image_model();

  auto reject = [&](size_t i, Status why) { rejected.push_back({i, requests[i].id, std::move(why)}); };
  std::vector<size_t> readable;
  uint64_t total_pixels = 0;
  for (size_t i : pending) {
    const Input& in = requests[i].input;
    if (!in.image_error.ok()) {
      reject(i, in.image_error);
      continue;
    }
    auto info = InspectWithinLimit(in.image, limits);
    if (!info.ok()) {
      reject(i, info.status());
      continue;
    }
    total_pixels += info->pixels();
    readable.push_back(i);
  }
  if (total_pixels > limits.max_request_pixels) return TooManyPixels(total_pixels, limits);

  std::vector<size_t> decoded_at;
  std::vector<images::Image> batch;
  for (size_t i : readable) {
    auto image = DecodeInspected(requests[i].input.image, *model, limits);  // headers read in pass 1
    std::string().swap(requests[i].input.image);  // the bytes are not needed twice
    if (!image.ok()) {
      reject(i, image.status());
      continue;
    }
    decoded_at.push_back(i);
    batch.push_back(std::move(image).value());
  }
  if (batch.empty()) return Status::Ok();
  LDB_ASSIGN_OR_RETURN(auto results, encoder->EncodeImages(batch, /*with_scores=*/true));
  for (size_t j = 0; j < decoded_at.size(); ++j) encodings[decoded_at[j]] = std::move(results[j]);
  return Status::Ok();
}

}  // namespace

Input Input::Vector(std::vector<float> v) {
  Input in;
  in.kind = Kind::kVector;
  in.vector = std::move(v);
  return in;
}
Input Input::Text(std::string text) {
  Input in;
  in.kind = Kind::kText;
  in.text = std::move(text);
  return in;
}
Input Input::Image(std::string bytes) {
  Input in;
  in.kind = Kind::kImage;
  in.image = std::move(bytes);
  return in;
}
Input Input::BadImage(Status why) {
  Input in;
  in.kind = Kind::kImage;
  in.image_error = std::move(why);
  return in;
}

Status PixelBudget::Spend(uint64_t pixels) {
  if (pixels > left_) {
    return Status::PayloadTooLarge("the images of this request declare more than " + std::to_string(limit_) +
                                   " pixels in all; send fewer per request");
  }
  left_ -= pixels;
  return Status::Ok();
}

Result<images::Image> DecodeForModel(std::string_view bytes, const encoders::ImageModel& model,
                                     const ImageLimits& limits, PixelBudget* budget) {
  LDB_ASSIGN_OR_RETURN(const images::ImageInfo info, InspectWithinLimit(bytes, limits));
  if (budget) LDB_RETURN_IF_ERROR(budget->Spend(info.pixels()));
  return DecodeInspected(bytes, model, limits);
}

nlohmann::json AnomalyScoresJson(const encoders::AnomalyScores& scores) {
  return {{"reconstruction_error", scores.reconstruction_error}, {"kl", scores.kl}, {kAnomalyScoreField, scores.neg_elbo}};
}

Status AddAnomalyScores(const encoders::AnomalyScores& scores, nlohmann::json* payload) {
  if (payload->is_null()) *payload = nlohmann::json::object();
  if (!payload->is_object()) return Status::InvalidArgument("\"payload\" must be an object");
  payload->update(AnomalyScoresJson(scores));
  return Status::Ok();
}

Status AddInversionError(double pixel_error, nlohmann::json* payload) {
  if (payload->is_null()) *payload = nlohmann::json::object();
  if (!payload->is_object()) return Status::InvalidArgument("\"payload\" must be an object");
  (*payload)[kInversionErrorField] = pixel_error;
  return Status::Ok();
}

Result<EncodedPoints> EncodePoints(Models& models, const engine::Collection& c, std::vector<PointRequest> requests,
                                   const ImageLimits& limits) {
  std::vector<Result<Encoding>> encodings(requests.size(), Status::Internal("not encoded"));
  EncodedPoints out;
  LDB_RETURN_IF_ERROR(EncodeTexts(models, c, requests, encodings));
  LDB_RETURN_IF_ERROR(EncodeImages(models, c, requests, limits, encodings, out.rejected));
  std::sort(out.rejected.begin(), out.rejected.end(),
            [](const ItemError& a, const ItemError& b) { return a.index < b.index; });

  out.points.Reserve(requests.size() - out.rejected.size(), (requests.size() - out.rejected.size()) * c.config().dim);
  size_t next_rejected = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (next_rejected < out.rejected.size() && out.rejected[next_rejected].index == i) {
      ++next_rejected;
      continue;
    }
    PointRequest& r = requests[i];
    std::optional<encoders::AnomalyScores> scores;
    if (r.input.kind == Input::Kind::kVector) {
      out.points.Add(std::move(r.id), r.input.vector, std::move(r.payload));
    } else {
      Encoding& e = *encodings[i];
      scores = e.scores;
      if (scores) LDB_RETURN_IF_ERROR(AddAnomalyScores(*scores, &r.payload).WithContext(Where(i)));
      if (e.inversion_error) LDB_RETURN_IF_ERROR(AddInversionError(*e.inversion_error, &r.payload).WithContext(Where(i)));
      out.points.Add(std::move(r.id), e.vector, std::move(r.payload));
    }
    out.scores.push_back(scores);
  }
  return out;
}

Result<std::vector<float>> EncodeQuery(Models& models, const engine::Collection& c, Input input,
                                       const ImageLimits& limits, PixelBudget& budget) {
  switch (input.kind) {
    case Input::Kind::kVector:
      return std::move(input.vector);
    case Input::Kind::kText: {
      LDB_ASSIGN_OR_RETURN(auto encoder, models.ForCollection(c, InputKind::kText));
      auto results = encoder->EncodeTexts({input.text});
      if (!results[0].ok()) return results[0].status();
      return std::move(results[0]->vector);
    }
    case Input::Kind::kImage: {
      LDB_ASSIGN_OR_RETURN(auto encoder, models.ForCollection(c, InputKind::kImage));
      if (!input.image_error.ok()) return input.image_error;
      LDB_ASSIGN_OR_RETURN(auto image, DecodeForModel(input.image, *encoder->image_model(), limits, &budget));
      LDB_ASSIGN_OR_RETURN(auto results, encoder->EncodeImages({image}, /*with_scores=*/false));
      return std::move(results[0].vector);
    }
  }
  return Status::Internal("unknown input kind");
}

}  // namespace latentdb::inference
