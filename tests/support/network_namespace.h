#pragma once
// Joining a named network namespace (as `ip netns add NAME` creates them, under /run/netns) from a
// forked child before it execs: the test processes that run "on another host" of a
// tests/cluster/virtual_network.h network start this way.

namespace latentdb::testing {

// Moves the calling process (a child between fork and exec) into the network namespace `name`.
// Returns false, with errno set, when it cannot (no such namespace, or not root). Uses only
// open/setns/close, which are safe after fork in a multi-threaded parent.
bool JoinNetworkNamespace(const char* name);

}  // namespace latentdb::testing
