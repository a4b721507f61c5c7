#include "engine/snapshot_format.h"

#include <chrono>
#include <ctime>

#include "common/tar_archive.h"

namespace latentdb::engine {

using nlohmann::json;

namespace {

std::string TimeName(std::chrono::system_clock::time_point now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d-%H-%M-%S", &tm);
  return std::to_string(ms) + "-" + date;
}

}  // namespace

json SnapshotInfoToJson(const SnapshotInfo& info) {
  return {{"name", info.name}, {"creation_time", info.creation_time}, {"size", info.size}, {"checksum", info.checksum}};
}

json ManifestToJson(const SnapshotManifest& m) {
  json files = json::array();
  for (const auto& f : m.files) {
    files.push_back({{"name", f.name}, {"family", f.family}, {"records", f.records}, {"size", f.size}, {"sha256", f.sha256}});
  }
  json j = {{"format", kSnapshotFormat}, {"version", kSnapshotVersion}, {"kind", m.kind}, {"created", m.created}, {"files", files}};
  if (m.kind == "collection") {
    j["collection"] = m.collection;
    j["config"] = m.config;
    j["points"] = m.points;
    j["next_iid"] = m.next_iid;
  }
  return j;
}

Result<SnapshotManifest> ParseManifest(const std::string& text) {
  auto bad = [](const std::string& why) { return Status::Corruption("snapshot manifest: " + why); };
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return bad("not a JSON object");
  auto string_field = [&](const char* key) -> const std::string* {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string* format = string_field("format");
  if (!format || *format != kSnapshotFormat) return bad("not a LatentDB snapshot");
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer()) return bad("no version");
  if (version->get<int64_t>() != kSnapshotVersion) {
    return bad("version " + version->dump() + "; this LatentDB reads version " + std::to_string(kSnapshotVersion));
  }
  SnapshotManifest m;
  const std::string* kind = string_field("kind");
  if (!kind || (*kind != "collection" && *kind != "full")) return bad("kind must be \"collection\" or \"full\"");
  m.kind = *kind;
  if (const std::string* created = string_field("created")) m.created = *created;
  if (m.kind == "collection") {
    const std::string* name = string_field("collection");
    auto config = j.find("config");
    auto points = j.find("points");
    auto next_iid = j.find("next_iid");
    if (!name || config == j.end() || !config->is_object() || points == j.end() || !points->is_number_unsigned() ||
        next_iid == j.end() || !next_iid->is_number_unsigned()) {
      return bad("a collection snapshot needs collection, config, points and next_iid");
    }
    m.collection = *name;
    m.config = *config;
    m.points = points->get<uint64_t>();
    m.next_iid = next_iid->get<uint64_t>();
  }
  auto files = j.find("files");
  if (files == j.end() || !files->is_array()) return bad("no file list");
  for (const json& f : *files) {
    if (!f.is_object()) return bad("a file entry is not an object");
    auto name = f.find("name");
    auto family = f.find("family");
    auto sha = f.find("sha256");
    auto records = f.find("records");
    auto size = f.find("size");
    if (name == f.end() || !name->is_string() || family == f.end() || !family->is_string() || sha == f.end() ||
        !sha->is_string() || records == f.end() || !records->is_number_unsigned() || size == f.end() ||
        !size->is_number_unsigned()) {
      return bad("a file entry needs name, family, records, size and sha256");
    }
    SnapshotFileEntry e{name->get<std::string>(), family->get<std::string>(), records->get<uint64_t>(),
                        size->get<uint64_t>(), sha->get<std::string>()};
    if (!IsSafeArchiveName(e.name) || e.name == kSnapshotManifest) return bad("unsafe file name '" + e.name + "'");
    m.files.push_back(std::move(e));
  }
  return m;
}

std::string NewSnapshotName(const std::string& collection) {
  return collection + "-" + TimeName(std::chrono::system_clock::now()) + ".snapshot";
}

std::string NewFullSnapshotName() { return "full-snapshot-" + TimeName(std::chrono::system_clock::now()) + ".snapshot"; }

Status ValidateSnapshotName(const std::string& name) {
  static constexpr std::string_view kSuffix = ".snapshot";
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix) || name.find('/') != std::string::npos ||
      !IsSafeArchiveName(name) || name.starts_with(".")) {
    return Status::InvalidArgument("'" + name + "' is not a snapshot name (one file name ending in .snapshot, of "
                                   "letters, digits, '.', '_' and '-')");
  }
  return Status::Ok();
}

}  // namespace latentdb::engine
