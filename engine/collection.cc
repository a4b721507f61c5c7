// Collection: opening (point metadata from the store), reads (get, scroll, search) and stats.
// The write path is in collection_write.cc, the index's lifecycle in collection_index.cc, the
// analogy matrix in collection_analogy.cc: one class, one file per concern.
#include "engine/collection.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "common/file_util.h"
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
  index_spec_ = config_.ToIndexSpec(index_path_);
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
                                                     CollectionConfig config, std::string index_path,
                                                     bool replica) {
  std::shared_ptr<Collection> c(new Collection(store, cid, std::move(name), std::move(config), std::move(index_path)));
  c->replica_ = replica;
  // A replica's changelog is trimmed by its primary's saves, not its own: an index file it holds
  // (saved when it was a primary) may miss entries trimmed since. Built from the store instead.
  if (replica) LDB_RETURN_IF_ERROR(RemoveFileIfExists(c->index_path_));
  LDB_RETURN_IF_ERROR(c->LoadPoints());
  LDB_RETURN_IF_ERROR(c->LoadOrRebuildIndex());
  LDB_RETURN_IF_ERROR(c->LoadPayloadIndexes());
  return c;
}

Status Collection::LoadPoints() {
  // The ids only: payloads stay in the store until something asks for them.
  LDB_ASSIGN_OR_RETURN(next_iid_, store_->NextInternalId(cid_));
  Status bad;
  LDB_RETURN_IF_ERROR(store_->ScanIds(cid_, std::string_view(), [&](std::string_view key, uint64_t iid) {
    // Every write stores the id counter beyond its iids; an iid past it (or used twice) is damage,
    // and must not size the dense iid array either.
    if (iid >= next_iid_ || iid > IdMap::kMaxIid || ids_.Contains(iid)) {
      bad = Status::Corruption("the id map of '" + name_ + "' holds internal id " + std::to_string(iid) +
                               ", beyond the id counter or twice");
      return false;
    }
    ids_.Insert(key, iid);
    return true;
  }));
  return bad;
}

void Collection::Reserve(size_t additional) {
  std::unique_lock lock(mutex_);
  ids_.Reserve(ids_.size() + additional);
  if (!bulk_loading_) index_->Reserve(additional);  // a bulk load sizes the index when it builds it
}

Result<nlohmann::json> Collection::ParsePayload(std::string_view text) const {
  if (text.empty()) return json(nullptr);
  try {
    return json::parse(text);
  } catch (const std::exception&) {
    return Status::Corruption("a stored payload of collection '" + name_ + "' is not JSON");
  }
}

Status Collection::MissingRecord(uint64_t iid) const {
  // A request that still holds a dropped collection reads a store that no longer has it.
  if (stopping_) return Status::NotFound("collection '" + name_ + "' no longer exists (dropped, or the database closed)");
  return Status::Corruption("point " + std::to_string(iid) + " of '" + name_ + "' has no stored record");
}

Result<nlohmann::json> Collection::PayloadOf(uint64_t iid) const {
  LDB_ASSIGN_OR_RETURN(auto point, store_->GetPoint(cid_, iid));
  if (!point) return MissingRecord(iid);
  return ParsePayload(point->payload_json);
}

Status Collection::PayloadsOf(const std::vector<uint64_t>& iids, std::vector<json>* out) const {
  std::vector<std::optional<storage::StoredPoint>> points;
  LDB_RETURN_IF_ERROR(store_->MultiGetPoints(cid_, iids, &points));
  out->assign(iids.size(), json(nullptr));
  for (size_t i = 0; i < iids.size(); ++i) {
    if (!points[i]) return MissingRecord(iids[i]);
    LDB_ASSIGN_OR_RETURN((*out)[i], ParsePayload(points[i]->payload_json));
  }
  return Status::Ok();
}

bool Collection::MatchesStored(const Filter& filter, uint64_t iid, Status* error) const {
  // (Two captured pointers: std::function keeps them without allocating.)
  const PointView::Loader load = [this, error](uint64_t id) -> std::optional<json> {
    auto payload = PayloadOf(id);
    if (payload.ok()) return std::move(*payload);
    if (error->ok()) *error = payload.status();
    return std::nullopt;
  };
  PointView point(iid, std::string(ids_.KeyOf(iid)), load);
  return filter.MatchesPoint(point, payload_indexes_);
}

Result<std::optional<PointRecord>> Collection::Get(const ExternalId& id, bool with_vector) {
  std::shared_lock lock(mutex_);
  auto iid = ids_.Find(id.ToKey());
  if (!iid) return std::optional<PointRecord>();
  PointRecord rec;
  rec.id = id;
  LDB_ASSIGN_OR_RETURN(rec.payload, PayloadOf(*iid));
  if (with_vector) {
    LDB_ASSIGN_OR_RETURN(auto v, store_->GetVector(cid_, *iid));
    if (!v) return Status::Corruption("point " + id.ToString() + " has no stored vector");
    rec.vector = std::move(v);
  }
  return std::optional<PointRecord>(std::move(rec));
}

Result<std::vector<float>> Collection::VectorOf(const ExternalId& id) {
  std::shared_lock lock(mutex_);
  auto iid = ids_.Find(id.ToKey());
  if (!iid) {
    return Status::NotFound("point " + id.ToString() + " does not exist in collection '" + name_ + "'");
  }
  LDB_ASSIGN_OR_RETURN(auto v, store_->GetVector(cid_, *iid));
  if (!v) return Status::Corruption("point " + id.ToString() + " has no stored vector");
  return std::move(*v);
}

Status Collection::FillRecordLocked(uint64_t iid, std::string_view key, json payload, bool with_payload,
                                    bool with_vector, PointRecord* rec) const {
  LDB_ASSIGN_OR_RETURN(rec->id, ExternalId::FromKey(std::string(key)));
  if (with_payload) rec->payload = std::move(payload);
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
    // Written after our lock was taken (or mid-replacement): not visible yet.
    if (ids_.KeyOf(iid) != key) return true;
    json payload;
    if (filter || with_payload) {
      auto read = PayloadOf(iid);
      if (!read.ok()) {
        bad = read.status();
        return false;
      }
      payload = std::move(*read);
    }
    if (filter && !filter->Matches(payload, std::string(key))) return true;
    if (page.points.size() == limit) {
      auto id = ExternalId::FromKey(std::string(key));
      if (!id.ok()) {
        bad = id.status();
        return false;
      }
      page.next_offset = *id;
      return false;
    }
    PointRecord rec;
    bad = FillRecordLocked(iid, key, std::move(payload), with_payload, with_vector, &rec);
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
    if (ids_.KeyOf(p.iid) != p.external_key) return true;  // written after our lock was taken: not visible yet
    if (page.points.size() == limit) {
      page.next_position = p.iid;
      return false;
    }
    json payload;
    if (with_payload) {
      auto parsed = ParsePayload(p.payload_json);
      if (!parsed.ok()) {
        bad = parsed.status();
        return false;
      }
      payload = std::move(*parsed);
    }
    PointRecord rec;
    bad = FillRecordLocked(p.iid, p.external_key, std::move(payload), with_payload, with_vector, &rec);
    if (!bad.ok()) return false;
    page.points.push_back(std::move(rec));
    return true;
  }));
  LDB_RETURN_IF_ERROR(bad);
  return page;
}

Result<std::vector<ScoredPoint>> Collection::MakeScoredPoints(const std::vector<index::Hit>& hits, bool with_payload,
                                                              bool with_vector) const {
  std::vector<uint64_t> iids;
  iids.reserve(hits.size());
  for (const auto& h : hits) iids.push_back(h.id);
  std::vector<json> payloads;
  if (with_payload) LDB_RETURN_IF_ERROR(PayloadsOf(iids, &payloads));
  std::vector<std::vector<float>> vectors;
  if (with_vector) LDB_RETURN_IF_ERROR(store_->MultiGetVectors(cid_, iids, &vectors));
  std::vector<ScoredPoint> out(hits.size());
  for (size_t i = 0; i < hits.size(); ++i) {
    LDB_ASSIGN_OR_RETURN(out[i].id, ExternalId::FromKey(std::string(ids_.KeyOf(hits[i].id))));
    out[i].score = hits[i].score;
    if (with_payload) out[i].payload = std::move(payloads[i]);
    if (with_vector) {
      if (vectors[i].empty()) return Status::Corruption("point " + out[i].id.ToString() + " has no stored vector");
      out[i].vector = std::move(vectors[i]);
    }
  }
  return out;
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
    auto found = ids_.Find(q.id->ToKey());
    if (!found) {
      return Status::NotFound("point " + q.id->ToString() + " does not exist in collection '" + name_ + "'");
    }
    self = *found;
    exclude_self = true;
    LDB_ASSIGN_OR_RETURN(auto stored, store_->GetVector(cid_, self));
    if (!stored) return Status::Corruption("point " + q.id->ToString() + " has no stored vector");
    by_id_vector = std::move(*stored);
    query = by_id_vector.data();
  } else {
    query = q.vector->data();
  }
  // Payload tests read the candidate's payload from the store; a read error ends up as the
  // search's answer (checked after each search below).
  Status filter_error;
  index::IdFilter id_filter = [&](uint64_t iid) {
    if (exclude_self && iid == self) return false;
    if (!q.filter) return true;
    return ids_.Contains(iid) && MatchesStored(*q.filter, iid, &filter_error);
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
  const auto walk = static_cast<size_t>(std::sqrt(16.0 * static_cast<double>(ef) * static_cast<double>(ids_.size())));
  plan.full_scan_threshold = std::max<size_t>(1, std::min(walk, kFullScanThresholdKb * 1024 / (config_.dim * sizeof(float))));
  bool bitmap_lookup = false;
  if (q.filter && !payload_indexes_.empty()) plan.estimated_matches = q.filter->EstimateMatches(payload_indexes_, &bitmap_lookup);
  const bool indexed = plan.estimated_matches &&
                       (exhaustive ? *plan.estimated_matches < ids_.size() : *plan.estimated_matches <= plan.full_scan_threshold);
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
  LDB_RETURN_IF_ERROR(filter_error);
  if (plan_out) *plan_out = std::move(plan);
  const bool distance = config_.metric == index::Metric::kL2;
  bool clamped = false;
  std::vector<index::Hit> kept;
  kept.reserve(hits.size());
  for (const auto& h : hits) {
    if (!ids_.Contains(h.id)) continue;  // deleted during a bulk load: the index is stale
    // Never NaN/Inf in an answer (JSON would carry null): see index::FiniteScore.
    const float score = index::FiniteScore(h.score, distance);
    clamped |= score != h.score;
    kept.push_back({h.id, score});
  }
  if (clamped) {  // an overflowed score may have been ranked anywhere: best first again
    std::stable_sort(kept.begin(), kept.end(), [distance](const index::Hit& a, const index::Hit& b) {
      return distance ? a.score < b.score : a.score > b.score;
    });
  }
  return MakeScoredPoints(kept, q.with_payload, q.with_vector);
}

Result<std::vector<index::Hit>> Collection::ScoreFromStore(const float* query, std::vector<uint64_t> iids, size_t k) const {
  std::sort(iids.begin(), iids.end());
  iids.erase(std::unique(iids.begin(), iids.end()), iids.end());
  index::ExactScorer scorer(config_.metric, query, config_.dim);
  std::vector<index::Hit> hits;
  hits.reserve(iids.size());
  // Batches bound the memory of one MultiGet (RocksDB reads the keys of one block together).
  constexpr size_t kBatch = 512;
  // A point deleted meanwhile (bulk load) or never stored is skipped by the read.
  std::vector<uint64_t> batch;
  for (size_t start = 0; start < iids.size(); start += kBatch) {
    batch.assign(iids.begin() + static_cast<std::ptrdiff_t>(start),
                 iids.begin() + static_cast<std::ptrdiff_t>(std::min(iids.size(), start + kBatch)));
    LDB_RETURN_IF_ERROR(store_->VisitVectors(cid_, batch, [&](size_t i, const float* v, size_t dim) {
      if (dim != config_.dim) return Status::Corruption("stored vector has dimension " + std::to_string(dim));
      hits.push_back({batch[i], scorer.Score(v)});
      return Status::Ok();
    }));
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
    if (!ids_.Contains(iid) || !match(iid)) return true;
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
  info.points = ids_.size();
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
  return ids_.size();
}

}  // namespace latentdb::engine
