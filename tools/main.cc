// latentdb: the one binary. `latentdb help` lists the subcommands (tools/*_command.cc).
#include <cstdio>
#include <cstring>
#include <string>

#include "common/huge_pages.h"
#include "engine/database.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

std::map<std::string, CommandInfo>& CommandTable() {
  static std::map<std::string, CommandInfo> table;
  return table;
}

int Fail(const Status& status, const char* usage) {
  std::fprintf(stderr, "latentdb: %s\n", status.message().c_str());
  if (status.code() == StatusCode::kInvalidArgument) {
    if (usage) std::fputs(usage, stderr);
    return 2;
  }
  return 1;
}

Result<std::unique_ptr<engine::Database>> OpenDataDir(const std::string& data_dir) {
  engine::DatabaseOptions options;
  options.data_dir = data_dir;
  options.persist_interval_seconds = 0;
  return engine::Database::Open(options);
}

}  // namespace latentdb::tools

namespace {
void PrintUsage(FILE* out) {
  std::fputs("usage: latentdb <command> [options]\ncommands:\n", out);
  for (const auto& [name, info] : latentdb::tools::CommandTable()) {
    std::fprintf(out, "  %-10s %s\n", name.c_str(), info.summary.c_str());
  }
  std::fputs("  help       show this message\n", out);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const auto& table = latentdb::tools::CommandTable();
  auto it = table.find(argv[1]);
  if (it == table.end()) {
    std::fprintf(stderr, "latentdb: unknown command '%s'\n", argv[1]);
    PrintUsage(stderr);
    return 2;
  }
  if (it->second.heap == latentdb::tools::Heap::kLarge) latentdb::ReexecWithHugePageMalloc(argv);
  return it->second.run(argc, argv);
}
