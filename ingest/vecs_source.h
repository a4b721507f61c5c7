#pragma once
// A source over the ANN-benchmark vector formats (.fvecs, .bvecs, .ivecs; formats/vecs.h).
//
// Framing follows each record's own dimension, so a record whose dimension differs from the first
// is read and then skipped as "wrong dimension". A dimension field outside 1…65536 means the
// framing is lost: the rest of the file is reported corrupt. A last record cut short is skipped as
// "short record" (the file is reported truncated).

#include <memory>

#include "formats/file_reader.h"
#include "ingest/source.h"

namespace latentdb::ingest {

Result<std::unique_ptr<Source>> OpenVecsSource(const std::string& path, Format format);

}  // namespace latentdb::ingest
