#pragma once
// Collection: the points of one collection — vectors, payloads, external ids — kept in the store
// (source of truth) and in a VectorIndex (derived, rebuilt when missing or corrupt).
//
// Memory: RAM holds the index, the payload indexes and the id map (engine/id_map.h, about 30
// bytes a point). Payloads stay in the store: results, filters on fields without a payload index,
// scroll pages and index builds read them through RocksDB's block cache
// (storage::StoreOptions::block_cache_mb). Opening a collection reads its ids, not its payloads.
//
// Write path: validate everything, then one storage::PointBatch (one RocksDB WriteBatch), then
// the index and the in-memory maps are updated under the collection's exclusive lock. A write
// returns only after it is in the WAL (in a bulk-load database: in the memtable, durable at the
// next flush) and visible to search.
// Thread-safety: every public method may be called from any thread. Reads (search, get, scroll)
// run in parallel under a shared lock; writes are serialized under an exclusive lock.

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "engine/collection_config.h"
#include "engine/external_id.h"
#include "engine/filter.h"
#include "engine/id_map.h"
#include "engine/payload_index.h"
#include "engine/upsert_batch.h"
#include "index/vector_index.h"
#include "storage/store.h"

namespace latentdb::storage {
class Store;
struct PointBatch;
}

namespace latentdb::engine {

struct PointInput {
  ExternalId id;
  std::vector<float> vector;
  nlohmann::json payload;  // object or null
};

struct PointRecord {
  ExternalId id;
  nlohmann::json payload;
  std::optional<std::vector<float>> vector;
};

struct ScoredPoint {
  ExternalId id;
  float score = 0;
  std::optional<nlohmann::json> payload;
  std::optional<std::vector<float>> vector;
};

// What to search with: exactly one of vector / id.
// Qdrant's search params "quantization", for collections whose index holds quantized vectors
// (ignored elsewhere).
struct QuantizationParams {
  // Rescore the index's best k × oversampling candidates with the exact vectors (read from the
  // store) and return the best k of them with exact scores; false returns the index's k best with
  // its estimated scores.
  bool rescore = true;
  double oversampling = 1.0;  // 1 to kMaxOversampling
  // Search the exact vectors instead: refused (InvalidArgument), the index holds only codes; an
  // exact search (params.exact) scans the stored vectors.
  bool ignore = false;
};
constexpr double kMaxOversampling = 100.0;

struct SearchQuery {
  std::optional<std::vector<float>> vector;
  std::optional<ExternalId> id;  // search by a stored point; it is excluded from its results
  size_t k = 10;
  std::shared_ptr<const Filter> filter;
  index::SearchParams params;
  QuantizationParams quantization;
  bool with_payload = true;
  bool with_vector = false;
};

struct AnalogyTerm {
  std::optional<ExternalId> id;
  std::optional<std::vector<float>> vector;
};

enum class AnalogyMethod { kCosAdd, kCosMul };

struct AnalogyQuery {
  std::vector<AnalogyTerm> positive, negative;
  size_t k = 10;
  AnalogyMethod method = AnalogyMethod::kCosAdd;
  std::shared_ptr<const Filter> filter;
  size_t restrict_to_first = 0;  // only the first N points in insertion order (0 = all)
  bool with_payload = true;
};

struct AnalogyResult {
  std::vector<ScoredPoint> hits;
  std::vector<float> query_vector;  // 3CosAdd's target direction (unit length); empty for 3CosMul
};

struct ScrollPage {
  std::vector<PointRecord> points;
  std::optional<ExternalId> next_offset;
};

struct InsertionOrderPage {
  std::vector<PointRecord> points;
  std::optional<uint64_t> next_position;  // absent after the last page
};

// How a search was answered (Collection::Search's optional out-parameter; the HTTP search answers
// it under "debug" when asked).
struct SearchPlan {
  // "graph": the HNSW walk (or IVF probe), the filter tested on each candidate it meets;
  // "full_scan": every point scored (a Flat index, or exact requested), the filter tested on each;
  // "indexed_scan": payload indexes named the few points that can match; only those are tested
  // and scored exactly; "store_scan": an exact search of a quantized collection, every stored
  // vector read and scored.
  std::string strategy;
  // Quantized collections: how many of the index's candidates were rescored with exact vectors
  // (0: the index's estimated scores were returned).
  size_t rescored = 0;
  // The payload indexes' upper bound of the matching points; absent when no index bounds the filter.
  std::optional<size_t> estimated_matches;
  // indexed_scan is chosen for a graph index when estimated_matches is at most this many points:
  // min(√(16·ef·n), Qdrant's full_scan_threshold of 10,000 KB of float vectors in points), where
  // n is the collection's size — the count where scoring the candidates one by one costs about
  // what the filtered walk costs (see Collection::Search).
  size_t full_scan_threshold = 0;
};

// Qdrant's default hnsw_config.full_scan_threshold, in kilobytes of vectors.
constexpr size_t kFullScanThresholdKb = 10000;

// A payload index of a collection (CreatePayloadIndex).
struct PayloadIndexInfo {
  std::string field_name;
  PayloadSchema schema = PayloadSchema::kKeyword;
  // "ready" (filters use it), "building" (filters are evaluated without it meanwhile), or
  // "failed" (a storage error stopped the build: `error` says which; drop and create it again).
  std::string status;
  std::string error;
  size_t points = 0;  // points with a value the index keeps
};

// What Collection::ExportSnapshot wrote into its directory.
struct CollectionSnapshotFiles {
  storage::CollectionExport records;  // the store's records, as SST files
  bool has_index = false;             // "index.idx": the vector index, covering exactly those records
  uint64_t points = 0;
};

struct CollectionInfo {
  std::string name;
  CollectionConfig config;
  size_t points = 0;
  index::IndexStats index;
  uint64_t applied_sequence = 0;
  uint64_t persisted_sequence = 0;
  std::vector<PayloadIndexInfo> payload_indexes;  // by field name
  // Non-empty when the collection serves in a degraded way, e.g. its stored index spec is one that
  // today's validation refuses and an exact Flat index stands in for it.
  std::string warning;
};

constexpr size_t kMaxK = 10000;

// Qdrant's payload operations (POST/PUT /collections/{c}/points/payload, …/payload/delete,
// …/payload/clear): set merges the given top-level keys into each payload, overwrite replaces it,
// delete_keys removes top-level keys, clear leaves it empty.
enum class PayloadUpdateKind { kSet, kOverwrite, kDeleteKeys, kClear };
struct PayloadUpdate {
  PayloadUpdateKind kind = PayloadUpdateKind::kSet;
  nlohmann::json payload = nlohmann::json::object();  // kSet, kOverwrite: a JSON object
  std::vector<std::string> keys;                      // kDeleteKeys: top-level keys
};

// The points an operation applies to: `ids` (Qdrant's "points") or, when `filter` is set, every
// point it matches.
struct PointSelector {
  std::vector<ExternalId> ids;
  std::shared_ptr<const Filter> filter;
};

// A named JSON record kept with a collection (Collection::PutAttachment).
struct Attachment {
  std::string name;
  nlohmann::json value;
};

// The largest attachment value, as compact JSON text: 16 MiB (PayloadTooLarge beyond).
constexpr size_t kMaxAttachmentBytes = size_t{16} << 20;

class Collection {
 public:
  // Loads the collection: point metadata from the store, then the index from `index_path` with
  // the changelog replayed, or rebuilt from the store when the file is missing, corrupt or
  // disagrees with the store. A config whose index spec index::ParseIndexSpec refuses (stored
  // by an older version) opens with an exact Flat index instead, and Info().warning says so.
  // With `replica`, the collection is a read-only copy kept up to date by ApplyReplicated (see
  // "Replica copies" below): its index is built from the store (a replica saves no index file).
  static Result<std::shared_ptr<Collection>> Open(storage::Store* store, uint32_t cid, std::string name,
                                                  CollectionConfig config, std::string index_path,
                                                  bool replica = false);

  const std::string& name() const { return name_; }
  const CollectionConfig& config() const { return config_; }
  uint32_t id() const { return cid_; }

  // Upserts points atomically: all of them or none. Validates dimension, finiteness, payload
  // (InvalidArgument naming the first bad point). The batch's block feeds the store's write batch
  // and the index without another copy. Thread-safe (takes the collection's write lock).
  Status Upsert(UpsertBatch points);
  // The same for points that each hold their own vector (copied into one UpsertBatch first).
  Status Upsert(std::vector<PointInput> points);
  // Deletes points by id; returns how many existed.
  Result<size_t> Delete(const std::vector<ExternalId>& ids);
  Result<size_t> DeleteMatching(const Filter& filter);

  // Changes the payloads of the selected points, their vectors untouched, in one atomic store
  // write (payload indexes updated with it); returns how many points were written. By ids, every
  // id must exist (NotFound naming the first that does not, nothing changed: Qdrant's answer);
  // by filter, the points matched when the write lock is taken. InvalidArgument for a payload
  // that is not an object. Thread-safe (the collection's write lock).
  Result<size_t> UpdatePayload(const PointSelector& points, const PayloadUpdate& update);
  // The number of points, or of those `filter` matches (Qdrant's exact count; a filter is
  // answered from the payload indexes where it can be, else by reading the payloads).
  Result<size_t> Count(const Filter* filter);

  Result<std::optional<PointRecord>> Get(const ExternalId& id, bool with_vector);
  // Qdrant's scroll: at most `limit` points in id order (integer ids ascending, then string ids by
  // their UTF-8 bytes), starting at the first id >= `offset` (absent = the beginning; the offset
  // need not exist). next_offset is the id where the next page starts. Because a page boundary is a
  // position in that order, not a lookup of a point, every point that exists for the whole scroll
  // is returned exactly once, whatever is deleted, re-inserted or added meanwhile (points added
  // during the scroll may or may not appear).
  Result<ScrollPage> Scroll(size_t limit, const std::optional<ExternalId>& offset,
                            const std::shared_ptr<const Filter>& filter, bool with_payload, bool with_vector);
  // Points in insertion order, for readers that need it (a word model stores its vocabulary most
  // frequent first): at most `limit` from `position` (0 = the beginning; next_position of the
  // previous page after that). The position is an internal one, so it stays valid whatever is
  // deleted meanwhile: every point that exists for the whole walk is visited exactly once (an
  // upsert of an existing id keeps its place; a deleted and re-inserted one moves to the end).
  Result<InsertionOrderPage> ScrollInsertionOrder(size_t limit, uint64_t position, bool with_payload,
                                                  bool with_vector);

  // With a filter, the plan is chosen by the payload indexes' estimate of the matching points (see
  // SearchPlan): few → score exactly the points the indexes name; many → the graph walk with the
  // filter. Both give the same points whenever the graph walk finds every true neighbour; the
  // indexed plan is exact. `plan`, when given, receives the choice.
  Result<std::vector<ScoredPoint>> Search(const SearchQuery& query, SearchPlan* plan = nullptr);
  // Word2vec-style analogy, exactly as gensim's most_similar (3CosAdd) and most_similar_cosmul
  // (3CosMul): inputs unit-normalized, exact cosine ranking, input ids excluded.
  // Runs in memory: the first Analogy after a write copies the collection's vectors, unit-
  // normalized, into a matrix (n × dim floats, kept until the next write); every query is then a
  // scan of that matrix, never of the store.
  Result<AnalogyResult> Analogy(const AnalogyQuery& query);
  // The stored vector of a point (NotFound when absent).
  Result<std::vector<float>> VectorOf(const ExternalId& id);

  // --- attachments ---
  // Named JSON records stored with the collection, for what belongs to it but is not a point
  // (attribute directions, kind "direction": latent/directions.h; later issues add other kinds).
  // They live in the store beside the points (storage::Store::PutAttachment: one RocksDB write
  // each, so a record is entirely present or absent after a crash), survive restarts and are
  // removed with the collection (DropCollection; a collection created again under the same name
  // starts with none). `kind` and `name` follow the collection-name rule, [A-Za-z0-9_-]{1,64}
  // (InvalidArgument naming the kind otherwise: "direction name must be …"); a value is any JSON
  // of at most kMaxAttachmentBytes as compact text (PayloadTooLarge). A value that is no longer
  // JSON when read is Corruption. Storage errors as the store reports them (NoSpace, IOError).
  // Thread-safety: any thread; independent of the point locks (the store serializes the
  // writes). As with points, a write racing with the collection's drop may outlive it under the
  // dropped collection's id, which is never reused: it is never visible.
  // Creates or replaces `name`; returns whether a record was replaced.
  Result<bool> PutAttachment(const std::string& kind, const std::string& name, const nlohmann::json& value);
  // The record, or nullopt when there is none.
  Result<std::optional<nlohmann::json>> GetAttachment(const std::string& kind, const std::string& name) const;
  // The records of one kind, by name (bytewise order).
  Result<std::vector<Attachment>> ListAttachments(const std::string& kind) const;
  // Removes `name`; returns whether it existed.
  Result<bool> DeleteAttachment(const std::string& kind, const std::string& name);

  // --- payload indexes (engine/payload_index.h; Qdrant's PUT /collections/{c}/index) ---
  // Creates an index of `field_name` (a filter key, JsonPath syntax) with `schema`, and builds it
  // for the existing points in the background, in chunks that interleave with reads and writes;
  // filters use it once it is ready. With `wait`, returns after the build (or its failure).
  // Returns false, changing nothing, when the same index exists; an index of the field with
  // another schema is replaced. InvalidArgument for a bad field name. The definition and the
  // entries live in the store: a restart keeps a ready index without reading payloads, and
  // restarts an interrupted build. Thread-safe.
  Result<bool> CreatePayloadIndex(const std::string& field_name, PayloadSchema schema, bool wait);
  // Drops the index of `field_name`; returns whether there was one.
  Result<bool> DeletePayloadIndex(const std::string& field_name);
  std::vector<PayloadIndexInfo> PayloadIndexes() const;

  CollectionInfo Info() const;
  size_t size() const;

  // A hint that about `additional` points are coming: sizes the maps and the index's storage
  // once instead of growing them step by step.
  void Reserve(size_t additional);

  // Bulk loading (offline ingest): between Begin and End, writes go to the store and the point
  // maps only, and the index is left as it was (searches see it stale; points deleted since are
  // skipped). EndBulkLoad() rebuilds the index once from the store, so IVF/PQ train on all the
  // data and HNSW is built in large parallel batches. A crash in between loses nothing: the next
  // open replays the changelog into the saved index, or rebuilds it. It then compacts the
  // collection's records in the store (Store::CompactCollection), outside the collection's lock.
  void BeginBulkLoad();
  Status EndBulkLoad();

  // Saves the index if it changed since the last save, then trims the changelog up to it. With
  // `sync` the file is fsynced first (power-loss safe, like the store's synced writes); without,
  // it is as durable as the store's unsynced WAL: it survives a crash of the process, and a file
  // torn by a power loss fails its checksum and is rebuilt from the store.
  Status PersistIndex(bool sync);

  // Writes what a snapshot holds of the collection into `dir` (existing, empty; the caller's):
  // its records (storage::Store::ExportCollection) and, when its index is kept as a file with the
  // codes inside ("on_disk" code files and flat indexes are rebuilt from the vectors instead),
  // "index.idx". The index file is written and the store's read view taken under one hold of the
  // read lock, so the index covers exactly the records exported: no write is torn or half in.
  // Writes to this collection wait while the index file is written (searches go on); the
  // records are then exported without any lock. IOError/NoSpace.
  Result<CollectionSnapshotFiles> ExportSnapshot(const std::string& dir) const;
  // Rebuilds the index from the store (also used after too many tombstones).
  Status RebuildIndex();

  // --- replica copies (cluster mode, docs/cluster.md "Writes") ---
  // A replica's store receives its primary's write batches unchanged (storage::Store::
  // ApplyReplicated), so that its records and sequence numbers are the primary's. The collection
  // never writes to that store itself: every write method answers Unavailable ("a read-only
  // replica"), no index file is saved and no changelog trimmed (either would be a write of its
  // own, and a sequence number the primary never gave), and an interrupted payload index build is
  // left to the primary, whose entries arrive through the log.
  bool replica() const { return replica_.load(); }
  // Brings the in-memory state up to date with batches already in the store: the changelog since
  // the last applied sequence number replayed into the id map and the index (vectors read from the
  // store), payload index entries applied one by one, the payload indexes reloaded when their
  // definitions changed or entries were dropped by range. Storage errors as the store reports them;
  // the caller then reopens the collection from the store. Thread-safe (the write lock).
  Status ApplyReplicated(const storage::ReplicatedChanges& changes);
  // The copy becomes its shard's primary: writes are taken from now on, index saves resume, and
  // payload index builds the old primary had not finished start again here.
  Status Promote();

 private:
  // The unit-normalized vectors of all points, rows in insertion (internal id) order.
  struct UnitMatrix {
    std::vector<uint64_t> iids;  // ascending
    std::vector<float> rows;     // iids.size() × dim
    const float* Row(uint64_t iid) const;  // nullptr when absent
  };

  Collection(storage::Store* store, uint32_t cid, std::string name, CollectionConfig config, std::string index_path);
  // Unavailable when the collection is a replica copy (see ApplyReplicated).
  Status CheckWritable() const;
  // Replays the changelog after applied_seq_ into the id map and the index. Needs mutex_ exclusively.
  Status ReplayChangelogLocked();
  // Applies a replicated batch's payload index entries of ready indexes. Needs mutex_ exclusively.
  Status ApplyReplicatedEntriesLocked(const std::vector<std::pair<std::string, bool>>& entries);
 public:
  ~Collection();

  // Stops background work for good: the payload index builder is joined and CreatePayloadIndex
  // calls waiting for a build return Unavailable. Called when the collection is dropped or the
  // database closes, before the store goes away — an HTTP request may still hold the collection.
  // Thread-safe; idempotent.
  void Stop();

 private:
  // One payload index and its build (collection_payload_index.cc). Guarded by mutex_.
  struct PayloadIndexState {
    std::unique_ptr<FieldIndex> index;
    bool ready = false;
    uint64_t built_below = 0;  // while building: the points with iid < this are indexed
    Status failure;            // why the build stopped (not ok: failed)
    bool Covers(uint64_t iid) const { return ready || iid < built_below; }
  };
  // A point's index entries before and after a write (kept until the store has it).
  struct IndexChange {
    FieldIndex* index;
    uint64_t iid;
    std::vector<std::string> before, after;
  };
  Status LoadPayloadIndexes();
  // Adds the entry changes of a write to `batch` and to `changes`: `before` is the point's stored
  // payload (null for a new point), `after` null for a delete. Needs mutex_ held exclusively.
  void CollectIndexChanges(uint64_t iid, const nlohmann::json* before, const nlohmann::json* after,
                           storage::PointBatch* batch, std::vector<IndexChange>* changes) const;
  // CollectIndexChanges for each (iid, payload after) of a write (one point once; null after:
  // a delete), the existing points' stored payloads read in one batch. Needs mutex_ exclusively.
  Status CollectIndexChangesOf(const std::vector<std::pair<uint64_t, const nlohmann::json*>>& writes,
                               storage::PointBatch* batch, std::vector<IndexChange>* changes) const;
  static void ApplyIndexChanges(const std::vector<IndexChange>& changes);
  Status StorePayloadIndexDefinition(const PayloadIndexState& state) const;
  // Removes an index: its definition, then its in-memory state (waking waiters), then its entries.
  // Needs mutex_ held exclusively.
  Status DropPayloadIndexLocked(std::map<std::string, PayloadIndexState>::iterator it);
  void StartIndexBuilder();
  void RunIndexBuilder();
  // One chunk of the first index still building; false when none is left. Needs mutex_ exclusively.
  bool BuildIndexChunkLocked();

  Status LoadPoints();
  Status LoadOrRebuildIndex();
  Status RebuildIndexLocked();
  // Adds every stored vector to `fresh` (an empty index of this collection's spec) and makes it
  // the index, covering the store's last sequence.
  Status FillIndexFromStoreLocked(std::unique_ptr<index::VectorIndex> fresh);
  // Links points the HNSW walk cannot reach back into the graph (VectorIndex::RepairGraph).
  void RepairIndexGraph();
  // Removes the code files of this collection's index (codes on disk) other than `saved` (the one
  // the index file on disk names) and the current index's. Failures are logged only.
  void RemoveStaleCodeFilesLocked(const std::string& saved);
  // Why `v` does not fit this collection ("has dimension …", "contains NaN or Inf"), or nullopt.
  std::optional<std::string> VectorProblem(std::span<const float> v) const;
  Status ValidateVector(std::span<const float> v, const std::string& what) const;
  Result<size_t> DeleteKeysLocked(const std::vector<std::string>& keys);
  // The points `filter` matches, as (iid, external key), in no particular order; mutex_ held.
  Result<std::vector<std::pair<uint64_t, std::string>>> MatchingPointsLocked(const Filter& filter) const;
  // The answer's points for `hits` (existing points, best first), their payloads and vectors
  // read from the store in one batch each. Needs mutex_ held (shared is enough).
  Result<std::vector<ScoredPoint>> MakeScoredPoints(const std::vector<index::Hit>& hits, bool with_payload,
                                                    bool with_vector) const;
  // A point's record for scroll pages (`payload` as read, used when with_payload). Needs mutex_
  // held (shared is enough).
  Status FillRecordLocked(uint64_t iid, std::string_view key, nlohmann::json payload, bool with_payload,
                          bool with_vector, PointRecord* rec) const;
  // --- payloads, read from the store (never kept in RAM) ---
  // A stored payload's JSON text parsed (null when empty); Corruption when it is not JSON.
  Result<nlohmann::json> ParsePayload(std::string_view text) const;
  // Why an existing point has no stored record: NotFound once the collection is stopped (dropped
  // under a request that still holds it), Corruption otherwise.
  Status MissingRecord(uint64_t iid) const;
  // The payload of an existing point (null when it has none). Needs mutex_ held (shared is enough).
  Result<nlohmann::json> PayloadOf(uint64_t iid) const;
  // The payloads of existing points, in one batched read: (*out)[i] is iids[i]'s.
  Status PayloadsOf(const std::vector<uint64_t>& iids, std::vector<nlohmann::json>* out) const;
  // Whether the existing point `iid` passes `filter`: conditions on fields with a ready payload
  // index are answered from the index, the others from the payload read from the store (only when
  // one needs it); false, with the first storage error kept in `*error`, when it cannot be read (a
  // search's filter callback cannot fail by itself: the caller returns `*error` after the search).
  // Needs mutex_ held (shared is enough).
  bool MatchesStored(const Filter& filter, uint64_t iid, Status* error) const;
  Result<std::vector<float>> ResolveTerm(const AnalogyTerm& t, const UnitMatrix& m, std::vector<uint64_t>* exclude) const;
  // The matrix, built from the store when a write dropped it. Needs mutex_ held (shared is enough).
  Result<std::shared_ptr<const UnitMatrix>> UnitMatrixShared() const;
  // The exact best k of `iids` (existing points; repeats count once), their vectors read from the
  // store in batches: the rescoring of a quantized index's candidates and the indexed scan of an
  // index that holds no exact vectors. Needs mutex_ held (shared is enough).
  Result<std::vector<index::Hit>> ScoreFromStore(const float* query, std::vector<uint64_t> iids, size_t k) const;
  // Exact k nearest points that pass `match`, scanning every stored vector (an exact search of a
  // quantized collection). Needs mutex_ held (shared is enough).
  Result<std::vector<index::Hit>> ScanStore(const float* query, size_t k, const index::IdFilter& match) const;
  void DropUnitMatrix();  // needs mutex_ held exclusively

  storage::Store* store_;
  const uint32_t cid_;
  const std::string name_;
  const CollectionConfig config_;
  const std::string index_path_;
  // The spec the index is built with: config_'s, or Flat when that one is refused (see Open()).
  index::IndexSpec index_spec_;
  std::string index_warning_;

  mutable std::shared_mutex mutex_;
  std::mutex persist_mutex_;
  std::unique_ptr<index::VectorIndex> index_;
  IdMap ids_;  // the points that exist, by external id and by iid
  uint64_t next_iid_ = 0;
  uint64_t applied_seq_ = 0;    // last store sequence applied to this collection
  uint64_t persisted_seq_ = 0;  // sequence of the index file on disk
  bool bulk_loading_ = false;   // index updates deferred to EndBulkLoad()
  std::atomic<bool> replica_{false};  // a read-only replica copy (see ApplyReplicated)
  // Upsert()'s contiguous copy of a batch's vectors for the index, reused under the exclusive
  // lock: a fresh multi-megabyte buffer per batch costs more in page faults than the copy itself.
  mutable std::mutex unit_mutex_;  // guards unit_matrix_ (readers build it under the shared lock)
  mutable std::shared_ptr<const UnitMatrix> unit_matrix_;

  // Payload indexes, by field name, and the ready ones as filters see them. Guarded by mutex_.
  std::map<std::string, PayloadIndexState> payload_index_states_;
  PayloadIndexSet payload_indexes_;
  std::condition_variable_any index_built_;  // notified (with mutex_) when a build ends
  std::mutex builder_mutex_;                 // guards builder_ and builder_running_
  std::thread builder_;
  bool builder_running_ = false;
  std::atomic<bool> stopping_{false};
};

}  // namespace latentdb::engine
