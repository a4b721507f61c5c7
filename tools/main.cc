// latentdb: the one binary. `latentdb help` lists the subcommands.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/commands.h"

namespace latentdb::tools {

int Fail(const Status& status, const char* usage) {
  std::fprintf(stderr, "latentdb: %s\n", status.message().c_str());
  if (status.code() == StatusCode::kInvalidArgument) {
    if (usage) std::fputs(usage, stderr);
    return 2;
  }
  return 1;
}

}  // namespace latentdb::tools

namespace {
const char* kUsage =
    "usage: latentdb <command> [options]\n"
    "commands:\n"
    "  serve     run the HTTP server on a data directory\n"
    "  help      show this message\n";
}

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "serve") return latentdb::tools::ServeCommand(argc, argv);
  std::fprintf(stderr, "latentdb: unknown command '%s'\n%s", cmd.c_str(), kUsage);
  return 2;
}
