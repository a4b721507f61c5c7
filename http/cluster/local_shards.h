#pragma once
// LocalShards: the copies of clustered collections' shards that this node holds (docs/cluster.md,
// "Shards and copies"). Each copy is its own engine Database — its own RocksDB, so that its WAL is
// exactly that shard's replication log — under DATA_DIR/shards/<collection>.<uid>/<shard>/,
// holding one collection of the clustered collection's name, with an Api over it that answers
// the requests other nodes forward to the copy. A copy is opened on first use and stays open.
//
// Thread-safe. An Api handed out keeps its copy open while it is held, even past a Drop.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

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

class LocalShards {
 public:
  // `base` are the node's database options; each copy takes them with its own directory.
  LocalShards(engine::DatabaseOptions base, std::shared_ptr<inference::Models> models);
  ~LocalShards();
  LocalShards(const LocalShards&) = delete;
  LocalShards& operator=(const LocalShards&) = delete;

  // The Api of the copy, opening it on first use. A copy with no directory yet is created only
  // when `create` (the request that creates the collection on it); NotFound otherwise. IOError /
  // Busy / Corruption as engine::Database::Open reports them. `created` (when given) tells
  // whether this call made the copy's directory.
  Result<std::shared_ptr<Api>> Get(const ShardCopyId& id, bool create, bool* created = nullptr);
  // Closes the copy and removes its directory. OK when it did not exist.
  Status Drop(const ShardCopyId& id);
  // Every copy found on disk (open or not).
  std::vector<ShardCopyId> OnDisk() const;
  // DATA_DIR/shards/<collection>.<uid>/<shard>
  std::string Directory(const ShardCopyId& id) const;

 private:
  struct Copy;
  engine::DatabaseOptions base_;
  std::shared_ptr<inference::Models> models_;
  mutable std::mutex mu_;
  std::map<ShardCopyId, std::shared_ptr<Copy>> open_;
};

}  // namespace latentdb::http
