#pragma once
// SHA-256 of a file, streamed (the file is never held in memory), as lower-case hex.

#include <string>

#include "common/result.h"

namespace latentdb::words {

Result<std::string> Sha256File(const std::string& path);

}  // namespace latentdb::words
