#pragma once
// The snapshot file format (the layout of the archive and its manifest) and snapshot names.
//
// A snapshot is a tar archive (common/tar_archive.h), as Qdrant's are. A collection snapshot:
//   manifest.json        {"format": "latentdb-snapshot", "version": 1, "kind": "collection",
//                         "collection", "config" (CollectionConfig::ToJson), "created" (ISO 8601),
//                         "points", "next_iid", "files": [{"name", "family", "records", "size",
//                         "sha256"}]}
//   vectors.sst, points.sst, ids.sst, payload_index.sst, attachments.sst
//                        the store's records of the collection (storage::Store::ExportCollection:
//                        RocksDB SST files, keys without the collection id); attachments hold the
//                        attribute directions and payload index definitions
//   index.idx            the vector index covering exactly those records (family "index"); absent
//                        for flat indexes and codes kept on disk, which a restore rebuilds
// A full (whole-database) snapshot:
//   manifest.json        {"format", "version", "kind": "full", "created", "files": [...]}
//   collections/<name>.snapshot   one collection snapshot per collection (family "collection")
//   <dir>/…              the files of extra data-directory folders (family "file"; the word
//                        models' folder "models/")
// Every file's SHA-256 is in the manifest and checked before anything is restored; the
// archive's own SHA-256 is the snapshot's checksum (a "<name>.checksum" file beside it, as Qdrant).
// Thread-safety: plain functions and values.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::engine {

inline constexpr const char* kSnapshotFormat = "latentdb-snapshot";
inline constexpr int kSnapshotVersion = 1;
inline constexpr const char* kSnapshotManifest = "manifest.json";
inline constexpr const char* kSnapshotIndexFile = "index.idx";

// A snapshot file, as Qdrant describes one (its SnapshotDescription).
struct SnapshotInfo {
  std::string name;
  std::string creation_time;  // UTC, "YYYY-MM-DDTHH:MM:SS" (Qdrant's format)
  uint64_t size = 0;          // bytes
  std::string checksum;       // SHA-256 of the file, lower-case hex
};
nlohmann::json SnapshotInfoToJson(const SnapshotInfo& info);

struct SnapshotFileEntry {
  std::string name;    // inside the archive
  std::string family;  // vectors, points, ids, payload_index, attachments, index, collection, file
  uint64_t records = 0;
  uint64_t size = 0;
  std::string sha256;
};

struct SnapshotManifest {
  std::string kind;  // "collection" or "full"
  std::string collection;
  nlohmann::json config;
  std::string created;
  uint64_t points = 0;
  uint64_t next_iid = 0;
  std::vector<SnapshotFileEntry> files;
};
nlohmann::json ManifestToJson(const SnapshotManifest& manifest);
// Corruption naming what is wrong when `text` is not a manifest this version reads (a newer
// version is refused by name).
Result<SnapshotManifest> ParseManifest(const std::string& text);

// "<collection>-<unix ms>-<YYYY-MM-DD-HH-MM-SS>.snapshot" (Qdrant's shape, with milliseconds
// where Qdrant has a random number) and "full-snapshot-<unix ms>-<…>.snapshot".
std::string NewSnapshotName(const std::string& collection);
std::string NewFullSnapshotName();
// InvalidArgument unless `name` is one file name ending in ".snapshot" without a path: the names
// the routes and the command line accept (no path traversal).
Status ValidateSnapshotName(const std::string& name);

}  // namespace latentdb::engine
