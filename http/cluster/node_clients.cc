#include "http/cluster/node_clients.h"

namespace latentdb::http {

NodeClients::NodeClients(std::string api_key, std::chrono::milliseconds timeout)
    : api_key_(std::move(api_key)), timeout_(timeout) {}

std::unique_ptr<client::HttpClient> NodeClients::Acquire(const std::string& url) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& pool = idle_[url];
    if (!pool.empty()) {
      auto c = std::move(pool.back());
      pool.pop_back();
      return c;
    }
  }
  std::string host;
  uint16_t port = 0;
  if (!client::ParseHttpUrl(url, &host, &port).ok()) return nullptr;
  auto c = std::make_unique<client::HttpClient>(host, port, timeout_);
  if (!api_key_.empty()) c->SetHeader("api-key", api_key_);
  return c;
}

void NodeClients::Release(const std::string& url, std::unique_ptr<client::HttpClient> c) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_[url].push_back(std::move(c));
}

}  // namespace latentdb::http
