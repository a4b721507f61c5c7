#pragma once
// Server: the Boost.Beast HTTP/1.1 front end of the Api.
//
// One session per connection with keep-alive; a deadline of read_timeout on every read and write
// (checked by a once-a-second sweep on each I/O thread, so honoured within a second); the API key is
// checked after the headers and before the body is read; bodies over the limit get 413 without
// being read; `Expect: 100-continue` is answered; chunked bodies are read under the same limit.
// Requests are handled on a pool of I/O threads (searches run in parallel; the engine
// serializes writes per collection), except those Api::NeedsWorker names (image decoding and
// encoding, model inference, writes, scans): they run on a separate worker pool, so that one slow
// request never delays /healthz or a light request on another connection.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "http/api.h"

namespace latentdb::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port (see Server::port())
  std::string api_key;   // empty: no authentication
  int threads = 0;       // I/O threads; 0: one per core, at least 2
  int workers = 0;       // worker threads for long requests; 0: one per core, at least 2
  // Bounds on the long requests waiting for or running on the workers (their bodies are held
  // meanwhile): beyond either, a long request is answered 503 with Retry-After at once. One
  // request is always admitted when none is pending, whatever its size.
  size_t max_pending_bytes = size_t{1} << 30;  // 1 GiB of request bodies
  size_t max_pending_requests = 1024;
  size_t body_limit = 64u << 20;
  std::chrono::seconds read_timeout{30};  // per read or write; a connection past it is closed
};

class Server {
 public:
  Server(ServerOptions options, Api* api);
  ~Server();
  // Binds and starts accepting on the I/O threads. IOError when the address is unusable.
  Status Start();
  // Blocks until Stop() is called (from another thread or a signal handler set up by Start).
  void Wait();
  void Stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latentdb::http
