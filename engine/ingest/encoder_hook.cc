#include "engine/ingest/encoder_hook.h"

namespace latentdb::engine::ingest {

Result<std::unique_ptr<ItemEncoder>> MakeItemEncoder(const std::string& name) {
  return Status::NotFound("unknown encoder/model '" + name +
                          "': this build has no encoders yet (ingest raw vectors: fvecs, bvecs, ivecs, npy, jsonl, csv, idx)");
}

}  // namespace latentdb::engine::ingest
