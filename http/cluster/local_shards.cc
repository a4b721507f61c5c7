#include "http/cluster/local_shards.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <system_error>

#include "common/file_util.h"
#include "common/logging.h"
#include "http/api.h"

namespace latentdb::http {

namespace fs = std::filesystem;

namespace {
// Closing a RocksDB instance touches the library's process-wide state; ThreadSanitizer reported two
// copies closed at once (a collection's drop reaches two shard copies of one node together) as a
// race inside the uninstrumented library, whose own ordering it cannot see. Copies close one at a
// time: drops and reopens are rare, and a close takes milliseconds.
std::mutex& CloseMutex() {
  static std::mutex m;
  return m;
}
}  // namespace

ShardCopy::~ShardCopy() {
  api.reset();
  if (!db) return;
  std::lock_guard<std::mutex> lock(CloseMutex());
  db->Close();
}

uint64_t ShardCopy::Epoch() {
  std::lock_guard<std::mutex> lock(replication_mutex);
  return epoch;
}

bool ShardCopy::HasRecord() {
  std::lock_guard<std::mutex> lock(replication_mutex);
  return record.has_value();
}

Status ShardCopy::RaiseEpoch(uint64_t e, bool log) {
  const uint64_t next_epoch = std::max(epoch, e), next_log = log ? std::max(log_epoch, e) : log_epoch;
  if (next_epoch == epoch && next_log == log_epoch) return Status::Ok();
  LDB_RETURN_IF_ERROR(WriteFileAtomically(dir + "/epoch", std::to_string(next_epoch) + " " + std::to_string(next_log)));
  epoch = next_epoch;
  log_epoch = next_log;
  return Status::Ok();
}

LocalShards::LocalShards(engine::DatabaseOptions base, std::shared_ptr<inference::Models> models)
    : base_(std::move(base)), models_(std::move(models)) {}

LocalShards::~LocalShards() = default;

std::string LocalShards::Directory(const ShardCopyId& id) const {
  return (fs::path(base_.data_dir) / "shards" / (id.collection + "." + id.uid) / std::to_string(id.shard)).string();
}

Result<std::shared_ptr<ShardCopy>> LocalShards::Get(const ShardCopyId& id, bool create, bool replica, bool* created) {
  std::unique_lock<std::mutex> lock(mu_);
  reopened_.wait(lock, [&] { return !reopening_.count(id); });
  return OpenLocked(id, create, replica, created);
}

Result<std::shared_ptr<ShardCopy>> LocalShards::OpenLocked(const ShardCopyId& id, bool create, bool replica,
                                                           bool* created) {
  if (created) *created = false;
  auto it = open_.find(id);
  if (it != open_.end()) return it->second;
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
  options.replica = replica;
  auto copy = std::make_shared<ShardCopy>();
  copy->dir = dir;
  if (PathExists(dir + "/epoch")) {
    LDB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir + "/epoch"));
    if (std::sscanf(text.c_str(), "%lu %lu", &copy->epoch, &copy->log_epoch) != 2) {
      return Status::Corruption(dir + "/epoch does not hold two epochs");
    }
  }
  LDB_ASSIGN_OR_RETURN(copy->db, engine::Database::Open(options));
  copy->api = std::make_unique<Api>(copy->db.get(), models_);
  open_.emplace(id, copy);
  return copy;
}

void LocalShards::CloseForSwap(const ShardCopyId& id, std::unique_lock<std::mutex>& lock) {
  reopened_.wait(lock, [&] { return !reopening_.count(id); });
  std::weak_ptr<ShardCopy> gone;
  auto it = open_.find(id);
  if (it != open_.end()) {
    gone = it->second;
    open_.erase(it);
  }
  reopening_.insert(id);
  lock.unlock();
  // The requests still running on the old copy finish first: two opens of one directory would
  // collide on its lock.
  while (!gone.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  lock.lock();
}

void LocalShards::EndSwap(const ShardCopyId& id) {
  reopening_.erase(id);
  reopened_.notify_all();
}

Result<std::shared_ptr<ShardCopy>> LocalShards::Reopen(const ShardCopyId& id, bool replica) {
  std::unique_lock<std::mutex> lock(mu_);
  CloseForSwap(id, lock);
  auto reopened = OpenLocked(id, false, replica, nullptr);
  EndSwap(id);
  return reopened;
}

Result<std::shared_ptr<ShardCopy>> LocalShards::Install(const ShardCopyId& id, const std::string& store_dir,
                                                        uint64_t epoch) {
  std::unique_lock<std::mutex> lock(mu_);
  CloseForSwap(id, lock);
  auto swap = [&]() -> Status {
    // The new copy is made whole beside the old one, then renamed over it: the old copy's
    // directory is removed only once the new one is complete on disk.
    const std::string dir = Directory(id), next = dir + ".installing", old = dir + ".replaced";
    std::error_code ec;
    fs::remove_all(next, ec);
    fs::remove_all(old, ec);
    LDB_RETURN_IF_ERROR(CreateDirectories(next));
    fs::rename(store_dir, next + "/store", ec);
    if (ec) return Status::IOError("moving the checkpoint " + store_dir + " into " + next + ": " + ec.message());
    LDB_RETURN_IF_ERROR(WriteFileAtomically(next + "/epoch", std::to_string(epoch) + " " + std::to_string(epoch)));
    LDB_RETURN_IF_ERROR(FsyncDirectoryOf(next + "/store"));
    if (fs::exists(dir, ec)) {
      fs::rename(dir, old, ec);
      if (ec) return Status::IOError("moving " + dir + " aside: " + ec.message());
    }
    fs::rename(next, dir, ec);
    if (ec) return Status::IOError("moving " + next + " to " + dir + ": " + ec.message());
    LDB_RETURN_IF_ERROR(FsyncDirectoryOf(dir));
    fs::remove_all(old, ec);
    return Status::Ok();
  };
  Status swapped = swap();
  auto installed = swapped.ok() ? OpenLocked(id, false, /*replica=*/true, nullptr)
                                 : Result<std::shared_ptr<ShardCopy>>(swapped);
  EndSwap(id);
  return installed;
}

Status LocalShards::Drop(const ShardCopyId& id) {
  std::shared_ptr<ShardCopy> copy;
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
  for (const char* staged : {".incoming", ".installing", ".replaced"}) fs::remove_all(dir.string() + staged, ec);
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
    std::set<uint32_t> shards;
    for (const auto& s : fs::directory_iterator(c.path(), ec)) {
      // "<shard>", or what a checkpoint's transfer left beside it ("<shard>.incoming", …): a
      // copy whose only trace is a staging directory is listed too, so that dropping it clears it.
      const std::string entry = s.path().filename().string();
      const std::string shard = entry.substr(0, entry.find('.'));
      const std::string rest = entry.substr(shard.size());
      if (rest != "" && rest != ".incoming" && rest != ".installing" && rest != ".replaced") continue;
      if (shard.empty() || shard.find_first_not_of("0123456789") != std::string::npos || shard.size() > 9) continue;
      shards.insert(static_cast<uint32_t>(std::stoul(shard)));
    }
    for (uint32_t shard : shards) out.push_back({name.substr(0, dot), name.substr(dot + 1), shard});
  }
  return out;
}

}  // namespace latentdb::http
