#include "client/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <optional>
#include <stdexcept>

namespace latentdb::client {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  std::chrono::milliseconds timeout;
  std::map<std::string, std::string> headers;
  bool timed_out = false;  // the last round trip ran out of time (not a stale connection)
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  // Runs one asynchronous operation to its end. Beast's tcp_stream enforces expires_after() on
  // asynchronous operations only (a synchronous read of a server that stopped answering would
  // block for ever), so every step is asynchronous and run here.
  template <typename Start>
  beast::error_code Run(Start&& start) {
    beast::error_code result = net::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  Status Connect() {
    stream.emplace(ioc);
    buffer.clear();
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return Status::IOError("resolving " + host + ": " + ec.message());
    stream->expires_after(timeout);
    ec = Run([&](auto handler) { stream->async_connect(results, handler); });
    if (ec) {
      stream.reset();
      return Status::IOError("connecting to " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    return Status::Ok();
  }

  // The request in flight (between Send and Receive), whether it went out on a fresh connection,
  // and an answer the server gave before it had read the whole request.
  std::optional<bhttp::request<bhttp::string_body>> pending;
  bool pending_fresh = false;
  std::optional<Result<ClientResponse>> early_answer;

  beast::error_code Write(const bhttp::request<bhttp::string_body>& req) {
    stream->expires_after(timeout);
    return Run([&](auto handler) { bhttp::async_write(*stream, req, handler); });
  }

  // Writes `pending`, reconnecting once when a kept-alive connection turns out closed.
  Status SendPending() {
    early_answer.reset();
    for (int attempt = 0; attempt < 2; ++attempt) {
      pending_fresh = !stream;
      if (pending_fresh) LDB_RETURN_IF_ERROR(Connect());
      timed_out = false;
      beast::error_code ec = Write(*pending);
      if (!ec) return Status::Ok();
      // A server may answer before it has read the whole body (401, 413) and close the
      // connection, which breaks our write; its answer is still there to be read.
      auto early = ReadResponse();
      stream.reset();
      if (early.ok()) {
        early_answer = std::move(early);
        return Status::Ok();
      }
      if (pending_fresh) return Status::IOError("sending request: " + ec.message());
    }
    return Status::IOError("request failed after reconnecting");
  }

  Result<ClientResponse> ReceivePending() {
    if (early_answer) {
      auto answer = std::move(*early_answer);
      early_answer.reset();
      return answer;
    }
    auto r = ReadResponse();
    if (r.ok()) return r;
    stream.reset();
    // A kept-alive connection the server had closed fails only now: send again, once. Not after
    // a timeout (which would only double the wait), nor on a fresh connection.
    if (pending_fresh || timed_out) return r;
    LDB_RETURN_IF_ERROR(SendPending());
    if (early_answer) return ReceivePending();
    r = ReadResponse();
    if (!r.ok()) stream.reset();
    return r;
  }

  Result<ClientResponse> ReadResponse() {
    beast::error_code ec;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1ull << 32);
    stream->expires_after(timeout);  // the answer gets its own `timeout`, counted from here
    ec = Run([&](auto handler) { bhttp::async_read(*stream, buffer, parser, handler); });
    timed_out = ec == beast::error::timeout;
    if (ec) return Status::IOError("reading response: " + ec.message());
    auto& res = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[bhttp::field::content_type]);
    out.body = std::move(res.body());
    if (!res.keep_alive()) stream.reset();
    return out;
  }
};

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;

void HttpClient::SetHeader(const std::string& name, const std::string& value) { impl_->headers[name] = value; }

Status HttpClient::Send(const std::string& method, const std::string& target, const std::string& body,
                        const std::string& content_type) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, impl_->host);
  req.set(bhttp::field::user_agent, "latentdb-client");
  for (const auto& [k, v] : impl_->headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(bhttp::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  impl_->pending = std::move(req);
  return impl_->SendPending();
}

Result<ClientResponse> HttpClient::Receive() {
  if (!impl_->pending) return Status::Internal("HttpClient::Receive without a request sent");
  auto r = impl_->ReceivePending();
  impl_->pending.reset();
  return r;
}

Result<ClientResponse> HttpClient::Request(const std::string& method, const std::string& target,
                                           const std::string& body, const std::string& content_type) {
  LDB_RETURN_IF_ERROR(Send(method, target, body, content_type));
  return Receive();
}

Status ParseHttpUrl(const std::string& url, std::string* host, uint16_t* port) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return Status::InvalidArgument("URL must start with http:// (got '" + url + "')");
  std::string rest = url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos) {
    *host = rest;
    *port = 80;
  } else {
    *host = rest.substr(0, colon);
    try {
      int p = std::stoi(rest.substr(colon + 1));
      if (p <= 0 || p > 65535) throw std::out_of_range("port");
      *port = static_cast<uint16_t>(p);
    } catch (const std::exception&) {
      return Status::InvalidArgument("bad port in URL '" + url + "'");
    }
  }
  if (host->empty()) return Status::InvalidArgument("URL has no host: '" + url + "'");
  return Status::Ok();
}

std::string PercentEncodeSegment(const std::string& in) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace latentdb::client
