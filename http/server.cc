#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <future>
#include <chrono>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "http/error_mapping.h"

namespace latentdb::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

// After answering a request whose body we did not read (401, 413), keep reading and discarding
// for a while before closing: closing with unread data makes the kernel send a reset, and a
// client still busy sending its body would see "connection reset" instead of our answer.
constexpr std::chrono::seconds kLingerTime{5};
constexpr size_t kMaxLingerBytes = 64u << 20;

// How often each I/O thread looks for connections past their deadline: a deadline is honoured
// within this much. One periodic timer per thread instead of one armed and cancelled per read and
// write (Beast's per-operation timeouts): on a virtual machine each re-arm is a timerfd_settime
// system call, seven per keep-alive request, a measurable share of a small request's latency.
constexpr std::chrono::seconds kDeadlineSweepPeriod{1};

using SteadyClock = std::chrono::steady_clock;

// Room for one read from the socket (a connection's buffer starts at this capacity).
constexpr size_t kReadBufferBytes = 16 * 1024;

// A Transfer-Encoding other than plain "chunked" (a list such as "gzip, chunked", or
// "identity" which HTTP/1.1 removed) is refused: Beast strips only the chunked framing.
Status CheckTransferCoding(beast::string_view te) {
  if (te.empty()) return Status::Ok();
  size_t begin = te.find_first_not_of(" \t");
  size_t end = te.find_last_not_of(" \t");
  if (begin != beast::string_view::npos && beast::iequals(te.substr(begin, end - begin + 1), "chunked")) return Status::Ok();
  return Status::NotImplemented("Transfer-Encoding '" + std::string(te) +
                                "' is not supported: send the body plain or with 'Transfer-Encoding: chunked' only");
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The worker pool and what waits for it. I/O threads keep reading requests while workers are
// busy, so without a bound the bodies of queued requests would grow without end.
struct WorkQueue {
  net::thread_pool* pool = nullptr;  // null: everything runs on the I/O threads
  size_t max_bytes = 0, max_requests = 0;
  std::atomic<size_t> bytes{0}, requests{0};

  // Counts a request of `cost` bytes in, or false when the bounds are reached (an empty queue
  // always admits).
  bool Admit(size_t cost) {
    size_t n = requests.load();
    do {
      if (n != 0 && n >= max_requests) return false;
    } while (!requests.compare_exchange_weak(n, n + 1));
    size_t b = bytes.load();
    do {
      if (n != 0 && b + cost > max_bytes) {
        --requests;
        return false;
      }
    } while (!bytes.compare_exchange_weak(b, b + cost));
    return true;
  }
  void Release(size_t cost) {
    bytes -= cost;
    --requests;
  }
};

class Session;

// One I/O thread: its io_context (run by that thread alone), the connections living on it, and
// the periodic sweep that closes those past their deadline. Touched only from its own thread.
struct IoThread {
  IoThread() : context(1), sweep(context) {}
  net::io_context context;
  net::steady_timer sweep;
  std::vector<std::weak_ptr<Session>> sessions;

  void StartSweep();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `work`: the worker pool's queue; `replicating`: the pool of cluster writes that wait for their
  // copies (Api::Lane::kReplicating).
  Session(tcp::socket socket, const ServerOptions& options, Api* api, WorkQueue* work, WorkQueue* replicating,
          IoThread* io)
      : stream_(std::move(socket)), options_(options), api_(api), work_(work), replicating_(replicating), io_(io) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      // Beast reads max(512, free capacity) bytes per call: without room, a 3 kB search body
      // (one 784-d vector) takes seven reads and seven scheduler round trips.
      self->buffer_.reserve(kReadBufferBytes);
      self->io_->sessions.push_back(self);
      self->ReadHeader();
    });
  }

  // Called by the sweep on this session's thread: closes the connection when its deadline has
  // passed. Its pending read or write then ends with operation_aborted, which closes the session.
  void CloseIfExpired(SteadyClock::time_point now) {
    if (now >= deadline_) Close();
  }

 private:
  // The deadline of the read, write or drain in progress. A request running on the workers has
  // none (SteadyClock::time_point::max()); the write of its answer sets a fresh one.
  void SetDeadline(SteadyClock::duration after) { deadline_ = SteadyClock::now() + after; }
  void ClearDeadline() { deadline_ = SteadyClock::time_point::max(); }

  void ReadHeader() {
    header_parser_.emplace();
    header_parser_->header_limit(64 * 1024);
    // The real limit is applied after the auth check. (Not boost::none: Beast 1.74 compares
    // Content-Length against the optional itself, and any length is "greater" than none.)
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    SetDeadline(options_.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *header_parser_,
                             beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return HandleReadError(ec);
    const auto& req = header_parser_->get();
    if (!options_.api_key.empty() && !IsPublic(req) && !Authorized(req)) {
      return Reply(ErrorResponse(Status::Unauthenticated("missing or wrong API key (send 'api-key: KEY' or "
                                                         "'Authorization: Bearer KEY')")),
                   req.version(), false, !header_parser_->is_done());
    }
    // Beast decodes only the chunked framing: a body under any other transfer coding (gzip,
    // deflate, …) would reach the handlers still encoded. RFC 9112 §6.1: answer 501.
    if (Status te = CheckTransferCoding(req[bhttp::field::transfer_encoding]); !te.ok()) {
      return Reply(ErrorResponse(te), req.version(), false, true);
    }
    auto length = header_parser_->content_length();
    if (length && *length > options_.body_limit) {
      return Reply(ErrorResponse(Status::PayloadTooLarge("request body of " + std::to_string(*length) +
                                                         " bytes exceeds the limit of " +
                                                         std::to_string(options_.body_limit))),
                   req.version(), false, true);
    }
    body_parser_.emplace(std::move(*header_parser_));
    body_parser_->body_limit(options_.body_limit);
    auto expect = body_parser_->get()[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, body_parser_->get().version());
      bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, size_t) {
        if (wec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // Most bodies arrive with their header, in the same read: parse what is buffered first and
    // only wait for the socket when more is needed (one scheduler round trip less per request).
    body_parser_->eager(true);
    beast::error_code ec;
    while (buffer_.size() > 0 && !body_parser_->is_done()) {
      const size_t used = body_parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (ec || used == 0) break;
    }
    if (ec || body_parser_->is_done()) return OnBody(ec, 0);
    SetDeadline(options_.read_timeout);
    bhttp::async_read(stream_, buffer_, *body_parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit) {
      return Reply(ErrorResponse(Status::PayloadTooLarge("request body exceeds the limit of " +
                                                         std::to_string(options_.body_limit) + " bytes")),
                   body_parser_->get().version(), false, true);
    }
    if (ec) return HandleReadError(ec);
    auto& req = body_parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    std::string target(req.target());
    if (!ParseTarget(target, &request.path, &request.query)) {
      return Reply(ErrorResponse(Status::InvalidArgument("malformed percent-escape in the URL")), req.version(),
                   false);
    }
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      request.headers[name] = std::string(field.value());
    }
    request.body = std::move(req.body());
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    Router::Match route = api_->Route(request);  // found once per request
    if (auto early = api_->AnswerEarly(request, route)) return Reply(std::move(*early), version, keep_alive);
    const Api::Lane lane = api_->LaneOf(request, route);
    WorkQueue* queue = lane == Api::Lane::kReplicating ? replicating_ : work_;
    if (queue->pool == nullptr || lane == Api::Lane::kIo) {
      return Reply(api_->Handle(request, route), version, keep_alive);
    }
    const size_t cost = request.body.size() + 1;  // an empty body still holds a place
    if (!queue->Admit(cost)) {
      HttpResponse busy = ErrorResponse(Status(
          StatusCode::kBusy, "server busy: " + std::to_string(queue->requests.load()) +
                                 " long requests are waiting or running; retry shortly"));
      busy.headers["Retry-After"] = "1";
      return Reply(std::move(busy), version, keep_alive);
    }
    // Long work runs on the worker pool; the answer is written from this connection's own I/O
    // thread again (its handlers never run on two threads). The connection reads nothing
    // meanwhile: HTTP/1.1 answers in order, so a pipelined request waits in the buffer.
    auto shared = std::make_shared<HttpRequest>(std::move(request));
    ClearDeadline();
    net::post(*queue->pool, [self = shared_from_this(), queue, shared, route = std::move(route), version, keep_alive, cost]() mutable {
      std::shared_ptr<HttpResponse> response;
      try {
        response = std::make_shared<HttpResponse>(self->api_->Handle(*shared, route));
      } catch (const std::exception&) {  // Handle never throws; only this allocation can
        response = std::make_shared<HttpResponse>(
            ErrorResponse(Status(StatusCode::kBusy, "out of memory while handling this request")));
      }
      shared.reset();  // the body is released before the answer is queued for writing
      queue->Release(cost);
      net::post(self->stream_.get_executor(), [self, response, version, keep_alive] {
        self->Reply(std::move(*response), version, keep_alive);
      });
    });
  }

  // Answered without the API key, as Qdrant whitelists its health probes, its root and its web
  // UI: a probe (Kubernetes, a load balancer) carries no key, a client checks the version at / before
  // it is configured, the console is a static page that asks for the key itself and sends it with
  // every API call, and the OpenAPI document describes the API, not its data. GET and HEAD only;
  // nothing here reads or changes data (/readyz tells the number of collections).
  static bool IsPublic(const bhttp::request<bhttp::empty_body>& req) {
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) return false;
    beast::string_view target = req.target();
    target = target.substr(0, target.find('?'));
    for (const char* path : {"/", "/healthz", "/readyz", "/console", "/favicon.ico", "/openapi.json"}) {
      if (target == path) return true;
    }
    return false;
  }

  bool Authorized(const bhttp::request<bhttp::empty_body>& req) const {
    auto key = req["api-key"];
    if (!key.empty() && ConstantTimeEquals(std::string(key), options_.api_key)) return true;
    auto auth = std::string(req[bhttp::field::authorization]);
    const std::string bearer = "Bearer ";
    if (auth.size() > bearer.size() && auth.compare(0, bearer.size(), bearer) == 0) {
      return ConstantTimeEquals(auth.substr(bearer.size()), options_.api_key);
    }
    return false;
  }

  void HandleReadError(beast::error_code ec) {
    // operation_aborted: the sweep closed the socket at the deadline (the stream itself has no
    // timeout, so Beast's error::timeout does not occur).
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted) {
      return Close();
    }
    // A malformed request: say so, then close (the stream position is unknown).
    Reply(ErrorResponse(Status::InvalidArgument("malformed HTTP request: " + ec.message())), 11, false);
  }

  // `body_unread`: the request's body was not (fully) read; linger before closing.
  void Reply(HttpResponse r, unsigned version, bool keep_alive, bool body_unread = false) {
    if (!r.file_path.empty()) return ReplyFile(std::move(r), version, keep_alive, body_unread);
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status), version);
    SetHeaders(r, keep_alive, res.get());
    res->body() = std::move(r.body);
    res->prepare_payload();
    // A fresh deadline for the write: the read's may have passed while a long request ran.
    SetDeadline(options_.read_timeout);
    Send(std::move(res), keep_alive, body_unread);
  }

  // A file streamed from disk (snapshot downloads): never read into memory whole. The write's
  // deadline grows with the size, at 1 MiB/s, so that a large download is not cut off.
  void ReplyFile(HttpResponse r, unsigned version, bool keep_alive, bool body_unread) {
    bhttp::file_body::value_type file;
    beast::error_code ec;
    file.open(r.file_path.c_str(), beast::file_mode::scan, ec);
    if (ec) {
      return Reply(ErrorResponse(Status::NotFound("the file to send is gone: " + ec.message())), version, keep_alive,
                   body_unread);
    }
    const uint64_t size = file.size();
    auto res = std::make_shared<bhttp::response<bhttp::file_body>>(static_cast<bhttp::status>(r.status), version);
    SetHeaders(r, keep_alive, res.get());
    res->body() = std::move(file);
    res->prepare_payload();
    SetDeadline(options_.read_timeout + std::chrono::seconds(size >> 20));
    Send(std::move(res), keep_alive, body_unread);
  }

  template <typename Response>
  void SetHeaders(const HttpResponse& r, bool keep_alive, Response* res) {
    res->set(bhttp::field::server, "latentdb");
    res->set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
  }

  template <typename Response>
  void Send(std::shared_ptr<Response> res, bool keep_alive, bool body_unread) {
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, keep_alive, body_unread](beast::error_code ec, size_t) {
                         if (!ec && body_unread) return self->Linger();
                         if (ec || !keep_alive) return self->Close();
                         self->ReadHeader();
                       });
  }

  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    SetDeadline(kLingerTime);  // a deadline for the whole drain, not per read
    Drain(0);
  }

  void Drain(size_t drained) {
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this(), drained](beast::error_code ec, size_t n) {
                              if (ec || drained + n > kMaxLingerBytes) return self->Close();
                              self->Drain(drained + n);
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const ServerOptions& options_;
  Api* api_;
  WorkQueue* work_;
  WorkQueue* replicating_;
  IoThread* io_;
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  std::optional<bhttp::request_parser<bhttp::empty_body>> header_parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> body_parser_;
  std::array<char, 16384> drain_buffer_;
};

void IoThread::StartSweep() {
  sweep.expires_after(kDeadlineSweepPeriod);
  sweep.async_wait([this](beast::error_code ec) {
    if (ec) return;  // the server is stopping
    const auto now = SteadyClock::now();
    std::erase_if(sessions, [now](const std::weak_ptr<Session>& w) {
      auto session = w.lock();
      if (!session) return true;
      session->CloseIfExpired(now);
      return false;
    });
    StartSweep();
  });
}

}  // namespace

// One io_context per I/O thread, each run by exactly one thread: a connection lives on one
// thread from accept to close, so its handlers never hop threads, and Asio needs no locking or
// cross-thread wake-ups (a measurable share of a small request's latency on loopback).
struct Server::Impl {
  ServerOptions options;
  Api* api;
  std::vector<std::unique_ptr<IoThread>> io_threads;
  std::unique_ptr<net::thread_pool> workers;
  WorkQueue work;
  std::unique_ptr<net::thread_pool> replicators;
  WorkQueue replicating;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::optional<tcp::acceptor> acceptor;
  size_t next_context = 0;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  std::mutex wait_mutex;
  std::condition_variable wait_cv;

  void Accept() {
    IoThread* target = io_threads[next_context++ % io_threads.size()].get();
    acceptor->async_accept(target->context, [this, target](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted) return;
        LogWarn("accept failed: " + ec.message());
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), options, api, &work, &replicating, target)->Start();
      }
      Accept();
    });
  }
};

Server::Server(ServerOptions options, Api* api) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->api = api;
}

Server::~Server() { Stop(); }

Status Server::Start() {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) return Status::InvalidArgument("invalid host address '" + impl_->options.host + "': " + ec.message());
  const int n = impl_->options.threads > 0 ? impl_->options.threads
                                           : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  const int workers = impl_->options.workers > 0 ? impl_->options.workers
                                                 : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  impl_->workers = std::make_unique<net::thread_pool>(static_cast<size_t>(workers));
  impl_->work.pool = impl_->workers.get();
  impl_->work.max_bytes = impl_->options.max_pending_bytes;
  impl_->work.max_requests = std::max<size_t>(1, impl_->options.max_pending_requests);
  // Cluster writes that wait for their copies run apart from the worker pool, whose requests may
  // wait for them (and from the I/O threads, which answer the copies): no cycle of waits.
  impl_->replicators = std::make_unique<net::thread_pool>(static_cast<size_t>(workers));
  impl_->replicating.pool = impl_->replicators.get();
  impl_->replicating.max_bytes = impl_->options.max_pending_bytes;
  impl_->replicating.max_requests = impl_->work.max_requests;
  for (int i = 0; i < n; ++i) {
    impl_->io_threads.push_back(std::make_unique<IoThread>());
    impl_->guards.push_back(net::make_work_guard(impl_->io_threads.back()->context));
    impl_->io_threads.back()->StartSweep();
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.emplace(impl_->io_threads[0]->context);
  auto& acc = *impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
                           ": " + ec.message());
  }
  impl_->Accept();
  for (int i = 0; i < n; ++i) {
    impl_->threads.emplace_back([ctx = &impl_->io_threads[i]->context] {
      // An exception escaping a handler (memory exhausted while reading a request, say) ends
      // run(); log it and keep serving instead of terminating the process. The connection whose
      // handler threw is dropped with it.
      for (;;) {
        try {
          ctx->run();
          return;
        } catch (const std::exception& e) {
          LogError(std::string("HTTP I/O thread: ") + e.what());
        }
      }
    });
  }
  return Status::Ok();
}

void Server::Wait() {
  std::unique_lock<std::mutex> lock(impl_->wait_mutex);
  impl_->wait_cv.wait(lock, [this] { return impl_->stopped.load(); });
}

void Server::Stop() {
  if (impl_->stopped.exchange(true)) return;
  if (impl_->acceptor) {
    // Close on the acceptor's own thread: Asio objects are not safe to touch from two threads.
    std::promise<void> closed;
    net::post(impl_->io_threads[0]->context, [this, &closed] {
      beast::error_code ignored;
      impl_->acceptor->close(ignored);
      closed.set_value();
    });
    if (!impl_->threads.empty()) closed.get_future().wait();
  }
  // Requests running on workers finish (their answers are dropped with the contexts); queued
  // ones are abandoned. Joined before returning: the caller closes the database next.
  for (auto* pool : {impl_->workers.get(), impl_->replicators.get()}) {
    if (!pool) continue;
    pool->stop();
    pool->join();
  }
  for (auto& g : impl_->guards) g.reset();
  for (auto& io : impl_->io_threads) io->context.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  {
    std::lock_guard<std::mutex> lock(impl_->wait_mutex);
  }
  impl_->wait_cv.notify_all();
}

uint16_t Server::port() const {
  beast::error_code ec;
  if (!impl_->acceptor) return 0;
  auto ep = impl_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace latentdb::http
