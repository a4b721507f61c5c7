#pragma once
// Database: a data directory — the RocksDB store, the persisted indexes, the directory lock — and
// the collections in it.
//
// Layout of a data directory:
//   LOCK.latentdb        flock held by the process that opened it (server or offline ingest)
//   store/               RocksDB (source of truth)
//   indexes/<cid>.idx    persisted VectorIndex per HNSW/IVF collection (derived; rebuilt when
//                        absent). A Flat index has no file: it is built from the store on open.
//
// Indexes are saved by a background thread every `persist_interval_seconds` when they changed,
// and on Close(); a crash loses nothing, because newer writes are replayed from the store's
// changelog when the collection opens.
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

namespace latentdb::engine {

struct DatabaseOptions {
  std::string data_dir = "./data";
  bool sync_writes = false;          // fsync the WAL on every write, and index files when saved
  // Offline bulk load (see storage::StoreOptions::bulk_load): no WAL; writes are durable at each
  // memtable flush and at Checkpoint(). Only for a process that is the directory's sole user.
  bool bulk_load = false;
  int persist_interval_seconds = 30; // 0 disables background index saves
};

class Database {
 public:
  // Fails with Busy when another process holds the directory.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();  // Close()s

  // Stops the background thread, Checkpoint()s (errors are logged), closes the store.
  void Close();

  // AlreadyExists (409) when the name is taken.
  Result<std::shared_ptr<Collection>> CreateCollection(const std::string& name, const CollectionConfig& config);
  Result<std::shared_ptr<Collection>> GetCollection(const std::string& name) const;
  std::vector<std::shared_ptr<Collection>> ListCollections() const;
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
  void PersistLoop();

  DatabaseOptions options_;
  std::unique_ptr<DirLock> lock_;
  std::unique_ptr<storage::Store> store_;

  mutable std::mutex mutex_;  // guards collections_
  std::map<std::string, std::shared_ptr<Collection>> collections_;

  std::mutex persist_mutex_;
  std::condition_variable persist_cv_;
  bool stopping_ = false;
  std::thread persist_thread_;
  std::atomic<bool> closed_{false};
};

}  // namespace latentdb::engine
