// The online sink: batches go to a running server as PUT /collections/{c}/points over one
// keep-alive connection. Connection loss and 5xx answers are retried with exponential backoff
// (upserts by stable id are idempotent, so a retried batch that had in fact landed is harmless).
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>
#include <unordered_set>

#include "ingest/point_json.h"
#include "ingest/sink.h"
#include "client/http_client.h"

namespace latentdb::ingest {
namespace {

using nlohmann::json;

std::string ErrorText(const client::ClientResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("status") && j["status"].is_object() && j["status"].contains("error") &&
      j["status"]["error"].is_string()) {
    return j["status"]["error"].get<std::string>();
  }
  return r.body.substr(0, 200);
}

Status StatusFor(const client::ClientResponse& r, const std::string& what) {
  const std::string msg = what + ": HTTP " + std::to_string(r.status) + ": " + ErrorText(r);
  switch (r.status) {
    case 400: return Status::InvalidArgument(msg);
    case 401:
    case 403: return Status::Unauthenticated(msg + " (give --api-key or set LATENTDB_API_KEY)");
    case 404: return Status::NotFound(msg);
    case 409: return Status::AlreadyExists(msg);
    case 413: return Status::PayloadTooLarge(msg + " (use a smaller --batch)");
  }
  return Status::IOError(msg);
}

class OnlineSink final : public Sink {
 public:
  explicit OnlineSink(OnlineSinkOptions options) : options_(std::move(options)) {}

  std::string Describe() const override { return "online " + options_.url; }

  Status Open() override {
    std::string host;
    uint16_t port = 0;
    LDB_RETURN_IF_ERROR(client::ParseHttpUrl(options_.url, &host, &port));
    client_ = std::make_unique<client::HttpClient>(host, port, std::chrono::seconds(300));
    if (!options_.api_key.empty()) client_->SetHeader("api-key", options_.api_key);
    // One attempt: a server that is not there at the start is a mistake to report at once.
    LDB_ASSIGN_OR_RETURN(auto r, Send("GET", "/healthz", "", /*attempts=*/1));
    if (r.status != 200) return StatusFor(r, "GET /healthz");
    return Status::Ok();
  }

  Result<CollectionTarget> EnsureCollection(const std::string& name, const engine::CollectionConfig& wanted) override {
    collection_path_ = "/collections/" + client::PercentEncodeSegment(name);
    CollectionTarget t;
    for (int round = 0; round < 2; ++round) {
      LDB_ASSIGN_OR_RETURN(auto r, Send("GET", collection_path_, ""));
      if (r.status == 200) {
        json j = json::parse(r.body, nullptr, false);
        if (!j.is_object() || !j.contains("result")) return Status::IOError("GET " + collection_path_ + ": unexpected answer");
        json config = j["result"]["config"];
        // The answer's config also holds Qdrant's views of it (http/codec.cc): derived, not settings.
        if (config.is_object()) {
          config.erase("params");
          config.erase("hnsw_config");
        }
        LDB_ASSIGN_OR_RETURN(t.config, engine::CollectionConfig::FromJson(config));
        t.points_before = j["result"].value("points_count", size_t{0});
        return t;
      }
      if (r.status != 404) return StatusFor(r, "GET " + collection_path_);
      if (wanted.dim == 0) return Status::InvalidArgument("collection '" + name + "' does not exist and the sources give no dimension");
      json body = wanted.ToJson();
      if (!wanted.encoder) body.erase("encoder");
      LDB_ASSIGN_OR_RETURN(auto c, Send("PUT", collection_path_, body.dump()));
      if (c.status == 200) {
        t.config = wanted;
        t.created = true;
        return t;
      }
      if (c.status != 409) return StatusFor(c, "PUT " + collection_path_);
      // Someone created it meanwhile: read it back.
    }
    return Status::Conflict("collection '" + name + "' keeps changing while ingest starts");
  }

  Result<json> ModelManifest(const std::string& name) override {
    const std::string target = "/models/" + client::PercentEncodeSegment(name);
    LDB_ASSIGN_OR_RETURN(auto r, Send("GET", target, ""));
    if (r.status == 404) return Status::NotFound("model '" + name + "' does not exist on the server");
    if (r.status != 200) return StatusFor(r, "GET " + target);
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("result")) return Status::IOError("GET " + target + ": unexpected answer");
    return j["result"];
  }

  void Prepare(Item* item) const override {
    item->wire.clear();
    const std::string payload = item->payload.is_null() ? std::string() : item->payload.dump();
    if (item->raw.kind != RawInput::Kind::kNone) {
      item->wire.reserve(item->raw.bytes.size() * 4 / 3 + payload.size() + 64);
      AppendRawPointJson(item->id, item->raw, payload, &item->wire);
    } else {
      item->wire.reserve(item->vector.size() * 12 + payload.size() + 64);
      AppendPointJson(item->id, item->vector.data(), item->vector.size(), payload, &item->wire);
    }
    // Only the wire form is sent from here on: free the rest so queued batches stay small.
    item->vector = std::vector<float>();
    item->raw = RawInput();
    item->payload = nullptr;
  }

  Status Write(std::span<const Item> items) override {
    size_t bytes = 16;
    for (const auto& it : items) bytes += it.wire.size() + 1;
    body_.clear();
    body_.reserve(bytes);
    body_.append("{\"points\":[");
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) body_.push_back(',');
      body_.append(items[i].wire);
    }
    body_.append("]}");
    LDB_ASSIGN_OR_RETURN(auto r, Send("PUT", collection_path_ + "/points", body_));
    if (r.status == 200) {
      // A batch whose images the server partly refused is stored without them and answered with
      // "errors": report a refusal, so that the pipeline isolates (and skips) the refused items;
      // re-sending the good ones is an idempotent upsert.
      if (r.body.find("\"errors\"") == std::string::npos) return Status::Ok();
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      const auto* errors = j.is_object() && j.contains("result") && j["result"].is_object() && j["result"].contains("errors")
                               ? &j["result"]["errors"]
                               : nullptr;
      if (!errors || !errors->is_array() || errors->empty()) return Status::Ok();
      const auto& first = (*errors)[0];
      return Status::InvalidArgument(first.is_object() && first.contains("error") && first["error"].is_string()
                                         ? first["error"].get<std::string>()
                                         : "the server refused " + std::to_string(errors->size()) + " item(s)");
    }
    Status s = StatusFor(r, "PUT " + collection_path_ + "/points");
    if (r.status == 404) {
      // The server answers 404 for an input its encoder has nothing for (a text without a known
      // word) as well as for a collection that is gone: only the latter stops the run.
      LDB_ASSIGN_OR_RETURN(auto c, Send("GET", collection_path_, ""));
      if (c.status == 200) return Status::InvalidArgument(s.message());
    }
    return s;
  }

  Status Stored(const std::vector<Item>& items, std::vector<bool>* stored) override {
    if (!stored_loaded_) LDB_RETURN_IF_ERROR(LoadStoredIds());
    stored->assign(items.size(), false);
    for (size_t i = 0; i < items.size(); ++i) (*stored)[i] = stored_keys_.count(items[i].id.ToKey()) != 0;
    return Status::Ok();
  }

  Result<size_t> Count() override {
    LDB_ASSIGN_OR_RETURN(auto r, Send("GET", collection_path_, ""));
    if (r.status != 200) return StatusFor(r, "GET " + collection_path_);
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("result")) return Status::IOError("GET " + collection_path_ + ": unexpected answer");
    return j["result"].value("points_count", size_t{0});
  }

  Status Finish() override { return Status::Ok(); }
  uint64_t retries() const override { return retries_; }

 private:
  // One request with retries on connection loss and 5xx.
  Result<client::ClientResponse> Send(const std::string& method, const std::string& target, const std::string& body,
                                    int attempts = 0) {
    if (attempts <= 0) attempts = options_.max_attempts;
    int backoff = options_.initial_backoff_ms;
    Status last;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      auto r = client_->Request(method, target, body);
      if (r.ok() && r->status < 500) return r;
      last = r.ok() ? StatusFor(*r, method + " " + target) : r.status();
      if (attempt == attempts) break;
      ++retries_;
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
      backoff = std::min(backoff * 2, options_.max_backoff_ms);
    }
    if (attempts == 1) return Status::IOError(last.message());
    return Status::IOError(last.message() + " (after " + std::to_string(attempts) + " attempts)");
  }

  // --resume online: the ids already stored, read once by scrolling the collection. Memory grows
  // with the collection, not with the source.
  Status LoadStoredIds() {
    json offset = nullptr;
    for (;;) {
      json req = {{"limit", 10000}, {"with_payload", false}, {"with_vector", false}};
      if (!offset.is_null()) req["offset"] = offset;
      LDB_ASSIGN_OR_RETURN(auto r, Send("POST", collection_path_ + "/points/scroll", req.dump()));
      if (r.status != 200) return StatusFor(r, "POST " + collection_path_ + "/points/scroll");
      json j = json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("result")) return Status::IOError("scroll: unexpected answer");
      for (const auto& p : j["result"]["points"]) {
        auto id = engine::ExternalId::FromJson(p["id"]);
        if (id.ok()) stored_keys_.insert(id->ToKey());
      }
      offset = j["result"]["next_page_offset"];
      if (offset.is_null()) break;
    }
    stored_loaded_ = true;
    return Status::Ok();
  }

  OnlineSinkOptions options_;
  std::unique_ptr<client::HttpClient> client_;
  std::string collection_path_;
  std::string body_;
  bool stored_loaded_ = false;
  uint64_t retries_ = 0;
  std::unordered_set<std::string> stored_keys_;
};

}  // namespace

std::unique_ptr<Sink> MakeOnlineSink(const OnlineSinkOptions& options) { return std::make_unique<OnlineSink>(options); }

}  // namespace latentdb::ingest
