#include "cluster/etcd_client.h"

#include <mutex>

#include <nlohmann/json.hpp>

#include "client/http_client.h"
#include "common/base64.h"

namespace latentdb::cluster {

using nlohmann::json;

namespace {

// etcd's JSON gateway writes int64s as strings ("revision": "12") and leaves out zero values.
int64_t Int64Field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

// A field written under its proto name ("response_range") or its JSON name ("responseRange").
const json* Field(const json& object, const char* proto_name, const char* json_name) {
  auto it = object.find(proto_name);
  if (it != object.end()) return &*it;
  it = object.find(json_name);
  return it != object.end() ? &*it : nullptr;
}

Result<std::string> DecodeBytes(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::string();
  auto bytes = Base64Decode(it->get<std::string>());
  if (!bytes.ok()) return Status::IOError(std::string("etcd answered a bad base64 ") + name);
  return bytes;
}

Result<KeyValue> ParseKeyValue(const json& j) {
  KeyValue kv;
  auto key = DecodeBytes(j, "key");
  if (!key.ok()) return key.status();
  auto value = DecodeBytes(j, "value");
  if (!value.ok()) return value.status();
  kv.key = std::move(*key);
  kv.value = std::move(*value);
  kv.create_revision = Int64Field(j, "create_revision");
  kv.mod_revision = Int64Field(j, "mod_revision");
  kv.version = Int64Field(j, "version");
  kv.lease = Int64Field(j, "lease");
  return kv;
}

Result<std::vector<KeyValue>> ParseKvs(const json& range) {
  std::vector<KeyValue> out;
  auto it = range.find("kvs");
  if (it == range.end() || !it->is_array()) return out;
  for (const auto& j : *it) {
    auto kv = ParseKeyValue(j);
    if (!kv.ok()) return kv.status();
    out.push_back(std::move(*kv));
  }
  return out;
}

int64_t HeaderRevision(const json& answer) {
  auto it = answer.find("header");
  return it != answer.end() && it->is_object() ? Int64Field(*it, "revision") : 0;
}

Result<json> ParseAnswer(const std::string& body) {
  // Streamed calls (lease keep-alive) answer one JSON object per line: the first is ours.
  const size_t end = body.find('\n');
  json j = json::parse(end == std::string::npos ? body : body.substr(0, end), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::IOError("etcd answered something that is not JSON");
  return j;
}

// An error answer of the gateway: {"error", "message", "code": gRPC code}.
Status GatewayError(int http_status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  int code = -1;
  std::string message = "HTTP " + std::to_string(http_status);
  // Streamed calls report an error as {"error": {"grpc_code", "http_code", "message"}}.
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    json inner = j["error"];
    if (inner.contains("grpc_code")) inner["code"] = inner["grpc_code"];
    j = std::move(inner);
  }
  if (j.is_object()) {
    if (j.contains("code") && j["code"].is_number_integer()) code = j["code"].get<int>();
    for (const char* key : {"message", "error"}) {
      if (j.contains(key) && j[key].is_string() && !j[key].get<std::string>().empty()) {
        message = j[key].get<std::string>();
        break;
      }
    }
  }
  if (code == 5 || (code < 0 && http_status == 404)) return Status::NotFound("etcd: " + message);
  if (code == 3 || (code < 0 && http_status == 400)) return Status::InvalidArgument("etcd: " + message);
  // 14 unavailable, 4 deadline exceeded, 10 aborted, 13 internal: another member may answer.
  if (code == 14 || code == 4 || code == 10 || code == 13 || http_status == 503)
    return Status::Unavailable("etcd: " + message);
  return Status::IOError("etcd: " + message);
}

const char* TargetName(Compare::Target t) {
  switch (t) {
    case Compare::Target::kVersion: return "VERSION";
    case Compare::Target::kCreateRevision: return "CREATE";
    case Compare::Target::kModRevision: return "MOD";
    case Compare::Target::kValue: return "VALUE";
    case Compare::Target::kLease: return "LEASE";
  }
  return "MOD";
}

const char* OpName(Compare::Op op) {
  switch (op) {
    case Compare::Op::kEqual: return "EQUAL";
    case Compare::Op::kNotEqual: return "NOT_EQUAL";
    case Compare::Op::kGreater: return "GREATER";
    case Compare::Op::kLess: return "LESS";
  }
  return "EQUAL";
}

json CompareJson(const Compare& c) {
  json j{{"key", Base64Encode(c.key)}, {"target", TargetName(c.target)}, {"result", OpName(c.op)}};
  const std::string number = std::to_string(c.number);
  switch (c.target) {
    case Compare::Target::kVersion: j["version"] = number; break;
    case Compare::Target::kCreateRevision: j["create_revision"] = number; break;
    case Compare::Target::kModRevision: j["mod_revision"] = number; break;
    case Compare::Target::kValue: j["value"] = Base64Encode(c.value); break;
    case Compare::Target::kLease: j["lease"] = number; break;
  }
  return j;
}

json RangeJson(const std::string& key, bool prefix) {
  // etcd refuses an empty key; "\0" to "\0" is its way of saying every key.
  json j{{"key", Base64Encode(prefix && key.empty() ? std::string(1, '\0') : key)}};
  if (prefix) j["range_end"] = Base64Encode(PrefixRangeEnd(key));
  return j;
}

json OpJson(const TxnOp& op) {
  switch (op.kind) {
    case TxnOp::Kind::kPut: {
      json put{{"key", Base64Encode(op.key)}, {"value", Base64Encode(op.value)}};
      if (op.lease != 0) put["lease"] = std::to_string(op.lease);
      return json{{"request_put", put}};
    }
    case TxnOp::Kind::kDelete: return json{{"request_delete_range", RangeJson(op.key, op.prefix)}};
    case TxnOp::Kind::kGet: return json{{"request_range", RangeJson(op.key, op.prefix)}};
  }
  return json::object();
}

}  // namespace

Result<std::vector<EtcdEndpoint>> ParseEtcdUrl(const std::string& url) {
  const std::string scheme = "etcd://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    return Status::InvalidArgument("--cluster takes etcd://HOST:PORT[,HOST:PORT…] (got '" + url + "')");
  std::vector<EtcdEndpoint> out;
  std::string rest = url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    const std::string member = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t colon = member.rfind(':');
    if (member.empty() || colon == std::string::npos || colon == 0)
      return Status::InvalidArgument("etcd member '" + member + "' in '" + url + "' is not HOST:PORT");
    EtcdEndpoint e;
    e.host = member.substr(0, colon);
    const std::string port = member.substr(colon + 1);
    long p = 0;
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        (p = std::stol(port)) <= 0 || p > 65535)
      return Status::InvalidArgument("etcd member '" + member + "' in '" + url + "' has a bad port");
    e.port = static_cast<uint16_t>(p);
    out.push_back(std::move(e));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

Compare Compare::Absent(std::string key) {
  Compare c;
  c.key = std::move(key);
  c.target = Target::kCreateRevision;
  c.op = Op::kEqual;
  c.number = 0;
  return c;
}

Compare Compare::ModRevisionIs(std::string key, int64_t mod_revision) {
  Compare c;
  c.key = std::move(key);
  c.target = Target::kModRevision;
  c.number = mod_revision;
  return c;
}

Compare Compare::ValueIs(std::string key, std::string value) {
  Compare c;
  c.key = std::move(key);
  c.target = Target::kValue;
  c.value = std::move(value);
  return c;
}

TxnOp TxnOp::Put(std::string key, std::string value, int64_t lease) {
  TxnOp op;
  op.kind = Kind::kPut;
  op.key = std::move(key);
  op.value = std::move(value);
  op.lease = lease;
  return op;
}

TxnOp TxnOp::Delete(std::string key) {
  TxnOp op;
  op.kind = Kind::kDelete;
  op.key = std::move(key);
  return op;
}

TxnOp TxnOp::Get(std::string key, bool prefix) {
  TxnOp op;
  op.kind = Kind::kGet;
  op.key = std::move(key);
  op.prefix = prefix;
  return op;
}

struct EtcdClient::Impl {
  std::mutex mu;
  size_t current = 0;  // the endpoint that answered last
  std::vector<std::unique_ptr<client::HttpClient>> clients;
};

EtcdClient::EtcdClient(Options options) : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  for (const auto& e : options_.endpoints)
    impl_->clients.push_back(std::make_unique<client::HttpClient>(e.host, e.port, options_.timeout));
}

EtcdClient::~EtcdClient() = default;

Result<std::string> EtcdClient::Call(const std::string& path, const std::string& body) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const size_t n = impl_->clients.size();
  if (n == 0) return Status::InvalidArgument("no etcd endpoints");
  Status last = Status::Unavailable("no etcd member answered");
  for (size_t attempt = 0; attempt < n; ++attempt) {
    const size_t i = (impl_->current + attempt) % n;
    auto r = impl_->clients[i]->Request("POST", path, body);
    if (!r.ok()) {
      last = Status::Unavailable("etcd member " + options_.endpoints[i].ToString() + ": " + r.status().message());
      continue;
    }
    if (r->status == 200) {
      impl_->current = i;
      return std::move(r->body);
    }
    Status s = GatewayError(r->status, r->body);
    if (s.code() == StatusCode::kUnavailable) {
      last = Status::Unavailable("etcd member " + options_.endpoints[i].ToString() + ": " + s.message());
      continue;
    }
    impl_->current = i;
    return s;
  }
  return last;
}

Result<std::optional<KeyValue>> EtcdClient::Get(const std::string& key) {
  auto body = Call("/v3/kv/range", RangeJson(key, false).dump());
  if (!body.ok()) return body.status();
  auto answer = ParseAnswer(*body);
  if (!answer.ok()) return answer.status();
  auto kvs = ParseKvs(*answer);
  if (!kvs.ok()) return kvs.status();
  if (kvs->empty()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(std::move(kvs->front()));
}

Result<RangeResult> EtcdClient::GetPrefix(const std::string& prefix) {
  auto body = Call("/v3/kv/range", RangeJson(prefix, true).dump());
  if (!body.ok()) return body.status();
  auto answer = ParseAnswer(*body);
  if (!answer.ok()) return answer.status();
  auto kvs = ParseKvs(*answer);
  if (!kvs.ok()) return kvs.status();
  RangeResult out;
  out.kvs = std::move(*kvs);
  out.revision = HeaderRevision(*answer);
  return out;
}

Result<int64_t> EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease) {
  json req{{"key", Base64Encode(key)}, {"value", Base64Encode(value)}};
  if (lease != 0) req["lease"] = std::to_string(lease);
  auto body = Call("/v3/kv/put", req.dump());
  if (!body.ok()) return body.status();
  auto answer = ParseAnswer(*body);
  if (!answer.ok()) return answer.status();
  return HeaderRevision(*answer);
}

Result<int64_t> EtcdClient::Delete(const std::string& key, bool prefix) {
  auto body = Call("/v3/kv/deleterange", RangeJson(key, prefix).dump());
  if (!body.ok()) return body.status();
  auto answer = ParseAnswer(*body);
  if (!answer.ok()) return answer.status();
  return Int64Field(*answer, "deleted");
}

Result<TxnResult> EtcdClient::Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                                  const std::vector<TxnOp>& failure) {
  json req{{"compare", json::array()}, {"success", json::array()}, {"failure", json::array()}};
  for (const auto& c : compares) req["compare"].push_back(CompareJson(c));
  for (const auto& op : success) req["success"].push_back(OpJson(op));
  for (const auto& op : failure) req["failure"].push_back(OpJson(op));
  auto body = Call("/v3/kv/txn", req.dump());
  if (!body.ok()) return body.status();
  auto answer = ParseAnswer(*body);
  if (!answer.ok()) return answer.status();
  TxnResult out;
  auto succeeded = answer->find("succeeded");
  out.succeeded = succeeded != answer->end() && succeeded->is_boolean() && succeeded->get<bool>();
  out.revision = HeaderRevision(*answer);
  auto responses = answer->find("responses");
  if (responses != answer->end() && responses->is_array()) {
    for (const auto& r : *responses) {
      const json* range = Field(r, "response_range", "responseRange");
      if (range == nullptr) continue;
      auto kvs = ParseKvs(*range);
      if (!kvs.ok()) return kvs.status();
      out.gets.push_back(std::move(*kvs));
    }
  }
  return out;
}

Result<int64_t> EtcdClient::GrantLease(int64_t ttl_seconds) {
  auto body = Call("/v3/lease/grant", json{{"TTL", std::to_string(ttl_seconds)}}.dump());
  if (!body.ok()) return body.status();
  auto answer = ParseAnswer(*body);
  if (!answer.ok()) return answer.status();
  if (answer->contains("error") && (*answer)["error"].is_string() && !(*answer)["error"].get<std::string>().empty())
    return Status::Unavailable("etcd refused a lease: " + (*answer)["error"].get<std::string>());
  const int64_t id = Int64Field(*answer, "ID");
  if (id == 0) return Status::IOError("etcd granted a lease without an id");
  return id;
}

Result<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  auto body = Call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump());
  if (!body.ok()) return body.status();
  auto answer = ParseAnswer(*body);
  if (!answer.ok()) return answer.status();
  const json* result = Field(*answer, "result", "result");
  if (result == nullptr) {
    if (answer->contains("error")) return GatewayError(200, answer->dump());
    return Status::IOError("etcd answered a keep-alive without a result");
  }
  // An expired or revoked lease is renewed with TTL 0 (left out of the JSON).
  const int64_t ttl = Int64Field(*result, "TTL");
  if (ttl <= 0) return Status::NotFound("etcd lease " + std::to_string(lease) + " has expired");
  return ttl;
}

Status EtcdClient::RevokeLease(int64_t lease) {
  auto body = Call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}}.dump());
  if (!body.ok() && body.status().code() == StatusCode::kNotFound) return Status::Ok();
  return body.status();
}

}  // namespace latentdb::cluster
