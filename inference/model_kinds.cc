// The kinds of model and their encoders: word models encode text, image models encode images.
#include "inference/model_kinds.h"

#include "words/word_model.h"

namespace latentdb::inference {
namespace {

const std::string kWordKind = "word2vec";

// At most 40 bytes of a text for a message, cut on a UTF-8 character boundary.
std::string Clip(const std::string& text) {
  if (text.size() <= 40) return text;
  size_t end = 40;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  return text.substr(0, end) + "…";
}

class TextEncoder final : public Encoder {
 public:
  explicit TextEncoder(std::shared_ptr<words::WordModel> model) : model_(std::move(model)) {}

  const std::string& name() const override { return model_->name(); }
  const std::string& kind() const override { return kWordKind; }
  size_t dim() const override { return model_->dim(); }
  InputKind input() const override { return InputKind::kText; }

  std::vector<Result<Encoding>> EncodeTexts(const std::vector<std::string>& texts) const override {
    std::vector<Result<Encoding>> out;
    out.reserve(texts.size());
    for (const std::string& text : texts) {
      auto encoded = model_->TextVector(text);  // no tokens, too many, or none with a vector
      if (!encoded.ok()) {
        out.push_back(encoded.status());
      } else if (encoded->tokens.size() == encoded->unknown.size()) {
        out.push_back(Status::InvalidArgument("no word of '" + Clip(text) + "' is known to encoder '" + name() + "'"));
      } else {
        out.push_back(Encoding{std::move(encoded->vector), std::nullopt, std::nullopt});
      }
    }
    return out;
  }

  Result<std::vector<Encoding>> EncodeImages(const std::vector<images::Image>&, bool) const override {
    return Status::InvalidArgument("encoder '" + name() + "' is a word model: it encodes text, not images");
  }

  std::shared_ptr<words::WordModel> word_model() const override { return model_; }

 private:
  std::shared_ptr<words::WordModel> model_;
};

class ImageEncoder final : public Encoder {
 public:
  explicit ImageEncoder(std::shared_ptr<encoders::ImageModel> model) : model_(std::move(model)) {}

  const std::string& name() const override { return model_->name(); }
  const std::string& kind() const override { return model_->kind(); }
  size_t dim() const override { return model_->dim(); }
  InputKind input() const override { return InputKind::kImage; }

  std::vector<Result<Encoding>> EncodeTexts(const std::vector<std::string>& texts) const override {
    return std::vector<Result<Encoding>>(
        texts.size(), Status::InvalidArgument("encoder '" + name() + "' is a " + kind() +
                                              " image model: it encodes images, not text"));
  }

  // A VAE gives μ(x) and the anomaly scores of each image in one pass (Reconstruct, without
  // converting the reconstructions to images: only the vector and the scores are stored); a GAN
  // gives the inverted z and its residual.
  Result<std::vector<Encoding>> EncodeImages(const std::vector<images::Image>& images, bool with_scores) const override {
    std::vector<Encoding> out;
    out.reserve(images.size());
    if (with_scores && model_->kind() == "vae") {
      LDB_ASSIGN_OR_RETURN(auto reconstructions, model_->Reconstruct(images, /*with_images=*/false));
      for (auto& r : reconstructions) out.push_back(Encoding{std::move(r.mean), r.scores, std::nullopt});
      return out;
    }
    if (with_scores && model_->kind() == "gan") {
      LDB_ASSIGN_OR_RETURN(auto inversions, model_->Invert(images, encoders::InversionOptions{}, /*with_images=*/false));
      for (auto& inv : inversions) out.push_back(Encoding{std::move(inv.latent), std::nullopt, inv.pixel_error});
      return out;
    }
    LDB_ASSIGN_OR_RETURN(auto vectors, model_->Encode(images));
    for (auto& v : vectors) out.push_back(Encoding{std::move(v), std::nullopt, std::nullopt});
    return out;
  }

  std::shared_ptr<encoders::ImageModel> image_model() const override { return model_; }

 private:
  std::shared_ptr<encoders::ImageModel> model_;
};

}  // namespace

Result<InputKind> InputOfKind(const std::string& name, const std::string& kind) {
  if (kind == kWordKind) return InputKind::kText;
  if (kind == "cnn" || kind == "vae" || kind == "gan" || kind == "torchscript") return InputKind::kImage;
  return Status::InvalidArgument("model '" + name + "' has the unknown kind '" + kind +
                                 "' (expected word2vec, cnn, vae, gan or torchscript)");
}

Result<std::shared_ptr<const Encoder>> LoadEncoder(const std::string& data_dir, engine::Database* db,
                                                   const std::string& name, const std::string& kind) {
  LDB_ASSIGN_OR_RETURN(const InputKind input, InputOfKind(name, kind));
  if (input == InputKind::kText) {
    if (!db) return Status::InvalidArgument("word model '" + name + "' needs the open data directory");
    LDB_ASSIGN_OR_RETURN(auto model, words::WordModel::Open(db, name));
    return std::shared_ptr<const Encoder>(std::make_shared<TextEncoder>(std::move(model)));
  }
  LDB_ASSIGN_OR_RETURN(auto model, encoders::ImageModel::Open(data_dir, name));
  return std::shared_ptr<const Encoder>(std::make_shared<ImageEncoder>(std::move(model)));
}

}  // namespace latentdb::inference
