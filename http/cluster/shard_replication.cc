#include "http/cluster/shard_replication.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/coding.h"
#include "common/logging.h"
#include "http/cluster/checkpoint_transfer.h"
#include "http/cluster/cluster_router.h"
#include "http/error_mapping.h"

namespace latentdb::http {

using nlohmann::json;

namespace {

constexpr size_t kBatchHeader = 8 + 8 + 4;

std::string ShardName(const ShardReplication::Shard& s) {
  return "shard " + std::to_string(s.shard) + " of collection '" + s.collection + "'";
}

}  // namespace

std::string EncodeBatches(const std::vector<engine::ReplicatedBatch>& batches) {
  size_t size = 0;
  for (const auto& b : batches) size += kBatchHeader + b.data.size();
  std::string out;
  out.reserve(size);
  for (const auto& b : batches) {
    PutFixed64BE(&out, b.sequence);
    PutFixed64BE(&out, b.count);
    PutFixed32BE(&out, static_cast<uint32_t>(b.data.size()));
    out.append(b.data);
  }
  return out;
}

Result<std::vector<engine::ReplicatedBatch>> DecodeBatches(std::string_view body) {
  std::vector<engine::ReplicatedBatch> out;
  while (!body.empty()) {
    if (body.size() < kBatchHeader) return Status::InvalidArgument("a shipment's batch header is truncated");
    engine::ReplicatedBatch b;
    b.sequence = DecodeFixed64BE(body.data());
    b.count = DecodeFixed64BE(body.data() + 8);
    const uint32_t size = DecodeFixed32BE(body.data() + 16);
    body.remove_prefix(kBatchHeader);
    if (body.size() < size) return Status::InvalidArgument("a shipment's batch is truncated");
    b.data.assign(body.data(), size);
    body.remove_prefix(size);
    out.push_back(std::move(b));
  }
  return out;
}

ShardReplication::ShardReplication(cluster::ShardMap* shard_map, uint64_t self, Options options)
    : shard_map_(shard_map),
      self_(self),
      options_(std::move(options)),
      clients_(options_.api_key, options_.timeout),
      transfer_clients_(options_.api_key, options_.transfer_timeout) {}

// --- primary side ---

Status ShardReplication::Exchange(NodeClients& clients, const Shard& shard, uint64_t node, uint64_t epoch,
                                  const std::string& method, const std::string& tail, const std::string& body,
                                  Answer* answer) {
  const std::string where = "node " + std::to_string(node) + "'s copy of " + ShardName(shard);
  auto url = shard.nodes.find(node);
  if (url == shard.nodes.end()) return Status::Unavailable(where + ": the node is not a live member");
  auto client = clients.Acquire(url->second);
  if (!client) return Status::Unavailable(where + ": the node advertises a bad URL, " + url->second);
  client->SetHeader(ClusterRouter::kShardHeader, shard.uid + "/" + std::to_string(shard.shard));
  client->SetHeader(kReplicateHeader, std::to_string(epoch) + "/" + std::to_string(self_));
  auto reply = client->Request(method, "/collections/" + client::PercentEncodeSegment(shard.collection) + "/wal" + tail,
                               body, "application/octet-stream");
  if (!reply.ok()) return Status::Unavailable(where + " did not answer: " + reply.status().message());
  clients.Release(url->second, std::move(client));
  json parsed = json::parse(reply->body, nullptr, false);
  const bool positioned = parsed.is_object() && parsed.value("wal_sequence", json()).is_number_unsigned() &&
                          parsed.value("epoch", json()).is_number_unsigned();
  if (positioned) {
    answer->wal_sequence = parsed["wal_sequence"].get<uint64_t>();
    answer->epoch = parsed["epoch"].get<uint64_t>();
  }
  if (reply->status == 200) return Status::Ok();
  const std::string said = reply->body.substr(0, 300);
  if (reply->status == 409) return Status::Conflict(where + " refused: " + said);
  return Status::Unavailable(where + " answered " + std::to_string(reply->status) + ": " + said);
}

Status ShardReplication::Send(const Shard& shard, uint64_t node, uint64_t epoch,
                              const std::vector<engine::ReplicatedBatch>& batches, Answer* answer) {
  Answer got{~0ull, ~0ull};
  Status s = Exchange(clients_, shard, node, epoch, "POST", "", EncodeBatches(batches), &got);
  // Every answer of a copy to a shipment, refusals included, says where the copy stands.
  if ((s.ok() || s.code() == StatusCode::kConflict) && got.wal_sequence == ~0ull) {
    return Status::Unavailable("node " + std::to_string(node) + "'s copy of " + ShardName(shard) +
                               " answered a shipment without its position");
  }
  if (got.wal_sequence != ~0ull) *answer = got;
  return s;
}

Status ShardReplication::SendFrom(ShardCopy& copy, const Shard& shard, uint64_t node, uint64_t epoch, uint64_t from,
                                  uint64_t* acked) {
  for (;;) {
    if (from > copy.db->WalSequence()) return Status::Ok();
    auto batches = copy.db->WalSince(from, options_.max_shipment_bytes);
    if (!batches.ok()) return batches.status();
    if (batches->empty()) return Status::Ok();
    Answer answer;
    LDB_RETURN_IF_ERROR(Send(shard, node, epoch, *batches, &answer));
    *acked = answer.wal_sequence;
    from = answer.wal_sequence + 1;
  }
}

Status ShardReplication::SendCheckpoint(ShardCopy& copy, const Shard& shard, uint64_t node, uint64_t epoch,
                                        uint64_t* acked) {
  // A checkpoint of this copy's store, beside it (hard links need the same file system).
  const std::string dir = copy.dir + "/checkpoint.outgoing";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{dir};
  LDB_RETURN_IF_ERROR(copy.db->CreateCheckpoint(dir));
  LDB_ASSIGN_OR_RETURN(CheckpointManifest manifest, CheckpointManifest::OfDirectory(dir));
  Answer answer;
  LDB_RETURN_IF_ERROR(Exchange(transfer_clients_, shard, node, epoch, "DELETE", "/checkpoint", "", &answer));
  uint64_t bytes = 0;
  const auto started = std::chrono::steady_clock::now();
  std::string chunk;
  for (const auto& f : manifest.files) {
    const std::string path = dir + "/" + f.name;
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::IOError("reading " + path);
    uint64_t offset = 0;
    do {  // an empty file is sent too: the copy creates it
      chunk.resize(static_cast<size_t>(std::min<uint64_t>(options_.max_shipment_bytes, f.size - offset)));
      if (!in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()))) return Status::IOError("reading " + path);
      const std::string tail = "/checkpoint?file=" + f.name + "&offset=" + std::to_string(offset);
      LDB_RETURN_IF_ERROR(Exchange(transfer_clients_, shard, node, epoch, "PUT", tail, chunk, &answer));
      offset += chunk.size();
    } while (offset < f.size);
    bytes += f.size;
  }
  answer.wal_sequence = ~0ull;
  LDB_RETURN_IF_ERROR(Exchange(transfer_clients_, shard, node, epoch, "POST", "/checkpoint", manifest.ToJson(), &answer));
  if (answer.wal_sequence == ~0ull) {
    return Status::Unavailable("node " + std::to_string(node) + " installed the checkpoint without telling its position");
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LogInfo(ShardName(shard) + ": node " + std::to_string(node) + " installed a checkpoint (" +
          std::to_string(manifest.files.size()) + " files, " + std::to_string(bytes >> 10) + " KiB in " +
          std::to_string(secs) + " s) at sequence " + std::to_string(answer.wal_sequence));
  *acked = answer.wal_sequence;
  if (options_.metrics) {
    options_.metrics->Count("latentdb_replication_checkpoints_sent_total",
                            "Checkpoints a shard's primary copied to another node's copy.");
    options_.metrics->Count("latentdb_replication_checkpoint_bytes_sent_total",
                            "Bytes of the checkpoints a shard's primary copied to other nodes.", bytes);
  }
  return Status::Ok();
}

std::optional<uint64_t> ShardReplication::ContinueFrom(const cluster::ShardRecord& r, uint64_t last,
                                                       const Answer& probe) {
  if (probe.wal_sequence == 0) return 1;  // an empty copy
  if (probe.wal_sequence > last) return std::nullopt;
  // The primary's own epoch: its log came from this primary. The epoch before: from the primary
  // this one followed, a prefix of this one's log up to where this epoch began.
  if (probe.epoch == r.epoch) return probe.wal_sequence + 1;
  if (probe.epoch + 1 == r.epoch && probe.wal_sequence <= r.epoch_start_seq) return probe.wal_sequence + 1;
  return std::nullopt;
}

Status ShardReplication::DropFromInSync(ShardCopy& copy, const Shard& shard, uint64_t node, const std::string& why) {
  copy.acked.erase(node);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const cluster::ShardRecord& r = *copy.record;
    if (r.primary != self_) return Status::Unavailable("this node is no longer the primary of " + ShardName(shard));
    if (!r.InSync(node)) return Status::Ok();
    if (r.in_sync.size() - 1 < shard.write_consistency_factor) {
      return Status::Unavailable(ShardName(shard) + " would keep " + std::to_string(r.in_sync.size() - 1) +
                                 " in-sync copies, fewer than its write_consistency_factor " +
                                 std::to_string(shard.write_consistency_factor) + " (" + why + ")");
    }
    auto written = shard_map_->RemoveFromInSync(r, node, shard.write_consistency_factor);
    if (written.ok()) {
      LogWarn(ShardName(shard) + ": node " + std::to_string(node) + " leaves the in-sync set (" + why + ")");
      if (options_.metrics) {
        options_.metrics->Count("latentdb_replication_in_sync_removals_total",
                                "Copies a shard's primary removed from the in-sync set (they stopped answering).");
      }
      copy.record = *written;
      return Status::Ok();
    }
    if (written.status().code() != StatusCode::kConflict) return Status::Unavailable(written.status().message());
    // The record moved on: read it again (another primary, or another change of ours).
    auto fresh = shard_map_->Shard(shard.collection, shard.shard);
    if (!fresh.ok()) return Status::Unavailable(fresh.status().message());
    const uint64_t epoch = copy.record->epoch;
    copy.record = std::move(*fresh);
    if (copy.record->epoch != epoch || copy.record->primary != self_) {
      return Status::Unavailable("this node is no longer the primary of " + ShardName(shard) + " (epoch " +
                                 std::to_string(copy.record->epoch) + ")");
    }
  }
  return Status::Unavailable("the in-sync set of " + ShardName(shard) + " keeps changing");
}

Status ShardReplication::Adopt(ShardCopy& copy, const cluster::ShardRecord& record) {
  std::lock_guard<std::mutex> lock(copy.replication_mutex);
  if (!copy.record || record.mod_revision > copy.record->mod_revision) {
    if (copy.record && copy.record->epoch != record.epoch) copy.acked.clear();
    copy.record = record;
  }
  if (copy.record->primary == self_) return copy.RaiseEpoch(copy.record->epoch, /*log=*/true);
  return Status::Ok();
}

Status ShardReplication::CheckLease() const {
  if (!options_.lease_alive || options_.lease_alive()) return Status::Ok();
  return Status::Unavailable("this node has lost its etcd lease (cut off from etcd, or paused): it takes no write "
                             "until it has joined the cluster again; another node may take it");
}

Status ShardReplication::Ship(ShardCopy& copy, const Shard& shard) {
  std::lock_guard<std::mutex> lock(copy.replication_mutex);
  if (!copy.record || copy.record->primary != self_) {
    return Status::Unavailable("this node is not the primary of " + ShardName(shard));
  }
  // Writes queued behind one that waited out unreachable copies and etcd end here at once.
  LDB_RETURN_IF_ERROR(CheckLease());
  const uint64_t target = copy.db->WalSequence();
  const std::vector<uint64_t> in_sync = copy.record->in_sync;
  for (uint64_t node : in_sync) {
    if (node == self_) continue;
    Status shipped;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!copy.acked.count(node)) {
        // Not known (first shipment since this copy became primary, or after a refusal): ask.
        Answer probe;
        shipped = Send(shard, node, copy.record->epoch, {}, &probe);
        if (!shipped.ok()) break;
        auto from = ContinueFrom(*copy.record, copy.db->WalSequence(), probe);
        if (!from) {
          shipped = Status::Conflict("its log holds batches this primary never had");
          break;
        }
        copy.acked[node] = *from - 1;
      }
      if (copy.acked[node] >= target) break;
      shipped = SendFrom(copy, shard, node, copy.record->epoch, copy.acked[node] + 1, &copy.acked[node]);
      if (shipped.code() != StatusCode::kConflict) break;
      copy.acked.erase(node);  // refused the order: ask where it stands, once
    }
    if (shipped.ok()) continue;
    LDB_RETURN_IF_ERROR(DropFromInSync(copy, shard, node, shipped.message()));
  }
  return Status::Ok();
}

void ShardReplication::CatchUp(ShardCopy& copy, const Shard& shard) {
  std::optional<cluster::ShardRecord> record;
  {
    std::lock_guard<std::mutex> lock(copy.replication_mutex);
    if (!copy.record || copy.record->primary != self_) return;
    record = copy.record;
  }
  for (uint64_t node : record->replicas) {
    if (node == self_ || record->InSync(node) || !shard.nodes.count(node)) continue;
    if (Status s = CatchUpCopy(copy, shard, *record, node); !s.ok()) {
      LogWarn(ShardName(shard) + ": bringing node " + std::to_string(node) + "'s copy up to date: " + s.ToString());
    }
  }
}

Status ShardReplication::CatchUpCopy(ShardCopy& copy, const Shard& shard, const cluster::ShardRecord& record,
                                     uint64_t node) {
  // The bulk first, without the replication mutex: writes go on meanwhile.
  Answer probe;
  LDB_RETURN_IF_ERROR(Send(shard, node, record.epoch, {}, &probe));
  uint64_t at = probe.wal_sequence;
  auto from = ContinueFrom(record, copy.db->WalSequence(), probe);
  Status tailed = from ? SendFrom(copy, shard, node, record.epoch, *from, &at) : Status::NotFound("");
  if (tailed.code() == StatusCode::kNotFound) {
    LogInfo(ShardName(shard) + ": node " + std::to_string(node) + "'s copy (sequence " +
            std::to_string(probe.wal_sequence) + ", epoch " + std::to_string(probe.epoch) + ") " +
            (from ? "is further behind than the kept WAL reaches" : "may hold writes that were never acknowledged") +
            "; it is replaced by a checkpoint");
    LDB_RETURN_IF_ERROR(SendCheckpoint(copy, shard, node, record.epoch, &at));
    tailed = SendFrom(copy, shard, node, record.epoch, at + 1, &at);
  }
  LDB_RETURN_IF_ERROR(tailed);
  // The last batches and the change of the in-sync set under the mutex every write's shipment
  // takes: once in the set, the copy gets the next write.
  std::lock_guard<std::mutex> lock(copy.replication_mutex);
  if (!copy.record || copy.record->primary != self_ || copy.record->epoch != record.epoch) return Status::Ok();
  LDB_RETURN_IF_ERROR(SendFrom(copy, shard, node, record.epoch, at + 1, &at));
  copy.acked[node] = at;
  if (at < copy.db->WalSequence()) return Status::Ok();  // writes since: the next round
  auto written = shard_map_->AddToInSync(*copy.record, node);
  if (!written.ok()) {
    if (auto fresh = shard_map_->Shard(shard.collection, shard.shard); fresh.ok()) copy.record = std::move(*fresh);
    return written.status().WithContext("adding it to the in-sync set");
  }
  copy.record = *written;
  LogInfo(ShardName(shard) + ": node " + std::to_string(node) + " caught up at sequence " + std::to_string(at) +
          " and is in sync");
  return Status::Ok();
}

Result<bool> ShardReplication::FinishTransfer(ShardCopy& copy, const Shard& shard, uint64_t to) {
  std::lock_guard<std::mutex> lock(copy.replication_mutex);
  if (!copy.record || copy.record->primary != self_ || !copy.record->InSync(to)) return false;
  // Where `to` stands is known once a shipment has reached it (Ship probes every in-sync copy).
  if (!copy.acked.count(to)) return false;
  uint64_t at = copy.acked[to];
  if (at < copy.db->WalSequence()) {
    Status shipped = SendFrom(copy, shard, to, copy.record->epoch, at + 1, &at);
    if (!shipped.ok()) return shipped.WithContext("finishing the move of " + ShardName(shard) + " to node " + std::to_string(to));
    copy.acked[to] = at;
  }
  auto written = shard_map_->FinishTransfer(*copy.record, to, at);
  if (!written.ok()) {
    if (auto fresh = shard_map_->Shard(shard.collection, shard.shard); fresh.ok()) copy.record = std::move(*fresh);
    return written.status().WithContext("finishing the move of " + ShardName(shard) + " to node " + std::to_string(to));
  }
  const bool handed_over = written->primary != self_;
  const bool handover = std::any_of(copy.record->transfers.begin(), copy.record->transfers.end(),
                                    [to](const cluster::ShardTransfer& t) { return t.to == to && t.handover; });
  copy.record = *written;
  LogInfo(ShardName(shard) + (handover ? ": primary's role handed over to node " : ": moved to node ") + std::to_string(to) +
          (handed_over ? ", now its primary at epoch " + std::to_string(written->epoch) + " (sequence " + std::to_string(at) + ")"
                       : std::string()));
  return true;
}

std::map<uint64_t, uint64_t> ShardReplication::Positions(ShardCopy& copy) {
  std::lock_guard<std::mutex> lock(copy.replication_mutex);
  std::map<uint64_t, uint64_t> out = copy.acked;
  out[self_] = copy.db->WalSequence();
  return out;
}

// --- replica side ---

Result<std::pair<uint64_t, uint64_t>> ShardReplication::ParseHeader(const HttpRequest& request) {
  const std::string h = request.Header(kReplicateHeader);
  const size_t slash = h.find('/');
  auto number = [](const std::string& s) -> std::optional<uint64_t> {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoull(s);
  };
  auto epoch = number(h.substr(0, slash));
  auto primary = slash == std::string::npos ? std::nullopt : number(h.substr(slash + 1));
  if (!epoch || !primary) {
    return Status::InvalidArgument(std::string(kReplicateHeader) + " must be '<epoch>/<primary node id>'");
  }
  return std::make_pair(*epoch, *primary);
}

Status ShardReplication::CheckEpoch(uint64_t copy_epoch, uint64_t epoch, uint64_t primary,
                                    const std::function<Result<cluster::ShardRecord>()>& fresh_record) const {
  if (epoch < copy_epoch) {
    return Status::Conflict("epoch " + std::to_string(epoch) + " is older than this copy's " + std::to_string(copy_epoch));
  }
  if (epoch == copy_epoch) return Status::Ok();
  auto record = fresh_record();
  if (!record.ok()) return Status::Conflict("the shard record could not be read: " + record.status().message());
  if (record->epoch != epoch || record->primary != primary || !record->Places(self_)) {
    return Status::Conflict("etcd names node " + std::to_string(record->primary) + " primary at epoch " +
                            std::to_string(record->epoch) + ", not node " + std::to_string(primary) + " at " +
                            std::to_string(epoch));
  }
  return Status::Ok();
}

HttpResponse ShardReplication::Position(const ShardCopy& copy) {
  HttpResponse r;
  r.body = json{{"wal_sequence", copy.db->WalSequence()}, {"epoch", copy.log_epoch}}.dump();
  return r;
}

HttpResponse ShardReplication::Receive(ShardCopy& copy, const HttpRequest& request,
                                       const std::function<Result<cluster::ShardRecord>()>& fresh_record) {
  std::lock_guard<std::mutex> lock(copy.replication_mutex);
  auto refuse = [&](const Status& why) {
    HttpResponse r = ErrorResponse(why);
    json body = json::parse(r.body, nullptr, false);
    body["wal_sequence"] = copy.db->WalSequence();
    body["epoch"] = copy.log_epoch;
    r.body = body.dump();
    return r;
  };
  auto header = ParseHeader(request);
  if (!header.ok()) return ErrorResponse(header.status());
  const auto [epoch, primary] = *header;
  if (!copy.db->replica()) return refuse(Status::Conflict("this copy is its shard's primary"));
  if (Status s = CheckEpoch(copy.epoch, epoch, primary, fresh_record); !s.ok()) return refuse(s);
  // The fence moves at once (a probe of the new primary is enough to refuse the old one); the
  // log's epoch only with the first batch of that epoch.
  if (Status s = copy.RaiseEpoch(epoch, /*log=*/false); !s.ok()) return ErrorResponse(s);
  auto batches = DecodeBatches(request.body);
  if (!batches.ok()) return ErrorResponse(batches.status());
  if (!batches->empty()) {
    if (batches->front().sequence != copy.db->WalSequence() + 1) {
      return refuse(Status::Conflict("the shipment starts at sequence " + std::to_string(batches->front().sequence) +
                                     ", not at this copy's next one"));
    }
    if (Status s = copy.RaiseEpoch(epoch, /*log=*/true); !s.ok()) return ErrorResponse(s);
    if (Status s = copy.db->ApplyReplicated(*batches); !s.ok()) {
      return s.code() == StatusCode::kInvalidArgument ? refuse(Status::Conflict(s.message())) : ErrorResponse(s);
    }
  }
  return Position(copy);
}

}  // namespace latentdb::http
