// The ingest side of the inference layer: one ItemEncoder over any inference::Encoder. Which
// kinds exist, how each is loaded and what a VAE stores are decided in inference; here
// only the pipeline's shape (batches of raw inputs, per-item skip reasons) is added.
#include "ingest/encoder_hook.h"

#include <algorithm>
#include <thread>

#include "images/image.h"
#include "inference/model_kinds.h"
#include "inference/point_encoding.h"

namespace latentdb::ingest {
namespace {

// "category: detail", keeping the code: the report groups skips by category.
Status Categorized(const Status& s, const std::string& category) {
  return Status(s.code(), category + ": " + s.message());
}

Status ImageFailure(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnsupportedMedia: return Categorized(s, "unsupported image");
    case StatusCode::kPayloadTooLarge: return Categorized(s, "image too large");
    default: return Categorized(s, "corrupt image");
  }
}

images::Image RawPixels(const RawInput& raw) {
  images::Image image;
  image.width = raw.width;
  image.height = raw.height;
  image.channels = raw.channels;
  image.pixels.assign(raw.bytes.begin(), raw.bytes.end());
  return image;
}

class ModelItemEncoder final : public ItemEncoder {
 public:
  explicit ModelItemEncoder(std::shared_ptr<const inference::Encoder> encoder) : encoder_(std::move(encoder)) {}

  const std::string& name() const override { return encoder_->name(); }
  size_t dim() const override { return encoder_->dim(); }
  bool Accepts(RawInput::Kind kind) const override {
    return encoder_->input() == inference::InputKind::kText ? kind == RawInput::Kind::kText
                                                            : kind == RawInput::Kind::kImage;
  }

  // Each worker decodes its batch and then runs the model on its share of the cores (models are
  // thread-safe). One call at a time with every core instead would leave the cores to LibTorch's
  // spinning threads while the other worker decodes, and two such calls at once oversubscribe.
  void SetConcurrency(int workers) const override {
    if (encoder_->input() != inference::InputKind::kImage) return;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    encoders::SetInferenceThreads(std::max(1, cores / std::max(1, workers)));
  }

  std::vector<Result<EncodedInput>> Encode(const std::vector<const RawInput*>& inputs) const override {
    return encoder_->input() == inference::InputKind::kText ? EncodeTexts(inputs) : EncodeImages(inputs);
  }

 private:
  std::vector<Result<EncodedInput>> EncodeTexts(const std::vector<const RawInput*>& inputs) const {
    std::vector<std::string> texts;
    texts.reserve(inputs.size());
    for (const RawInput* in : inputs) texts.push_back(in->bytes);
    auto encodings = encoder_->EncodeTexts(texts);
    std::vector<Result<EncodedInput>> out;
    out.reserve(inputs.size());
    for (auto& e : encodings) {
      if (!e.ok()) {
        out.push_back(Categorized(e.status(), "bad text"));
      } else {
        out.push_back(EncodedInput{std::move(e->vector), nullptr});
      }
    }
    return out;
  }

  std::vector<Result<EncodedInput>> EncodeImages(const std::vector<const RawInput*>& inputs) const {
    std::vector<Result<EncodedInput>> out(inputs.size(), Status::Internal("not encoded"));
    const auto& model = *encoder_->image_model();
    const inference::ImageLimits limits{images::DecodeLimits{}.max_pixels, UINT64_MAX};
    std::vector<images::Image> decoded;
    std::vector<size_t> where;  // index in `inputs` of each decoded image
    decoded.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i]->width > 0) {  // raw pixels (IDX): no file to decode
        decoded.push_back(model.Fit(RawPixels(*inputs[i])));
        where.push_back(i);
        continue;
      }
      auto image = inference::DecodeForModel(inputs[i]->bytes, model, limits, nullptr);
      if (!image.ok()) {
        out[i] = ImageFailure(image.status());
        continue;
      }
      decoded.push_back(std::move(image).value());
      where.push_back(i);
    }
    if (decoded.empty()) return out;
    auto encodings = encoder_->EncodeImages(decoded, /*with_scores=*/true);
    for (size_t k = 0; k < where.size(); ++k) {
      if (!encodings.ok()) {
        out[where[k]] = Categorized(encodings.status(), "encoder failed");
        continue;
      }
      inference::Encoding& e = (*encodings)[k];
      nlohmann::json payload;  // null: no fields to add
      // payload is null: neither can fail
      if (e.scores) (void)inference::AddAnomalyScores(*e.scores, &payload);
      if (e.inversion_error) (void)inference::AddInversionError(*e.inversion_error, &payload);
      out[where[k]] = EncodedInput{std::move(e.vector), std::move(payload)};
    }
    return out;
  }

  std::shared_ptr<const inference::Encoder> encoder_;
};

}  // namespace

Result<EncoderInfo> EncoderInfoFromManifest(const std::string& name, const nlohmann::json& manifest) {
  EncoderInfo info;
  info.name = name;
  if (!manifest.is_object() || !manifest.contains("kind") || !manifest["kind"].is_string()) {
    return Status::InvalidArgument("model '" + name + "' has no \"kind\" in its manifest");
  }
  info.kind = manifest["kind"].get<std::string>();
  if (!manifest.contains("dim") || !manifest["dim"].is_number_integer() || manifest["dim"].get<int64_t>() <= 0) {
    return Status::InvalidArgument("model '" + name + "' has no positive \"dim\" in its manifest");
  }
  info.dim = manifest["dim"].get<size_t>();
  LDB_ASSIGN_OR_RETURN(const inference::InputKind input, inference::InputOfKind(name, info.kind));
  info.input = input == inference::InputKind::kText ? RawInput::Kind::kText : RawInput::Kind::kImage;
  return info;
}

Result<std::unique_ptr<ItemEncoder>> MakeItemEncoder(const EncoderInfo& info, const EncoderContext& context) {
  LDB_ASSIGN_OR_RETURN(auto encoder, inference::LoadEncoder(context.data_dir, context.db, info.name, info.kind));
  return std::unique_ptr<ItemEncoder>(new ModelItemEncoder(std::move(encoder)));
}

}  // namespace latentdb::ingest
