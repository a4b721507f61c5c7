// Collection's write path: validation, then one store batch, then the index and the maps.
#include <mutex>

#include "common/logging.h"
#include "engine/collection.h"
#include "index/distance.h"
#include "storage/store.h"

namespace latentdb::engine {

using nlohmann::json;

std::optional<std::string> Collection::VectorProblem(std::span<const float> v) const {
  return engine::VectorProblem(config_, name_, v);
}

Status Collection::ValidateVector(std::span<const float> v, const std::string& what) const {
  if (auto problem = VectorProblem(v)) return Status::InvalidArgument(what + " " + *problem);
  return Status::Ok();
}

Status Collection::Upsert(std::vector<PointInput> points) {
  UpsertBatch batch;
  batch.Reserve(points.size(), points.size() * config_.dim);
  for (auto& p : points) batch.Add(std::move(p.id), p.vector, std::move(p.payload));
  return Upsert(std::move(batch));
}

Status Collection::Upsert(UpsertBatch points) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  if (points.empty()) return Status::Ok();
  for (size_t i = 0; i < points.size(); ++i) {
    // The id is formatted only on failure: for every point it would cost more than the checks.
    if (auto problem = VectorProblem(points.vector(i))) {
      return Status::InvalidArgument("point " + points.id(i).ToString() + " " + *problem);
    }
    if (!points.payload(i).is_null() && !points.payload(i).is_object()) {
      return Status::InvalidArgument("point " + points.id(i).ToString() + ": payload must be a JSON object");
    }
  }
  std::unique_lock lock(mutex_);
  storage::PointBatch batch;
  batch.cid = cid_;
  uint64_t next = next_iid_;
  std::unordered_map<std::string, uint64_t> new_keys;  // keys first seen in this batch
  batch.upserts.reserve(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    std::string key = points.id(i).ToKey();
    uint64_t iid;
    if (auto found = ids_.Find(key)) {
      iid = *found;
    } else if (auto it = new_keys.find(key); it != new_keys.end()) {
      iid = it->second;
    } else {
      if (next > IdMap::kMaxIid) {
        return Status::Conflict("collection '" + name_ + "' has used all " +
                                         std::to_string(IdMap::kMaxIid + 1) + " internal point ids");
      }
      iid = next++;
      new_keys.emplace(key, iid);
    }
    storage::PointBatch::Upsert u;
    u.iid = iid;
    u.external_key = std::move(key);
    u.vector = points.vector(i);  // a view of the block: written by Apply, not copied here
    u.payload_json = points.payload(i).is_null() ? std::string() : points.payload(i).dump();
    batch.upserts.push_back(std::move(u));
  }
  batch.next_iid = next;
  std::vector<IndexChange> index_changes;
  if (!payload_index_states_.empty()) {
    // A point upserted twice in one batch ends with its last payload: index that one only.
    std::unordered_map<uint64_t, size_t> last;
    for (size_t i = 0; i < batch.upserts.size(); ++i) last[batch.upserts[i].iid] = i;
    std::vector<std::pair<uint64_t, const json*>> writes;
    for (const auto& [iid, i] : last) writes.emplace_back(iid, &points.payload(i));
    LDB_RETURN_IF_ERROR(CollectIndexChangesOf(writes, &batch, &index_changes));
  }
  // Room in the index that can run out (codes on disk) is taken before the write is durable, so
  // that a full disk refuses the write instead of acknowledging one the index cannot hold.
  if (!bulk_loading_) LDB_RETURN_IF_ERROR(index_->PrepareUpsert(batch.upserts.size()));
  LDB_ASSIGN_OR_RETURN(uint64_t seq, store_->Apply(batch));
  DropUnitMatrix();
  ApplyIndexChanges(index_changes);

  // Durable from here on: bring the index and the maps up to date.
  std::vector<uint64_t> ids;
  ids.reserve(batch.upserts.size());
  for (const auto& u : batch.upserts) {
    ids.push_back(u.iid);
    if (!ids_.Contains(u.iid)) ids_.Insert(u.external_key, u.iid);  // a new point (an existing id keeps its iid)
  }
  next_iid_ = next;
  applied_seq_ = seq;
  if (bulk_loading_) return Status::Ok();
  // Every vector has config_.dim floats (checked above): the block is the ids.size() × dim matrix
  // the index takes.
  Status s = index_->Upsert(ids.data(), points.block(), ids.size());
  if (!s.ok()) {
    LogError("collection '" + name_ + "': index update failed after a durable write (" + s.message() + "); rebuilding");
    return RebuildIndexLocked();
  }
  if (index_->NeedsRebuild()) return RebuildIndexLocked();
  return Status::Ok();
}

Result<size_t> Collection::DeleteKeysLocked(const std::vector<std::string>& keys) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  storage::PointBatch batch;
  batch.cid = cid_;
  batch.next_iid = next_iid_;
  std::unordered_map<std::string, bool> seen;
  for (const auto& key : keys) {
    auto iid = ids_.Find(key);
    if (!iid || seen[key]) continue;
    seen[key] = true;
    batch.deletes.push_back({*iid, key});
  }
  if (batch.deletes.empty()) return size_t{0};
  std::vector<IndexChange> index_changes;
  if (!payload_index_states_.empty()) {
    std::vector<std::pair<uint64_t, const json*>> writes;
    for (const auto& d : batch.deletes) writes.emplace_back(d.iid, nullptr);
    LDB_RETURN_IF_ERROR(CollectIndexChangesOf(writes, &batch, &index_changes));
  }
  LDB_ASSIGN_OR_RETURN(uint64_t seq, store_->Apply(batch));
  DropUnitMatrix();
  ApplyIndexChanges(index_changes);
  std::vector<uint64_t> ids;
  for (const auto& d : batch.deletes) {
    ids.push_back(d.iid);
    ids_.Erase(d.iid);
  }
  applied_seq_ = seq;
  if (bulk_loading_) return batch.deletes.size();
  index_->Remove(ids.data(), ids.size());
  if (index_->NeedsRebuild()) LDB_RETURN_IF_ERROR(RebuildIndexLocked());
  return batch.deletes.size();
}

Result<size_t> Collection::Delete(const std::vector<ExternalId>& ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(id.ToKey());
  std::unique_lock lock(mutex_);
  return DeleteKeysLocked(keys);
}

Result<std::vector<std::pair<uint64_t, std::string>>> Collection::MatchingPointsLocked(const Filter& filter) const {
  std::vector<std::pair<uint64_t, std::string>> out;
  if (auto candidates = filter.CandidatePoints(payload_indexes_)) {  // only the points the indexes name
    std::vector<uint64_t> iids;
    for (uint64_t iid : *candidates) {
      if (ids_.Contains(iid)) iids.push_back(iid);
    }
    std::vector<json> payloads;
    LDB_RETURN_IF_ERROR(PayloadsOf(iids, &payloads));
    for (size_t i = 0; i < iids.size(); ++i) {
      std::string key(ids_.KeyOf(iids[i]));
      if (filter.Matches(payloads[i], key)) out.emplace_back(iids[i], std::move(key));
    }
    return out;
  }
  Status bad;
  LDB_RETURN_IF_ERROR(store_->ScanPoints(cid_, 0, [&](const storage::StoredPoint& p) {
    auto payload = ParsePayload(p.payload_json);
    if (!payload.ok()) {
      bad = payload.status();
      return false;
    }
    if (filter.Matches(*payload, p.external_key)) out.emplace_back(p.iid, p.external_key);
    return true;
  }));
  LDB_RETURN_IF_ERROR(bad);
  return out;
}

Result<size_t> Collection::DeleteMatching(const Filter& filter) {
  std::unique_lock lock(mutex_);
  LDB_ASSIGN_OR_RETURN(auto matched, MatchingPointsLocked(filter));
  std::vector<std::string> keys;
  keys.reserve(matched.size());
  for (auto& [iid, key] : matched) keys.push_back(std::move(key));
  return DeleteKeysLocked(keys);
}

}  // namespace latentdb::engine
