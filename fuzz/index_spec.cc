// Fuzz target: index specs as the API receives them (the body of PUT /collections/{c}), through
// CollectionConfig::FromJson and VectorIndex::Create; a spec that is accepted then has to survive
// real use: upserts (enough to train small IVF indexes), searches, removals, a save and a reload.
//
// Properties: searches return at most k hits, each a live id with a finite score, and the index
// reloaded from its file answers like the one that wrote it.

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/collection_config.h"
#include "fuzz/fuzz_util.h"
#include "common/json_parser.h"
#include "index/vector_index.h"

using latentdb::fuzz::Check;
namespace ldbi = latentdb::index;

namespace {

void CheckHits(const latentdb::Result<std::vector<ldbi::Hit>>& hits, size_t k, uint64_t max_id) {
  if (!hits.ok()) return;  // an error is an answer; a crash is not
  Check(hits->size() <= k, "at most k hits");
  for (const auto& h : *hits) {
    Check(std::isfinite(h.score), "finite scores");
    Check(h.id < max_id, "hits are ids that were inserted");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = latentdb::ParseJson(text, 16);
  if (!doc.ok()) return 0;
  auto config = latentdb::engine::CollectionConfig::FromJson(*doc);
  if (!config.ok()) return 0;
  const ldbi::IndexSpec spec = config->ToIndexSpec();
  auto created = ldbi::VectorIndex::Create(spec);
  if (!created.ok()) return 0;
  std::unique_ptr<ldbi::VectorIndex> idx = std::move(created).value();

  // Keep one input cheap: large dimensions only exercise creation.
  if (spec.dim > 64) return 0;
  const size_t dim = spec.dim;
  uint64_t seed = 0;
  for (size_t i = 0; i < size; ++i) seed = seed * 131 + data[i];
  latentdb::fuzz::Rng rng(seed);
  // 0..299 vectors: crosses the training threshold of IVF indexes with up to 7 lists.
  const size_t n = seed % 300;
  std::vector<uint64_t> ids(n);
  std::vector<float> vectors(n * dim);
  for (size_t i = 0; i < n; ++i) ids[i] = i;
  for (float& x : vectors) x = rng.Uniform();
  if (n > 0 && !idx->Upsert(ids.data(), vectors.data(), n).ok()) return 0;

  std::vector<float> query(dim);
  for (float& x : query) x = rng.Uniform();
  ldbi::SearchParams params;
  for (size_t k : {size_t{1}, size_t{10}, n + 5}) CheckHits(idx->Search(query.data(), k, params, nullptr), k, n);
  ldbi::IdFilter even = [](uint64_t id) { return id % 2 == 0; };
  CheckHits(idx->Search(query.data(), 10, params, &even), 10, n);
  params.exact = true;
  CheckHits(idx->Search(query.data(), 10, params, nullptr), 10, n);

  // Remove a third, replace a few, then search again.
  std::vector<uint64_t> removed;
  for (size_t i = 0; i < n; i += 3) removed.push_back(i);
  idx->Remove(removed.data(), removed.size());
  if (n > 4 && !idx->Upsert(ids.data() + 1, vectors.data(), 2).ok()) return 0;
  auto before = idx->Search(query.data(), 10, ldbi::SearchParams{}, nullptr);
  CheckHits(before, 10, n);
  (void)idx->Stats();

  // Save and reload: the reloaded index knows the same ids.
  const std::string path = latentdb::fuzz::ScratchDir::Get().path() + "/index";
  if (!idx->Save(path, 7, /*sync=*/false).ok()) return 0;
  uint64_t sequence = 0;
  auto loaded = ldbi::VectorIndex::Load(path, spec, &sequence);
  Check(loaded.ok(), "an index loads the file it saved");
  Check(sequence == 7, "the saved sequence number comes back");
  Check((*loaded)->size() == idx->size(), "the reloaded index has the same size");
  CheckHits((*loaded)->Search(query.data(), 10, ldbi::SearchParams{}, nullptr), 10, n);
  return 0;
}
