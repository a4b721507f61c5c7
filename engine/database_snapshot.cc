// Database: snapshots of one collection or of the whole database — written, listed, removed and
// restored (the format is engine/snapshot_format.h).
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <unistd.h>
#include <filesystem>

#include "common/file_util.h"
#include "common/logging.h"
#include "common/sha256.h"
#include "common/tar_archive.h"
#include "engine/database.h"
#include "storage/store.h"

namespace latentdb::engine {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Removes a scratch directory when it goes out of scope.
struct ScratchDir {
  std::string path;
  ~ScratchDir() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
};

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("reading", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

// UTC as "YYYY-MM-DDTHH:MM:SS", Qdrant's creation_time.
std::string IsoTime(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string CreationTime(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? IsoTime(st.st_mtime) : "";
}

// A snapshot file's description; its checksum from the file beside it (computed when missing).
Result<SnapshotInfo> DescribeSnapshot(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  SnapshotInfo info;
  info.name = name;
  LDB_ASSIGN_OR_RETURN(info.size, FileSize(path));
  info.creation_time = CreationTime(path);
  auto stored = ReadWholeFile(path + ".checksum");
  if (stored.ok() && stored->size() >= 64) {
    info.checksum = stored->substr(0, 64);
  } else {
    LDB_ASSIGN_OR_RETURN(info.checksum, Sha256File(path));
  }
  return info;
}

// The snapshot files in `dir`, oldest first (their names start with the creation time).
Result<std::vector<SnapshotInfo>> ListSnapshotDir(const std::string& dir, bool full) {
  std::vector<SnapshotInfo> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  std::vector<std::pair<fs::file_time_type, std::string>> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !ValidateSnapshotName(name).ok()) continue;
    if (full != name.starts_with("full-snapshot-")) continue;
    names.emplace_back(entry.last_write_time(ec), name);
  }
  if (ec) return Status::IOError("listing " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  for (const auto& [time, name] : names) {
    auto info = DescribeSnapshot(dir, name);
    if (info.ok()) out.push_back(std::move(info).value());  // one removed meanwhile is skipped
  }
  return out;
}

Result<SnapshotManifest> ReadArchive(const std::string& archive_path, const std::string& scratch);

// Checks every file of an extracted archive against its manifest entry (size and SHA-256) and
// that nothing else is in it.
Status VerifyFiles(const std::string& dir, const SnapshotManifest& m, const std::vector<std::string>& extracted) {
  if (extracted.size() != m.files.size() + 1) {
    return Status::Corruption("the snapshot holds " + std::to_string(extracted.size() - 1) + " files, its manifest names " +
                              std::to_string(m.files.size()));
  }
  for (const auto& f : m.files) {
    if (std::find(extracted.begin(), extracted.end(), f.name) == extracted.end()) {
      return Status::Corruption("the snapshot lacks '" + f.name + "', which its manifest names");
    }
    LDB_ASSIGN_OR_RETURN(uint64_t size, FileSize(dir + "/" + f.name));
    LDB_ASSIGN_OR_RETURN(std::string sha, Sha256File(dir + "/" + f.name));
    if (size != f.size || sha != f.sha256) {
      return Status::Corruption("'" + f.name + "' in the snapshot does not match its checksum (damaged)");
    }
  }
  return Status::Ok();
}

Status CheckArchiveChecksum(const std::string& path, const std::string& expected) {
  if (expected.empty()) return Status::Ok();
  LDB_ASSIGN_OR_RETURN(std::string actual, Sha256File(path));
  std::string lower = expected;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (actual != lower) {
    return Status::InvalidArgument("the snapshot's SHA-256 is " + actual + ", not the expected " + expected +
                                   "; nothing was restored");
  }
  return Status::Ok();
}

// A snapshot file is the caller's input: its damage is a bad argument (HTTP 400), not damage of
// the database (Corruption, 500), which stays for the store's own records.
Status AsInputError(Status s, const std::string& archive_path) {
  if (s.code() != StatusCode::kCorruption) return s;
  return Status::InvalidArgument("the snapshot " + archive_path + " is damaged or not a LatentDB snapshot (" + s.message() +
                                 "); nothing was restored");
}

// Extracts the archive into `scratch` and reads and verifies its manifest.
Result<SnapshotManifest> OpenArchive(const std::string& archive_path, const std::string& scratch) {
  auto m = ReadArchive(archive_path, scratch);
  if (!m.ok()) return AsInputError(m.status(), archive_path);
  return m;
}

Result<SnapshotManifest> ReadArchive(const std::string& archive_path, const std::string& scratch) {
  if (!fs::is_regular_file(archive_path)) return Status::NotFound("no snapshot file " + archive_path);
  LDB_ASSIGN_OR_RETURN(auto extracted, ExtractTar(archive_path, scratch));
  if (std::find(extracted.begin(), extracted.end(), kSnapshotManifest) == extracted.end()) {
    return Status::Corruption(archive_path + " is not a LatentDB snapshot (no manifest.json)");
  }
  LDB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(scratch + "/" + kSnapshotManifest));
  LDB_ASSIGN_OR_RETURN(SnapshotManifest manifest, ParseManifest(text));
  LDB_RETURN_IF_ERROR(VerifyFiles(scratch, manifest, extracted));
  return manifest;
}

SnapshotFileEntry EntryFor(const std::string& dir, const std::string& name, const std::string& family, uint64_t records,
                           Status* error) {
  SnapshotFileEntry e{name, family, records, 0, ""};
  auto size = FileSize(dir + "/" + name);
  auto sha = Sha256File(dir + "/" + name);
  if (!size.ok() || !sha.ok()) {
    *error = size.ok() ? sha.status() : size.status();
  } else {
    e.size = *size;
    e.sha256 = *sha;
  }
  return e;
}

}  // namespace

std::string Database::SnapshotsDir() const { return options_.data_dir + "/snapshots"; }

Result<std::string> Database::MakeScratchDir() const {
  static std::atomic<uint64_t> counter{0};
  const std::string dir = SnapshotsDir() + "/.tmp/" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  LDB_RETURN_IF_ERROR(CreateDirectories(dir));
  return dir;
}

Status Database::WriteCollectionArchive(const std::shared_ptr<Collection>& c, const std::string& archive_path) const {
  LDB_ASSIGN_OR_RETURN(std::string scratch_path, MakeScratchDir());
  ScratchDir scratch{scratch_path};
  LDB_ASSIGN_OR_RETURN(CollectionSnapshotFiles files, c->ExportSnapshot(scratch_path));
  SnapshotManifest m;
  m.kind = "collection";
  m.collection = c->name();
  m.config = c->config().ToJson();
  m.created = IsoTime(std::time(nullptr));
  m.points = files.points;
  m.next_iid = files.records.next_iid;
  Status error;
  for (const auto& f : files.records.files) m.files.push_back(EntryFor(scratch_path, f.name, f.family, f.records, &error));
  if (files.has_index) m.files.push_back(EntryFor(scratch_path, kSnapshotIndexFile, "index", files.points, &error));
  LDB_RETURN_IF_ERROR(error);
  LDB_RETURN_IF_ERROR(WriteFileAtomically(scratch_path + "/" + kSnapshotManifest, ManifestToJson(m).dump(2)));
  std::vector<TarEntry> entries{{kSnapshotManifest, scratch_path + "/" + kSnapshotManifest}};
  for (const auto& f : m.files) entries.push_back({f.name, scratch_path + "/" + f.name});
  return WriteTar(archive_path, entries);
}

Result<SnapshotInfo> Database::PublishSnapshot(const std::string& tmp, const std::string& dir, const std::string& name) const {
  LDB_RETURN_IF_ERROR(CreateDirectories(dir));
  const std::string path = dir + "/" + name;
  auto sha = Sha256File(tmp);
  Status s = sha.ok() ? WriteFileAtomically(path + ".checksum", *sha + "  " + name + "\n") : sha.status();
  if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus("publishing", path, errno);
  if (s.ok()) s = FsyncDirectoryOf(path);
  if (!s.ok()) {
    (void)RemoveFileIfExists(tmp);
    (void)RemoveFileIfExists(path + ".checksum");
    return s;
  }
  return DescribeSnapshot(dir, name);
}

Result<SnapshotInfo> Database::CreateSnapshot(const std::string& collection) {
  LDB_ASSIGN_OR_RETURN(auto c, GetCollection(collection));
  LDB_ASSIGN_OR_RETURN(std::string scratch_path, MakeScratchDir());
  ScratchDir scratch{scratch_path};
  const std::string tmp = scratch_path + "/archive.snapshot";
  LDB_RETURN_IF_ERROR(WriteCollectionArchive(c, tmp));
  return PublishSnapshot(tmp, SnapshotsDir() + "/" + collection, NewSnapshotName(collection));
}

Result<std::vector<SnapshotInfo>> Database::ListSnapshots(const std::string& collection) const {
  LDB_RETURN_IF_ERROR(GetCollection(collection).status());
  return ListSnapshotDir(SnapshotsDir() + "/" + collection, /*full=*/false);
}

Result<std::string> Database::SnapshotPath(const std::string& collection, const std::string& name) const {
  LDB_RETURN_IF_ERROR(ValidateSnapshotName(name));
  std::string dir = SnapshotsDir();
  if (!collection.empty()) {
    LDB_RETURN_IF_ERROR(ValidateCollectionName(collection));
    dir += "/" + collection;
  } else if (!name.starts_with("full-snapshot-")) {
    return Status::NotFound("no full snapshot '" + name + "'");
  }
  const std::string path = dir + "/" + name;
  if (!fs::is_regular_file(path)) {
    return Status::NotFound("no snapshot '" + name + "'" + (collection.empty() ? "" : " of collection '" + collection + "'"));
  }
  return path;
}

Status Database::DeleteSnapshot(const std::string& collection, const std::string& name) {
  LDB_ASSIGN_OR_RETURN(std::string path, SnapshotPath(collection, name));
  LDB_RETURN_IF_ERROR(RemoveFileIfExists(path));
  return RemoveFileIfExists(path + ".checksum");
}

Result<std::shared_ptr<Collection>> Database::RestoreSnapshot(const std::string& name, const std::string& archive_path,
                                                              const std::string& expected_sha256) {
  // A restore ingests files, which RocksDB does not log: a replica could not follow it either.
  LDB_RETURN_IF_ERROR(CheckWritable());
  LDB_RETURN_IF_ERROR(ValidateCollectionName(name));
  LDB_RETURN_IF_ERROR(CheckArchiveChecksum(archive_path, expected_sha256));
  LDB_ASSIGN_OR_RETURN(std::string scratch_path, MakeScratchDir());
  ScratchDir scratch{scratch_path};
  LDB_ASSIGN_OR_RETURN(SnapshotManifest m, OpenArchive(archive_path, scratch_path));
  if (m.kind != "collection") return Status::InvalidArgument(archive_path + " is a full snapshot, not a collection's");
  auto config = CollectionConfig::FromJson(m.config);
  if (!config.ok()) return Status::InvalidArgument("the snapshot's collection config is refused: " + config.status().message());
  LDB_RETURN_IF_ERROR(index::VectorIndex::Create(config->ToIndexSpec()).status());
  storage::CollectionExport exported;
  exported.next_iid = m.next_iid;
  bool has_index = false;
  for (const auto& f : m.files) {
    if (f.family == "index") {
      if (f.name != kSnapshotIndexFile) return Status::InvalidArgument("the snapshot's index file is not " + std::string(kSnapshotIndexFile));
      has_index = true;
    } else {
      exported.files.push_back({f.family, f.name, f.records});
    }
  }

  // Which collection is replaced (by id: a concurrent drop or create makes the import Conflict).
  std::shared_ptr<Collection> old;
  std::optional<storage::CollectionRecord> replacing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_.count(name)) {
      return Status::Unavailable("collection '" + name + "' failed to load; DELETE it before restoring a snapshot over it");
    }
    if (auto it = collections_.find(name); it != collections_.end()) {
      old = it->second;
      replacing = storage::CollectionRecord{old->id(), name, "", ""};
    }
  }
  auto imported = store_->ImportCollection(name, config->ToJson().dump(), exported, scratch_path,
                                           replacing ? &*replacing : nullptr);
  if (!imported.ok()) return AsInputError(imported.status(), archive_path);
  const storage::CollectionRecord rec = std::move(imported).value();
  LDB_RETURN_IF_ERROR(RemoveIndexFiles(rec.id));
  if (has_index && std::rename((scratch_path + "/" + kSnapshotIndexFile).c_str(), IndexPath(rec.id).c_str()) != 0) {
    LogWarn("restoring '" + name + "': the snapshot's index file could not be moved in (" + std::strerror(errno) +
            "); the index is rebuilt from the vectors");
  }
  auto opened = OpenCollection(rec);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (opened.ok()) {
      collections_[name] = *opened;
    } else {
      collections_.erase(name);
      failed_[name] = FailedCollection{name, rec.id, opened.status()};
    }
  }
  if (old) {
    old->Stop();
    if (Status s = RemoveIndexFiles(old->id()); !s.ok()) LogWarn("restoring '" + name + "': " + s.message());
  }
  if (!opened.ok()) return opened.status();
  LogInfo("restored collection '" + name + "' (" + std::to_string((*opened)->size()) + " points) from " + archive_path);
  return opened;
}

Result<SnapshotInfo> Database::CreateFullSnapshot(const std::vector<std::string>& extra_dirs) {
  LDB_ASSIGN_OR_RETURN(std::string scratch_path, MakeScratchDir());
  ScratchDir scratch{scratch_path};
  LDB_RETURN_IF_ERROR(CreateDirectories(scratch_path + "/collections"));
  SnapshotManifest m;
  m.kind = "full";
  m.created = IsoTime(std::time(nullptr));
  std::vector<TarEntry> entries{{kSnapshotManifest, scratch_path + "/" + kSnapshotManifest}};
  Status error;
  for (const auto& c : ListCollections()) {
    const std::string name = "collections/" + c->name() + ".snapshot";
    LDB_RETURN_IF_ERROR(WriteCollectionArchive(c, scratch_path + "/" + name));
    m.files.push_back(EntryFor(scratch_path, name, "collection", c->size(), &error));
    entries.push_back({name, scratch_path + "/" + name});
  }
  for (const std::string& dir : extra_dirs) {
    const std::string root = options_.data_dir + "/" + dir;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      const std::string rel = dir + "/" + fs::relative(it->path(), root).string();
      if (!IsSafeArchiveName(rel)) {
        LogWarn("full snapshot: skipping " + it->path().string() + " (its name cannot be archived)");
        continue;
      }
      m.files.push_back(EntryFor(options_.data_dir, rel, "file", 0, &error));
      entries.push_back({rel, it->path().string()});
    }
    if (ec) return Status::IOError("listing " + root + ": " + ec.message());
  }
  LDB_RETURN_IF_ERROR(error);
  LDB_RETURN_IF_ERROR(WriteFileAtomically(scratch_path + "/" + kSnapshotManifest, ManifestToJson(m).dump(2)));
  const std::string tmp = scratch_path + "/archive.snapshot";
  LDB_RETURN_IF_ERROR(WriteTar(tmp, entries));
  return PublishSnapshot(tmp, SnapshotsDir(), NewFullSnapshotName());
}

Result<std::vector<SnapshotInfo>> Database::ListFullSnapshots() const { return ListSnapshotDir(SnapshotsDir(), /*full=*/true); }

Status Database::RestoreFullSnapshot(const std::string& archive_path, const std::string& expected_sha256) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  LDB_RETURN_IF_ERROR(CheckArchiveChecksum(archive_path, expected_sha256));
  LDB_ASSIGN_OR_RETURN(std::string scratch_path, MakeScratchDir());
  ScratchDir scratch{scratch_path};
  LDB_ASSIGN_OR_RETURN(SnapshotManifest m, OpenArchive(archive_path, scratch_path));
  if (m.kind != "full") return Status::InvalidArgument(archive_path + " is a collection snapshot, not a full one");
  for (const auto& f : m.files) {
    const std::string source = scratch_path + "/" + f.name;
    if (f.family == "collection") {
      static constexpr std::string_view kPrefix = "collections/", kSuffix = ".snapshot";
      if (!f.name.starts_with(kPrefix) || !f.name.ends_with(kSuffix)) {
        return Status::InvalidArgument("a full snapshot's collection entry '" + f.name + "' is misnamed");
      }
      const std::string name = f.name.substr(kPrefix.size(), f.name.size() - kPrefix.size() - kSuffix.size());
      LDB_RETURN_IF_ERROR(RestoreSnapshot(name, source, f.sha256).status());
    } else if (f.family == "file") {
      const std::string target = options_.data_dir + "/" + f.name;
      LDB_RETURN_IF_ERROR(CreateDirectories(fs::path(target).parent_path().string()));
      std::error_code ec;
      fs::copy_file(source, target + ".restoring", fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::IOError("restoring " + target + ": " + ec.message());
      if (std::rename((target + ".restoring").c_str(), target.c_str()) != 0) return ErrnoStatus("restoring", target, errno);
    } else {
      return Status::InvalidArgument("a full snapshot's entry '" + f.name + "' has family '" + f.family + "'");
    }
  }
  return Status::Ok();
}

}  // namespace latentdb::engine
