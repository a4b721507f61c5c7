#pragma once
// Tar archives (POSIX pax format, uncompressed), written and read with libarchive: the container
// of LatentDB's snapshots (engine/snapshot.h), as Qdrant's snapshots are tar files.
//
// Archives read from elsewhere (an uploaded snapshot) are untrusted: only regular files are
// extracted, every name is checked before anything is written (relative, components of
// [A-Za-z0-9._-] other than "." and "..": no path can leave the target directory), and a
// truncated or damaged archive is an error, never a partial success the caller could miss.
// Thread-safety: the functions keep no state; concurrent calls on different files are safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace latentdb {

struct TarEntry {
  std::string name;         // its path inside the archive (a safe relative name, see above)
  std::string source_path;  // the regular file whose bytes it holds
};

// Whether `name` is a safe relative path inside an archive (see the file comment).
bool IsSafeArchiveName(std::string_view name);

// Writes `entries`, in order, into a new archive at `path` (replacing any file there), fsynced.
// InvalidArgument for an unsafe entry name; IOError/NoSpace when a file cannot be read or written
// (the partial archive is removed).
Status WriteTar(const std::string& path, const std::vector<TarEntry>& entries);

// Extracts the archive at `path` into the existing directory `dir` (subdirectories are created)
// and returns the names of the files it held, in archive order. Corruption when it is not a tar
// archive, is truncated, or holds an entry that is not a regular file or has an unsafe name, a
// name twice, or more than `max_entries` entries; NoSpace when the disk fills. On error, files
// already extracted stay in `dir` (the caller's scratch directory).
Result<std::vector<std::string>> ExtractTar(const std::string& path, const std::string& dir, size_t max_entries = 100000);

}  // namespace latentdb
