#include "engine/database.h"

#include <chrono>
#include <filesystem>

#include "common/file_util.h"
#include "common/logging.h"
#include "index/code_file.h"
#include "storage/store.h"

namespace latentdb::engine {

using nlohmann::json;

Database::Database(DatabaseOptions options) : options_(std::move(options)), replica_(options_.replica) {}

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  std::unique_ptr<Database> db(new Database(options));
  LDB_ASSIGN_OR_RETURN(db->lock_, DirLock::Acquire(options.data_dir));
  LDB_RETURN_IF_ERROR(CreateDirectories(options.data_dir + "/indexes"));
  {
    // Scratch space of snapshots being written or restored when the last process stopped.
    std::error_code ignored;
    std::filesystem::remove_all(db->SnapshotsDir() + "/.tmp", ignored);
  }
  storage::StoreOptions so;
  so.sync_writes = options.sync_writes;
  so.bulk_load = options.bulk_load;
  so.block_cache_mb = options.block_cache_mb;
  so.row_cache_mb = options.row_cache_mb;
  so.wal_retention_seconds = options.wal_retention_seconds;
  so.memtable_mb = options.memtable_mb;
  LDB_ASSIGN_OR_RETURN(db->store_, storage::Store::Open(options.data_dir + "/store", so));
  LDB_ASSIGN_OR_RETURN(auto records, db->store_->ListCollections());
  for (const auto& rec : records) {
    auto started = std::chrono::steady_clock::now();
    auto collection = db->OpenCollection(rec);
    if (!collection.ok()) {
      // Kept aside, not fatal: the other collections serve, and this one answers its error.
      LogError("collection '" + rec.name + "' failed to load and is not served: " + collection.status().ToString());
      db->failed_[rec.name] = FailedCollection{rec.name, rec.id, collection.status()};
      continue;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    LogInfo("opened collection '" + rec.name + "' with " + std::to_string((*collection)->size()) + " points in " +
            std::to_string(secs) + " s");
    db->collections_[rec.name] = std::move(collection).value();
  }
  if (options.persist_interval_seconds > 0) db->persist_thread_ = std::thread([d = db.get()] { d->PersistLoop(); });
  return db;
}

Result<std::shared_ptr<Collection>> Database::OpenCollection(const storage::CollectionRecord& rec) {
  if (!rec.damage.empty()) return Status::Corruption(rec.damage);
  json config_json;
  try {
    config_json = json::parse(rec.config_json);
  } catch (const std::exception&) {
    return Status::Corruption("its catalog entry is not JSON");
  }
  auto config = CollectionConfig::FromJson(config_json);
  if (!config.ok()) return Status::Corruption("its catalog entry is not a valid config: " + config.status().message());
  try {
    return Collection::Open(store_.get(), rec.id, rec.name, *config, IndexPath(rec.id), replica_);
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while loading it");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("loading it threw: ") + e.what());
  }
}

Database::~Database() { Close(); }

void Database::Close() {
  if (closed_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(persist_mutex_);
    stopping_ = true;
  }
  persist_cv_.notify_all();
  if (persist_thread_.joinable()) persist_thread_.join();
  Status s = Checkpoint();
  if (!s.ok()) LogError("checkpoint on close: " + s.ToString());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A request may still hold a collection past this point; its builder must not outlive the store.
    for (auto& [name, c] : collections_) c->Stop();
    collections_.clear();
    failed_.clear();
  }
  store_.reset();
  lock_.reset();
}

std::string Database::IndexPath(uint32_t cid) const {
  return options_.data_dir + "/indexes/" + std::to_string(cid) + ".idx";
}

void Database::PersistLoop() {
  std::unique_lock<std::mutex> lock(persist_mutex_);
  while (!stopping_) {
    persist_cv_.wait_for(lock, std::chrono::seconds(options_.persist_interval_seconds), [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    Status s = PersistIndexes();
    if (!s.ok()) LogError("background index save: " + s.ToString());
    lock.lock();
  }
}

Result<std::shared_ptr<Collection>> Database::CreateCollection(const std::string& name, const CollectionConfig& config) {
  LDB_RETURN_IF_ERROR(ValidateCollectionName(name));
  // Validate the index spec before anything is written.
  LDB_ASSIGN_OR_RETURN(auto probe, index::VectorIndex::Create(config.ToIndexSpec()));
  (void)probe;
  LDB_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> lock(mutex_);
  if (collections_.count(name) || failed_.count(name)) {
    return Status::AlreadyExists("collection '" + name + "' already exists");
  }
  LDB_ASSIGN_OR_RETURN(auto rec, store_->CreateCollection(name, config.ToJson().dump()));
  LDB_RETURN_IF_ERROR(RemoveIndexFiles(rec.id));
  LDB_ASSIGN_OR_RETURN(auto collection, Collection::Open(store_.get(), rec.id, name, config, IndexPath(rec.id)));
  collections_[name] = collection;
  return collection;
}

Status Database::RemoveIndexFiles(uint32_t cid) const {
  // A dropped collection's mappings stay valid for requests still holding it (unlinked files
  // live on until unmapped).
  LDB_RETURN_IF_ERROR(RemoveFileIfExists(IndexPath(cid)));
  return index::RemoveStaleCodeFiles(IndexPath(cid), {});
}

Result<std::shared_ptr<Collection>> Database::GetCollection(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    auto failed = failed_.find(name);
    if (failed != failed_.end()) {
      return Status::Unavailable("collection '" + name + "' failed to load (" + failed->second.error.ToString() +
                                 "); its data is left as it is; DELETE the collection to remove it");
    }
    return Status::NotFound("collection '" + name + "' does not exist");
  }
  return it->second;
}

std::vector<FailedCollection> Database::FailedCollections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<FailedCollection> out;
  for (const auto& [name, f] : failed_) out.push_back(f);
  return out;
}

std::vector<std::shared_ptr<Collection>> Database::ListCollections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<Collection>> out;
  for (const auto& [name, c] : collections_) out.push_back(c);
  return out;
}

Status Database::DropCollection(const std::string& name) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    auto failed = failed_.find(name);
    if (failed == failed_.end()) return Status::NotFound("collection '" + name + "' does not exist");
    storage::CollectionRecord rec{failed->second.id, name, "", ""};
    LDB_RETURN_IF_ERROR(store_->DropCollection(rec));
    LDB_RETURN_IF_ERROR(RemoveIndexFiles(rec.id));
    failed_.erase(failed);
    return Status::Ok();
  }
  // No background build may write under the id once it is dropped.
  it->second->Stop();
  storage::CollectionRecord rec{it->second->id(), name, "", ""};
  LDB_RETURN_IF_ERROR(store_->DropCollection(rec));
  LDB_RETURN_IF_ERROR(RemoveIndexFiles(rec.id));
  collections_.erase(it);
  return Status::Ok();
}

Status Database::Checkpoint() {
  if (!store_) return Status::Ok();
  // The store's memtables are written out in RocksDB's background thread while this one saves
  // the indexes.
  Status flush = store_->Flush(/*wait=*/false);
  Status persist = PersistIndexes();
  if (flush.ok()) flush = store_->Flush(/*wait=*/true);
  return persist.ok() ? flush : persist;
}

Status Database::PersistIndexes() {
  Status first_error;
  for (const auto& c : ListCollections()) {
    Status s = c->PersistIndex(options_.sync_writes);
    if (!s.ok()) {
      LogError("saving index of '" + c->name() + "': " + s.ToString());
      if (first_error.ok()) first_error = s;
    }
  }
  return first_error;
}

}  // namespace latentdb::engine
