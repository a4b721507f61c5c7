#pragma once
// Files the project writes are published atomically: write a temporary file, fsync it, rename it
// over the target, fsync the directory. A crash leaves either the old file or the new one.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace latentdb {

Status WriteFileAtomically(const std::string& path, std::string_view contents);
Result<std::string> ReadWholeFile(const std::string& path);
Status CreateDirectories(const std::string& path);
bool PathExists(const std::string& path);
Status RemoveFileIfExists(const std::string& path);

// CRC-32 (zlib polynomial) of a byte range, for file checksums.
uint32_t Crc32(std::string_view data, uint32_t seed = 0);

}  // namespace latentdb
