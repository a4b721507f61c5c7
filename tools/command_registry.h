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

struct CommandInfo {
  std::string summary;
  CommandFn run;
};

// Name -> command, sorted by name.
std::map<std::string, CommandInfo>& CommandTable();

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, CommandFn fn) { CommandTable()[name] = {summary, fn}; }
};

}  // namespace latentdb::tools
