#pragma once
// The ANN-benchmark vector formats (TEXMEX): each record is a little-endian int32 dimension d
// followed by d elements — float32 (.fvecs), uint8 (.bvecs) or int32 (.ivecs). Elements become
// floats as they are (no scaling).
//
// Framing follows each record's own dimension, so a record whose dimension differs from the first
// is read and then skipped as "wrong dimension". A dimension field outside 1…65536 means the
// framing is lost: the rest of the file is reported corrupt. A last record cut short is skipped as
// "short record" (the file is reported truncated).

#include <memory>

#include "engine/ingest/file_reader.h"
#include "engine/ingest/source.h"

namespace latentdb::engine::ingest {

Result<std::unique_ptr<Source>> OpenVecsSource(const std::string& path, Format format);

}  // namespace latentdb::engine::ingest
