#pragma once
// SIGINT and SIGTERM as a request to stop, for a command that runs until it is told to (serve).
//
// Why not sigwait alone: a signal the whole process is sent goes to any thread that does not
// block it, and some threads exist before main() can block anything — OpenBLAS (Debian's
// libopenblas0-pthread, under FAISS and the latent module's PCA) starts its thread pool in its
// library constructor, with every signal unblocked. When the kernel picked one of those threads,
// the default action killed the server, with no clean shutdown (seen as a server that died of
// SIGTERM instead of leaving its cluster). Here a handler catches the signal in whichever thread
// receives it and writes it to a pipe that Wait() reads, so no thread can die of it.
//
// Use: Install() before any thread of one's own starts (it blocks both signals in the calling
// thread, so the threads started afterwards inherit the block and their system calls are not
// interrupted); Wait() on that same thread, which unblocks them for itself while it waits.
// One StopSignals per process (the handler writes to a process-wide pipe).

namespace latentdb::tools {

class StopSignals {
 public:
  // Installs the handler and blocks SIGINT and SIGTERM in the calling thread. False (errno set)
  // when the pipe or the handler cannot be set up.
  bool Install();
  // Blocks until SIGINT or SIGTERM arrives (or arrived since Install) and returns it.
  int Wait();
};

}  // namespace latentdb::tools
