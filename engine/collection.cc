// Collection: opening (point metadata from the store), reads (get, scroll, search) and stats.
// The write path is in collection_write.cc, the index's lifecycle in collection_index.cc, the
// analogy matrix in collection_analogy.cc: one class, one file per concern.
#include "engine/collection.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "common/logging.h"
#include "index/distance.h"
#include "index/exact_scorer.h"
#include "index/index_spec.h"
#include "storage/store.h"

namespace latentdb::engine {

using nlohmann::json;

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
  LDB_RETURN_IF_ERROR(c->LoadPayloadIndexes());
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

void Collection::Reserve(size_t additional) {
  std::unique_lock lock(mutex_);
  points_.reserve(points_.size() + additional);
  key_to_iid_.reserve(key_to_iid_.size() + additional);
  if (!bulk_loading_) index_->Reserve(additional);  // a bulk load sizes the index when it builds it
}

Result<std::optional<PointRecord>> Collection::Get(const ExternalId& id, bool with_vector) {
  std::shared_lock lock(mutex_);
  auto it = key_to_iid_.find(id.ToKey());
  if (it == key_to_iid_.end()) return std::optional<PointRecord>();
  PointRecord rec;
  rec.id = id;
  rec.payload = points_.at(it->second).payload;
  if (with_vector) {
    LDB_ASSIGN_OR_RETURN(auto v, store_->GetVector(cid_, it->second));
    if (!v) return Status::Corruption("point " + id.ToString() + " has no stored vector");
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
  LDB_ASSIGN_OR_RETURN(auto v, store_->GetVector(cid_, it->second));
  if (!v) return Status::Corruption("point " + id.ToString() + " has no stored vector");
  return std::move(*v);
}

Status Collection::FillRecordLocked(uint64_t iid, const PointMeta& meta, bool with_payload, bool with_vector,
                                    PointRecord* rec) const {
  LDB_ASSIGN_OR_RETURN(rec->id, ExternalId::FromKey(meta.key));
  if (with_payload) rec->payload = meta.payload;
  if (with_vector) {
    LDB_ASSIGN_OR_RETURN(auto v, store_->GetVector(cid_, iid));
    if (!v) return Status::Corruption("point " + rec->id.ToString() + " has no stored vector");
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
    auto v = store_->GetVector(cid_, iid);
    if (v.ok() && *v) sp.vector = std::move(**v);
  }
  return sp;
}

Result<std::vector<ScoredPoint>> Collection::Search(const SearchQuery& q, SearchPlan* plan_out) {
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
    LDB_ASSIGN_OR_RETURN(auto stored, store_->GetVector(cid_, self));
    if (!stored) return Status::Corruption("point " + q.id->ToString() + " has no stored vector");
    by_id_vector = std::move(*stored);
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

  // The plan. An exhaustive index scores every point anyway, so any bound from the payload
  // indexes helps it; a graph walk is faster than scoring the candidates unless they are few.
  SearchPlan plan;
  const index::IndexStats stats = index_->Stats();
  // An index that holds codes: its candidates are rescored with the exact vectors from the store.
  const bool quantized = stats.quantization != index::Quantization::kNone && stats.trained;
  if (quantized && q.quantization.ignore) {
    return Status::InvalidArgument("\"params.quantization.ignore\": the index of collection '" + name_ +
                                   "' holds only quantized vectors; ask for \"params.exact\" to scan the exact ones");
  }
  const bool rescore = quantized && q.quantization.rescore;
  plan.strategy = q.params.exact || stats.kind == "flat" ? "full_scan" : "graph";
  // Whether the index scores every point exactly anyway (then any bound from the payload indexes
  // helps). A quantized flat index scans codes: scoring candidates from the store costs more.
  const bool exhaustive = (q.params.exact || stats.kind == "flat") && !quantized;
  // The candidate count below which scoring the candidates beats the filtered graph walk. An
  // unfiltered walk meets about 16·ef points; under a filter that passes a share s of them it meets
  // 1/s times as many before it has ef results, so scanning c = s·n candidates wins while
  // c < 16·ef·n/c, i.e. c < √(16·ef·n). Capped by Qdrant's full_scan_threshold (10,000 KB of vectors).
  const size_t ef = q.params.ef ? std::max(q.params.ef, q.k) : std::max<size_t>(64, q.k);
  const auto walk = static_cast<size_t>(std::sqrt(16.0 * static_cast<double>(ef) * static_cast<double>(points_.size())));
  plan.full_scan_threshold = std::max<size_t>(1, std::min(walk, kFullScanThresholdKb * 1024 / (config_.dim * sizeof(float))));
  bool bitmap_lookup = false;
  if (q.filter && !payload_indexes_.empty()) plan.estimated_matches = q.filter->EstimateMatches(payload_indexes_, &bitmap_lookup);
  const bool indexed = plan.estimated_matches &&
                       (exhaustive ? *plan.estimated_matches < points_.size() : *plan.estimated_matches <= plan.full_scan_threshold);
  // The indexes' candidates: for the indexed scan, and for the graph walk when they are a union of
  // stored bitmaps (collecting many numbers one by one into a set costs more than the payload tests
  // of the few hundred points a walk meets: measured by bench/scale_bench). Candidates the indexes
  // placed exactly need no payload test; only the point itself is left out of a search by id.
  std::optional<PointSet> candidates;
  bool exact_candidates = false;
  if (indexed || (plan.estimated_matches && bitmap_lookup)) {
    candidates = q.filter->CandidatePoints(payload_indexes_, &exact_candidates);
  }
  auto is_match = [&](uint64_t iid) { return exact_candidates ? !(exclude_self && iid == self) : id_filter(iid); };
  std::vector<index::Hit> hits;
  if (quantized && q.params.exact && !indexed) {
    plan.strategy = "store_scan";
    index::IdFilter match = candidates ? index::IdFilter([&](uint64_t iid) { return candidates->contains(iid) && is_match(iid); })
                                       : index::IdFilter([&](uint64_t iid) { return !need_filter || id_filter(iid); });
    LDB_ASSIGN_OR_RETURN(hits, ScanStore(query, q.k, match));
  } else if (indexed) {
    plan.strategy = "indexed_scan";
    std::vector<uint64_t> matching;
    matching.reserve(static_cast<size_t>(candidates->cardinality()));
    for (uint64_t iid : *candidates) {
      if (is_match(iid)) matching.push_back(iid);
    }
    auto among = index_->SearchAmong(query, q.k, matching);
    if (among.ok()) {
      hits = std::move(*among);
    } else if (among.status().code() == StatusCode::kNotImplemented) {
      // A trained IVF or a quantized index holds no exact vectors: the store has them.
      LDB_ASSIGN_OR_RETURN(hits, ScoreFromStore(query, std::move(matching), q.k));
    } else {
      return among.status();
    }
  } else {
    // A quantized index's best k × oversampling, rescored with the exact vectors.
    // (At most kMaxK candidates, whatever k and the oversampling: one request's bounded cost.)
    const size_t fetch = rescore ? std::max(q.k, std::min<size_t>(kMaxK, static_cast<size_t>(std::ceil(
                                                                  static_cast<double>(q.k) * q.quantization.oversampling))))
                                 : q.k;
    if (candidates) {
      index::IdFilter in_candidates = [&](uint64_t iid) { return candidates->contains(iid) && is_match(iid); };
      LDB_ASSIGN_OR_RETURN(hits, index_->Search(query, fetch, q.params, &in_candidates));
    } else {
      LDB_ASSIGN_OR_RETURN(hits, index_->Search(query, fetch, q.params, need_filter ? &id_filter : nullptr));
    }
    if (rescore) {
      std::vector<uint64_t> ids;
      ids.reserve(hits.size());
      for (const auto& h : hits) ids.push_back(h.id);
      plan.rescored = ids.size();
      LDB_ASSIGN_OR_RETURN(hits, ScoreFromStore(query, std::move(ids), q.k));
    }
  }
  if (plan_out) *plan_out = std::move(plan);
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

Result<std::vector<index::Hit>> Collection::ScoreFromStore(const float* query, std::vector<uint64_t> iids, size_t k) const {
  std::sort(iids.begin(), iids.end());
  iids.erase(std::unique(iids.begin(), iids.end()), iids.end());
  index::ExactScorer scorer(config_.metric, query, config_.dim);
  std::vector<index::Hit> hits;
  hits.reserve(iids.size());
  // Batches bound the memory of one MultiGet (RocksDB reads the keys of one block together).
  constexpr size_t kBatch = 512;
  std::vector<uint64_t> batch;
  std::vector<std::vector<float>> vectors;
  for (size_t start = 0; start < iids.size(); start += kBatch) {
    batch.assign(iids.begin() + static_cast<std::ptrdiff_t>(start),
                 iids.begin() + static_cast<std::ptrdiff_t>(std::min(iids.size(), start + kBatch)));
    LDB_RETURN_IF_ERROR(store_->MultiGetVectors(cid_, batch, &vectors));
    for (size_t i = 0; i < batch.size(); ++i) {
      if (vectors[i].empty()) continue;  // deleted meanwhile (bulk load) or never stored
      if (vectors[i].size() != config_.dim) return Status::Corruption("stored vector has dimension " + std::to_string(vectors[i].size()));
      hits.push_back({batch[i], scorer.Score(vectors[i].data())});
    }
  }
  scorer.KeepBest(&hits, k);
  return hits;
}

Result<std::vector<index::Hit>> Collection::ScanStore(const float* query, size_t k, const index::IdFilter& match) const {
  index::ExactScorer scorer(config_.metric, query, config_.dim);
  std::vector<index::Hit> hits;
  Status bad;
  LDB_RETURN_IF_ERROR(store_->ScanVectors(cid_, [&](uint64_t iid, const float* v, size_t dim) {
    if (dim != config_.dim) {
      bad = Status::Corruption("stored vector has dimension " + std::to_string(dim));
      return false;
    }
    if (!points_.count(iid) || !match(iid)) return true;
    hits.push_back({iid, scorer.Score(v)});
    if (hits.size() >= 4 * k + 1024) scorer.KeepBest(&hits, k);  // bounded memory
    return true;
  }));
  LDB_RETURN_IF_ERROR(bad);
  scorer.KeepBest(&hits, k);
  return hits;
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
  lock.unlock();
  info.payload_indexes = PayloadIndexes();
  info.warning = index_warning_;
  return info;
}

size_t Collection::size() const {
  std::shared_lock lock(mutex_);
  return points_.size();
}

}  // namespace latentdb::engine
