#pragma once
// LocalShards: the copies of clustered collections' shards that this node holds (docs/cluster.md,
// "Shards and copies"). Each copy is its own engine Database — its own RocksDB, so that its WAL is
// exactly that shard's replication log — under DATA_DIR/shards/<collection>.<uid>/<shard>/,
// holding one collection of the clustered collection's name, with an Api over it that answers
// the requests other nodes forward to the copy. A copy is opened on first use and stays open,
// as its shard's primary or as a replica (engine::DatabaseOptions::replica).
//
// Thread-safe. A copy handed out stays open while it is held, even past a Drop.

#include <cstdint>
#include <condition_variable>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cluster/shard_map.h"
#include "common/result.h"
#include "engine/database.h"

namespace latentdb::inference {
class Models;
}

namespace latentdb::http {

class Api;

// One copy of one shard of one incarnation of a collection.
struct ShardCopyId {
  std::string collection;
  std::string uid;  // cluster::ClusterCollection::uid
  uint32_t shard = 0;
  bool operator<(const ShardCopyId& o) const {
    return std::tie(collection, uid, shard) < std::tie(o.collection, o.uid, o.shard);
  }
};

// One open copy: its database, the Api over it, and its replication state
// (http/cluster/shard_replication.h), guarded by `replication_mutex`.
struct ShardCopy {
  std::string dir;
  std::unique_ptr<engine::Database> db;
  std::unique_ptr<Api> api;

  std::mutex replication_mutex;
  // Kept in `dir`/epoch (fsynced). `epoch`: the highest epoch of its shard this copy has seen — the
  // fence: shipments of an older one are refused. `log_epoch`: the epoch its log's last batches
  // come from, which a copy coming back tells its primary (ShardReplication's divergence rule).
  uint64_t epoch = 0;
  uint64_t log_epoch = 0;
  // As primary: the shard record as this copy last read or wrote it, and each other copy's WAL
  // sequence number as that copy last answered (absent: not known, asked before anything is sent).
  std::optional<cluster::ShardRecord> record;
  std::map<uint64_t, uint64_t> acked;

  // Records `e` as this copy's epoch when it is higher, and as its log's epoch with `log` (fsynced
  // before it returns). Needs replication_mutex (or a copy no other thread holds yet).
  Status RaiseEpoch(uint64_t e, bool log);
  // `epoch`, read under replication_mutex.
  uint64_t Epoch();
  // Whether `record` is set (the copy has taken part in replication or a move), under the mutex.
  bool HasRecord();
  ~ShardCopy();
};

class LocalShards {
 public:
  // `base` are the node's database options; each copy takes them with its own directory.
  LocalShards(engine::DatabaseOptions base, std::shared_ptr<inference::Models> models);
  ~LocalShards();
  LocalShards(const LocalShards&) = delete;
  LocalShards& operator=(const LocalShards&) = delete;

  // The copy, opening it on first use, as a replica when `replica` (a copy already open keeps
  // its role: promotion is engine::Database::Promote). A copy with no directory yet is created
  // only when `create` (the request that creates the collection on it, a replica's first
  // shipment); NotFound otherwise. IOError / Busy / Corruption as engine::Database::Open reports
  // them. `created` (when given) tells whether this call made the copy's directory.
  Result<std::shared_ptr<ShardCopy>> Get(const ShardCopyId& id, bool create, bool replica, bool* created = nullptr);
  // Closes the copy (when open) and opens it again in the given role: a primary that another copy
  // has replaced becomes a replica, to be brought back in line by the new primary.
  Result<std::shared_ptr<ShardCopy>> Reopen(const ShardCopyId& id, bool replica);
  // Replaces the copy (open or not, present or not) by the RocksDB store in `store_dir` (moved,
  // not copied: it must be on the data directory's file system), with `epoch` as its fence and
  // its log's epoch, and opens it as a replica. The old copy closes once the requests holding it
  // end; a crash leaves either the old copy or the new one. IOError when the swap fails; errors of
  // engine::Database::Open.
  Result<std::shared_ptr<ShardCopy>> Install(const ShardCopyId& id, const std::string& store_dir, uint64_t epoch);
  // Closes the copy and removes its directory (and a checkpoint being staged for it). OK when it
  // did not exist.
  Status Drop(const ShardCopyId& id);
  // Every copy found on disk (open or not), and every copy of which only a checkpoint's staging
  // directory is left.
  std::vector<ShardCopyId> OnDisk() const;
  // DATA_DIR/shards/<collection>.<uid>/<shard>
  std::string Directory(const ShardCopyId& id) const;

 private:
  engine::DatabaseOptions base_;
  std::shared_ptr<inference::Models> models_;
  // Get without the wait; needs mu_.
  Result<std::shared_ptr<ShardCopy>> OpenLocked(const ShardCopyId& id, bool create, bool replica, bool* created);
  // Takes the copy out of open_ and waits until no request holds it (Reopen, Install); `lock`
  // holds mu_ and is held again on return, with `id` in reopening_.
  void CloseForSwap(const ShardCopyId& id, std::unique_lock<std::mutex>& lock);
  // Ends CloseForSwap: `id` leaves reopening_.
  void EndSwap(const ShardCopyId& id);

  mutable std::mutex mu_;
  std::condition_variable reopened_;
  std::map<ShardCopyId, std::shared_ptr<ShardCopy>> open_;
  // Copies being reopened (Reopen): Get waits, so that no second Database opens their directory
  // while the first is still held.
  std::set<ShardCopyId> reopening_;
};

}  // namespace latentdb::http
