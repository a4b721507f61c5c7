#pragma once
// Process-wide LibTorch settings, internal to encoders.

#include <exception>
#include <string>

namespace latentdb::encoders {

// Sets LibTorch's intra-op threads: `threads` when > 0, else every hardware thread. Debian's
// LibTorch starts with one thread on some machines (it counts what it believes are physical
// cores), which halves encoding speed on a 2-core VM. Once per process unless threads > 0.
void ConfigureTorchThreads(int threads = 0);

// The first line of a LibTorch exception's message (c10::Error appends a C++ backtrace).
std::string TorchMessage(const std::exception& e);

}  // namespace latentdb::encoders
