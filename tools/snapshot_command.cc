// latentdb snapshot create|list|restore|delete: snapshots of a data directory for operators
// (engine/database.h; the same files as the HTTP routes write, in DATA_DIR/snapshots).
//
// These open the data directory themselves, so they run while no server holds it; against a
// running server, use its routes (POST /collections/{c}/snapshots, PUT …/snapshots/recover).
#include <cstdio>
#include <cstring>

#include "engine/database.h"
#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {
namespace {

constexpr const char* kSnapshotUsage =
    "usage: latentdb snapshot create COLLECTION [--data-dir DIR]     a collection's snapshot\n"
    "       latentdb snapshot create --full [--data-dir DIR]          every collection and the models\n"
    "       latentdb snapshot list [COLLECTION] [--data-dir DIR]      (no COLLECTION: whole-database ones)\n"
    "       latentdb snapshot restore FILE --collection NAME [--checksum SHA256] [--data-dir DIR]\n"
    "                                 (creates NAME, or replaces it)\n"
    "       latentdb snapshot restore FILE --full [--checksum SHA256] [--data-dir DIR]\n"
    "       latentdb snapshot delete NAME [--collection C] [--data-dir DIR]\n";

// The data directory, with a hint when a server holds it.
Result<std::unique_ptr<engine::Database>> Open(const Args& args) {
  auto db = OpenDataDir(args.Get("data-dir", "./data"));
  if (!db.ok() && db.status().code() == StatusCode::kBusy) {
    return Status::Busy(db.status().message() +
                        "; while a server runs, use its routes: POST /collections/{c}/snapshots, "
                        "PUT /collections/{c}/snapshots/recover, POST /snapshots");
  }
  return db;
}

void Print(const engine::SnapshotInfo& info, const std::string& dir) {
  std::printf("%s  %12llu bytes  %s  sha256 %s\n", info.creation_time.c_str(), static_cast<unsigned long long>(info.size),
              (dir + "/" + info.name).c_str(), info.checksum.c_str());
}

int Create(const Args& args) {
  const bool full = args.Has("full");
  if (full == (args.positional().size() == 1) || args.positional().size() > 1) {
    return Fail(Status::InvalidArgument("snapshot create takes one COLLECTION or --full"), kSnapshotUsage);
  }
  auto db = Open(args);
  if (!db.ok()) return Fail(db.status());
  auto info = full ? (*db)->CreateFullSnapshot() : (*db)->CreateSnapshot(args.positional()[0]);
  if (!info.ok()) return Fail(info.status());
  Print(*info, (*db)->SnapshotsDir() + (full ? "" : "/" + args.positional()[0]));
  return 0;
}

int List(const Args& args) {
  if (args.positional().size() > 1) return Fail(Status::InvalidArgument("snapshot list takes at most one COLLECTION"), kSnapshotUsage);
  auto db = Open(args);
  if (!db.ok()) return Fail(db.status());
  const bool full = args.positional().empty();
  auto infos = full ? (*db)->ListFullSnapshots() : (*db)->ListSnapshots(args.positional()[0]);
  if (!infos.ok()) return Fail(infos.status());
  for (const auto& info : *infos) Print(info, (*db)->SnapshotsDir() + (full ? "" : "/" + args.positional()[0]));
  return 0;
}

int Restore(const Args& args) {
  if (args.positional().size() != 1 || args.Has("full") == args.Has("collection")) {
    return Fail(Status::InvalidArgument("snapshot restore takes one FILE and --collection NAME or --full"), kSnapshotUsage);
  }
  auto db = Open(args);
  if (!db.ok()) return Fail(db.status());
  const std::string& file = args.positional()[0];
  const std::string checksum = args.Get("checksum", "");
  if (args.Has("full")) {
    if (Status s = (*db)->RestoreFullSnapshot(file, checksum); !s.ok()) return Fail(s);
    std::printf("restored the whole-database snapshot %s: %zu collections\n", file.c_str(), (*db)->ListCollections().size());
    return 0;
  }
  auto c = (*db)->RestoreSnapshot(args.Get("collection"), file, checksum);
  if (!c.ok()) return Fail(c.status());
  std::printf("restored collection '%s' (%zu points) from %s\n", (*c)->name().c_str(), (*c)->size(), file.c_str());
  return 0;
}

int Delete(const Args& args) {
  if (args.positional().size() != 1) return Fail(Status::InvalidArgument("snapshot delete takes one NAME"), kSnapshotUsage);
  auto db = Open(args);
  if (!db.ok()) return Fail(db.status());
  if (Status s = (*db)->DeleteSnapshot(args.Get("collection", ""), args.positional()[0]); !s.ok()) return Fail(s);
  std::printf("deleted snapshot %s\n", args.positional()[0].c_str());
  return 0;
}

int SnapshotCommand(int argc, char** argv) {
  ExitOnHelp(argc, argv, 2, kSnapshotUsage);
  if (argc < 3) return Fail(Status::InvalidArgument("snapshot needs a subcommand"), kSnapshotUsage);
  auto args = Args::Parse(argc, argv, 3, {"data-dir", "collection", "checksum"}, {"full"}, kSnapshotUsage);
  if (!args.ok()) return Fail(args.status(), kSnapshotUsage);
  if (std::strcmp(argv[2], "create") == 0) return Create(*args);
  if (std::strcmp(argv[2], "list") == 0) return List(*args);
  if (std::strcmp(argv[2], "restore") == 0) return Restore(*args);
  if (std::strcmp(argv[2], "delete") == 0) return Delete(*args);
  return Fail(Status::InvalidArgument(std::string("unknown snapshot subcommand '") + argv[2] + "'"), kSnapshotUsage);
}

const CommandRegistrar kSnapshot("snapshot", "create, list, restore or delete snapshots of collections or the database",
                                 &SnapshotCommand);

}  // namespace
}  // namespace latentdb::tools
