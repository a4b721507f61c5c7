#pragma once
// SHA-256 of a file, streamed (the file is never held in memory), as lower-case hex (OpenSSL's
// libcrypto). IOError when the file cannot be read. Thread-safe.

#include <string>

#include "common/result.h"

namespace latentdb {

Result<std::string> Sha256File(const std::string& path);

}  // namespace latentdb
