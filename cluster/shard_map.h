#pragma once
// The shard map of a clustered collection, kept in etcd (docs/cluster.md, "Data layout"):
// which shard a point belongs to, where each shard's copies live, which copies are in sync, and
// which primary is current under which epoch.
//
// Every change of a shard record is an etcd transaction that compares the record's
// `mod_revision` with the one the caller read: a caller acting on an outdated view (a primary
// whose epoch has been superseded, two replicas racing to take over) fails with Conflict and
// changes nothing. This is the fence of the design: a stale primary cannot drop a copy from the
// in-sync set, so it cannot acknowledge a write without that copy.
//
// Thread-safe (stateless over the EtcdClient).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/etcd_client.h"
#include "common/result.h"

namespace latentdb::cluster {

// A collection as the cluster knows it (`P/collections/<name>`).
struct ClusterCollection {
  std::string name;
  // The incarnation of the name: a collection dropped and created again under the same name gets
  // another uid, so a node that was down meanwhile never takes its old shard copies for the new
  // collection's (they live in directories named by the uid).
  std::string uid;
  nlohmann::json config;  // the collection's config as the engine takes it (opaque here)
  uint32_t shard_number = 1;
  uint32_t replication_factor = 1;
  // The fewest in-sync copies (the primary included) a write needs; Qdrant's name.
  uint32_t write_consistency_factor = 1;
};

// A copy of a shard moving from one node to another (docs/cluster.md, "Moving shards"): the
// target is placed (a copy that is not in sync) as soon as the move starts; once the primary has
// brought it into the in-sync set, the source leaves the placement (ShardMap::FinishTransfer).
// A handover moves no copy, only the primary's role: from the primary to one of its in-sync
// replicas, whose copy the old primary brings fully up to date first (rebalancing primaries).
struct ShardTransfer {
  uint64_t from = 0;
  uint64_t to = 0;
  bool handover = false;
  bool operator==(const ShardTransfer&) const = default;
};

// One shard (`P/shards/<name>/<shard>`).
struct ShardRecord {
  std::string collection;
  uint32_t shard = 0;
  uint64_t epoch = 1;                // +1 at every change of primary
  uint64_t primary = 0;              // node id
  std::vector<uint64_t> replicas;    // every copy's node, the primary included (placement)
  std::vector<uint64_t> in_sync;     // copies holding every acknowledged write, the primary included
  uint64_t epoch_start_seq = 0;      // the primary's last sequence number when its epoch began
  std::vector<ShardTransfer> transfers;  // moves under way (at most one per shard)
  int64_t mod_revision = 0;          // etcd's revision of this record as read (not stored)

  bool InSync(uint64_t node) const;
  bool Places(uint64_t node) const;  // whether `node` holds one of the shard's copies
  nlohmann::json ToJson() const;
  static Result<ShardRecord> FromJson(const std::string& collection, uint32_t shard, const std::string& text);
};

// The shard of a point: a fixed 64-bit hash (FNV-1a, then SplitMix64's finalizer) of the
// point's canonical id bytes, modulo `shard_number`. Every node and every version routes alike.
uint32_t ShardOf(std::string_view canonical_id, uint32_t shard_number);

// The nodes of a shard's copies, the first its primary: rendezvous hashing (highest random
// weight, Thaler & Ravishankar 1998) of (collection, shard) over `live_nodes`, so that shards
// spread evenly and a change of membership moves only the shards it must. InvalidArgument when
// fewer nodes are live than `replication_factor`.
Result<std::vector<uint64_t>> PlaceShard(const std::string& collection, uint32_t shard,
                                         std::vector<uint64_t> live_nodes, uint32_t replication_factor);

// The placement of a new collection's shards: shard s's primary is the node with the fewest
// primaries so far, its other copies the nodes with the fewest copies, ties broken by the shard's
// rendezvous order (PlaceShard). So primaries differ by at most one between nodes — per-shard
// rendezvous alone can put both shards of two on one node of two — and the choice is still a
// fixed function of (collection, live nodes). Errors as PlaceShard's.
Result<std::vector<std::vector<uint64_t>>> PlaceShards(const std::string& collection, uint32_t shard_number,
                                                       const std::vector<uint64_t>& live_nodes,
                                                       uint32_t replication_factor);

class ShardMap {
 public:
  ShardMap(std::shared_ptr<EtcdClient> etcd, std::string prefix);

  // Creates the collection and the records of its shards in one transaction, placed on
  // `live_nodes` by PlaceShards. AlreadyExists when a collection of that name exists; InvalidArgument for
  // shard_number 0 or over 1024, replication_factor 0 or over the live nodes,
  // write_consistency_factor 0 or over replication_factor.
  Status CreateCollection(const ClusterCollection& collection, const std::vector<uint64_t>& live_nodes);
  // Removes the collection and its shard records. NotFound when absent.
  Status DeleteCollection(const std::string& name);
  Result<ClusterCollection> GetCollection(const std::string& name) const;
  Result<std::vector<ClusterCollection>> ListCollections() const;
  // Every shard record of the collection, by shard number.
  Result<std::vector<ShardRecord>> Shards(const std::string& name) const;
  // One shard's record; NotFound when the collection has no such shard.
  Result<ShardRecord> Shard(const std::string& name, uint32_t shard) const;

  // The transitions. Each takes the record as the caller read it (`seen`) and fails with
  // Conflict, changing nothing, when the stored record has changed since.

  // The primary of `seen` drops `node` (a copy that stopped answering) from the in-sync set.
  // Also Conflict, before etcd is asked: `node` is the primary, or dropping it would leave fewer
  // in-sync copies than `write_consistency_factor` (the write must then be refused instead).
  Result<ShardRecord> RemoveFromInSync(const ShardRecord& seen, uint64_t node, uint32_t write_consistency_factor);
  // The primary of `seen` adds `node`, a copy of the shard that has caught up, to the in-sync set.
  Result<ShardRecord> AddToInSync(const ShardRecord& seen, uint64_t node);
  // `candidate`, an in-sync copy, takes over as primary: epoch + 1, the old primary out of the
  // in-sync set, epoch_start_seq = `last_seq`. Holds only while the old primary's node key is
  // absent (its lease has expired) — a primary that is alive is never replaced by this call.
  Result<ShardRecord> Promote(const ShardRecord& seen, uint64_t candidate, uint64_t last_seq);

  // Starts moving the copy on `from` to `to`: `to` is placed (not in sync) and the move recorded.
  // InvalidArgument when `from` holds no copy or `to` holds one already; Conflict when a move of
  // this shard is under way.
  Result<ShardRecord> StartTransfer(const ShardRecord& seen, uint64_t from, uint64_t to);
  // Starts handing the primary's role over to `to`, an in-sync replica (a transfer with
  // `handover`); the primary carries it out (FinishTransfer). InvalidArgument when `to` is the
  // primary or not in sync; Conflict when a move of this shard is under way.
  Result<ShardRecord> StartHandover(const ShardRecord& seen, uint64_t to);
  // Ends the move to `to`, an in-sync copy: its source leaves the placement and the in-sync set.
  // When the source is the primary, `to` becomes primary (epoch + 1, epoch_start_seq =
  // `last_seq`, the sequence number up to which the caller — the old primary — has shipped to it
  // under its replication lock). A handover ends the same way except that the old primary stays
  // placed: out of the in-sync set, its copy is demoted and brought back in line by the new
  // primary like any copy that returns (from the WAL, or a checkpoint). InvalidArgument when no
  // move to `to` is under way or `to` is not in sync.
  Result<ShardRecord> FinishTransfer(const ShardRecord& seen, uint64_t to, uint64_t last_seq);
  // Abandons the move to `to`: `to` leaves the placement again (Qdrant's abort_transfer); an
  // abandoned handover only ends (its target keeps its copy).
  // InvalidArgument when no move to `to` is under way.
  Result<ShardRecord> AbortTransfer(const ShardRecord& seen, uint64_t to);

  std::string CollectionKey(const std::string& name) const { return prefix_ + "/collections/" + name; }
  std::string ShardsPrefix(const std::string& name) const { return prefix_ + "/shards/" + name + "/"; }
  std::string ShardKey(const std::string& name, uint32_t shard) const;

 private:
  // Writes `next` if the stored record is still at `seen.mod_revision` (and `extra` compares
  // hold); Conflict otherwise. The written record with its new mod_revision.
  Result<ShardRecord> Swap(const ShardRecord& seen, ShardRecord next, std::vector<Compare> extra = {});

  std::shared_ptr<EtcdClient> etcd_;
  std::string prefix_;
};

}  // namespace latentdb::cluster
