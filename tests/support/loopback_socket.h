#pragma once
// Raw TCP connections to a test server on 127.0.0.1, for requests the HttpClient cannot make
// (invented methods, chunked or partial bodies, pipelining, silence). Catch2 assertions: call
// from a test case's thread.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdint>

namespace latentdb::testing {

// A connected socket (the caller closes it) whose reads give up after `recv_timeout_seconds`, so
// that a test never hangs on a server that keeps the connection open.
inline int ConnectLoopback(uint16_t port, long recv_timeout_seconds) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{recv_timeout_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace latentdb::testing
