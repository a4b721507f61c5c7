#pragma once
// Store: LatentDB's source of truth, a RocksDB database with one column family per kind of record.
//
// Key layout (all integers big-endian so keys sort numerically; cid = 32-bit collection id,
// iid = 64-bit internal point id, ekey = the engine's encoding of an external id):
//   catalog    name                      -> cid(4) + collection config (JSON text, owned by engine)
//   vectors    cid + iid                 -> float32 × dim, little-endian, exactly as given
//   points     cid + iid                 -> len(ekey)(4) + ekey + payload (JSON text)
//   ids        cid + ekey                -> iid(8)
//   changelog  cid + seq(8)              -> [op(1) + iid(8)]*   (ops of one batch, replayed into
//                                           an index persisted at an older sequence number)
//   meta       "seq"                     -> last sequence number (8)
//              "next_cid"                -> next collection id (4)
//              "next_iid" + cid          -> next internal id of that collection (8)
//   payload_index cid + entry key         -> (empty)   an entry of a payload index: the engine
//                                           encodes field, value and iid in the key
//                                           (engine/payload_index.h)
//              "att" + cid + kind + '\0' + name
//                                        -> an attachment: a named JSON record kept with the
//                                           collection (e.g. kind "direction"), JSON text
//
// Every mutation batch is one rocksdb::WriteBatch across these families, so a batch is either
// entirely present after a crash or entirely absent. Thread-safety: all methods may be called
// from any thread; Apply() calls are serialized so sequence numbers follow WAL order.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace latentdb::storage {

struct StoreOptions {
  // fsync the WAL on every write (safe against power loss); otherwise a write is durable against
  // a process crash once Apply() returns (it is in the OS page cache through the WAL).
  bool sync_writes = false;
  // Bulk loading by a process that holds the directory alone (offline ingest): writes skip the
  // WAL, which halves what a load writes, and become durable at the next flush instead — when a
  // memtable fills (every 64 MB of writes) and at Flush(). Flushes are atomic across families,
  // so a crash leaves the store exactly as of the last flush: consistent, and missing only
  // writes the caller has not yet been told are durable. sync_writes is moot (flushes fsync).
  bool bulk_load = false;
  // RocksDB's block cache (LRU, shared by all column families), in MiB: what rescoring a
  // quantized collection reads its exact vectors through (see MultiGetVectors), and results,
  // filters and scroll pages their payloads (the engine keeps no payload in RAM).
  size_t block_cache_mb = 256;
  // RocksDB's row cache (LRU, all column families), in MiB; 0 = none. A point lookup that hits it
  // skips the filter, index and data-block searches of the block cache: rescoring's exact-vector
  // reads cost ~1 µs instead of ~3.6 µs a 3 KB vector (bench/scale_bench, Fashion-MNIST int8).
  size_t row_cache_mb = 128;
  // How long RocksDB keeps WAL files after their data is flushed, in seconds; 0 deletes them
  // as soon as they are flushed. A cluster primary keeps them so that a replica that was away can
  // catch up by tailing (WalSince) instead of copying a checkpoint.
  uint64_t wal_retention_seconds = 0;
  // The size of a column family's memtable, in MiB: written out (flushed) to a table file when
  // full. Past 4× this much live WAL, the families holding the oldest WAL file are flushed too.
  // A flushed WAL file is kept wal_retention_seconds, then deleted.
  size_t memtable_mb = 64;
};

struct CollectionRecord {
  uint32_t id = 0;
  std::string name;
  std::string config_json;
  // Non-empty when the catalog entry itself is unreadable (then id is 0 and config_json empty):
  // listed rather than failing the whole catalog, so that one damaged entry cannot keep the
  // database from opening. DropCollection() removes such an entry.
  std::string damage;
};

enum class ChangeOp : uint8_t { kUpsert = 1, kDelete = 2 };

// All mutations of one logical write to one collection.
struct PointBatch {
  struct Upsert {
    uint64_t iid = 0;
    std::string external_key;
    // A view of the caller's vector (e.g. a row of engine::UpsertBatch's block): it must stay
    // valid until Apply returns, which copies it into the write batch.
    std::span<const float> vector;
    std::string payload_json;
  };
  struct Delete {
    uint64_t iid = 0;
    std::string external_key;
  };
  // A new payload for an existing point, its vector unchanged: only the points record is
  // rewritten, and nothing enters the changelog (the vector index is not concerned).
  struct PayloadWrite {
    uint64_t iid = 0;
    std::string external_key;
    std::string payload_json;
  };
  uint32_t cid = 0;
  uint64_t next_iid = 0;  // the collection's id counter after this batch
  std::vector<Upsert> upserts;
  std::vector<Delete> deletes;
  std::vector<PayloadWrite> payload_writes;
  // Payload index entries (keys without the cid; opaque to the store) removed and added with
  // these points, in the same write batch: deletes are applied before puts.
  std::vector<std::string> index_deletes;
  std::vector<std::string> index_puts;
};

// A consistent view of the whole store at one instant (a RocksDB snapshot): reads through it see
// no write made after it was taken. Must not outlive its Store. Thread-safe (immutable).
class ReadView {
 public:
  virtual ~ReadView() = default;
};

// The records one collection owns, exported by Store::ExportCollection into SST files of a
// directory: one file per family that has records, keys without the collection id.
struct CollectionExport {
  struct File {
    std::string family;  // "vectors", "points", "ids", "payload_index" or "attachments"
    std::string name;    // file name inside the export directory
    uint64_t records = 0;
  };
  std::vector<File> files;
  uint64_t next_iid = 0;  // the collection's id counter
};

// A write batch as RocksDB logged it (replication, docs/cluster.md): `sequence` is RocksDB's
// sequence number of its first operation, `count` its number of operations, `data` its bytes
// (rocksdb::WriteBatch::Data()), written unchanged by the replica.
struct ReplicatedBatch {
  uint64_t sequence = 0;
  uint64_t count = 0;
  std::string data;
};

// What a replicated batch changed that a reader's memory may hold (Store::ApplyReplicated), so
// that a replica's engine brings its in-memory state up to date without rereading everything.
// Vectors, ids and payloads of points are not listed: a point write always puts a changelog entry,
// and the engine replays the changelog from its last applied sequence number.
struct ReplicatedChanges {
  bool catalog = false;                   // a collection was created, reconfigured or dropped
  std::set<uint32_t> points;              // collections with changelog entries put (points written)
  std::map<uint32_t, std::set<std::string>> attachment_kinds;  // attachments put or deleted, by kind
  // Payload index entries (keys without the cid, as PointBatch::index_puts) put (true) or deleted
  // (false), in log order; index_reset: a range of entries was removed (an index dropped).
  std::map<uint32_t, std::vector<std::pair<std::string, bool>>> index_entries;
  std::set<uint32_t> index_reset;
};

struct StoredPoint {
  uint64_t iid = 0;
  std::string external_key;
  std::string payload_json;
};

class Store {
 public:
  // Opens (creating if needed) the RocksDB database in `dir`.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- catalog ---
  Result<std::vector<CollectionRecord>> ListCollections();
  // Allocates a fresh collection id and writes the catalog entry in one batch.
  Result<CollectionRecord> CreateCollection(const std::string& name, const std::string& config_json);
  // Rewrites a collection's config (same id).
  Status UpdateCollectionConfig(const CollectionRecord& record);
  // Removes the catalog entry and every record of the collection (its attachments included).
  // Every later write under its id (points, attachments, index entries, changelog trims) fails
  // with NotFound and stores nothing, so a request or background task still holding the
  // collection cannot leave orphan records.
  Status DropCollection(const CollectionRecord& record);

  // --- attachments: named JSON records stored with a collection ---
  // A small generic key-value space per collection for things that belong to it but are not
  // points (attribute directions today): records are grouped by `kind` and named by `name` (both
  // non-empty, without NUL bytes: InvalidArgument otherwise; the engine narrows the names
  // further), the value is opaque text (JSON by convention). Each call is one RocksDB write
  // (in the WAL before it returns, fsynced with sync_writes), so a record is entirely present or
  // absent after a crash. DropCollection removes them all. Thread-safe; Put and Delete of one
  // collection's attachments are serialized, so DeleteAttachment's answer is exact.
  // Creates or replaces the record; returns whether one was replaced.
  Result<bool> PutAttachment(uint32_t cid, std::string_view kind, std::string_view name, std::string_view value);
  // The record's value; nullopt when absent.
  Result<std::optional<std::string>> GetAttachment(uint32_t cid, std::string_view kind, std::string_view name);
  // Visits the records of one kind in name order (bytewise); the visitor returns false to stop.
  Status ScanAttachments(uint32_t cid, std::string_view kind,
                         const std::function<bool(std::string_view name, std::string_view value)>& visit);
  // Removes the record; returns whether it existed.
  Result<bool> DeleteAttachment(uint32_t cid, std::string_view kind, std::string_view name);

  // --- points ---
  // Applies the batch atomically and returns the sequence number it was given.
  Result<uint64_t> Apply(const PointBatch& batch);
  Result<std::optional<uint64_t>> FindInternalId(uint32_t cid, std::string_view external_key);
  Result<std::optional<StoredPoint>> GetPoint(uint32_t cid, uint64_t iid);
  // The point's vector; nullopt when it has none. Absence is nullopt everywhere in the store
  // (FindInternalId, GetPoint, GetVector): NotFound is never returned for a missing point.
  Result<std::optional<std::vector<float>>> GetVector(uint32_t cid, uint64_t iid);
  // The vectors of many points in one batched RocksDB MultiGet (sorted keys, one pass over the
  // blocks they share): out[i] is iids[i]'s vector, empty when the point does not exist.
  // Corruption when a record's size is not a whole number of floats.
  Status MultiGetVectors(uint32_t cid, const std::vector<uint64_t>& iids, std::vector<std::vector<float>>* out);
  // The same read, each vector handed to `visit(i, v, dim)` (iids[i]'s vector; points that do not
  // exist are skipped) from one reused, aligned buffer: no allocation per vector, for rescoring.
  // `v` is valid only during the call. Corruption as MultiGetVectors; a visitor's error is returned.
  Status VisitVectors(uint32_t cid, const std::vector<uint64_t>& iids,
                      const std::function<Status(size_t i, const float* v, size_t dim)>& visit);
  // The records (external id and payload) of many points in one batched MultiGet, as
  // MultiGetVectors: out[i] is iids[i]'s record, nullopt when the point does not exist.
  // Corruption when a record is truncated.
  Status MultiGetPoints(uint32_t cid, const std::vector<uint64_t>& iids, std::vector<std::optional<StoredPoint>>* out);
  Result<uint64_t> NextInternalId(uint32_t cid);

  // Visits points in iid order starting at `start_iid`; the visitor returns false to stop.
  Status ScanPoints(uint32_t cid, uint64_t start_iid,
                    const std::function<bool(const StoredPoint&)>& visit);
  // Visits the collection's external ids in key order from `start_key` (inclusive; it need not
  // exist) with their iids; the visitor returns false to stop. With the engine's id encoding this is
  // string ids by bytes ('s' + bytes), then integer ids ascending ('u' + big-endian): a stable order
  // for paging (scroll), whatever is deleted meanwhile.
  Status ScanIds(uint32_t cid, std::string_view start_key,
                 const std::function<bool(std::string_view external_key, uint64_t iid)>& visit);
  // Visits every vector of a collection in iid order; the visitor returns false to stop.
  Status ScanVectors(uint32_t cid,
                     const std::function<bool(uint64_t iid, const float* v, size_t dim)>& visit);
  // Visits changelog ops with seq > after_seq, in order.
  Status ScanChangelog(uint32_t cid, uint64_t after_seq,
                       const std::function<void(uint64_t seq, ChangeOp op, uint64_t iid)>& visit);
  // Drops changelog entries with seq <= up_to_seq (they are inside a persisted index).
  Status TrimChangelog(uint32_t cid, uint64_t up_to_seq);

  // --- payload index entries (keys under the collection, opaque to the store) ---
  // Adds entries in one write (a background index build; the write path adds them through
  // PointBatch so they land with their points).
  Status PutIndexEntries(uint32_t cid, const std::vector<std::string>& keys);
  // Visits the entry keys that start with `prefix`, in key order; the visitor returns false to stop.
  Status ScanIndexEntries(uint32_t cid, std::string_view prefix, const std::function<bool(std::string_view key)>& visit);
  // Removes every entry whose key starts with `prefix` (non-empty), in one write.
  Status DeleteIndexEntries(uint32_t cid, std::string_view prefix);

  // --- a collection's records as files (snapshots; the snapshot format is engine/snapshot.h) ---
  // A view of the store as of now (see ReadView).
  std::unique_ptr<ReadView> OpenReadView();
  // Writes every record of collection `cid` as `view` sees it into SST files (RocksDB's
  // SstFileWriter) in `dir`, which must exist and is the caller's: vectors, points, ids, payload
  // index entries and attachments, each key without its collection id so that the files can be
  // imported under another. The changelog is not exported: the caller exports with it an index
  // that covers every write `view` sees. IOError/NoSpace on a failed write.
  Result<CollectionExport> ExportCollection(const ReadView& view, uint32_t cid, const std::string& dir);
  // Creates collection `name` from files ExportCollection wrote into `dir` (listed in
  // `exported`), under a fresh collection id and with `config_json`, in one atomic ingestion
  // across the families (RocksDB's IngestExternalFiles): after a crash it is entirely there or
  // not at all. With `replacing` (the current catalog entry of `name`), that collection is
  // replaced in the same ingestion and its records removed after it (records a crash leaves
  // behind belong to no catalog entry and are removed when the store next opens; writes still
  // addressed to the old id fail with NotFound). The files in `dir` are rewritten to new files
  // there; the caller removes the directory. AlreadyExists when `name` exists and `replacing` is
  // null; Conflict when `replacing` is no longer the catalog entry of `name`; Corruption when a file
  // is not an export (unreadable, or a record count that differs from `exported`).
  Result<CollectionRecord> ImportCollection(const std::string& name, const std::string& config_json,
                                            const CollectionExport& exported, const std::string& dir,
                                            const CollectionRecord* replacing);

  // --- replication (cluster mode, docs/cluster.md) ---
  // RocksDB's latest sequence number (not LatentDB's LastSequence): a replica that has applied
  // every batch of its primary, in order, has the same one as the primary.
  uint64_t WalSequence() const;
  // The batches RocksDB logged from sequence number `from` on, in order, until about `max_bytes`
  // of them (at least one when there is one). Empty when `from` is past the last batch. NotFound
  // when the WAL no longer reaches back to `from` (the replica must copy a checkpoint);
  // InvalidArgument when `from` falls inside a batch rather than at its start.
  Result<std::vector<ReplicatedBatch>> WalSince(uint64_t from, size_t max_bytes);
  // Writes a primary's batch as it is. InvalidArgument, writing nothing, unless
  // batch.sequence == WalSequence() + 1 (batches apply in order, each once) and the bytes are a
  // write batch of `count` operations. The store's cached LatentDB sequence number follows.
  // `changes` (when given) accumulates what the batch changed (see ReplicatedChanges).
  Status ApplyReplicated(const ReplicatedBatch& batch, ReplicatedChanges* changes = nullptr);
  // A consistent copy of the whole store in `dir` (which must not exist), hard-linking the SST
  // files (RocksDB's Checkpoint): what a replica too far behind for WalSince opens instead.
  Status CreateCheckpoint(const std::string& dir);

  uint64_t LastSequence() const;
  // Flushes memtables to SST files (used before snapshots, on shutdown, and to make a bulk
  // load's writes durable); without `wait` it only starts the flush in the background.
  Status Flush(bool wait = true);
  // Compacts the point records and vectors of collection `cid` into one sorted run (RocksDB's
  // CompactRange over the collection's keys), waiting for it. For the end of a bulk load, which
  // leaves a few overlapping level-0 files: RocksDB skips the key-range check when level 0 holds
  // three files or fewer and nothing lies below, so every point read looks the key up in each
  // file's row-cache entries and Bloom filter in turn. Flushes every family first (as Flush).
  // Reads and writes go on meanwhile.
  Status CompactCollection(uint32_t cid);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace latentdb::storage
