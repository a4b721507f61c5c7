#pragma once
// EtcdClient: the cluster's adapter to etcd (v3 API, 3.4 as Debian ships it), spoken through
// etcd's HTTP/JSON gateway (`/v3/kv/range`, `/v3/kv/put`, `/v3/kv/txn`, `/v3/lease/*`) with the
// project's Beast client. Keys and values are bytes (base64 on the wire); revisions and lease
// ids are etcd's int64s.
//
// Failover between members: a call that cannot reach a member, or that the member answers with
// "unavailable" (no leader, shutting down), is retried on the next endpoint, once around the
// list. A call whose answer was lost may still have been applied by etcd; writes that must not
// repeat are transactions whose comparisons make a second attempt fail harmlessly.
//
// Errors: Unavailable when no member answers (or every member has no leader); NotFound for an
// unknown or expired lease; InvalidArgument when etcd refuses the request; IOError for an answer
// that is not etcd's JSON.
//
// Thread-safe: calls are serialized on one connection per endpoint (etcd answers in
// milliseconds; a call waits at most `timeout` per endpoint).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::cluster {

struct EtcdEndpoint {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "etcd://HOST:PORT[,HOST:PORT…]" (the members' client URLs, as `serve --cluster` takes them).
// InvalidArgument for another scheme, an empty list, a missing or bad port.
Result<std::vector<EtcdEndpoint>> ParseEtcdUrl(const std::string& url);

// One key as etcd stores it.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // the revision that created the key (0: absent)
  int64_t mod_revision = 0;     // the revision of its last change
  int64_t version = 0;          // changes since its creation
  int64_t lease = 0;            // the lease it is attached to (0: none)
};

// A comparison of a transaction (etcd's Compare): `target` of `key` against `number` or `value`.
struct Compare {
  enum class Target { kVersion, kCreateRevision, kModRevision, kValue, kLease };
  enum class Op { kEqual, kNotEqual, kGreater, kLess };
  std::string key;
  Target target = Target::kModRevision;
  Op op = Op::kEqual;
  int64_t number = 0;
  std::string value;

  // The key does not exist (its create revision is 0).
  static Compare Absent(std::string key);
  // The key is unchanged since revision `mod_revision` (0: it does not exist).
  static Compare ModRevisionIs(std::string key, int64_t mod_revision);
  static Compare ValueIs(std::string key, std::string value);
};

// An operation of a transaction.
struct TxnOp {
  enum class Kind { kPut, kDelete, kGet };
  Kind kind = Kind::kGet;
  std::string key;
  std::string value;   // kPut
  int64_t lease = 0;   // kPut: attach the key to this lease (0: none)
  bool prefix = false; // kDelete, kGet: every key starting with `key`

  static TxnOp Put(std::string key, std::string value, int64_t lease = 0);
  static TxnOp Delete(std::string key);
  static TxnOp Get(std::string key, bool prefix = false);
};

struct TxnResult {
  bool succeeded = false;                 // the comparisons held: the `success` ops ran
  int64_t revision = 0;                   // the store's revision after the transaction
  std::vector<std::vector<KeyValue>> gets;  // one list per kGet op that ran, in order
};

struct RangeResult {
  std::vector<KeyValue> kvs;  // in key order
  int64_t revision = 0;       // the store's revision the read saw
};

class EtcdClient {
 public:
  struct Options {
    std::vector<EtcdEndpoint> endpoints;
    // Per endpoint and call; below the shortest lease TTL the cluster uses, so that a member
    // that stopped answering is left for the next one in time.
    std::chrono::milliseconds timeout{1500};
  };
  explicit EtcdClient(Options options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // The key, or nullopt when it does not exist.
  Result<std::optional<KeyValue>> Get(const std::string& key);
  // Every key starting with `prefix` (an empty prefix: every key).
  Result<RangeResult> GetPrefix(const std::string& prefix);
  // Writes the key (attached to `lease` unless 0); returns the new revision.
  Result<int64_t> Put(const std::string& key, const std::string& value, int64_t lease = 0);
  // Deletes the key (or, with `prefix`, every key starting with it); returns how many went.
  Result<int64_t> Delete(const std::string& key, bool prefix = false);
  // If every comparison holds, runs `success`, else `failure`, atomically (etcd's Txn).
  Result<TxnResult> Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                        const std::vector<TxnOp>& failure = {});

  // A new lease of `ttl_seconds` (etcd may round it up to its minimum); its id.
  Result<int64_t> GrantLease(int64_t ttl_seconds);
  // Renews the lease; its remaining TTL in seconds. NotFound when it has expired or was revoked.
  Result<int64_t> KeepAlive(int64_t lease);
  // Ends the lease now: every key attached to it is deleted. OK when it was already gone.
  Status RevokeLease(int64_t lease);

  const Options& options() const { return options_; }

 private:
  // POSTs `body` to `path` on the current endpoint, failing over as described above; the
  // parsed JSON answer as text.
  Result<std::string> Call(const std::string& path, const std::string& body);

  struct Impl;
  Options options_;
  std::unique_ptr<Impl> impl_;
};

// The smallest key greater than every key starting with `prefix` (etcd's range_end for a
// prefix): the prefix with its last byte below 0xff incremented and what follows dropped;
// "\0" (every key) when there is none.
std::string PrefixRangeEnd(const std::string& prefix);

}  // namespace latentdb::cluster
