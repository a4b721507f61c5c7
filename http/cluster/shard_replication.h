#pragma once
// ShardReplication: a shard's primary copy shipping its RocksDB write batches to the other copies
// (docs/cluster.md, "Writes" and "Failover and return").
//
// Primary side. After a write on the primary copy, Ship sends every batch of its WAL that an
// in-sync copy lacks (storage::Store::WalSince: the batches' bytes as RocksDB logged them, never
// re-sent JSON) and returns once every in-sync copy has applied them — or, for a copy that does
// not answer in time or refuses, once that copy is out of the in-sync set through an etcd
// transaction that requires the shard record unchanged (cluster::ShardMap::RemoveFromInSync):
// only then may the write be acknowledged without it. Fewer in-sync copies than the collection's
// write_consistency_factor, or a record that has moved on (another primary, another epoch),
// refuse the write (Unavailable): it stays on this copy unacknowledged, and is cut off when the
// copy later follows the new primary. CatchUp brings a copy that is not in sync (new, or back
// after a failure) up to the primary's log and adds it to the in-sync set.
//
// Replica side. Receive applies a shipment to a replica copy (engine::Database::ApplyReplicated:
// in order, each batch once) after checking its epoch — the fence: a shipment of an older epoch
// than the copy has seen is refused, and a newer epoch is accepted only when etcd's shard record
// names that epoch and its sender as primary. So a primary that was replaced (paused past its
// lease, cut off) cannot have a write acknowledged by a copy that follows the new one.
//
// Full copies. A copy whose log may hold batches its new primary never had (it was primary, or
// the replica of one, in an epoch whose last writes were not acknowledged), and a copy so far
// behind that the primary's WAL no longer reaches back to its next batch (the WAL is kept
// ClusterRouter::Options::wal_retention_seconds), is replaced by a checkpoint of the primary's
// store (RocksDB's Checkpoint, http/cluster/checkpoint_transfer.h) and then tailed from the
// checkpoint's sequence number. A copy's log is known to be a prefix of the primary's when it
// comes from the primary's epoch, or from the epoch before it and ends at or before that epoch's
// start (epoch_start_seq).
//
// The wire: `POST <collection path>/wal` with the shard header and
// `x-latentdb-replicate: <epoch>/<primary node id>`; the body is the batches, each a big-endian
// sequence number (8 bytes), operation count (8), length (4), then the batch's bytes. The answer
// is the copy's {"wal_sequence", "epoch"} — the epoch its log comes from — also with a 409
// refusal, so that the primary resends from there. A checkpoint goes to `<collection path>/wal/
// checkpoint` (checkpoint_transfer.h).
//
// Thread-safe. Ship and Receive take the copy's replication_mutex, so shipments of one copy go
// out in order and one at a time. CatchUp copies the bulk (checkpoint, WAL) without it, so writes
// go on meanwhile, and takes it for the last batches and the change of the in-sync set. Only one
// thread may call CatchUp on a copy at a time (the node's maintenance thread).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/shard_map.h"
#include "common/result.h"
#include "engine/database.h"
#include "http/cluster/local_shards.h"
#include "http/cluster/node_clients.h"
#include "http/message.h"
#include "http/metrics.h"

namespace latentdb::http {

// The header of a shipment: "<epoch>/<primary node id>".
inline constexpr const char* kReplicateHeader = "x-latentdb-replicate";

// The body of a shipment (see the file comment); DecodeBatches: InvalidArgument when truncated.
std::string EncodeBatches(const std::vector<engine::ReplicatedBatch>& batches);
Result<std::vector<engine::ReplicatedBatch>> DecodeBatches(std::string_view body);

class ShardReplication {
 public:
  struct Options {
    std::string api_key;
    // How long a copy may take to answer a shipment before it leaves the in-sync set.
    std::chrono::milliseconds timeout{3000};
    // How long a copy may take to store a checkpoint's chunk or to open an installed checkpoint
    // (it rebuilds its index).
    std::chrono::milliseconds transfer_timeout{600000};
    size_t max_shipment_bytes = 4 << 20;
    // Where the replication counters go (checkpoints sent, copies dropped from the in-sync set);
    // none when null. Must outlive the ShardReplication.
    Metrics* metrics = nullptr;
    // Whether this node still holds its etcd lease (cluster::Membership::LeaseAlive); always
    // when empty. Thread-safe, cheap: called on every write.
    std::function<bool()> lease_alive;
  };
  ShardReplication(cluster::ShardMap* shard_map, uint64_t self, Options options);

  // Where a shard lives: its collection and uid (the copy directory), the collection's
  // write_consistency_factor, and the live nodes' URLs.
  struct Shard {
    std::string collection;
    std::string uid;
    uint32_t shard = 0;
    uint32_t write_consistency_factor = 1;
    std::map<uint64_t, std::string> nodes;  // live node id → advertise URL
  };

  // Primary side: `record` (as read from etcd) becomes the copy's when it is newer than the one
  // the copy holds (a new epoch forgets what the other copies had acknowledged); the copy's epoch
  // follows when the record names this node primary. Storage errors from recording the epoch.
  Status Adopt(ShardCopy& copy, const cluster::ShardRecord& record);
  // Primary side, before a write: Unavailable when this node has lost its etcd lease (cut off from
  // etcd, or paused past its TTL). Its epoch is about to be superseded, so it refuses at once
  // rather than apply a write that it could not get acknowledged. A fast refusal only: the fence
  // that keeps a replaced primary's writes out is the epoch that replicas and etcd check.
  Status CheckLease() const;
  // Primary side, after a write on `copy` (its record names this node primary): see the file
  // comment. Unavailable when the write may not be acknowledged (CheckLease included, after
  // waiting for the replication lock).
  Status Ship(ShardCopy& copy, const Shard& shard);
  // Primary side: brings the copies of the record's placement that are not in sync and whose
  // node is live up to this copy's log (tailing its WAL, or from a checkpoint), then adds them to
  // the in-sync set. Errors are logged; the next call tries again.
  void CatchUp(ShardCopy& copy, const Shard& shard);
  // Primary side: ends the move of a copy to `to` once `to` is in sync (cluster::ShardMap::
  // FinishTransfer): the source copy leaves the placement. When the source is this copy, `to` is
  // shipped every batch first and becomes primary, under the replication lock: a write on this
  // copy after that is never acknowledged (its Ship finds another primary). True when the move
  // ended; false, changing nothing, while `to` is not in sync or this copy is not primary. A
  // handover (the transfer's `handover`) ends the same way with this copy staying placed.
  Result<bool> FinishTransfer(ShardCopy& copy, const Shard& shard, uint64_t to);
  // Primary side: for every copy (in sync or not) this copy has shipped to since it became
  // primary, the last sequence number that copy has applied; and this copy's own.
  std::map<uint64_t, uint64_t> Positions(ShardCopy& copy);

  // Replica side: the sender and epoch of a shipment's header; InvalidArgument when malformed.
  static Result<std::pair<uint64_t, uint64_t>> ParseHeader(const HttpRequest& request);  // (epoch, primary)
  // Replica side: whether a shipment of `epoch` from `primary` may be applied to a copy that has
  // seen `copy_epoch`: an older epoch is refused, a newer one only when `record` (read from etcd)
  // names it and its sender as primary, with this node among its copies. Conflict otherwise.
  Status CheckEpoch(uint64_t copy_epoch, uint64_t epoch, uint64_t primary,
                    const std::function<Result<cluster::ShardRecord>()>& fresh_record) const;
  // Replica side: answers a shipment to `copy` (a replica): the epoch checked (CheckEpoch) and
  // recorded, the batches applied. `fresh_record` reads the shard's record from etcd.
  HttpResponse Receive(ShardCopy& copy, const HttpRequest& request,
                       const std::function<Result<cluster::ShardRecord>()>& fresh_record);
  // The answer to a shipment: the copy's position.
  static HttpResponse Position(const ShardCopy& copy);

 private:
  struct Answer {
    uint64_t wal_sequence = 0;
    uint64_t epoch = 0;
  };
  // One request of `epoch`'s primary to `node`'s copy of the shard, at `<collection>/wal` + `tail`;
  // `answer` is the copy's position when its answer gives one. Conflict (with `answer` set) when
  // the copy refused the order or the epoch, Unavailable when it did not answer or failed.
  Status Exchange(NodeClients& clients, const Shard& shard, uint64_t node, uint64_t epoch, const std::string& method,
                  const std::string& tail, const std::string& body, Answer* answer);
  // One shipment (batches may be empty: a probe) to `node`'s copy (Exchange).
  Status Send(const Shard& shard, uint64_t node, uint64_t epoch, const std::vector<engine::ReplicatedBatch>& batches,
              Answer* answer);
  // Ships to `node` every batch it lacks, from `from`; `*acked` follows its answers. NotFound when
  // the WAL no longer reaches back to `from`.
  Status SendFrom(ShardCopy& copy, const Shard& shard, uint64_t node, uint64_t epoch, uint64_t from, uint64_t* acked);
  // Replaces `node`'s copy by a checkpoint of this one (checkpoint_transfer.h); `*acked` is the
  // checkpoint's sequence number.
  Status SendCheckpoint(ShardCopy& copy, const Shard& shard, uint64_t node, uint64_t epoch, uint64_t* acked);
  // CatchUp for one copy, `record` being the shard record as this primary held it at the start.
  Status CatchUpCopy(ShardCopy& copy, const Shard& shard, const cluster::ShardRecord& record, uint64_t node);
  // Where `node`'s log can continue from, after a probe, with `record` this primary's record and
  // `last` its last sequence number: its next sequence number, or nullopt when its log may hold
  // batches this primary never had (it must be replaced).
  static std::optional<uint64_t> ContinueFrom(const cluster::ShardRecord& record, uint64_t last, const Answer& probe);
  // Drops `node` from the in-sync set (etcd, under the record's revision; copy.record follows).
  // Unavailable when that would leave too few copies, or when the record moved on to another
  // primary or epoch (re-read into copy.record).
  Status DropFromInSync(ShardCopy& copy, const Shard& shard, uint64_t node, const std::string& why);

  cluster::ShardMap* shard_map_;
  const uint64_t self_;
  const Options options_;
  NodeClients clients_;
  NodeClients transfer_clients_;  // for checkpoints: transfer_timeout
};

}  // namespace latentdb::http
