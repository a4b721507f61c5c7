#include "engine/ingest/encoder_hook.h"

#ifdef LDB_INGEST_IMAGE_ENCODERS
#include "engine/ingest/image_item_encoder.h"
#endif
#include "engine/ingest/word_item_encoder.h"

namespace latentdb::engine::ingest {

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
  if (info.kind == "word2vec") {
    info.input = RawInput::Kind::kText;
  } else if (info.kind == "cnn" || info.kind == "vae" || info.kind == "torchscript") {
    info.input = RawInput::Kind::kImage;
  } else {
    return Status::InvalidArgument("model '" + name + "' is of kind '" + info.kind + "', which is not an encoder");
  }
  return info;
}

Result<std::unique_ptr<ItemEncoder>> MakeItemEncoder(const EncoderInfo& info, const EncoderContext& context) {
  if (info.input == RawInput::Kind::kText) {
    if (!context.db) return Status::InvalidArgument("word model '" + info.name + "' needs an open data directory");
    return MakeWordItemEncoder(context.db, info.name);
  }
  if (info.input == RawInput::Kind::kImage) {
#ifdef LDB_INGEST_IMAGE_ENCODERS
    return MakeImageItemEncoder(context.data_dir, info.name);
#else
    return Status::InvalidArgument("model '" + info.name + "' is an image model, and this build has no image encoders");
#endif
  }
  return Status::InvalidArgument("model '" + info.name + "' is not an encoder");
}

}  // namespace latentdb::engine::ingest
