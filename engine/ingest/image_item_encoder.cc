#include "engine/ingest/image_item_encoder.h"

#include <algorithm>
#include <thread>

#include "engine/encoders/image_model.h"
#include "engine/images/image.h"

namespace latentdb::engine::ingest {
namespace {

// "category: detail" for an image that does not decode.
Status DecodeFailure(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnsupportedMedia: return Status::InvalidArgument("unsupported image: " + s.message());
    case StatusCode::kPayloadTooLarge: return Status::InvalidArgument("image too large: " + s.message());
    default: return Status::InvalidArgument("corrupt image: " + s.message());
  }
}

images::Image RawPixels(const RawInput& raw) {
  images::Image img;
  img.width = raw.width;
  img.height = raw.height;
  img.channels = raw.channels;
  img.pixels.assign(raw.bytes.begin(), raw.bytes.end());
  return img;
}

class ImageItemEncoder final : public ItemEncoder {
 public:
  explicit ImageItemEncoder(std::shared_ptr<encoders::ImageModel> model) : model_(std::move(model)) {}

  const std::string& name() const override { return model_->name(); }
  size_t dim() const override { return model_->dim(); }
  bool Accepts(RawInput::Kind kind) const override { return kind == RawInput::Kind::kImage; }

  // Each worker decodes its batch and then runs the model on its share of the cores (the model is
  // thread-safe). One call at a time with every core instead would leave the cores to LibTorch's
  // spinning threads while the other worker decodes, and two such calls at once oversubscribe.
  void SetConcurrency(int workers) const override {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    encoders::SetInferenceThreads(std::max(1, cores / std::max(1, workers)));
  }

  std::vector<Result<EncodedInput>> Encode(const std::vector<const RawInput*>& inputs) const override {
    std::vector<Result<EncodedInput>> out(inputs.size(), Status::Internal("not encoded"));
    std::vector<images::Image> decoded;
    std::vector<size_t> where;  // index in `inputs` of each decoded image
    decoded.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i]->width > 0) {  // raw pixels (IDX): no file to decode
        decoded.push_back(RawPixels(*inputs[i]));
        where.push_back(i);
        continue;
      }
      auto im = images::Decode(inputs[i]->bytes);
      if (!im.ok()) {
        out[i] = DecodeFailure(im.status());
        continue;
      }
      decoded.push_back(std::move(*im));
      where.push_back(i);
    }
    if (decoded.empty()) return out;
    if (model_->generative()) {
      auto rec = model_->Reconstruct(decoded);
      if (!rec.ok()) return Fail(std::move(out), where, rec.status());
      for (size_t k = 0; k < where.size(); ++k) {
        auto& r = (*rec)[k];
        nlohmann::json scores = {{"reconstruction_error", r.scores.reconstruction_error},
                                 {"kl", r.scores.kl},
                                 {"neg_elbo", r.scores.neg_elbo}};
        out[where[k]] = EncodedInput{std::move(r.mean), std::move(scores)};
      }
    } else {
      auto vecs = model_->Encode(decoded);
      if (!vecs.ok()) return Fail(std::move(out), where, vecs.status());
      for (size_t k = 0; k < where.size(); ++k) out[where[k]] = EncodedInput{std::move((*vecs)[k]), nullptr};
    }
    return out;
  }

 private:
  static std::vector<Result<EncodedInput>> Fail(std::vector<Result<EncodedInput>> out, const std::vector<size_t>& where,
                                                const Status& s) {
    for (size_t i : where) out[i] = Status::InvalidArgument("encoder failed: " + s.message());
    return out;
  }

  std::shared_ptr<encoders::ImageModel> model_;
};

}  // namespace

Result<std::unique_ptr<ItemEncoder>> MakeImageItemEncoder(const std::string& data_dir, const std::string& name) {
  LDB_ASSIGN_OR_RETURN(auto model, encoders::ImageModel::Open(data_dir, name));
  return std::unique_ptr<ItemEncoder>(new ImageItemEncoder(std::move(model)));
}

}  // namespace latentdb::engine::ingest
