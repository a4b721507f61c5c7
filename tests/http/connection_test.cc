// The HTTP server's connection handling, over raw loopback sockets against an in-process Server
// (so that its read_timeout can be short): deadlines on silent connections, bodies that arrive
// with their header or after it, pipelined requests read from one buffer.

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "engine/database.h"
#include "http/api.h"
#include "http/server.h"
#include "tests/support/loopback_socket.h"
#include "tests/support/temp_dir.h"

namespace {

using latentdb::testing::TempDir;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct InProcessServer {
  explicit InProcessServer(std::chrono::seconds read_timeout) {
    latentdb::engine::DatabaseOptions o;
    o.data_dir = dir.Sub("data");
    o.persist_interval_seconds = 0;
    auto opened = latentdb::engine::Database::Open(o);
    REQUIRE(opened.ok());
    db = std::move(opened).value();
    api = std::make_unique<latentdb::http::Api>(db.get());
    latentdb::http::ServerOptions so;
    so.port = 0;
    so.threads = 1;
    so.read_timeout = read_timeout;
    server = std::make_unique<latentdb::http::Server>(so, api.get());
    REQUIRE(server->Start().ok());
  }
  ~InProcessServer() { server->Stop(); }
  TempDir dir;
  std::unique_ptr<latentdb::engine::Database> db;
  std::unique_ptr<latentdb::http::Api> api;
  std::unique_ptr<latentdb::http::Server> server;
};

int Connect(uint16_t port) { return latentdb::testing::ConnectLoopback(port, 10); }

void SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<size_t>(n);
  }
}

// Reads until `answers` complete responses (each ending its headers with a Content-Length-framed
// body) are in, or the connection closes; returns everything read.
std::string ReadAnswers(int fd, size_t answers) {
  std::string in;
  char buf[4096];
  auto complete = [&] {
    size_t pos = 0, found = 0;
    while (found < answers) {
      const size_t end = in.find("\r\n\r\n", pos);
      if (end == std::string::npos) return false;
      const size_t cl = in.find("Content-Length: ", pos);
      if (cl == std::string::npos || cl > end) return false;
      const size_t length = std::stoul(in.substr(cl + 16));
      if (in.size() < end + 4 + length) return false;
      pos = end + 4 + length;
      ++found;
    }
    return true;
  };
  while (!complete()) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// Seconds until the server closes `fd` (recv returns 0), or -1 when data arrives instead.
double SecondsUntilClosed(int fd) {
  const auto start = Clock::now();
  char c;
  ssize_t n = ::recv(fd, &c, 1, 0);
  if (n != 0) return -1;
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Waits until the server closes `fd`, then closes it: with read_timeout 1 s, checked by a
// once-a-second sweep, that takes 1–2 s.
void ExpectClosedAtDeadline(int fd) {
  const double closed = SecondsUntilClosed(fd);
  ::close(fd);
  INFO("closed after " << closed << " s");
  CHECK(closed >= 0.9);
  CHECK(closed < 4.0);
}

std::string Request(const std::string& method, const std::string& path, const std::string& body) {
  return method + " " + path + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}
std::string Post(const std::string& path, const std::string& body) { return Request("POST", path, body); }

}  // namespace

TEST_CASE("connections: a silent connection is closed after read_timeout, a talking one is not",
          "[http][connection]") {
  InProcessServer s(1s);
  const uint16_t port = s.server->port();

  SECTION("a header that never ends") {
    int fd = Connect(port);
    SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n");
    ExpectClosedAtDeadline(fd);
  }
  SECTION("a body that never ends") {
    int fd = Connect(port);
    SendAll(fd, "PUT /collections/c HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"dim\":");
    ExpectClosedAtDeadline(fd);
  }
  SECTION("an idle keep-alive connection after an answer") {
    int fd = Connect(port);
    SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(ReadAnswers(fd, 1).find("HTTP/1.1 200") == 0);
    ExpectClosedAtDeadline(fd);
  }
  SECTION("a connection that sends a request every 0.4 s for 3 s stays open") {
    int fd = Connect(port);
    for (int i = 0; i < 8; ++i) {
      SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
      INFO("request " << i);
      REQUIRE(ReadAnswers(fd, 1).find("HTTP/1.1 200") == 0);
      std::this_thread::sleep_for(400ms);
    }
    ::close(fd);
  }
}

TEST_CASE("connections: a body read with its header, after it, or byte by byte gets the same answer",
          "[http][connection]") {
  InProcessServer s(30s);
  const uint16_t port = s.server->port();
  int fd = Connect(port);
  SendAll(fd, Request("PUT", "/collections/c", R"({"dim":2,"metric":"l2","index":"Flat"})"));
  REQUIRE(ReadAnswers(fd, 1).find("HTTP/1.1 200") == 0);
  SendAll(fd, Request("PUT", "/collections/c/points", R"({"points":[{"id":1,"vector":[1,2]},{"id":2,"vector":[3,4]}]})"));
  REQUIRE(ReadAnswers(fd, 1).find("HTTP/1.1 200") == 0);

  const std::string search = Post("/collections/c/search", R"({"vector":[1,2],"k":1})");
  const size_t body_at = search.find("\r\n\r\n") + 4;
  SECTION("with the header, in one send") {
    SendAll(fd, search);
    const std::string a = ReadAnswers(fd, 1);
    CHECK(a.find("HTTP/1.1 200") == 0);
    CHECK(a.find("\"id\":1") != std::string::npos);
  }
  SECTION("after the header, in a later send") {
    SendAll(fd, search.substr(0, body_at));
    std::this_thread::sleep_for(100ms);
    SendAll(fd, search.substr(body_at));
    const std::string a = ReadAnswers(fd, 1);
    CHECK(a.find("HTTP/1.1 200") == 0);
    CHECK(a.find("\"id\":1") != std::string::npos);
  }
  SECTION("byte by byte") {
    for (char c : search) {
      SendAll(fd, std::string(1, c));
      std::this_thread::sleep_for(1ms);
    }
    const std::string a = ReadAnswers(fd, 1);
    CHECK(a.find("HTTP/1.1 200") == 0);
    CHECK(a.find("\"id\":1") != std::string::npos);
  }
  SECTION("three pipelined requests in one send get three answers, in order") {
    SendAll(fd, search + Post("/collections/c/search", R"({"vector":[3,4],"k":1})") +
                    "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string a = ReadAnswers(fd, 3);
    CHECK(Count(a, "HTTP/1.1 200") == 3);
    const size_t first = a.find("\"id\":1"), second = a.find("\"id\":2");
    CHECK(first != std::string::npos);
    CHECK(second != std::string::npos);
    CHECK(first < second);
  }
  SECTION("a chunked body that arrives with its header") {
    const std::string body = R"({"vector":[3,4],"k":1})";
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    SendAll(fd, "POST /collections/c/search HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
    const std::string a = ReadAnswers(fd, 1);
    CHECK(a.find("HTTP/1.1 200") == 0);
    CHECK(a.find("\"id\":2") != std::string::npos);
  }
  ::close(fd);
}
