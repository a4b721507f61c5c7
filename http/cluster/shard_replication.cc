#include "http/cluster/shard_replication.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/coding.h"
#include "common/logging.h"
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
    : shard_map_(shard_map), self_(self), options_(std::move(options)), clients_(options_.api_key, options_.timeout) {}

// --- primary side ---

Status ShardReplication::Send(const Shard& shard, uint64_t node, uint64_t epoch, const std::string& method,
                              const std::vector<engine::ReplicatedBatch>& batches, Answer* answer) {
  const std::string where = "node " + std::to_string(node) + "'s copy of " + ShardName(shard);
  auto url = shard.nodes.find(node);
  if (url == shard.nodes.end()) return Status::Unavailable(where + ": the node is not a live member");
  auto client = clients_.Acquire(url->second);
  if (!client) return Status::Unavailable(where + ": the node advertises a bad URL, " + url->second);
  client->SetHeader(ClusterRouter::kShardHeader, shard.uid + "/" + std::to_string(shard.shard));
  client->SetHeader(kReplicateHeader, std::to_string(epoch) + "/" + std::to_string(self_));
  auto reply = client->Request(method, "/collections/" + client::PercentEncodeSegment(shard.collection) + "/wal",
                               EncodeBatches(batches), "application/octet-stream");
  if (!reply.ok()) return Status::Unavailable(where + " did not answer: " + reply.status().message());
  clients_.Release(url->second, std::move(client));
  json body = json::parse(reply->body, nullptr, false);
  const bool positioned = body.is_object() && body.value("wal_sequence", json()).is_number_unsigned() &&
                          body.value("epoch", json()).is_number_unsigned();
  if (positioned) {
    answer->wal_sequence = body["wal_sequence"].get<uint64_t>();
    answer->epoch = body["epoch"].get<uint64_t>();
  }
  if (reply->status == 200 && positioned) return Status::Ok();
  const std::string said = reply->body.substr(0, 300);
  if (reply->status == 409 && positioned) return Status::Conflict(where + " refused: " + said);
  return Status::Unavailable(where + " answered " + std::to_string(reply->status) + ": " + said);
}

Status ShardReplication::SendFrom(ShardCopy& copy, const Shard& shard, uint64_t node, uint64_t from) {
  for (;;) {
    if (from > copy.db->WalSequence()) return Status::Ok();
    auto batches = copy.db->WalSince(from, options_.max_shipment_bytes);
    if (!batches.ok()) return batches.status();
    if (batches->empty()) return Status::Ok();
    Answer answer;
    LDB_RETURN_IF_ERROR(Send(shard, node, copy.record->epoch, "POST", *batches, &answer));
    copy.acked[node] = answer.wal_sequence;
    from = answer.wal_sequence + 1;
  }
}

std::optional<uint64_t> ShardReplication::ContinueFrom(const ShardCopy& copy, const Answer& probe) const {
  const cluster::ShardRecord& r = *copy.record;
  if (probe.wal_sequence == 0) return 1;  // an empty copy
  if (probe.wal_sequence > copy.db->WalSequence()) return std::nullopt;
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

Status ShardReplication::Ship(ShardCopy& copy, const Shard& shard) {
  std::lock_guard<std::mutex> lock(copy.replication_mutex);
  if (!copy.record || copy.record->primary != self_) {
    return Status::Unavailable("this node is not the primary of " + ShardName(shard));
  }
  const uint64_t target = copy.db->WalSequence();
  const std::vector<uint64_t> in_sync = copy.record->in_sync;
  for (uint64_t node : in_sync) {
    if (node == self_) continue;
    Status shipped;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!copy.acked.count(node)) {
        // Not known (first shipment since this copy became primary, or after a refusal): ask.
        Answer probe;
        shipped = Send(shard, node, copy.record->epoch, "POST", {}, &probe);
        if (!shipped.ok()) break;
        auto from = ContinueFrom(copy, probe);
        if (!from) {
          shipped = Status::Conflict("its log holds batches this primary never had");
          break;
        }
        copy.acked[node] = *from - 1;
      }
      if (copy.acked[node] >= target) break;
      shipped = SendFrom(copy, shard, node, copy.acked[node] + 1);
      if (shipped.code() != StatusCode::kConflict) break;
      copy.acked.erase(node);  // refused the order: ask where it stands, once
    }
    if (shipped.ok()) continue;
    LDB_RETURN_IF_ERROR(DropFromInSync(copy, shard, node, shipped.message()));
  }
  return Status::Ok();
}

void ShardReplication::CatchUp(ShardCopy& copy, const Shard& shard) {
  std::lock_guard<std::mutex> lock(copy.replication_mutex);
  if (!copy.record || copy.record->primary != self_) return;
  const std::vector<uint64_t> placed = copy.record->replicas;
  for (uint64_t node : placed) {
    if (node == self_ || copy.record->InSync(node) || !shard.nodes.count(node)) continue;
    Answer probe;
    if (!Send(shard, node, copy.record->epoch, "POST", {}, &probe).ok()) continue;
    auto from = ContinueFrom(copy, probe);
    if (!from) {
      LogInfo(ShardName(shard) + ": node " + std::to_string(node) + "'s copy (sequence " +
              std::to_string(probe.wal_sequence) + ", epoch " + std::to_string(probe.epoch) +
              ") may hold writes that were never acknowledged; it is emptied and copied again");
      Answer reset;
      if (Status s = Send(shard, node, copy.record->epoch, "DELETE", {}, &reset); !s.ok()) {
        LogWarn(ShardName(shard) + ": resetting node " + std::to_string(node) + "'s copy: " + s.ToString());
        continue;
      }
      from = 1;
    }
    copy.acked[node] = *from - 1;
    Status sent = SendFrom(copy, shard, node, *from);
    if (!sent.ok()) {
      copy.acked.erase(node);
      if (sent.code() == StatusCode::kNotFound) {
        LogWarn(ShardName(shard) + ": node " + std::to_string(node) + " is too far behind for the kept WAL (" +
                sent.message() + "); copying a checkpoint is not built yet");
      }
      continue;
    }
    // Caught up, under the mutex every write's shipment takes: the next write ships to it.
    if (copy.acked[node] < copy.db->WalSequence()) continue;
    auto written = shard_map_->AddToInSync(*copy.record, node);
    if (!written.ok()) {
      LogWarn(ShardName(shard) + ": adding node " + std::to_string(node) + " to the in-sync set: " +
              written.status().ToString());
      if (auto fresh = shard_map_->Shard(shard.collection, shard.shard); fresh.ok()) copy.record = std::move(*fresh);
      return;
    }
    copy.record = *written;
    LogInfo(ShardName(shard) + ": node " + std::to_string(node) + " caught up at sequence " +
            std::to_string(copy.acked[node]) + " and is in sync");
  }
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
