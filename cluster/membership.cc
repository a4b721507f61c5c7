#include "cluster/membership.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "client/http_client.h"
#include "common/logging.h"

namespace latentdb::cluster {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string StringField(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Membership::Membership(std::shared_ptr<EtcdClient> etcd, MembershipOptions options)
    : etcd_(std::move(etcd)),
      lease_etcd_(std::make_shared<EtcdClient>(etcd_->options())),
      options_(std::move(options)),
      started_at_(UtcNowIso8601()) {}

namespace {
int64_t SteadyNanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

bool Membership::LeaseAlive() const {
  if (!lease_alive_.load()) return false;
  const auto since = std::chrono::nanoseconds(SteadyNanos(Clock::now()) - last_renewal_sent_ns_.load());
  return since < std::chrono::seconds(options_.lease_ttl_seconds);
}

std::string Membership::NodeKey() const { return NodesPrefix(options_.prefix) + std::to_string(options_.node_id); }

Result<std::unique_ptr<Membership>> Membership::Join(std::shared_ptr<EtcdClient> etcd, MembershipOptions options) {
  if (options.node_id == 0) return Status::InvalidArgument("--node-id must be a positive integer");
  std::string host;
  uint16_t port = 0;
  Status url = client::ParseHttpUrl(options.advertise, &host, &port);
  if (!url.ok()) return Status::InvalidArgument("--advertise: " + url.message());
  if (options.lease_ttl_seconds < 1) return Status::InvalidArgument("the lease TTL must be at least 1 s");
  std::unique_ptr<Membership> m(new Membership(std::move(etcd), std::move(options)));
  const int64_t wait = m->options_.join_wait_seconds > 0 ? m->options_.join_wait_seconds
                                                          : m->options_.lease_ttl_seconds + 1;
  LDB_RETURN_IF_ERROR(m->Register(wait));
  m->renewer_ = std::thread([p = m.get()] { p->RenewLoop(); });
  return m;
}

Membership::~Membership() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (lease_alive_.load()) {
    Status s = lease_etcd_->RevokeLease(lease_.load());
    if (!s.ok()) LogWarn("leaving the cluster: revoking the lease failed (it expires by itself): " + s.message());
  }
}

Status Membership::Register(int64_t wait_seconds) {
  auto granted_sent = Clock::now();
  Result<int64_t> lease = lease_etcd_->GrantLease(options_.lease_ttl_seconds);
  if (!lease.ok()) return lease.status().WithContext("joining the cluster");
  const std::string value =
      json{{"node_id", options_.node_id}, {"advertise", options_.advertise}, {"started_at", started_at_}}.dump();
  const auto deadline = Clock::now() + std::chrono::seconds(wait_seconds);
  const std::string key = NodeKey();
  for (;;) {
    auto txn = lease_etcd_->Txn({Compare::Absent(key)}, {TxnOp::Put(key, value, *lease)}, {TxnOp::Get(key)});
    if (!txn.ok()) {
      (void)lease_etcd_->RevokeLease(*lease);
      return txn.status().WithContext("joining the cluster");
    }
    if (txn->succeeded) {
      lease_.store(*lease);
      last_renewal_sent_ns_.store(SteadyNanos(granted_sent));
      lease_alive_.store(true);
      generation_.fetch_add(1);
      return Status::Ok();
    }
    std::string holder = "another process";
    if (!txn->gets.empty() && !txn->gets[0].empty()) {
      json other = json::parse(txn->gets[0][0].value, nullptr, false);
      if (other.is_object() && !StringField(other, "advertise").empty())
        holder = "the node advertising " + StringField(other, "advertise");
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_ || Clock::now() >= deadline) {
      lock.unlock();
      (void)lease_etcd_->RevokeLease(*lease);
      return Status::Conflict("node id " + std::to_string(options_.node_id) + " is held by " + holder +
                              ", whose lease has not expired; give this node another --node-id");
    }
    // A key left by an earlier life of this node goes when its lease expires.
    stop_cv_.wait_for(lock, std::chrono::milliseconds(250));
    lock.unlock();
    // Our own lease must outlive the wait, which may be longer than its TTL.
    const auto renewal_sent = Clock::now();
    auto renewed = lease_etcd_->KeepAlive(*lease);
    if (renewed.ok()) granted_sent = renewal_sent;
    if (!renewed.ok() && renewed.status().code() == StatusCode::kNotFound) {
      granted_sent = Clock::now();
      lease = lease_etcd_->GrantLease(options_.lease_ttl_seconds);
      if (!lease.ok()) return lease.status().WithContext("joining the cluster");
    }
  }
}

void Membership::RenewLoop() {
  const auto ttl = std::chrono::seconds(options_.lease_ttl_seconds);
  const auto interval = std::chrono::milliseconds(options_.lease_ttl_seconds * 1000 / 3);
  // When the last renewal that etcd acknowledged was *sent*: etcd's expiry is at least a TTL
  // after it, so presuming the lease lost a TTL after it is never late.
  auto last_renewal_sent = Clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_cv_.wait_for(lock, interval, [this] { return stopping_; })) return;
    }
    if (lease_alive_.load()) {
      const auto sent = Clock::now();
      auto ttl_left = lease_etcd_->KeepAlive(lease_.load());
      if (ttl_left.ok()) {
        last_renewal_sent = sent;
        last_renewal_sent_ns_.store(SteadyNanos(sent));
        continue;
      }
      if (ttl_left.status().code() == StatusCode::kNotFound) {
        lease_alive_.store(false);
        LogError("cluster: the lease of node " + std::to_string(options_.node_id) +
                 " expired; the cluster counts this node as gone. Joining again.");
      } else if (Clock::now() - last_renewal_sent >= ttl) {
        lease_alive_.store(false);
        LogError("cluster: no lease renewal for " + std::to_string(options_.lease_ttl_seconds) +
                 " s (" + ttl_left.status().message() + "); the lease is presumed lost. Joining again.");
      } else {
        continue;
      }
      (void)lease_etcd_->RevokeLease(lease_.load());  // if it still exists, its key must go before we rejoin
    }
    Status s = Register(options_.lease_ttl_seconds + 1);
    if (s.ok()) {
      last_renewal_sent = Clock::now();
      LogInfo("cluster: node " + std::to_string(options_.node_id) + " joined again (lease " +
              std::to_string(lease_.load()) + ")");
    }
  }
}

Result<std::vector<NodeInfo>> Membership::Nodes() const {
  auto range = etcd_->GetPrefix(NodesPrefix(options_.prefix));
  if (!range.ok()) return range.status();
  std::vector<NodeInfo> out;
  for (const auto& kv : range->kvs) {
    json j = json::parse(kv.value, nullptr, false);
    if (!j.is_object() || !j.contains("node_id") || !j["node_id"].is_number_unsigned()) continue;
    NodeInfo n;
    n.node_id = j["node_id"].get<uint64_t>();
    n.advertise = StringField(j, "advertise");
    n.started_at = StringField(j, "started_at");
    n.lease = kv.lease;
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(), [](const NodeInfo& a, const NodeInfo& b) { return a.node_id < b.node_id; });
  return out;
}

}  // namespace latentdb::cluster
