#pragma once
// HttpClient: a small synchronous HTTP/1.1 client with keep-alive, for the ingest tool, the
// benchmarks and the tests. One connection; reconnects once when the server closed it.
// Not thread-safe: use one client per thread.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/result.h"

namespace latentdb::client {

struct ClientResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

class HttpClient {
 public:
  // `timeout` bounds each connect, write and read (the cluster's etcd calls use short ones).
  HttpClient(std::string host, uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~HttpClient();

  // Extra headers sent with every request (e.g. {"api-key", "…"}).
  void SetHeader(const std::string& name, const std::string& value);

  // IOError when the connection fails; any HTTP status is a successful round trip. A kept-alive
  // connection the server has closed is reopened and the request sent again, once.
  Result<ClientResponse> Request(const std::string& method, const std::string& target, const std::string& body = "",
                                 const std::string& content_type = "application/json");

  // Request in two halves, to have requests to several servers in flight at once from one
  // thread: Send writes the request, Receive reads its answer (same errors and the same one
  // retry as Request). One request at a time per client: Send, then Receive, then the next.
  Status Send(const std::string& method, const std::string& target, const std::string& body = "",
              const std::string& content_type = "application/json");
  Result<ClientResponse> Receive();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "http://host:port" (no path); InvalidArgument otherwise.
Status ParseHttpUrl(const std::string& url, std::string* host, uint16_t* port);

// Encodes one path segment for a request target (ids and names may hold any byte): everything
// but RFC 3986's unreserved characters becomes %XX. The server's percent-decoding reverses it.
std::string PercentEncodeSegment(const std::string& in);

}  // namespace latentdb::client
