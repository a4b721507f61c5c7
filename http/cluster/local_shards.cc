#include "http/cluster/local_shards.h"

#include <filesystem>
#include <system_error>

#include "common/logging.h"
#include "http/api.h"

namespace latentdb::http {

namespace fs = std::filesystem;

struct LocalShards::Copy {
  std::unique_ptr<engine::Database> db;
  std::unique_ptr<Api> api;
  ~Copy() {
    api.reset();
    if (db) db->Close();
  }
};

LocalShards::LocalShards(engine::DatabaseOptions base, std::shared_ptr<inference::Models> models)
    : base_(std::move(base)), models_(std::move(models)) {}

LocalShards::~LocalShards() = default;

std::string LocalShards::Directory(const ShardCopyId& id) const {
  return (fs::path(base_.data_dir) / "shards" / (id.collection + "." + id.uid) / std::to_string(id.shard)).string();
}

Result<std::shared_ptr<Api>> LocalShards::Get(const ShardCopyId& id, bool create, bool* created) {
  std::lock_guard<std::mutex> lock(mu_);
  if (created) *created = false;
  auto it = open_.find(id);
  if (it != open_.end()) return std::shared_ptr<Api>(it->second, it->second->api.get());
  const std::string dir = Directory(id);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (!create) {
      return Status::NotFound("this node holds no copy of shard " + std::to_string(id.shard) + " of collection '" +
                              id.collection + "'");
    }
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("creating " + dir + ": " + ec.message());
    if (created) *created = true;
  }
  engine::DatabaseOptions options = base_;
  options.data_dir = dir;
  LDB_ASSIGN_OR_RETURN(auto db, engine::Database::Open(options));
  auto copy = std::make_shared<Copy>();
  copy->db = std::move(db);
  copy->api = std::make_unique<Api>(copy->db.get(), models_);
  open_.emplace(id, copy);
  return std::shared_ptr<Api>(copy, copy->api.get());
}

Status LocalShards::Drop(const ShardCopyId& id) {
  std::shared_ptr<Copy> copy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = open_.find(id);
    if (it != open_.end()) {
      copy = std::move(it->second);
      open_.erase(it);
    }
  }
  // A request still running on the copy holds it: the copy closes when that request ends.
  copy.reset();
  std::error_code ec;
  const fs::path dir = Directory(id);
  fs::remove_all(dir, ec);
  if (ec) return Status::IOError("removing " + dir.string() + ": " + ec.message());
  fs::remove(dir.parent_path(), ec);  // the collection's directory, once its last copy is gone
  return Status::Ok();
}

std::vector<ShardCopyId> LocalShards::OnDisk() const {
  std::vector<ShardCopyId> out;
  std::error_code ec;
  const fs::path root = fs::path(base_.data_dir) / "shards";
  for (const auto& c : fs::directory_iterator(root, ec)) {
    const std::string name = c.path().filename().string();
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos) continue;
    for (const auto& s : fs::directory_iterator(c.path(), ec)) {
      const std::string shard = s.path().filename().string();
      if (shard.empty() || shard.find_first_not_of("0123456789") != std::string::npos || shard.size() > 9) continue;
      out.push_back({name.substr(0, dot), name.substr(dot + 1), static_cast<uint32_t>(std::stoul(shard))});
    }
  }
  return out;
}

}  // namespace latentdb::http
