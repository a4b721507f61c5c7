#pragma once
// A source over a NumPy .npy matrix (formats/npy.h reads and checks the header): each row is one
// record, uint8 becomes float as is. A file shorter than its header says is read up to its last
// complete row and reported truncated.

#include <memory>

#include "ingest/source.h"

namespace latentdb::ingest {

Result<std::unique_ptr<Source>> OpenNpySource(const std::string& path);

}  // namespace latentdb::ingest
