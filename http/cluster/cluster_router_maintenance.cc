// ClusterRouter's background thread: it looks after the copies this node holds — replication and
// catch-up on primaries, moves and handovers, failover (TakeOver), demotion, and the removal of
// copies that moved away or that the cluster no longer has.
#include "http/cluster/router_impl.h"

namespace latentdb::http {

void ClusterRouter::Impl::RemoveOrphans() {
  for (const auto& id : copies.OnDisk()) {
    auto c = shard_map.GetCollection(id.collection);
    bool orphan = false;
    if (c.status().code() == StatusCode::kNotFound) {
      orphan = true;
    } else if (c.ok()) {
      orphan = c->uid != id.uid || id.shard >= c->shard_number;
      if (!orphan) {
        if (auto record = shard_map.Shard(id.collection, id.shard); record.ok()) orphan = !record->Places(self);
      }
    }
    if (!orphan) continue;  // etcd did not answer: keep it, decide at the next start
    LogInfo("removing shard copy " + copies.Directory(id) + ": the cluster no longer places it on this node");
    Status s = copies.Drop(id);
    if (!s.ok()) LogError(s.ToString());
  }
}

void ClusterRouter::Impl::StartWatching() {
  watcher = std::thread([this] {
    std::unique_lock<std::mutex> lock(watch_mu);
    while (!watch_cv.wait_for(lock, options.maintenance_interval, [&] { return stopping; })) {
      lock.unlock();
      Maintain();
      lock.lock();
    }
  });
}

void ClusterRouter::Impl::StopWatching() {
  {
    std::lock_guard<std::mutex> lock(watch_mu);
    stopping = true;
  }
  watch_cv.notify_all();
  if (watcher.joinable()) watcher.join();
}

bool ClusterRouter::Impl::AbandonedMove(const ShardCopyId& id, const cluster::ShardRecord& rec, uint64_t to,
                                        const std::map<uint64_t, std::string>& live) {
  const auto key = std::make_pair(id, to);
  if (live.count(to)) {
    target_gone_since.erase(key);
    return false;
  }
  const auto first = target_gone_since.emplace(key, Clock::now()).first->second;
  const auto grace = std::max<Clock::duration>(std::chrono::seconds(10),
                                               std::chrono::seconds(5 * membership->options().lease_ttl_seconds));
  if (Clock::now() - first < grace) return false;
  auto aborted = shard_map.AbortTransfer(rec, to);
  if (!aborted.ok()) {
    LogWarn("shard " + std::to_string(id.shard) + " of '" + id.collection + "': abandoning its move to node " +
            std::to_string(to) + ": " + aborted.status().ToString());
    return false;
  }
  target_gone_since.erase(key);
  LogWarn("shard " + std::to_string(id.shard) + " of '" + id.collection + "': its move to node " + std::to_string(to) +
          " is abandoned, that node having been gone for " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - first).count()) + " s");
  return true;
}

void ClusterRouter::Impl::Maintain() {
  // The copies on disk are listed before the records are read: a copy is made only after its
  // record places it, so one that a fresher record does not place has been moved away.
  const std::vector<ShardCopyId> on_disk = copies.OnDisk();
  auto collections = shard_map.ListCollections();
  auto members = membership->Nodes();
  if (!collections.ok() || !members.ok()) return;  // etcd is away: nothing can be decided
  std::map<uint64_t, std::string> nodes;
  for (const auto& n : *members) nodes[n.node_id] = n.advertise;
  std::map<ShardCopyId, cluster::ShardRecord> records;
  for (const auto& c : *collections) {
    auto shards = shard_map.Shards(c.name);
    if (!shards.ok()) continue;
    for (const auto& rec : *shards) {
      records[{c.name, c.uid, rec.shard}] = rec;
      // A single copy needs no looking after — unless it moved here (a later epoch): its copy,
      // a replica until the move ended, must be promoted.
      if (!rec.Places(self) || (rec.replicas.size() < 2 && rec.epoch == 1)) continue;
      const ShardCopyId id{c.name, c.uid, rec.shard};
      const ShardReplication::Shard where{c.name, c.uid, rec.shard, c.write_consistency_factor, nodes};
      if (rec.primary == self) {
        auto copy = copies.Get(id, false, false);
        if (!copy.ok()) continue;
        if ((*copy)->db->replica()) {
          // etcd names this copy primary (it took over) but it serves as a replica: a request
          // that read the shard map from before the promotion reopened it. It takes writes again.
          if (!rec.InSync(self) || !(*copy)->db->Promote().ok()) continue;
        }
        if (!replication.Adopt(**copy, rec).ok()) continue;
        // Writes made in the background (index saves trim the changelog; payload index builds)
        // reach the copies without waiting for the next client write.
        if (Status s = replication.Ship(**copy, where); !s.ok()) LogWarn(s.ToString());
        replication.CatchUp(**copy, where);
        for (const auto& t : rec.transfers) {
          if (t.handover && t.to == self) {
            // The role came here another way first (a failover): the handover has nothing left to do.
            if (shard_map.AbortTransfer(rec, t.to).ok()) Forget(c.name);
            break;
          }
          if (AbandonedMove(id, rec, t.to, nodes)) {
            Forget(c.name);
            break;  // the record changed: the next round reads it again
          }
          auto finished = replication.FinishTransfer(**copy, where, t.to);
          if (!finished.ok()) LogWarn(finished.status().ToString());
          if (finished.ok() && *finished) Forget(c.name);  // this node routes by the new placement at once
        }
      } else if (rec.InSync(self) && !nodes.count(rec.primary)) {
        TakeOver(c, rec, id, where);
      } else {
        auto copy = copies.Get(id, false, true);
        if (copy.ok() && !(*copy)->db->replica()) (void)Demote(id, std::move(*copy));
      }
    }
  }
  // A copy that has moved away stays a few cache lifetimes, for the requests routed by shard
  // maps read before the move ended (every node rereads its map after cache_ttl).
  const auto grace = std::max<Clock::duration>(std::chrono::seconds(3), 3 * options.cache_ttl);
  std::map<ShardCopyId, Clock::time_point> still_unplaced;
  for (const auto& id : on_disk) {
    auto rec = records.find(id);
    if (rec == records.end() || rec->second.Places(self)) continue;  // orphans: RemoveOrphans, at start
    auto since = unplaced_since.find(id);
    const Clock::time_point first = since == unplaced_since.end() ? Clock::now() : since->second;
    if (Clock::now() - first < grace) {
      still_unplaced[id] = first;
      continue;
    }
    LogInfo("shard " + std::to_string(id.shard) + " of '" + id.collection + "' has moved off this node; its copy is removed");
    if (Status s = copies.Drop(id); !s.ok()) LogError("removing shard copy " + copies.Directory(id) + ": " + s.ToString());
  }
  unplaced_since = std::move(still_unplaced);
}

void ClusterRouter::Impl::TakeOver(const cluster::ClusterCollection& c, const cluster::ShardRecord& rec, const ShardCopyId& id,
                                   const ShardReplication::Shard& where) {
  auto copy = copies.Get(id, false, true);
  if (!copy.ok()) {
    LogWarn("shard " + std::to_string(rec.shard) + " of '" + c.name + "': cannot take over: " + copy.status().ToString());
    return;
  }
  // (sequence, node): the most up-to-date first, then the lower node id.
  std::vector<std::pair<uint64_t, uint64_t>> candidates;
  for (uint64_t n : rec.in_sync) {
    if (n == rec.primary || !where.nodes.count(n)) continue;
    const uint64_t seq = n == self ? (*copy)->db->WalSequence()
                                   : CopySequence(c, rec.shard, where.nodes.at(n)).value_or(0);
    candidates.emplace_back(seq, n);
  }
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  const auto rank = std::find_if(candidates.begin(), candidates.end(), [&](const auto& x) { return x.second == self; }) -
                    candidates.begin();
  if (rank > 0 && ++waited[id] <= 4 * rank) return;
  waited.erase(id);
  std::string ranking;
  for (const auto& [seq, node] : candidates) ranking += (ranking.empty() ? "" : ", ") + std::to_string(node) + " at " + std::to_string(seq);
  LogInfo("shard " + std::to_string(rec.shard) + " of '" + c.name + "': taking over (in-sync copies by WAL sequence: " +
          ranking + ")");
  auto promoted = shard_map.Promote(rec, self, (*copy)->db->WalSequence());
  if (!promoted.ok()) {
    LogInfo("shard " + std::to_string(rec.shard) + " of '" + c.name + "': not taking over: " + promoted.status().ToString());
    return;
  }
  Status s = (*copy)->db->Promote();
  if (s.ok()) s = replication.Adopt(**copy, *promoted);
  Forget(c.name);
  if (!s.ok()) {
    LogError("shard " + std::to_string(rec.shard) + " of '" + c.name + "': promoted in etcd, but the copy: " + s.ToString());
    return;
  }
  LogInfo("shard " + std::to_string(rec.shard) + " of '" + c.name + "': node " + std::to_string(self) +
          " is its primary at epoch " + std::to_string(promoted->epoch) + " (sequence " +
          std::to_string(promoted->epoch_start_seq) + "), node " + std::to_string(rec.primary) + " having lost its lease");
  // The other in-sync copies learn the new epoch now, and then refuse the old primary.
  if (Status shipped = replication.Ship(**copy, where); !shipped.ok()) LogWarn(shipped.ToString());
}

std::optional<uint64_t> ClusterRouter::Impl::CopySequence(const cluster::ClusterCollection& c, uint32_t shard,
                                                         const std::string& url) {
  auto client = probes.Acquire(url);
  if (!client) return std::nullopt;
  client->SetHeader(kShardHeader, c.uid + "/" + std::to_string(shard));
  if (!client->Send("GET", CollectionPath(c.name) + "/wal", "", "application/json").ok()) return std::nullopt;
  auto reply = client->Receive();
  if (!reply.ok() || reply->status != 200) return std::nullopt;
  probes.Release(url, std::move(client));
  json answer = json::parse(reply->body, nullptr, false);
  if (!answer.is_object() || !answer.contains("result") || !answer["result"].is_object()) return std::nullopt;
  const json& seq = answer["result"].value("wal_sequence", json());
  if (!seq.is_number_unsigned()) return std::nullopt;
  return seq.get<uint64_t>();
}

}  // namespace latentdb::http
