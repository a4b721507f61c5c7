#pragma once
// The definition of a collection, as given at creation and stored in the catalog.

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>

#include "common/result.h"
#include "index/vector_index.h"

namespace latentdb::engine {

struct CollectionConfig {
  size_t dim = 0;
  index::Metric metric = index::Metric::kCosine;
  std::string index = "HNSW32";  // FAISS factory string
  int hnsw_ef_construction = 100;
  std::optional<std::string> encoder;  // model that turns raw inputs into vectors
  // How the index holds the vectors (Qdrant's names): "quantization_config": {"scalar": {"type":
  // "int8", "quantile", "always_ram"}} → kInt8, {"binary": {"always_ram"}} → kBinary, or
  // "datatype": "float16" → kFloat16. The exact vectors stay in the store either way and rescore
  // the index's candidates (SearchQuery::quantization).
  index::Quantization quantization = index::Quantization::kNone;
  float quantile = 1.0f;  // int8: Qdrant's "quantile"; absent: the whole range of values
  // Where a quantized index keeps its codes (Qdrant's names): "on_disk": true or the quantization's
  // "always_ram": false keep them out of RAM, in a memory-mapped file that only the page cache
  // holds (index/code_file.h); "always_ram": true keeps them in RAM even with "on_disk". Absent:
  // in RAM. "on_disk" needs a quantization (the graph walks float vectors held in RAM otherwise).
  std::optional<bool> on_disk;
  std::optional<bool> always_ram;
  bool codes_on_disk() const {
    return quantization != index::Quantization::kNone &&
           (always_ram == false || (on_disk == true && always_ram != true));
  }

  // Parses the body of PUT /collections/{c}: {"dim", "metric"?, "index"?, "hnsw_ef_construction"?,
  // "encoder"?, "quantization_config"?, "datatype"?, "on_disk"?}. InvalidArgument on anything
  // else, and on settings LatentDB cannot honour (product quantization, on_disk without a
  // quantization, float16 together with a quantization_config, a quantized IVF spec: see
  // index::VectorIndex::Create).
  static Result<CollectionConfig> FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;
  // The index spec; `index_path` (the collection's index file) is where on-disk codes go beside it.
  index::IndexSpec ToIndexSpec(const std::string& index_path = std::string()) const;
};

// Collection names: [A-Za-z0-9_-]{1,64}. Nothing else can reach a file name or a key.
Status ValidateCollectionName(const std::string& name);
// What is wrong with `v` as a vector of collection `name` of `config` (nullopt: nothing): its
// dimension, a NaN or Inf, a norm over 1e18 in an l2 or ip collection (scores would overflow
// float). The one vector check of every write path (Collection::Upsert, and the cluster router
// before it splits a write between shards, so that no shard writes what another refuses).
std::optional<std::string> VectorProblem(const CollectionConfig& config, const std::string& name,
                                         std::span<const float> v);
// The same rule for other names (attachments: "direction"); the message names `what`
// ("direction name must be 1 to 64 characters of [A-Za-z0-9_-]").
Status ValidateName(const std::string& what, const std::string& name);

}  // namespace latentdb::engine
