#include "cluster/shard_map.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "cluster/membership.h"

namespace latentdb::cluster {

using nlohmann::json;

namespace {

constexpr uint32_t kMaxShards = 1024;

uint64_t Fnv1a64(std::string_view bytes, uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// SplitMix64's finalizer (Steele, Lea & Flood 2014): spreads every input bit over the output.
uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

bool Contains(const std::vector<uint64_t>& v, uint64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// A JSON array of node ids, or InvalidArgument.
Result<std::vector<uint64_t>> NodeList(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_array()) return Status::Corruption(std::string("shard record without ") + name);
  std::vector<uint64_t> out;
  for (const auto& v : *it) {
    if (!v.is_number_unsigned()) return Status::Corruption(std::string("shard record: bad node id in ") + name);
    out.push_back(v.get<uint64_t>());
  }
  return out;
}

uint64_t UnsignedField(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

json CollectionJson(const ClusterCollection& c) {
  return json{{"uid", c.uid},
              {"config", c.config},
              {"shard_number", c.shard_number},
              {"replication_factor", c.replication_factor},
              {"write_consistency_factor", c.write_consistency_factor}};
}

Result<ClusterCollection> CollectionFromJson(const std::string& name, const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::Corruption("cluster collection record '" + name + "' is not a JSON object");
  ClusterCollection c;
  c.name = name;
  c.uid = j.contains("uid") && j["uid"].is_string() ? j["uid"].get<std::string>() : std::string();
  c.config = j.contains("config") ? j["config"] : json::object();
  c.shard_number = static_cast<uint32_t>(UnsignedField(j, "shard_number"));
  c.replication_factor = static_cast<uint32_t>(UnsignedField(j, "replication_factor"));
  c.write_consistency_factor = static_cast<uint32_t>(UnsignedField(j, "write_consistency_factor"));
  if (c.shard_number == 0 || c.replication_factor == 0 || c.write_consistency_factor == 0)
    return Status::Corruption("cluster collection record '" + name + "' lacks its shard settings");
  return c;
}

}  // namespace

bool ShardRecord::InSync(uint64_t node) const { return Contains(in_sync, node); }
bool ShardRecord::Places(uint64_t node) const { return Contains(replicas, node); }

json ShardRecord::ToJson() const {
  json j{{"epoch", epoch},
         {"primary", primary},
         {"replicas", replicas},
         {"in_sync", in_sync},
         {"epoch_start_seq", epoch_start_seq}};
  if (!transfers.empty()) {
    j["transfers"] = json::array();
    for (const auto& t : transfers) {
      json entry = {{"from", t.from}, {"to", t.to}};
      if (t.handover) entry["handover"] = true;
      j["transfers"].push_back(std::move(entry));
    }
  }
  return j;
}

Result<ShardRecord> ShardRecord::FromJson(const std::string& collection, uint32_t shard, const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::Corruption("shard record is not a JSON object");
  ShardRecord r;
  r.collection = collection;
  r.shard = shard;
  r.epoch = UnsignedField(j, "epoch");
  r.primary = UnsignedField(j, "primary");
  r.epoch_start_seq = UnsignedField(j, "epoch_start_seq");
  auto replicas = NodeList(j, "replicas");
  if (!replicas.ok()) return replicas.status();
  auto in_sync = NodeList(j, "in_sync");
  if (!in_sync.ok()) return in_sync.status();
  r.replicas = std::move(*replicas);
  r.in_sync = std::move(*in_sync);
  if (j.contains("transfers")) {  // absent: no move under way
    if (!j["transfers"].is_array()) return Status::Corruption("shard record: transfers is not an array");
    for (const json& t : j["transfers"]) {
      if (!t.is_object()) return Status::Corruption("shard record: a transfer is not an object");
      ShardTransfer transfer{UnsignedField(t, "from"), UnsignedField(t, "to"),
                             t.contains("handover") && t["handover"].is_boolean() && t["handover"].get<bool>()};
      if (transfer.from == 0 || transfer.to == 0) return Status::Corruption("shard record: a transfer without its nodes");
      r.transfers.push_back(transfer);
    }
  }
  if (r.epoch == 0 || r.primary == 0) return Status::Corruption("shard record without epoch or primary");
  return r;
}

uint32_t ShardOf(std::string_view canonical_id, uint32_t shard_number) {
  if (shard_number <= 1) return 0;
  return static_cast<uint32_t>(Mix64(Fnv1a64(canonical_id)) % shard_number);
}

Result<std::vector<uint64_t>> PlaceShard(const std::string& collection, uint32_t shard,
                                         std::vector<uint64_t> live_nodes, uint32_t replication_factor) {
  std::sort(live_nodes.begin(), live_nodes.end());
  live_nodes.erase(std::unique(live_nodes.begin(), live_nodes.end()), live_nodes.end());
  if (replication_factor == 0) return Status::InvalidArgument("replication_factor must be at least 1");
  if (live_nodes.size() < replication_factor)
    return Status::InvalidArgument("replication_factor " + std::to_string(replication_factor) + " needs as many live nodes; " +
                                   std::to_string(live_nodes.size()) + " are live");
  const uint64_t base = Mix64(Fnv1a64(collection) ^ Mix64(shard + 0x9e3779b97f4a7c15ull));
  std::vector<std::pair<uint64_t, uint64_t>> weighted;  // (weight, node)
  for (uint64_t node : live_nodes) weighted.emplace_back(Mix64(base ^ Mix64(node)), node);
  std::sort(weighted.begin(), weighted.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<uint64_t> out;
  for (uint32_t i = 0; i < replication_factor; ++i) out.push_back(weighted[i].second);
  return out;
}

Result<std::vector<std::vector<uint64_t>>> PlaceShards(const std::string& collection, uint32_t shard_number,
                                                       const std::vector<uint64_t>& live_nodes,
                                                       uint32_t replication_factor) {
  // PlaceShard's checks (replication_factor 0, fewer live nodes than copies).
  if (auto checked = PlaceShard(collection, 0, live_nodes, replication_factor); !checked.ok()) return checked.status();
  const auto live = static_cast<uint32_t>(std::set<uint64_t>(live_nodes.begin(), live_nodes.end()).size());
  std::map<uint64_t, uint32_t> primaries, copies;  // per node, assigned so far
  std::vector<std::vector<uint64_t>> out;
  for (uint32_t s = 0; s < shard_number; ++s) {
    // Every live node in the shard's rendezvous order: the tie-break among equally loaded nodes.
    auto ranked = PlaceShard(collection, s, live_nodes, live);
    if (!ranked.ok()) return ranked.status();
    std::vector<uint64_t> candidates = *ranked;
    // The primary: the node with the fewest primaries so far; then the copies on the nodes with
    // the fewest copies. Stable sorts keep the rendezvous order among equals.
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](uint64_t a, uint64_t b) { return primaries[a] < primaries[b]; });
    std::vector<uint64_t> chosen = {candidates.front()};
    candidates.erase(candidates.begin());
    std::stable_sort(candidates.begin(), candidates.end(), [&](uint64_t a, uint64_t b) { return copies[a] < copies[b]; });
    for (uint32_t i = 1; i < replication_factor; ++i) chosen.push_back(candidates[i - 1]);
    ++primaries[chosen.front()];
    for (uint64_t n : chosen) ++copies[n];
    out.push_back(std::move(chosen));
  }
  return out;
}

ShardMap::ShardMap(std::shared_ptr<EtcdClient> etcd, std::string prefix) : etcd_(std::move(etcd)), prefix_(std::move(prefix)) {}

std::string ShardMap::ShardKey(const std::string& name, uint32_t shard) const {
  // Zero-padded, so that the records of a collection list in shard order.
  char buf[16];
  std::snprintf(buf, sizeof buf, "%05u", shard);
  return ShardsPrefix(name) + buf;
}

Status ShardMap::CreateCollection(const ClusterCollection& c, const std::vector<uint64_t>& live_nodes) {
  if (c.name.empty() || c.name.find('/') != std::string::npos)
    return Status::InvalidArgument("a clustered collection's name must be non-empty and hold no '/'");
  if (c.shard_number == 0 || c.shard_number > kMaxShards)
    return Status::InvalidArgument("shard_number must be in [1, " + std::to_string(kMaxShards) + "]");
  if (c.write_consistency_factor == 0 || c.write_consistency_factor > c.replication_factor)
    return Status::InvalidArgument("write_consistency_factor must be in [1, replication_factor]");
  std::vector<TxnOp> puts = {TxnOp::Put(CollectionKey(c.name), CollectionJson(c).dump())};
  auto placement = PlaceShards(c.name, c.shard_number, live_nodes, c.replication_factor);
  if (!placement.ok()) return placement.status();
  for (uint32_t s = 0; s < c.shard_number; ++s) {
    const auto& nodes = (*placement)[s];
    ShardRecord r;
    r.collection = c.name;
    r.shard = s;
    r.primary = nodes.front();
    r.replicas = nodes;
    r.in_sync = nodes;  // empty copies are in sync with an empty shard
    puts.push_back(TxnOp::Put(ShardKey(c.name, s), r.ToJson().dump()));
  }
  // Absent collection and no leftover shard records of an earlier one of that name.
  auto txn = etcd_->Txn({Compare::Absent(CollectionKey(c.name))}, puts);
  if (!txn.ok()) return txn.status();
  if (!txn->succeeded) return Status::AlreadyExists("collection '" + c.name + "' already exists in the cluster");
  return Status::Ok();
}

Status ShardMap::DeleteCollection(const std::string& name) {
  auto txn = etcd_->Txn({Compare{CollectionKey(name), Compare::Target::kCreateRevision, Compare::Op::kGreater, 0, ""}},
                        {TxnOp::Delete(CollectionKey(name)), TxnOp{TxnOp::Kind::kDelete, ShardsPrefix(name), "", 0, true}});
  if (!txn.ok()) return txn.status();
  if (!txn->succeeded) return Status::NotFound("collection '" + name + "' does not exist in the cluster");
  return Status::Ok();
}

Result<ClusterCollection> ShardMap::GetCollection(const std::string& name) const {
  auto kv = etcd_->Get(CollectionKey(name));
  if (!kv.ok()) return kv.status();
  if (!kv->has_value()) return Status::NotFound("collection '" + name + "' does not exist in the cluster");
  return CollectionFromJson(name, (*kv)->value);
}

Result<std::vector<ClusterCollection>> ShardMap::ListCollections() const {
  const std::string prefix = prefix_ + "/collections/";
  auto range = etcd_->GetPrefix(prefix);
  if (!range.ok()) return range.status();
  std::vector<ClusterCollection> out;
  for (const auto& kv : range->kvs) {
    auto c = CollectionFromJson(kv.key.substr(prefix.size()), kv.value);
    if (!c.ok()) return c.status();
    out.push_back(std::move(*c));
  }
  return out;
}

Result<std::vector<ShardRecord>> ShardMap::Shards(const std::string& name) const {
  const std::string prefix = ShardsPrefix(name);
  auto range = etcd_->GetPrefix(prefix);
  if (!range.ok()) return range.status();
  std::vector<ShardRecord> out;
  for (const auto& kv : range->kvs) {
    const std::string number = kv.key.substr(prefix.size());
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos)
      return Status::Corruption("bad shard key '" + kv.key + "'");
    auto r = ShardRecord::FromJson(name, static_cast<uint32_t>(std::stoul(number)), kv.value);
    if (!r.ok()) return r.status().WithContext(kv.key);
    r->mod_revision = kv.mod_revision;
    out.push_back(std::move(*r));
  }
  if (out.empty()) return Status::NotFound("collection '" + name + "' has no shards in the cluster");
  return out;
}

Result<ShardRecord> ShardMap::Shard(const std::string& name, uint32_t shard) const {
  LDB_ASSIGN_OR_RETURN(auto shards, Shards(name));
  if (shard >= shards.size()) {
    return Status::NotFound("collection '" + name + "' has no shard " + std::to_string(shard));
  }
  return std::move(shards[shard]);
}

Result<ShardRecord> ShardMap::Swap(const ShardRecord& seen, ShardRecord next, std::vector<Compare> extra) {
  const std::string key = ShardKey(seen.collection, seen.shard);
  extra.insert(extra.begin(), Compare::ModRevisionIs(key, seen.mod_revision));
  auto txn = etcd_->Txn(extra, {TxnOp::Put(key, next.ToJson().dump())});
  if (!txn.ok()) return txn.status();
  if (!txn->succeeded)
    return Status::Conflict("shard " + std::to_string(seen.shard) + " of '" + seen.collection +
                            "': the record has changed since epoch " + std::to_string(seen.epoch) +
                            " was read, or the change's condition no longer holds (fenced)");
  next.mod_revision = txn->revision;
  return next;
}

Result<ShardRecord> ShardMap::RemoveFromInSync(const ShardRecord& seen, uint64_t node, uint32_t write_consistency_factor) {
  if (node == seen.primary) return Status::Conflict("the primary cannot drop itself from the in-sync set");
  if (!seen.InSync(node)) return seen;
  if (seen.in_sync.size() - 1 < write_consistency_factor)
    return Status::Conflict("dropping node " + std::to_string(node) + " would leave " +
                            std::to_string(seen.in_sync.size() - 1) + " in-sync copies, fewer than write_consistency_factor " +
                            std::to_string(write_consistency_factor));
  ShardRecord next = seen;
  next.in_sync.erase(std::remove(next.in_sync.begin(), next.in_sync.end(), node), next.in_sync.end());
  return Swap(seen, std::move(next));
}

Result<ShardRecord> ShardMap::AddToInSync(const ShardRecord& seen, uint64_t node) {
  if (!Contains(seen.replicas, node))
    return Status::InvalidArgument("node " + std::to_string(node) + " holds no copy of this shard");
  if (seen.InSync(node)) return seen;
  ShardRecord next = seen;
  next.in_sync.push_back(node);
  return Swap(seen, std::move(next));
}

Result<ShardRecord> ShardMap::Promote(const ShardRecord& seen, uint64_t candidate, uint64_t last_seq) {
  if (candidate == seen.primary) return seen;
  if (!seen.InSync(candidate))
    return Status::Conflict("node " + std::to_string(candidate) + " is not in sync: it may lack acknowledged writes");
  ShardRecord next = seen;
  next.epoch = seen.epoch + 1;
  next.primary = candidate;
  next.epoch_start_seq = last_seq;
  next.in_sync.erase(std::remove(next.in_sync.begin(), next.in_sync.end(), seen.primary), next.in_sync.end());
  // The old primary's node key must be gone: its lease expired, so it is not acknowledging.
  return Swap(seen, std::move(next), {Compare::Absent(Membership::NodesPrefix(prefix_) + std::to_string(seen.primary))});
}

namespace {

void Erase(std::vector<uint64_t>* v, uint64_t x) { v->erase(std::remove(v->begin(), v->end(), x), v->end()); }

const ShardTransfer* TransferTo(const ShardRecord& r, uint64_t to) {
  for (const auto& t : r.transfers) {
    if (t.to == to) return &t;
  }
  return nullptr;
}

}  // namespace

Result<ShardRecord> ShardMap::StartTransfer(const ShardRecord& seen, uint64_t from, uint64_t to) {
  const std::string shard = "shard " + std::to_string(seen.shard) + " of '" + seen.collection + "'";
  if (!seen.Places(from)) return Status::InvalidArgument("node " + std::to_string(from) + " holds no copy of " + shard);
  if (seen.Places(to)) return Status::InvalidArgument("node " + std::to_string(to) + " holds a copy of " + shard + " already");
  if (!seen.transfers.empty()) {
    return Status::Conflict(shard + " is moving already (from node " + std::to_string(seen.transfers[0].from) +
                            " to node " + std::to_string(seen.transfers[0].to) + ")");
  }
  ShardRecord next = seen;
  next.replicas.push_back(to);
  next.transfers.push_back({from, to});
  return Swap(seen, std::move(next));
}

Result<ShardRecord> ShardMap::StartHandover(const ShardRecord& seen, uint64_t to) {
  const std::string shard = "shard " + std::to_string(seen.shard) + " of '" + seen.collection + "'";
  if (to == seen.primary) return Status::InvalidArgument("node " + std::to_string(to) + " is the primary of " + shard + " already");
  if (!seen.InSync(to)) {
    return Status::InvalidArgument("node " + std::to_string(to) + " holds no in-sync copy of " + shard +
                                   ": only an in-sync copy can take the primary's role over");
  }
  if (!seen.transfers.empty()) {
    return Status::Conflict(shard + " is moving already (from node " + std::to_string(seen.transfers[0].from) +
                            " to node " + std::to_string(seen.transfers[0].to) + ")");
  }
  ShardRecord next = seen;
  next.transfers.push_back({seen.primary, to, /*handover=*/true});
  return Swap(seen, std::move(next));
}

Result<ShardRecord> ShardMap::FinishTransfer(const ShardRecord& seen, uint64_t to, uint64_t last_seq) {
  const ShardTransfer* t = TransferTo(seen, to);
  if (!t) return Status::InvalidArgument("no copy of this shard is moving to node " + std::to_string(to));
  if (!seen.InSync(to)) return Status::InvalidArgument("node " + std::to_string(to) + "'s copy is not in sync yet");
  ShardRecord next = seen;
  const uint64_t from = t->from;
  next.transfers.erase(std::remove(next.transfers.begin(), next.transfers.end(), *t), next.transfers.end());
  if (t->handover) {
    // The caller is the current primary (whether or not it is the one that started the
    // handover): it stays placed, out of the in-sync set, and `to` takes its role.
    if (to != seen.primary) {
      Erase(&next.in_sync, seen.primary);
      next.primary = to;
      next.epoch = seen.epoch + 1;
      next.epoch_start_seq = last_seq;
    }
    return Swap(seen, std::move(next));
  }
  Erase(&next.replicas, from);
  Erase(&next.in_sync, from);
  if (from == seen.primary) {
    next.primary = to;
    next.epoch = seen.epoch + 1;
    next.epoch_start_seq = last_seq;
  }
  return Swap(seen, std::move(next));
}

Result<ShardRecord> ShardMap::AbortTransfer(const ShardRecord& seen, uint64_t to) {
  const ShardTransfer* t = TransferTo(seen, to);
  if (!t) return Status::InvalidArgument("no copy of this shard is moving to node " + std::to_string(to));
  if (to == seen.primary && !t->handover) {
    return Status::InvalidArgument("node " + std::to_string(to) + " is the shard's primary now");
  }
  ShardRecord next = seen;
  if (!t->handover) {
    Erase(&next.replicas, to);
    Erase(&next.in_sync, to);
  }
  next.transfers.erase(std::remove(next.transfers.begin(), next.transfers.end(), *t), next.transfers.end());
  return Swap(seen, std::move(next));
}

}  // namespace latentdb::cluster
