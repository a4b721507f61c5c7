#include "inference/models.h"

#include "common/logging.h"
#include "engine/collection.h"
#include "inference/model_kinds.h"
#include "models/model_registry.h"

namespace latentdb::inference {

Models::Models(std::string data_dir, engine::Database* db) : data_dir_(std::move(data_dir)), db_(db) {}
Models::~Models() = default;

Result<std::shared_ptr<const Encoder>> Models::Get(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = loaded_.find(name);
    if (it != loaded_.end()) return it->second;
  }
  // Outside the lock: loading weights or a fastText .bin takes a while, and other models' requests
  // must not wait for it. Two first requests may both load; the first stored wins.
  LDB_ASSIGN_OR_RETURN(auto manifest, models::ReadManifest(data_dir_, name));
  const std::string kind = manifest.is_object() && manifest.contains("kind") && manifest["kind"].is_string()
                               ? manifest["kind"].get<std::string>()
                               : std::string();
  auto encoder = LoadEncoder(data_dir_, db_, name, kind);
  if (!encoder.ok()) {
    const StatusCode code = encoder.status().code();
    if (code != StatusCode::kNotFound && code != StatusCode::kInvalidArgument) {
      LogError("model '" + name + "' failed to load: " + encoder.status().ToString());
    }
    return encoder.status();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return loaded_.emplace(name, *encoder).first->second;
}

Result<std::shared_ptr<const Encoder>> Models::ForCollection(const engine::Collection& c, InputKind input) {
  const char* given = input == InputKind::kText ? "\"text\"" : "\"image\"";
  if (!c.config().encoder) {
    return Status::InvalidArgument("collection '" + c.name() + "' has no encoder: send \"vector\" instead of " + given);
  }
  const std::string& name = *c.config().encoder;
  auto encoder = Get(name);
  if (!encoder.ok()) {
    if (encoder.status().code() == StatusCode::kNotFound) {
      return Status::InvalidArgument("collection '" + c.name() + "' has the encoder '" + name +
                                     "', which is not a registered model (" + encoder.status().message() + ")");
    }
    return encoder.status();
  }
  if ((*encoder)->input() != input) {
    const bool text_model = (*encoder)->input() == InputKind::kText;
    return Status::InvalidArgument("collection '" + c.name() + "' has the " + (text_model ? "word" : "image") +
                                   " encoder '" + name + "': send " + (text_model ? "\"text\"" : "\"image\"") +
                                   " instead of " + given);
  }
  return encoder;
}

}  // namespace latentdb::inference
