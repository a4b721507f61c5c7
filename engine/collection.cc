#include "engine/collection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <queue>

#include "common/file_util.h"
#include "common/logging.h"
#include "index/distance.h"
#include "index/index_spec.h"
#include "storage/store.h"

namespace latentdb::engine {

using nlohmann::json;

namespace {
constexpr size_t kRebuildChunk = 4096;
}

Collection::Collection(storage::Store* store, uint32_t cid, std::string name, CollectionConfig config,
                       std::string index_path)
    : store_(store), cid_(cid), name_(std::move(name)), config_(std::move(config)), index_path_(std::move(index_path)) {
  index_spec_ = config_.ToIndexSpec();
  auto parsed = index::ParseIndexSpec(index_spec_.factory, index_spec_.dim);
  if (!parsed.ok()) {
    // Written by a version that accepted it: the points are all in the store, so serve them with
    // exact search rather than not at all, or with an index FAISS may crash on.
    index_warning_ = "the stored index spec is no longer accepted (" + parsed.status().message() +
                     "); searches use an exact Flat index";
    LogWarn("collection '" + name_ + "': " + index_warning_);
    index_spec_.factory = "Flat";
  }
}

Result<std::shared_ptr<Collection>> Collection::Open(storage::Store* store, uint32_t cid, std::string name,
                                                     CollectionConfig config, std::string index_path) {
  std::shared_ptr<Collection> c(new Collection(store, cid, std::move(name), std::move(config), std::move(index_path)));
  LDB_RETURN_IF_ERROR(c->LoadPoints());
  LDB_RETURN_IF_ERROR(c->LoadOrRebuildIndex());
  return c;
}

Status Collection::LoadPoints() {
  LDB_ASSIGN_OR_RETURN(next_iid_, store_->NextInternalId(cid_));
  Status bad;
  LDB_RETURN_IF_ERROR(store_->ScanPoints(cid_, 0, [&](const storage::StoredPoint& p) {
    PointMeta meta;
    meta.key = p.external_key;
    try {
      meta.payload = p.payload_json.empty() ? json(nullptr) : json::parse(p.payload_json);
    } catch (const std::exception& e) {
      bad = Status::Corruption("stored payload of a point in '" + name_ + "' is not JSON");
      return false;
    }
    key_to_iid_[meta.key] = p.iid;
    points_.emplace(p.iid, std::move(meta));
    next_iid_ = std::max(next_iid_, p.iid + 1);
    return true;
  }));
  return bad;
}

Status Collection::LoadOrRebuildIndex() {
  const index::IndexSpec spec = index_spec_;
  // Empty, of this collection's kind: says whether a file can exist, and is filled from the store
  // whenever the file cannot be used.
  LDB_ASSIGN_OR_RETURN(auto empty, index::VectorIndex::Create(spec));
  if (!empty->WorthSaving()) {
    // Never saved (see PersistIndex): built from the store. A file left by an older version is
    // removed, so that it can never be loaded against a changelog trimmed without it.
    LDB_RETURN_IF_ERROR(RemoveFileIfExists(index_path_));
    return FillIndexFromStoreLocked(std::move(empty));
  }
  uint64_t file_seq = 0;
  if (PathExists(index_path_)) {
    auto loaded = index::VectorIndex::Load(index_path_, spec, &file_seq);
    if (!loaded.ok()) {
      LogWarn("collection '" + name_ + "': " + loaded.status().message() + "; rebuilding from the store");
    } else if (file_seq > store_->LastSequence()) {
      LogWarn("collection '" + name_ + "': index file is newer than the store; rebuilding");
    } else {
      index_ = std::move(loaded).value();
      uint64_t last = file_seq;
      std::vector<float> v;
      Status replay_error;
      LDB_RETURN_IF_ERROR(store_->ScanChangelog(cid_, file_seq, [&](uint64_t seq, storage::ChangeOp op, uint64_t iid) {
        last = seq;
        if (!replay_error.ok()) return;
        if (op == storage::ChangeOp::kDelete) {
          index_->Remove(&iid, 1);
          return;
        }
        bool found = false;
        replay_error = store_->GetVector(cid_, iid, &v, &found);
        if (replay_error.ok() && found && v.size() != config_.dim) {
          replay_error = Status::Corruption("stored vector has dimension " + std::to_string(v.size()));
        }
        if (replay_error.ok() && found) replay_error = index_->Upsert(&iid, v.data(), 1);
      }));
      if (replay_error.ok() && index_->size() == points_.size()) {
        persisted_seq_ = file_seq;
        applied_seq_ = last;
        return Status::Ok();
      }
      LogWarn("collection '" + name_ + "': index disagrees with the store after replay (" +
              std::to_string(index_->size()) + " vs " + std::to_string(points_.size()) + "); rebuilding");
    }
  }
  return FillIndexFromStoreLocked(std::move(empty));
}

Status Collection::RebuildIndexLocked() {
  LDB_ASSIGN_OR_RETURN(auto fresh, index::VectorIndex::Create(index_spec_));
  return FillIndexFromStoreLocked(std::move(fresh));
}

Status Collection::FillIndexFromStoreLocked(std::unique_ptr<index::VectorIndex> fresh) {
  fresh->Reserve(points_.size());
  const uint64_t seq = store_->LastSequence();
  std::vector<uint64_t> ids;
  std::vector<float> buf;
  Status add_error;
  auto flush = [&]() {
    if (!ids.empty() && add_error.ok()) add_error = fresh->Upsert(ids.data(), buf.data(), ids.size());
    ids.clear();
    buf.clear();
  };
  LDB_RETURN_IF_ERROR(store_->ScanVectors(cid_, [&](uint64_t iid, const float* v, size_t dim) {
    if (dim != config_.dim) {
      add_error = Status::Corruption("stored vector has dimension " + std::to_string(dim));
      return false;
    }
    ids.push_back(iid);
    buf.insert(buf.end(), v, v + dim);
    if (ids.size() >= kRebuildChunk) flush();
    return add_error.ok();
  }));
  flush();
  LDB_RETURN_IF_ERROR(add_error);
  index_ = std::move(fresh);
  applied_seq_ = std::max(applied_seq_, seq);
  persisted_seq_ = 0;  // the new index exists only in memory until the next PersistIndex()
  return Status::Ok();
}

void Collection::Reserve(size_t additional) {
  std::unique_lock lock(mutex_);
  points_.reserve(points_.size() + additional);
  key_to_iid_.reserve(key_to_iid_.size() + additional);
  if (!bulk_loading_) index_->Reserve(additional);  // a bulk load sizes the index when it builds it
}

void Collection::BeginBulkLoad() {
  std::unique_lock lock(mutex_);
  bulk_loading_ = true;
}

Status Collection::EndBulkLoad() {
  std::unique_lock lock(mutex_);
  if (!bulk_loading_) return Status::Ok();
  bulk_loading_ = false;
  return RebuildIndexLocked();
}

Status Collection::RebuildIndex() {
  std::unique_lock lock(mutex_);
  return RebuildIndexLocked();
}

std::optional<std::string> Collection::VectorProblem(const std::vector<float>& v) const {
  if (v.size() != config_.dim) {
    return "has dimension " + std::to_string(v.size()) + ", collection '" + name_ + "' expects " + std::to_string(config_.dim);
  }
  if (index::FirstNonFinite(v.data(), v.size()) != v.size()) return "contains NaN or Inf";
  // Cosine vectors are normalized (in double) before any kernel sees them; l2 and ip vectors are
  // used as given, so their size must keep every distance and product finite in float.
  if (config_.metric != index::Metric::kCosine) {
    const double norm = index::L2Norm(v.data(), v.size());
    if (norm > index::kMaxVectorNorm) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3g", norm);
      return std::string("has norm ") + buf + ", above 1e18, the largest an " + index::MetricName(config_.metric) +
             " collection can score without overflowing float";
    }
  }
  return std::nullopt;
}

Status Collection::ValidateVector(const std::vector<float>& v, const std::string& what) const {
  if (auto problem = VectorProblem(v)) return Status::InvalidArgument(what + " " + *problem);
  return Status::Ok();
}

Status Collection::Upsert(std::vector<PointInput> points) {
  if (points.empty()) return Status::Ok();
  for (size_t i = 0; i < points.size(); ++i) {
    // The id is formatted only on failure: for every point it would cost more than the checks.
    if (auto problem = VectorProblem(points[i].vector)) {
      return Status::InvalidArgument("point " + points[i].id.ToString() + " " + *problem);
    }
    if (!points[i].payload.is_null() && !points[i].payload.is_object()) {
      return Status::InvalidArgument("point " + points[i].id.ToString() + ": payload must be a JSON object");
    }
  }
  std::unique_lock lock(mutex_);
  storage::PointBatch batch;
  batch.cid = cid_;
  uint64_t next = next_iid_;
  std::unordered_map<std::string, uint64_t> new_keys;  // keys first seen in this batch
  batch.upserts.reserve(points.size());
  for (auto& p : points) {
    std::string key = p.id.ToKey();
    uint64_t iid;
    if (auto it = key_to_iid_.find(key); it != key_to_iid_.end()) {
      iid = it->second;
    } else if (auto it2 = new_keys.find(key); it2 != new_keys.end()) {
      iid = it2->second;
    } else {
      iid = next++;
      new_keys.emplace(key, iid);
    }
    storage::PointBatch::Upsert u;
    u.iid = iid;
    u.external_key = std::move(key);
    u.vector = std::move(p.vector);
    u.payload_json = p.payload.is_null() ? std::string() : p.payload.dump();
    batch.upserts.push_back(std::move(u));
  }
  batch.next_iid = next;
  LDB_ASSIGN_OR_RETURN(uint64_t seq, store_->Apply(batch));
  DropUnitMatrix();

  // Durable from here on: bring the index and the maps up to date.
  std::vector<uint64_t> ids;
  std::vector<float>& flat = index_batch_;
  flat.clear();
  if (flat.capacity() > (16u << 20)) flat.shrink_to_fit();  // after an unusually large batch
  ids.reserve(batch.upserts.size());
  if (!bulk_loading_) flat.reserve(batch.upserts.size() * config_.dim);
  for (size_t i = 0; i < batch.upserts.size(); ++i) {
    auto& u = batch.upserts[i];
    ids.push_back(u.iid);
    if (!bulk_loading_) flat.insert(flat.end(), u.vector.begin(), u.vector.end());
    key_to_iid_[u.external_key] = u.iid;
    PointMeta& meta = points_[u.iid];
    meta.key = u.external_key;
    meta.payload = std::move(points[i].payload);
  }
  next_iid_ = next;
  applied_seq_ = seq;
  if (bulk_loading_) return Status::Ok();
  Status s = index_->Upsert(ids.data(), flat.data(), ids.size());
  if (!s.ok()) {
    LogError("collection '" + name_ + "': index update failed after a durable write (" + s.message() + "); rebuilding");
    return RebuildIndexLocked();
  }
  if (index_->NeedsRebuild()) return RebuildIndexLocked();
  return Status::Ok();
}

Result<size_t> Collection::DeleteKeysLocked(const std::vector<std::string>& keys) {
  storage::PointBatch batch;
  batch.cid = cid_;
  batch.next_iid = next_iid_;
  std::unordered_map<std::string, bool> seen;
  for (const auto& key : keys) {
    auto it = key_to_iid_.find(key);
    if (it == key_to_iid_.end() || seen[key]) continue;
    seen[key] = true;
    batch.deletes.push_back({it->second, key});
  }
  if (batch.deletes.empty()) return size_t{0};
  LDB_ASSIGN_OR_RETURN(uint64_t seq, store_->Apply(batch));
  DropUnitMatrix();
  std::vector<uint64_t> ids;
  for (const auto& d : batch.deletes) {
    ids.push_back(d.iid);
    key_to_iid_.erase(d.external_key);
    points_.erase(d.iid);
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

Result<size_t> Collection::DeleteMatching(const Filter& filter) {
  std::unique_lock lock(mutex_);
  std::vector<std::string> keys;
  for (const auto& [iid, meta] : points_) {
    if (filter.Matches(meta.payload, meta.key)) keys.push_back(meta.key);
  }
  return DeleteKeysLocked(keys);
}

Result<std::optional<PointRecord>> Collection::Get(const ExternalId& id, bool with_vector) {
  std::shared_lock lock(mutex_);
  auto it = key_to_iid_.find(id.ToKey());
  if (it == key_to_iid_.end()) return std::optional<PointRecord>();
  PointRecord rec;
  rec.id = id;
  rec.payload = points_.at(it->second).payload;
  if (with_vector) {
    std::vector<float> v;
    bool found = false;
    LDB_RETURN_IF_ERROR(store_->GetVector(cid_, it->second, &v, &found));
    if (!found) return Status::Corruption("point " + id.ToString() + " has no stored vector");
    rec.vector = std::move(v);
  }
  return std::optional<PointRecord>(std::move(rec));
}

Result<std::vector<float>> Collection::VectorOf(const ExternalId& id) {
  std::shared_lock lock(mutex_);
  auto it = key_to_iid_.find(id.ToKey());
  if (it == key_to_iid_.end()) {
    return Status::NotFound("point " + id.ToString() + " does not exist in collection '" + name_ + "'");
  }
  std::vector<float> v;
  bool found = false;
  LDB_RETURN_IF_ERROR(store_->GetVector(cid_, it->second, &v, &found));
  if (!found) return Status::Corruption("point " + id.ToString() + " has no stored vector");
  return v;
}

Status Collection::FillRecordLocked(uint64_t iid, const PointMeta& meta, bool with_payload, bool with_vector,
                                    PointRecord* rec) const {
  LDB_ASSIGN_OR_RETURN(rec->id, ExternalId::FromKey(meta.key));
  if (with_payload) rec->payload = meta.payload;
  if (with_vector) {
    std::vector<float> v;
    bool found = false;
    LDB_RETURN_IF_ERROR(store_->GetVector(cid_, iid, &v, &found));
    if (!found) return Status::Corruption("point " + rec->id.ToString() + " has no stored vector");
    rec->vector = std::move(v);
  }
  return Status::Ok();
}

Result<ScrollPage> Collection::Scroll(size_t limit, const std::optional<ExternalId>& offset,
                                      const std::shared_ptr<const Filter>& filter, bool with_payload,
                                      bool with_vector) {
  if (limit == 0 || limit > kMaxK) return Status::InvalidArgument("limit must be between 1 and " + std::to_string(kMaxK));
  std::shared_lock lock(mutex_);
  // The store's id map is ordered by encoded id ('s' + bytes before 'u' + big-endian integer): seek
  // to the offset's place (the offset point itself may be gone) instead of looking the point up.
  // Integer ids come first, as in Qdrant: the 'u' block, then the 's' block.
  const std::string offset_key = offset ? offset->ToKey() : std::string();
  const bool from_strings = !offset_key.empty() && offset_key[0] == 's';
  ScrollPage page;
  Status bad;
  bool done = false, scanning_strings = false;
  auto visit = [&](std::string_view key, uint64_t iid) {
    if (key.empty() || (key[0] != 's' && key[0] != 'u')) {
      bad = Status::Corruption("malformed external id key in collection '" + name_ + "'");
      return false;
    }
    if (key[0] == 'u' && scanning_strings) return false;  // the end of the string block
    auto meta = points_.find(iid);
    // Written after our lock was taken (or mid-replacement): not visible yet.
    if (meta == points_.end() || meta->second.key != key) return true;
    if (filter && !filter->Matches(meta->second.payload, meta->second.key)) return true;
    if (page.points.size() == limit) {
      auto id = ExternalId::FromKey(meta->second.key);
      if (!id.ok()) {
        bad = id.status();
        return false;
      }
      page.next_offset = *id;
      return false;
    }
    PointRecord rec;
    bad = FillRecordLocked(iid, meta->second, with_payload, with_vector, &rec);
    if (!bad.ok()) return false;
    page.points.push_back(std::move(rec));
    return true;
  };
  if (!from_strings) {
    LDB_RETURN_IF_ERROR(store_->ScanIds(cid_, offset ? offset_key : std::string("u"), visit));
    LDB_RETURN_IF_ERROR(bad);
    done = page.next_offset.has_value();
  }
  if (!done) {
    scanning_strings = true;
    LDB_RETURN_IF_ERROR(store_->ScanIds(cid_, from_strings ? offset_key : std::string("s"), visit));
    LDB_RETURN_IF_ERROR(bad);
  }
  return page;
}

Result<InsertionOrderPage> Collection::ScrollInsertionOrder(size_t limit, uint64_t position, bool with_payload,
                                                            bool with_vector) {
  if (limit == 0 || limit > kMaxK) return Status::InvalidArgument("limit must be between 1 and " + std::to_string(kMaxK));
  std::shared_lock lock(mutex_);
  InsertionOrderPage page;
  Status bad;
  LDB_RETURN_IF_ERROR(store_->ScanPoints(cid_, position, [&](const storage::StoredPoint& p) {
    auto meta = points_.find(p.iid);
    if (meta == points_.end()) return true;  // written after our lock was taken: not visible yet
    if (page.points.size() == limit) {
      page.next_position = p.iid;
      return false;
    }
    PointRecord rec;
    bad = FillRecordLocked(p.iid, meta->second, with_payload, with_vector, &rec);
    if (!bad.ok()) return false;
    page.points.push_back(std::move(rec));
    return true;
  }));
  LDB_RETURN_IF_ERROR(bad);
  return page;
}

ScoredPoint Collection::MakeScored(uint64_t iid, float score, bool with_payload, bool with_vector) const {
  ScoredPoint sp;
  const PointMeta& meta = points_.at(iid);
  auto id = ExternalId::FromKey(meta.key);
  sp.id = id.ok() ? *id : ExternalId(std::string("?"));
  sp.score = score;
  if (with_payload) sp.payload = meta.payload;
  if (with_vector) {
    std::vector<float> v;
    bool found = false;
    if (store_->GetVector(cid_, iid, &v, &found).ok() && found) sp.vector = std::move(v);
  }
  return sp;
}

Result<std::vector<ScoredPoint>> Collection::Search(const SearchQuery& q) {
  if (q.k == 0 || q.k > kMaxK) return Status::InvalidArgument("k must be between 1 and " + std::to_string(kMaxK));
  if (q.vector.has_value() == q.id.has_value()) {
    return Status::InvalidArgument("search needs exactly one of \"vector\" or \"id\"");
  }
  if (q.vector) LDB_RETURN_IF_ERROR(ValidateVector(*q.vector, "query vector"));
  std::shared_lock lock(mutex_);
  std::vector<float> by_id_vector;
  const float* query = nullptr;
  uint64_t self = 0;
  bool exclude_self = false;
  if (q.id) {
    auto it = key_to_iid_.find(q.id->ToKey());
    if (it == key_to_iid_.end()) {
      return Status::NotFound("point " + q.id->ToString() + " does not exist in collection '" + name_ + "'");
    }
    self = it->second;
    exclude_self = true;
    bool found = false;
    LDB_RETURN_IF_ERROR(store_->GetVector(cid_, self, &by_id_vector, &found));
    if (!found) return Status::Corruption("point " + q.id->ToString() + " has no stored vector");
    query = by_id_vector.data();
  } else {
    query = q.vector->data();
  }
  index::IdFilter id_filter = [&](uint64_t iid) {
    if (exclude_self && iid == self) return false;
    if (!q.filter) return true;
    auto it = points_.find(iid);
    return it != points_.end() && q.filter->Matches(it->second.payload, it->second.key);
  };
  const bool need_filter = exclude_self || q.filter != nullptr;
  LDB_ASSIGN_OR_RETURN(auto hits, index_->Search(query, q.k, q.params, need_filter ? &id_filter : nullptr));
  std::vector<ScoredPoint> out;
  out.reserve(hits.size());
  const bool distance = config_.metric == index::Metric::kL2;
  bool clamped = false;
  for (const auto& h : hits) {
    if (!points_.count(h.id)) continue;  // deleted during a bulk load: the index is stale
    // Never NaN/Inf in an answer (JSON would carry null): see index::FiniteScore.
    const float score = index::FiniteScore(h.score, distance);
    clamped |= score != h.score;
    out.push_back(MakeScored(h.id, score, q.with_payload, q.with_vector));
  }
  if (clamped) {  // an overflowed score may have been ranked anywhere: best first again
    std::stable_sort(out.begin(), out.end(), [distance](const ScoredPoint& a, const ScoredPoint& b) {
      return distance ? a.score < b.score : a.score > b.score;
    });
  }
  return out;
}

const float* Collection::UnitMatrix::Row(uint64_t iid) const {
  auto it = std::lower_bound(iids.begin(), iids.end(), iid);
  if (it == iids.end() || *it != iid) return nullptr;
  return rows.data() + static_cast<size_t>(it - iids.begin()) * (rows.size() / iids.size());
}

void Collection::DropUnitMatrix() {
  std::lock_guard<std::mutex> lock(unit_mutex_);
  unit_matrix_.reset();
}

Result<std::shared_ptr<const Collection::UnitMatrix>> Collection::UnitMatrixShared() const {
  std::lock_guard<std::mutex> lock(unit_mutex_);
  if (unit_matrix_) return unit_matrix_;
  const size_t dim = config_.dim;
  auto m = std::make_shared<UnitMatrix>();
  m->iids.reserve(points_.size());
  m->rows.reserve(points_.size() * dim);
  LDB_RETURN_IF_ERROR(store_->ScanVectors(cid_, [&](uint64_t iid, const float* v, size_t d) {
    if (d != dim || !points_.count(iid)) return true;
    m->iids.push_back(iid);
    m->rows.insert(m->rows.end(), v, v + dim);
    index::NormalizeInPlace(m->rows.data() + m->rows.size() - dim, dim);
    return true;
  }));
  unit_matrix_ = std::move(m);
  return unit_matrix_;
}

Result<std::vector<float>> Collection::ResolveTerm(const AnalogyTerm& t, const UnitMatrix& m,
                                                   std::vector<uint64_t>* exclude) const {
  std::vector<float> v;
  if (t.id) {
    auto it = key_to_iid_.find(t.id->ToKey());
    if (it == key_to_iid_.end()) {
      return Status::NotFound("point " + t.id->ToString() + " does not exist in collection '" + name_ + "'");
    }
    exclude->push_back(it->second);
    const float* row = m.Row(it->second);
    if (!row) return Status::Corruption("point " + t.id->ToString() + " has no stored vector");
    return std::vector<float>(row, row + config_.dim);  // already unit length
  }
  if (!t.vector) return Status::InvalidArgument("analogy term needs an id or a vector");
  LDB_RETURN_IF_ERROR(ValidateVector(*t.vector, "analogy vector"));
  v = *t.vector;
  index::NormalizeInPlace(v.data(), v.size());
  return v;
}

Result<AnalogyResult> Collection::Analogy(const AnalogyQuery& q) {
  if (q.k == 0 || q.k > kMaxK) return Status::InvalidArgument("k must be between 1 and " + std::to_string(kMaxK));
  if (q.positive.empty()) return Status::InvalidArgument("analogy needs at least one positive term");
  std::shared_lock lock(mutex_);
  LDB_ASSIGN_OR_RETURN(std::shared_ptr<const UnitMatrix> matrix, UnitMatrixShared());
  const UnitMatrix& m = *matrix;
  std::vector<uint64_t> exclude;
  std::vector<std::vector<float>> pos, neg;
  for (const auto& t : q.positive) {
    LDB_ASSIGN_OR_RETURN(auto v, ResolveTerm(t, m, &exclude));
    pos.push_back(std::move(v));
  }
  for (const auto& t : q.negative) {
    LDB_ASSIGN_OR_RETURN(auto v, ResolveTerm(t, m, &exclude));
    neg.push_back(std::move(v));
  }
  const size_t dim = config_.dim;
  AnalogyResult result;
  if (q.method == AnalogyMethod::kCosAdd) {
    // gensim: mean of (+1 × positive, -1 × negative) unit vectors, then unit-normalized.
    std::vector<double> mean(dim, 0.0);
    for (const auto& v : pos) for (size_t i = 0; i < dim; ++i) mean[i] += v[i];
    for (const auto& v : neg) for (size_t i = 0; i < dim; ++i) mean[i] -= v[i];
    const double count = static_cast<double>(pos.size() + neg.size());
    result.query_vector.resize(dim);
    for (size_t i = 0; i < dim; ++i) result.query_vector[i] = static_cast<float>(mean[i] / count);
    index::NormalizeInPlace(result.query_vector.data(), dim);
  }
  std::sort(exclude.begin(), exclude.end());
  // Exact scan of the unit matrix in insertion order (frequency order for word models), keeping
  // the best k.
  using Entry = std::pair<float, uint64_t>;  // min-heap on score
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> best;
  size_t rows = m.iids.size();
  if (q.restrict_to_first) rows = std::min(rows, q.restrict_to_first);
  const float* query = result.query_vector.data();
  for (size_t r = 0; r < rows; ++r) {
    const uint64_t iid = m.iids[r];
    const float* unit = m.rows.data() + r * dim;
    float score;
    if (q.method == AnalogyMethod::kCosAdd) {
      score = index::InnerProduct(unit, query, dim);
    } else {
      // gensim most_similar_cosmul: prod((1+cos)/2 over positive) / (prod over negative + 1e-6)
      double num = 1.0, den = 1.0;
      for (const auto& p : pos) num *= (1.0 + index::InnerProduct(unit, p.data(), dim)) / 2.0;
      for (const auto& n : neg) den *= (1.0 + index::InnerProduct(unit, n.data(), dim)) / 2.0;
      score = static_cast<float>(num / (den + 1e-6));
    }
    if (best.size() == q.k && !(score > best.top().first)) continue;
    if (std::binary_search(exclude.begin(), exclude.end(), iid)) continue;
    if (q.filter) {
      auto meta = points_.find(iid);
      if (meta == points_.end() || !q.filter->Matches(meta->second.payload, meta->second.key)) continue;
    }
    if (best.size() == q.k) best.pop();
    best.emplace(score, iid);
  }
  result.hits.resize(best.size());
  for (size_t i = best.size(); i-- > 0;) {
    result.hits[i] = MakeScored(best.top().second, best.top().first, q.with_payload, false);
    best.pop();
  }
  return result;
}

CollectionInfo Collection::Info() const {
  std::shared_lock lock(mutex_);
  CollectionInfo info;
  info.name = name_;
  info.config = config_;
  info.points = points_.size();
  info.index = index_->Stats();
  info.applied_sequence = applied_seq_;
  info.persisted_sequence = persisted_seq_;
  info.warning = index_warning_;
  return info;
}

size_t Collection::size() const {
  std::shared_lock lock(mutex_);
  return points_.size();
}

Status Collection::PersistIndex(bool sync) {
  // Stream the file under the shared lock (searches go on; writers wait for the page-cache
  // writes), fsync and publish without it. persist_mutex_ keeps two saves from racing on the file.
  // An index not worth saving (flat) writes no file: it is rebuilt from the store at every open,
  // so the changelog is trimmed all the same.
  std::lock_guard<std::mutex> persist_lock(persist_mutex_);
  uint64_t seq;
  std::unique_ptr<AtomicFileWriter> file;
  {
    std::shared_lock lock(mutex_);
    // A stale index must never be saved as covering the writes it lacks: during a bulk load the
    // file on disk stays at its older sequence, and the changelog covers the rest.
    if (bulk_loading_) return Status::Ok();
    const bool save = index_->WorthSaving();
    if (applied_seq_ == persisted_seq_ && (!save || PathExists(index_path_))) return Status::Ok();
    seq = applied_seq_;
    if (save) {
      LDB_ASSIGN_OR_RETURN(file, AtomicFileWriter::Create(index_path_));
      LDB_RETURN_IF_ERROR(index_->WriteTo(file.get(), seq));
    }
  }
  if (file) LDB_RETURN_IF_ERROR(file->Commit(sync));
  {
    std::unique_lock lock(mutex_);
    persisted_seq_ = std::max(persisted_seq_, seq);
  }
  return store_->TrimChangelog(cid_, seq);
}

}  // namespace latentdb::engine
