#pragma once
// Checkpoint transfer: a shard's primary replacing another node's copy by a full copy of its own
// store (docs/cluster.md, "Failover and return"), when that copy's log diverged or when the
// primary's WAL no longer reaches back to it (http/cluster/shard_replication.h).
//
// The primary writes a RocksDB checkpoint of its store (storage::Store::CreateCheckpoint: hard
// links to its table files, the memtables flushed first, so no WAL replay is needed) and sends
// its files, in chunks, to `<collection path>/wal/checkpoint`, every request carrying the shard
// header and `x-latentdb-replicate: <epoch>/<primary node id>`:
//   DELETE                           begin: the copy's staging directory is emptied; the sender
//                                    must be the shard's primary at that epoch in etcd
//   PUT ?file=NAME&offset=N          N bytes of NAME are staged already: the body follows them
//   POST {"files": [{"name", "size"}]}   install: every file staged at its size is synced, the copy
//                                    is closed and replaced by the staged store (the sender checked
//                                    against etcd again), and reopened as a replica whose log is of
//                                    the sender's epoch; the answer is its position
//                                    {"wal_sequence", "epoch"}, from which the primary tails its WAL.
// Staging happens beside the copy (its directory + ".incoming", DATA_DIR/shards/…/<shard>.incoming),
// so the copy serves reads until the install swaps it; a crash before the swap leaves the old copy
// whole, one after it the new one.
//
// Thread-safe for one transfer per copy at a time (a shard has one primary; an old primary's
// requests fail the sender check).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/cluster/local_shards.h"
#include "http/message.h"

namespace latentdb::http {

// A checkpoint's files, as the install request lists them.
struct CheckpointManifest {
  struct File {
    std::string name;
    uint64_t size = 0;
  };
  std::vector<File> files;

  std::string ToJson() const;
  // InvalidArgument when malformed or when a name is not a checkpoint file's (IsCheckpointFileName).
  static Result<CheckpointManifest> FromJson(std::string_view text);
  // The regular files of a checkpoint directory; IOError when it cannot be listed.
  static Result<CheckpointManifest> OfDirectory(const std::string& dir);
};

// Whether `name` may be a file of a RocksDB checkpoint: a plain name of letters, digits, '.', '-'
// and '_' (000012.sst, MANIFEST-000005, CURRENT, OPTIONS-000007, 000010.log), never "." or "..".
bool IsCheckpointFileName(std::string_view name);

// The copy's side. `sender` is the shipment header's "<epoch>/<primary>", checked by the caller
// against etcd for Begin and Install.
class CheckpointReceiver {
 public:
  explicit CheckpointReceiver(LocalShards* copies) : copies_(copies) {}

  // Empties the staging directory of `id` and records the transfer's sender.
  HttpResponse Begin(const ShardCopyId& id, const std::string& sender);
  // Stages a chunk (`request`'s query names the file and offset). Conflict when `sender` did not
  // begin this transfer or the offset is not the file's staged size; InvalidArgument for a bad
  // name or offset.
  HttpResponse Chunk(const ShardCopyId& id, const std::string& sender, const HttpRequest& request);
  // Installs the staged checkpoint as the copy (see the file comment), its fence and log epoch
  // `epoch`. Conflict when `sender` did not begin the transfer or a file is missing or short.
  HttpResponse Install(const ShardCopyId& id, const std::string& sender, uint64_t epoch, const HttpRequest& request);

 private:
  std::string Staging(const ShardCopyId& id) const { return copies_->Directory(id) + ".incoming"; }
  Status CheckSender(const ShardCopyId& id, const std::string& sender) const;

  LocalShards* copies_;
};

}  // namespace latentdb::http
