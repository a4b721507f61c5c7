#pragma once
// NodeClients: idle keep-alive HTTP connections to the cluster's nodes, by advertise URL, reused
// across requests (a connection per request would cost a TCP handshake per shard part).
// Thread-safe: a client is taken by one thread at a time and handed back when its answer is read.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/http_client.h"

namespace latentdb::http {

class NodeClients {
 public:
  // `api_key` is sent with every request when not empty; `timeout` bounds each connect, write and read.
  NodeClients(std::string api_key, std::chrono::milliseconds timeout);

  // An idle connection to `url`, or a new one; nullptr when `url` is not "http://host:port".
  std::unique_ptr<client::HttpClient> Acquire(const std::string& url);
  // Hands back a connection whose last answer was read in full (a failed one is just dropped).
  void Release(const std::string& url, std::unique_ptr<client::HttpClient> c);

 private:
  const std::string api_key_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<client::HttpClient>>> idle_;
};

}  // namespace latentdb::http
