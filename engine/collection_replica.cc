// Collection as a replica copy: the primary's batches, already in the store, brought into the id
// map, the vector index and the payload indexes; and the promotion of a replica to primary.
#include <mutex>
#include <set>

#include "common/coding.h"
#include "common/logging.h"
#include "engine/collection.h"
#include "storage/store.h"

namespace latentdb::engine {

namespace {
constexpr const char* kIndexDefinitionKind = "payload_index";  // collection_payload_index.cc's
}  // namespace

Status Collection::CheckWritable() const {
  if (!replica_) return Status::Ok();
  return Status::Unavailable("collection '" + name_ +
                             "' is a read-only replica copy: writes go to its shard's primary");
}

Status Collection::ApplyReplicated(const storage::ReplicatedChanges& changes) {
  std::unique_lock lock(mutex_);
  const auto kinds = changes.attachment_kinds.find(cid_);
  const bool reload_indexes = changes.index_reset.count(cid_) > 0 ||
                              (kinds != changes.attachment_kinds.end() && kinds->second.count(kIndexDefinitionKind) > 0);
  if (changes.points.count(cid_)) LDB_RETURN_IF_ERROR(ReplayChangelogLocked());
  if (reload_indexes) {
    // A definition came, went or became ready, or an index's entries were dropped: read them all
    // again, as at open (rare: index creation and removal).
    for (const auto& [field, state] : payload_index_states_) payload_indexes_.Remove(field);
    payload_index_states_.clear();
    LDB_RETURN_IF_ERROR(LoadPayloadIndexes());
  } else if (auto entries = changes.index_entries.find(cid_); entries != changes.index_entries.end()) {
    LDB_RETURN_IF_ERROR(ApplyReplicatedEntriesLocked(entries->second));
  }
  LDB_ASSIGN_OR_RETURN(next_iid_, store_->NextInternalId(cid_));
  applied_seq_ = std::max(applied_seq_, store_->LastSequence());
  DropUnitMatrix();
  return Status::Ok();
}

Status Collection::ReplayChangelogLocked() {
  std::vector<std::pair<storage::ChangeOp, uint64_t>> ops;
  uint64_t last = applied_seq_;
  LDB_RETURN_IF_ERROR(store_->ScanChangelog(cid_, applied_seq_, [&](uint64_t seq, storage::ChangeOp op, uint64_t iid) {
    ops.emplace_back(op, iid);
    last = seq;
  }));
  if (ops.empty()) return Status::Ok();
  // The points as the store holds them now, read in one batch each: a point written twice in the
  // replayed range takes its last vector both times, and one deleted later is skipped.
  std::vector<uint64_t> upserted;
  for (const auto& [op, iid] : ops) {
    if (op == storage::ChangeOp::kUpsert) upserted.push_back(iid);
  }
  std::vector<std::optional<storage::StoredPoint>> records;
  std::vector<std::vector<float>> vectors;
  LDB_RETURN_IF_ERROR(store_->MultiGetPoints(cid_, upserted, &records));
  LDB_RETURN_IF_ERROR(store_->MultiGetVectors(cid_, upserted, &vectors));
  size_t next = 0;
  for (const auto& [op, iid] : ops) {
    if (op == storage::ChangeOp::kDelete) {
      if (ids_.Erase(iid)) index_->Remove(&iid, 1);
      continue;
    }
    const size_t i = next++;
    if (!records[i]) continue;  // deleted further on
    if (vectors[i].size() != config_.dim) {
      return Status::Corruption("replicated vector of point " + std::to_string(iid) + " has dimension " +
                                std::to_string(vectors[i].size()));
    }
    if (!ids_.Contains(iid)) {
      if (iid > IdMap::kMaxIid) return Status::Corruption("replicated internal id " + std::to_string(iid) + " is out of range");
      ids_.Insert(records[i]->external_key, iid);
    }
    LDB_RETURN_IF_ERROR(index_->Upsert(&iid, vectors[i].data(), 1));
  }
  applied_seq_ = last;
  if (index_->NeedsRebuild()) return RebuildIndexLocked();
  return Status::Ok();
}

Status Collection::ApplyReplicatedEntriesLocked(const std::vector<std::pair<std::string, bool>>& entries) {
  std::map<uint32_t, FieldIndex*> ready;  // by field number
  for (auto& [field, state] : payload_index_states_) {
    if (state.ready) ready[state.index->number()] = state.index.get();
  }
  // Points that lost an entry and gained none: whether they keep another is read from their payload.
  std::set<std::pair<FieldIndex*, uint64_t>> lost, gained;
  for (const auto& [entry, put] : entries) {
    if (entry.size() < 12) return Status::Corruption("a replicated payload index entry is truncated");
    auto it = ready.find(DecodeFixed32BE(entry.data()));
    if (it == ready.end()) continue;  // a building index: loaded whole when its definition is ready
    const uint64_t iid = DecodeFixed64BE(entry.data() + entry.size() - 8);
    if (put) {
      LDB_RETURN_IF_ERROR(it->second->AddStoredEntry(entry));
      gained.emplace(it->second, iid);
    } else {
      LDB_RETURN_IF_ERROR(it->second->RemoveStoredEntry(entry));
      lost.emplace(it->second, iid);
    }
  }
  for (const auto& [index, iid] : lost) {
    if (gained.count({index, iid})) continue;
    if (!ids_.Contains(iid)) {
      index->SetUnindexed(iid);
      continue;
    }
    LDB_ASSIGN_OR_RETURN(auto payload, PayloadOf(iid));
    if (index->EntriesOf(iid, payload).empty()) index->SetUnindexed(iid);
  }
  return Status::Ok();
}

Status Collection::Promote() {
  std::unique_lock lock(mutex_);
  if (!replica_) return Status::Ok();
  // Builds the old primary had not finished: their entries so far cover an unknown part of the
  // points, so they start again from nothing, as after a restart (LoadPayloadIndexes).
  bool any_building = false;
  for (auto& [field, state] : payload_index_states_) {
    if (state.ready || !state.failure.ok()) continue;
    LDB_RETURN_IF_ERROR(store_->DeleteIndexEntries(cid_, FieldIndex::EntryPrefix(state.index->number())));
    state.built_below = 0;
    any_building = true;
  }
  replica_ = false;
  lock.unlock();
  if (any_building) StartIndexBuilder();
  return Status::Ok();
}

}  // namespace latentdb::engine
