#pragma once
// The subcommands of the `latentdb` binary register themselves here, so adding one is adding one
// `*_command.cc` file (tools/CMakeLists.txt compiles every such file into the binary).
//
//   static const CommandRegistrar kIngest("ingest", "bulk-load images, texts or vectors", &IngestCommand);
//
// A command receives the full argv (argv[1] is its name) and returns the exit code:
// 0 success, 1 runtime failure, 2 bad usage.

#include <map>
#include <string>

namespace latentdb::tools {

using CommandFn = int (*)(int argc, char** argv);

// Whether a command holds collections' indexes in memory (serve, ingest): those run with huge
// pages for the heap (common/huge_pages.h), which costs a second process start (~0.5 s with
// LibTorch's libraries) that short commands are spared.
enum class Heap { kSmall, kLarge };

struct CommandInfo {
  std::string summary;
  CommandFn run;
  Heap heap = Heap::kSmall;
};

// Name -> command, sorted by name.
std::map<std::string, CommandInfo>& CommandTable();

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, CommandFn fn, Heap heap = Heap::kSmall) {
    CommandTable()[name] = {summary, fn, heap};
  }
};

}  // namespace latentdb::tools
