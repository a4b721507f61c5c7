#include <map>
#include <mutex>

#include "common/logging.h"
#include "engine/encoders/image_model.h"
#include "engine/models/model_registry.h"

namespace latentdb::encoders {

struct ImageModelCache::State {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<ImageModel>> models;
};

ImageModelCache::ImageModelCache(std::string data_dir) : data_dir_(std::move(data_dir)), state_(std::make_unique<State>()) {}
ImageModelCache::~ImageModelCache() = default;

Result<std::shared_ptr<ImageModel>> ImageModelCache::Get(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    auto it = state_->models.find(name);
    if (it != state_->models.end()) return it->second;
  }
  auto m = ImageModel::Open(data_dir_, name);  // outside the lock: loading weights takes a while
  if (!m.ok()) {
    if (m.status().code() != StatusCode::kNotFound && m.status().code() != StatusCode::kInvalidArgument) {
      LogError("image model '" + name + "' failed to load: " + m.status().ToString());
    }
    return m.status();
  }
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto [it, inserted] = state_->models.emplace(name, *m);
  return it->second;
}

bool ImageModelCache::IsImageModel(const std::string& name) const {
  auto manifest = models::ReadManifest(data_dir_, name);
  if (!manifest.ok()) return false;
  return IsImageModelKind(manifest->value("kind", std::string()));
}

}  // namespace latentdb::encoders
