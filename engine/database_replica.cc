// Database as a replica copy (cluster mode, docs/cluster.md "Writes"): the primary's batches
// applied to the store and brought into the collections in memory; promotion to primary.
#include <mutex>

#include "common/logging.h"
#include "engine/database.h"
#include "storage/store.h"

namespace latentdb::engine {

Status Database::CheckWritable() const {
  if (!replica_) return Status::Ok();
  return Status::Unavailable("this database is a read-only replica copy: writes go to its shard's primary");
}

uint64_t Database::WalSequence() const { return store_->WalSequence(); }

Result<std::vector<storage::ReplicatedBatch>> Database::WalSince(uint64_t from, size_t max_bytes) const {
  return store_->WalSince(from, max_bytes);
}

Status Database::CreateCheckpoint(const std::string& dir) const { return store_->CreateCheckpoint(dir); }

Status Database::ApplyReplicated(const std::vector<storage::ReplicatedBatch>& batches) {
  if (!replica_) return Status::Conflict("a primary takes no replicated batches");
  std::lock_guard<std::mutex> serial(replication_mutex_);
  // One batch at a time into memory: a later batch may trim the changelog entries an earlier one
  // put (the primary saved its index), and the replay reads the changelog.
  for (const auto& batch : batches) {
    storage::ReplicatedChanges changes;
    LDB_RETURN_IF_ERROR(store_->ApplyReplicated(batch, &changes));
    std::lock_guard<std::mutex> lock(mutex_);
    if (changes.catalog) ReconcileCatalogLocked();
    for (auto& [name, collection] : collections_) {
      const uint32_t cid = collection->id();
      const bool touched = changes.points.count(cid) || changes.attachment_kinds.count(cid) ||
                           changes.index_entries.count(cid) || changes.index_reset.count(cid);
      if (!touched) continue;
      Status s = collection->ApplyReplicated(changes);
      if (s.ok()) continue;
      LogError("replica of collection '" + name + "': " + s.ToString() + "; reopening it from the store");
      collection->Stop();
      storage::CollectionRecord rec{cid, name, collection->config().ToJson().dump(), ""};
      auto reopened = OpenCollection(rec);
      if (!reopened.ok()) return reopened.status().WithContext("reopening replica collection '" + name + "'");
      collection = std::move(reopened).value();
    }
  }
  return Status::Ok();
}

void Database::ReconcileCatalogLocked() {
  auto records = store_->ListCollections();
  if (!records.ok()) {
    LogError("replica: reading the catalog: " + records.status().ToString());
    return;
  }
  std::map<std::string, const storage::CollectionRecord*> stored;
  for (const auto& rec : *records) stored[rec.name] = &rec;
  // Gone, or another incarnation (dropped and created again), or reconfigured: closed.
  for (auto it = collections_.begin(); it != collections_.end();) {
    auto rec = stored.find(it->first);
    const bool same = rec != stored.end() && rec->second->id == it->second->id() &&
                      rec->second->config_json == it->second->config().ToJson().dump();
    if (same) {
      ++it;
      continue;
    }
    it->second->Stop();
    it = collections_.erase(it);
  }
  for (auto it = failed_.begin(); it != failed_.end();) {
    auto rec = stored.find(it->first);
    it = rec == stored.end() || rec->second->id != it->second.id ? failed_.erase(it) : std::next(it);
  }
  for (const auto& [name, rec] : stored) {
    if (collections_.count(name) || failed_.count(name)) continue;
    auto collection = OpenCollection(*rec);
    if (!collection.ok()) {
      LogError("replica: collection '" + name + "' failed to load: " + collection.status().ToString());
      failed_[name] = FailedCollection{name, rec->id, collection.status()};
      continue;
    }
    collections_[name] = std::move(collection).value();
  }
}

Status Database::Promote() {
  if (!replica_) return Status::Ok();
  std::lock_guard<std::mutex> serial(replication_mutex_);
  for (const auto& c : ListCollections()) LDB_RETURN_IF_ERROR(c->Promote());
  replica_ = false;
  return Status::Ok();
}

}  // namespace latentdb::engine
