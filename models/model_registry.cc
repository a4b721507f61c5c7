#include "models/model_registry.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "common/file_util.h"
#include "engine/collection_config.h"

namespace latentdb::models {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ModelsDir(const std::string& data_dir) { return data_dir + "/models"; }
std::string ModelDir(const std::string& data_dir, const std::string& name) { return ModelsDir(data_dir) + "/" + name; }

std::string FastTextPath(const std::string& data_dir, const json& manifest) {
  if (!manifest.is_object() || !manifest.contains("model_file") || !manifest["model_file"].is_string()) return "";
  return ModelDir(data_dir, manifest.value("name", std::string())) + "/" + manifest["model_file"].get<std::string>();
}

Result<json> ReadManifest(const std::string& data_dir, const std::string& name) {
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
  std::string path = ModelDir(data_dir, name) + "/manifest.json";
  if (!PathExists(path)) return Status::NotFound("model '" + name + "' does not exist");
  LDB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("dim") || !j["dim"].is_number_unsigned()) {
    return Status::Corruption(path + ": not a valid model manifest");
  }
  j["name"] = name;
  return j;
}

Status WriteManifest(const std::string& data_dir, const std::string& name, const json& manifest) {
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
  LDB_RETURN_IF_ERROR(CreateDirectories(ModelDir(data_dir, name)));
  return WriteFileAtomically(ModelDir(data_dir, name) + "/manifest.json", manifest.dump(2) + "\n");
}

std::vector<json> ListManifests(const std::string& data_dir) {
  std::vector<json> out;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(ModelsDir(data_dir), ec)) {
    if (e.is_directory(ec)) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    auto m = ReadManifest(data_dir, n);
    if (m.ok()) {
      out.push_back(std::move(m).value());
    } else if (m.status().code() != StatusCode::kNotFound) {
      out.push_back(json{{"name", n}, {"error", m.status().message()}});
    }
  }
  return out;
}

Status RemoveModelDir(const std::string& data_dir, const std::string& name) {
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
  std::error_code ec;
  fs::remove_all(ModelDir(data_dir, name), ec);
  if (ec) return Status::IOError("removing " + ModelDir(data_dir, name) + ": " + ec.message());
  return Status::Ok();
}

std::string NowIso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace latentdb::models
