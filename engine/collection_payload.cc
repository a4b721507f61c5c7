// Collection's payload operations (Qdrant's set / overwrite / delete / clear payload) and count.
#include <mutex>
#include <shared_mutex>
#include <unordered_set>

#include "engine/collection.h"
#include "storage/store.h"

namespace latentdb::engine {

using nlohmann::json;

namespace {

// The payload a point has after `update`; `stored` is what it has now (null = none).
json UpdatedPayload(const json& stored, const PayloadUpdate& update) {
  json out = stored.is_object() ? stored : json::object();
  switch (update.kind) {
    case PayloadUpdateKind::kSet:
      for (auto it = update.payload.begin(); it != update.payload.end(); ++it) out[it.key()] = it.value();
      break;
    case PayloadUpdateKind::kOverwrite:
      out = update.payload;
      break;
    case PayloadUpdateKind::kDeleteKeys:
      for (const auto& key : update.keys) out.erase(key);
      break;
    case PayloadUpdateKind::kClear:
      out = json::object();
      break;
  }
  return out;
}

}  // namespace

Result<size_t> Collection::UpdatePayload(const PointSelector& points, const PayloadUpdate& update) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  if ((update.kind == PayloadUpdateKind::kSet || update.kind == PayloadUpdateKind::kOverwrite) &&
      !update.payload.is_object()) {
    return Status::InvalidArgument("\"payload\" must be a JSON object");
  }
  std::unique_lock lock(mutex_);
  std::vector<std::pair<uint64_t, std::string>> targets;
  if (points.filter) {
    LDB_ASSIGN_OR_RETURN(targets, MatchingPointsLocked(*points.filter));
  } else {
    std::unordered_set<uint64_t> seen;
    for (const auto& id : points.ids) {
      std::string key = id.ToKey();
      auto iid = ids_.Find(key);
      if (!iid) return Status::NotFound("no point with id " + id.ToString() + " in collection '" + name_ + "'");
      if (seen.insert(*iid).second) targets.emplace_back(*iid, std::move(key));
    }
  }
  if (targets.empty()) return size_t{0};

  std::vector<uint64_t> iids;
  iids.reserve(targets.size());
  for (const auto& t : targets) iids.push_back(t.first);
  std::vector<json> before;
  LDB_RETURN_IF_ERROR(PayloadsOf(iids, &before));

  storage::PointBatch batch;
  batch.cid = cid_;
  batch.next_iid = next_iid_;
  batch.payload_writes.reserve(targets.size());
  std::vector<IndexChange> index_changes;
  for (size_t i = 0; i < targets.size(); ++i) {
    const json after = UpdatedPayload(before[i], update);
    // The payloads just read are the indexes' "before": no second read (CollectIndexChangesOf).
    if (!payload_index_states_.empty()) CollectIndexChanges(iids[i], &before[i], &after, &batch, &index_changes);
    batch.payload_writes.push_back({targets[i].first, targets[i].second, after.empty() ? std::string() : after.dump()});
  }
  LDB_ASSIGN_OR_RETURN(uint64_t seq, store_->Apply(batch));
  ApplyIndexChanges(index_changes);
  applied_seq_ = seq;
  return targets.size();
}

Result<size_t> Collection::Count(const Filter* filter) {
  std::shared_lock lock(mutex_);
  if (!filter) return ids_.size();
  LDB_ASSIGN_OR_RETURN(auto matched, MatchingPointsLocked(*filter));
  return matched.size();
}

}  // namespace latentdb::engine
