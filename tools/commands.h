#pragma once
// Subcommands of the `latentdb` binary. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad usage.

#include <memory>
#include <string>

#include "common/result.h"
#include "common/status.h"

namespace latentdb::engine {
class Database;
}

namespace latentdb::tools {

inline constexpr const char* kServeUsage =
    "usage: latentdb serve [--data-dir DIR] [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--sync]\n"
    "                      [--threads N] [--body-limit-mb 64] [--persist-interval SECONDS]\n"
    "                      [--block-cache-mb 256] [--row-cache-mb 128] [--memtable-mb 64]\n"
    "                      [--cluster etcd://HOST:PORT[,HOST:PORT...] --node-id N [--advertise http://HOST:PORT]\n"
    "                       [--lease-ttl SECONDS] [--cluster-prefix /latentdb] [--wal-retention SECONDS (86400)]]\n";

// Prints the error (and usage for InvalidArgument) to stderr; returns 2 for usage errors, else 1.
int Fail(const Status& status, const char* usage = nullptr);

// Opens a data directory for a one-shot command: no background index saves (the command saves on
// Close), so the directory lock is taken and released with the command.
Result<std::unique_ptr<engine::Database>> OpenDataDir(const std::string& data_dir);

// `latentdb train KIND …` (argv[2] is the kind): tools/train_word2vec.cc, tools/train_image.cc.
int TrainWord2VecCommand(int argc, char** argv);
int TrainImageCommand(int argc, char** argv);  // cnn | vae


}  // namespace latentdb::tools
