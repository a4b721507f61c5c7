#pragma once
// Database: a data directory — the RocksDB store, the persisted indexes, the directory lock — and
// the collections in it.
//
// Layout of a data directory:
//   LOCK.latentdb        flock held by the process that opened it (server or offline ingest)
//   store/               RocksDB (source of truth)
//   indexes/<cid>.idx    persisted VectorIndex per HNSW/IVF collection (derived; rebuilt when
//                        absent). A Flat index has no file: it is built from the store on open.
//   indexes/<cid>.idx.<16 hex>.codes   the quantized codes of a collection that keeps them out of
//                        RAM ("on_disk"; index/code_file.h), named by its .idx file
//
// Indexes are saved by a background thread every `persist_interval_seconds` when they changed,
// and on Close(); a crash loses nothing, because newer writes are replayed from the store's
// changelog when the collection opens.
//
// One collection never keeps the others from opening: a collection whose catalog entry, stored
// points or vectors cannot be loaded is logged and kept aside as failed — GetCollection() answers
// Unavailable (HTTP 503) with the reason, FailedCollections() lists it, DropCollection() removes
// it — while the others serve. (An index file that cannot be used is not a failure: the index is
// rebuilt from the store, the source of truth; a stored index spec that today's validation refuses
// is served by an exact Flat index, see Collection.)
// Thread-safety: all methods may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/dir_lock.h"
#include "common/result.h"
#include "engine/collection.h"
#include "engine/snapshot_format.h"

namespace latentdb::storage {
struct CollectionRecord;
struct ReplicatedBatch;
}

namespace latentdb::engine {

struct DatabaseOptions {
  std::string data_dir = "./data";
  bool sync_writes = false;          // fsync the WAL on every write, and index files when saved
  // Offline bulk load (see storage::StoreOptions::bulk_load): no WAL; writes are durable at each
  // memtable flush and at Checkpoint(). Only for a process that is the directory's sole user.
  bool bulk_load = false;
  int persist_interval_seconds = 30; // 0 disables background index saves
  size_t block_cache_mb = 256;       // RocksDB's block cache (storage::StoreOptions::block_cache_mb)
  size_t row_cache_mb = 128;         // RocksDB's row cache (storage::StoreOptions::row_cache_mb)
  // How long the store keeps flushed WAL files (storage::StoreOptions::wal_retention_seconds): a
  // shard copy's primary keeps them so that a replica that was away catches up by tailing.
  uint64_t wal_retention_seconds = 0;
  size_t memtable_mb = 64;  // storage::StoreOptions::memtable_mb
  // Open as a replica copy: read-only, kept up to date by ApplyReplicated (see below).
  bool replica = false;
};

// A collection of the catalog that could not be opened.
struct FailedCollection {
  std::string name;
  uint32_t id = 0;
  Status error;  // why (its code is the one loading returned)
};

// A write batch as the store logged it (storage::ReplicatedBatch), what replication ships.
using ReplicatedBatch = storage::ReplicatedBatch;

class Database {
 public:
  // Fails with Busy when another process holds the directory.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();  // Close()s

  // Stops the background thread, Checkpoint()s (errors are logged), closes the store.
  void Close();

  // AlreadyExists (409) when the name is taken (also by a failed collection).
  Result<std::shared_ptr<Collection>> CreateCollection(const std::string& name, const CollectionConfig& config);
  // NotFound, or Unavailable (503) naming the reason when the collection failed to load.
  Result<std::shared_ptr<Collection>> GetCollection(const std::string& name) const;
  // The collections that opened (failed ones are in FailedCollections()).
  std::vector<std::shared_ptr<Collection>> ListCollections() const;
  std::vector<FailedCollection> FailedCollections() const;
  // Drops a collection, whether it opened or failed to.
  Status DropCollection(const std::string& name);

  // Saves every changed index now.
  Status PersistIndexes();

  // --- replication (cluster mode, docs/cluster.md "Writes") ---
  // A replica database takes no write of its own: creating, dropping and restoring collections
  // and every write of its collections answer Unavailable. It changes only by ApplyReplicated.
  bool replica() const { return replica_.load(); }
  // The store's sequence number and log (storage::Store::WalSequence / WalSince): what a primary
  // ships to its replicas.
  uint64_t WalSequence() const;
  Result<std::vector<storage::ReplicatedBatch>> WalSince(uint64_t from, size_t max_bytes) const;
  // Applies a primary's batches in order (storage::Store::ApplyReplicated: each must follow the
  // store's sequence number; InvalidArgument, nothing written, otherwise), and after each one
  // brings the collections in memory up to date: collections created, dropped or reconfigured by
  // the batch are opened, closed or reopened; the others replay it (Collection::ApplyReplicated).
  // A collection whose replay fails is reopened from the store. Only on a replica
  // (FailedPrecondition-like Conflict otherwise). Thread-safe; batches from two callers are
  // serialized.
  Status ApplyReplicated(const std::vector<storage::ReplicatedBatch>& batches);
  // The replica becomes a primary: its collections take writes (Collection::Promote) and index
  // saves resume. No-op on a primary.
  Status Promote();
  // A consistent copy of the store in `dir` (storage::Store::CreateCheckpoint).
  Status CreateCheckpoint(const std::string& dir) const;
  // Saves every changed index and flushes the store's memtables to SST files, the two at once
  // (what Close() does first; a bulk load calls it to learn whether it worked).
  Status Checkpoint();
  const DatabaseOptions& options() const { return options_; }

  // --- snapshots (engine/snapshot_format.h; database_snapshot.cc) ---
  // Snapshot files live in <data_dir>/snapshots: a collection's in snapshots/<collection>/, full
  // ones at the top, each with "<name>.checksum" beside it (as Qdrant lays them out).
  std::string SnapshotsDir() const;
  // A fresh scratch directory under SnapshotsDir()/.tmp, emptied when the database next opens
  // (the caller removes it when done): where snapshots are written, extracted and uploaded.
  Result<std::string> MakeScratchDir() const;
  // Writes a consistent snapshot of one collection (Collection::ExportSnapshot: records and index
  // at one instant, so a snapshot under write load restores to a state that existed), fsynced and
  // published under a fresh name. NotFound/Unavailable as GetCollection; IOError/NoSpace (nothing
  // is left behind).
  Result<SnapshotInfo> CreateSnapshot(const std::string& collection);
  // The collection's snapshot files, oldest first (NotFound when it does not exist, as Qdrant).
  Result<std::vector<SnapshotInfo>> ListSnapshots(const std::string& collection) const;
  // The path of one snapshot file of `collection` (empty for full snapshots): InvalidArgument for a
  // name that is not a snapshot name (no path can leave the snapshots folder), NotFound.
  Result<std::string> SnapshotPath(const std::string& collection, const std::string& name) const;
  Status DeleteSnapshot(const std::string& collection, const std::string& name);
  // Restores the collection snapshot at `archive_path` as collection `name` (the snapshot's own
  // name may differ): created when absent, replaced when it exists (atomically: readers see the
  // old collection, then the new one; writes still addressed to the old one fail with NotFound).
  // With `expected_sha256`, the file must have that checksum. Every file in the archive is checked
  // against its manifest before the store is touched; then the records go in with one atomic
  // ingestion (storage::Store::ImportCollection), so a crash leaves the old collection or the new
  // one. InvalidArgument (a bad name, a checksum mismatch, a config this version refuses),
  // Corruption (not a snapshot, a damaged one), Conflict (the collection changed meanwhile),
  // Unavailable (it failed to load: drop it first), NoSpace.
  Result<std::shared_ptr<Collection>> RestoreSnapshot(const std::string& name, const std::string& archive_path,
                                                      const std::string& expected_sha256 = "");
  // A whole-database snapshot: every collection's snapshot and the files of the data-directory
  // folders `extra_dirs` (relative; by default the model registry's "models", which holds the
  // word and image models the collections are encoded with), in one archive in SnapshotsDir().
  Result<SnapshotInfo> CreateFullSnapshot(const std::vector<std::string>& extra_dirs = {"models"});
  Result<std::vector<SnapshotInfo>> ListFullSnapshots() const;
  // Restores every collection of a full snapshot (replacing those that exist; others are kept)
  // and writes its extra files back into the data directory (replacing files of the same name).
  // Errors as RestoreSnapshot; collections restored before an error stay restored.
  Status RestoreFullSnapshot(const std::string& archive_path, const std::string& expected_sha256 = "");

 private:
  explicit Database(DatabaseOptions options);
  std::string IndexPath(uint32_t cid) const;
  // The index file of a collection and its code files (index/code_file.h).
  Status RemoveIndexFiles(uint32_t cid) const;
  // Opens one catalog entry; never throws.
  Result<std::shared_ptr<Collection>> OpenCollection(const storage::CollectionRecord& rec);
  // Unavailable on a replica (see replica()).
  Status CheckWritable() const;
  // A replica's collections after a batch that changed the catalog: opened, closed, reopened.
  // Needs mutex_.
  void ReconcileCatalogLocked();
  void PersistLoop();
  // Exports one collection and archives it at `archive_path` (not published: the caller renames).
  Status WriteCollectionArchive(const std::shared_ptr<Collection>& c, const std::string& archive_path) const;
  // Publishes `tmp` as snapshot `dir`/`name` with its checksum file.
  Result<SnapshotInfo> PublishSnapshot(const std::string& tmp, const std::string& dir, const std::string& name) const;

  DatabaseOptions options_;
  std::unique_ptr<DirLock> lock_;
  std::unique_ptr<storage::Store> store_;

  mutable std::mutex mutex_;  // guards collections_ and failed_
  std::map<std::string, std::shared_ptr<Collection>> collections_;
  std::map<std::string, FailedCollection> failed_;

  std::mutex persist_mutex_;
  std::condition_variable persist_cv_;
  bool stopping_ = false;
  std::thread persist_thread_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> replica_{false};
  std::mutex replication_mutex_;  // serializes ApplyReplicated calls
};

}  // namespace latentdb::engine
