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

namespace latentdb::storage {
struct CollectionRecord;
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
};

// A collection of the catalog that could not be opened.
struct FailedCollection {
  std::string name;
  uint32_t id = 0;
  Status error;  // why (its code is the one loading returned)
};

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
  // Saves every changed index and flushes the store's memtables to SST files, the two at once
  // (what Close() does first; a bulk load calls it to learn whether it worked).
  Status Checkpoint();
  const DatabaseOptions& options() const { return options_; }

 private:
  explicit Database(DatabaseOptions options);
  std::string IndexPath(uint32_t cid) const;
  // The index file of a collection and its code files (index/code_file.h).
  Status RemoveIndexFiles(uint32_t cid) const;
  // Opens one catalog entry; never throws.
  Result<std::shared_ptr<Collection>> OpenCollection(const storage::CollectionRecord& rec);
  void PersistLoop();

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
};

}  // namespace latentdb::engine
