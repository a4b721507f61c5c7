// HNSW graph repair (index/hnsw_repair.h): a stored vector the graph walk cannot reach is a point
// similarity search never returns. These tests cut nodes off on purpose, then check that every
// live node is reachable again, and that VectorIndex keeps its graph reachable under churn.
#include <catch2/catch.hpp>

#include <faiss/IndexHNSW.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "common/coding.h"
#include "common/file_util.h"
#include "index/hnsw_repair.h"
#include "index/hnsw_search.h"
#include "index/vector_index.h"
#include "tests/support/temp_dir.h"

using namespace latentdb::index;

namespace {

using Node = faiss::HNSW::storage_idx_t;

std::vector<Node> Layer0(const faiss::HNSW& g, size_t node) {
  size_t b, e;
  g.neighbor_range(static_cast<faiss::HNSW::idx_t>(node), 0, &b, &e);
  std::vector<Node> out;
  for (size_t j = b; j < e && g.neighbors[j] >= 0; ++j) out.push_back(g.neighbors[j]);
  return out;
}

std::vector<uint8_t> ReachedFromEntry(const faiss::HNSW& g) {
  std::vector<uint8_t> reached(g.levels.size(), 0);
  std::vector<Node> queue{g.entry_point};
  reached[static_cast<size_t>(g.entry_point)] = 1;
  while (!queue.empty()) {
    Node n = queue.back();
    queue.pop_back();
    for (Node nb : Layer0(g, static_cast<size_t>(n))) {
      if (!reached[static_cast<size_t>(nb)]) reached[static_cast<size_t>(nb)] = 1, queue.push_back(nb);
    }
  }
  return reached;
}

// Removes every layer-0 link into `victims` (lists stay packed: -1 ends a list).
void CutOff(faiss::HNSW& g, const std::vector<size_t>& victims) {
  for (size_t node = 0; node < g.levels.size(); ++node) {
    size_t b, e;
    g.neighbor_range(static_cast<faiss::HNSW::idx_t>(node), 0, &b, &e);
    std::vector<Node> kept;
    for (size_t j = b; j < e && g.neighbors[j] >= 0; ++j) {
      if (std::find(victims.begin(), victims.end(), static_cast<size_t>(g.neighbors[j])) == victims.end()) {
        kept.push_back(g.neighbors[j]);
      }
    }
    for (size_t j = b; j < e; ++j) g.neighbors[j] = j - b < kept.size() ? kept[j - b] : -1;
  }
}

}  // namespace

TEST_CASE("HNSW repair links cut-off nodes back, a whole cut-off cluster included", "[index][hnsw]") {
  const size_t dim = 8, n = 3000;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> data(n * dim);
  for (auto& x : data) x = normal(rng);
  faiss::IndexHNSWFlat index(static_cast<int>(dim), 16);
  index.add(static_cast<faiss::Index::idx_t>(n), data.data());
  faiss::HNSW& g = index.hnsw;

  // Victims live on layer 0 only (an upper-layer node is reached through the upper layers): a
  // few scattered ones, and one node together with its whole neighbourhood (a cluster cut off
  // from the rest, whose members' own lists point only into the cluster or outward).
  std::vector<size_t> victims;
  for (size_t node = 0; node < n && victims.size() < 12; node += 97) {
    if (g.levels[node] == 1 && static_cast<Node>(node) != g.entry_point) victims.push_back(node);
  }
  size_t centre = 1501;
  while (g.levels[centre] != 1) ++centre;
  victims.push_back(centre);
  for (Node nb : Layer0(g, centre)) {
    if (g.levels[static_cast<size_t>(nb)] == 1 && nb != g.entry_point) victims.push_back(static_cast<size_t>(nb));
  }
  std::sort(victims.begin(), victims.end());
  victims.erase(std::unique(victims.begin(), victims.end()), victims.end());
  CutOff(g, victims);
  auto before = ReachedFromEntry(g);
  for (size_t v : victims) REQUIRE_FALSE(before[v]);

  // One victim is a tombstone: nobody needs to reach it, so it stays cut off.
  std::vector<uint8_t> dead(n, 0);
  dead[victims.front()] = 1;

  const size_t links = ConnectUnreachable(g, dead);
  CHECK(links >= 1);
  CHECK(links <= victims.size() - 1);
  auto after = ReachedFromEntry(g);
  for (size_t node = 0; node < n; ++node) {
    if (!dead[node]) CHECK(after[node]);
  }
  CHECK_FALSE(after[victims.front()]);
  CHECK(ConnectUnreachable(g, dead) == 0);  // nothing left to do

  // The walk itself now finds every live victim by its own vector (ef = n: exhaustive over what
  // it can reach).
  for (size_t v : victims) {
    if (dead[v]) continue;
    HnswQuery q;
    q.query = data.data() + v * dim;
    q.k = 1;
    q.ef = n;
    auto hits = HnswGraphSearch(g, data.data(), dim, false, q);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].second == static_cast<int64_t>(v));
  }
}

TEST_CASE("an HNSW index under churn returns every live vector once repaired", "[index][hnsw]") {
  // Replacements and deletes leave tombstones that HNSW keeps walking through, and the neighbour
  // pruning of new inserts drops old nodes' in-links: the workload that cut points off in the
  // crash test (1 in ~10^4 at 12k points, HNSW32).
  const size_t dim = 16;
  for (uint32_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    IndexSpec spec;
    spec.dim = dim;
    spec.metric = Metric::kL2;
    spec.factory = "HNSW8";  // few links a node: cut-off nodes show up in every run (4–10 here)
    auto created = VectorIndex::Create(spec);
    REQUIRE(created.ok());
    auto index = std::move(created).value();
    std::map<uint64_t, std::vector<float>> live;
    uint64_t next = 0;
    auto random_vector = [&] {
      std::vector<float> v(dim);
      for (auto& x : v) x = normal(rng);
      return v;
    };
    for (int op = 0; op < 300; ++op) {
      if (op % 8 >= 6 && live.size() > 200) {
        for (int d = 0; d < 10; ++d) {
          auto it = std::next(live.begin(), static_cast<long>(rng() % live.size()));
          uint64_t id = it->first;
          index->Remove(&id, 1);
          live.erase(it);
        }
        continue;
      }
      std::map<uint64_t, std::vector<float>> batch;
      while (live.size() > 200 && batch.size() < 15) {
        batch[std::next(live.begin(), static_cast<long>(rng() % live.size()))->first] = random_vector();
      }
      while (batch.size() < 50) batch[next++] = random_vector();
      std::vector<uint64_t> ids;
      std::vector<float> rows;
      for (auto& [id, v] : batch) {
        ids.push_back(id);
        rows.insert(rows.end(), v.begin(), v.end());
        live[id] = v;
      }
      REQUIRE(index->Upsert(ids.data(), rows.data(), ids.size()).ok());
    }
    index->RepairGraph();
    CHECK(index->Stats().repaired_links > 0);  // the workload did cut nodes off
    SearchParams exhaustive_walk;
    exhaustive_walk.ef = index->size() + index->Stats().tombstones;
    size_t missing = 0;
    for (const auto& [id, v] : live) {
      auto hits = index->Search(v.data(), 1, exhaustive_walk, nullptr);
      REQUIRE(hits.ok());
      if (hits->empty() || (hits->front().id != id && hits->front().score > 1e-4f)) ++missing;
    }
    CHECK(missing == 0);
  }
}

TEST_CASE("a saved HNSW graph says whether it was checked: opening a checked one walks nothing", "[index][hnsw]") {
  // Opening ten million points would otherwise walk every link once (seconds); a file saved right
  // after a check, with nothing replayed into it, needs no walk. Version-1 files (no flag) and
  // graphs saved with inserts since their last check are walked.
  latentdb::testing::TempDir dir;
  const std::string path = dir.Sub("hnsw.idx");
  const size_t dim = 8;
  IndexSpec spec;
  spec.dim = dim;
  spec.metric = Metric::kL2;
  spec.factory = "HNSW16";
  auto index = std::move(VectorIndex::Create(spec)).value();
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  auto insert = [&](uint64_t first, size_t n) {
    std::vector<uint64_t> ids(n);
    std::vector<float> rows(n * dim);
    for (size_t i = 0; i < n; ++i) ids[i] = first + i;
    for (auto& x : rows) x = normal(rng);
    REQUIRE(index->Upsert(ids.data(), rows.data(), n).ok());
  };
  CHECK(index->GraphChecked());  // empty
  insert(0, 100);
  CHECK_FALSE(index->GraphChecked());  // below the amortized check's 1,024 inserts
  auto reload = [&] {
    uint64_t seq = 0;
    auto loaded = VectorIndex::Load(path, spec, &seq);
    REQUIRE(loaded.ok());
    CHECK(seq == 3);
    return std::move(loaded).value();
  };
  REQUIRE(index->Save(path, 3).ok());
  CHECK_FALSE(reload()->GraphChecked());
  index->RepairGraph();
  CHECK(index->GraphChecked());
  REQUIRE(index->Save(path, 3).ok());
  auto checked = reload();
  CHECK(checked->GraphChecked());
  insert(100, 1);
  CHECK_FALSE(index->GraphChecked());
  REQUIRE(checked->Upsert(std::vector<uint64_t>{100}.data(), std::vector<float>(dim, 0.5f).data(), 1).ok());
  CHECK_FALSE(checked->GraphChecked());  // a replayed insert

  // The same checked file written as version 2 (the flag, no code file fields: 4-byte name
  // length 0, 8-byte rows, 4-byte CRC) loads checked; as version 1 (before the flag), unchecked.
  index->RepairGraph();
  REQUIRE(index->Save(path, 3).ok());
  std::string bytes = *latentdb::ReadWholeFile(path);
  const size_t version_at = 8, flag_at = version_at + 4 + 8 + 4 * 4, codes_at = flag_at + 4, codes_len = 16;
  CHECK(latentdb::DecodeFixed32LE(bytes.data() + version_at) == 3);
  CHECK(latentdb::DecodeFixed32LE(bytes.data() + flag_at) == 1);
  CHECK(bytes.substr(codes_at, codes_len) == std::string(codes_len, '\0'));
  for (uint32_t version : {2u, 1u}) {
    INFO("version " << version);
    std::string old_file = bytes.substr(0, version_at);
    latentdb::PutFixed32LE(&old_file, version);
    old_file += bytes.substr(version_at + 4, (version == 2 ? codes_at : flag_at) - version_at - 4);
    // ... and without the code rows' byte count (8 bytes, 0) that version 3 writes after FAISS's.
    CHECK(bytes.substr(bytes.size() - 12, 8) == std::string(8, '\0'));
    old_file += bytes.substr(codes_at + codes_len, bytes.size() - 12 - codes_at - codes_len);
    latentdb::PutFixed32LE(&old_file, latentdb::Crc32(old_file));
    REQUIRE(latentdb::WriteFileAtomically(path, old_file).ok());
    auto old = reload();
    CHECK(old->GraphChecked() == (version == 2));
    CHECK(old->size() == index->size());
    old->RepairGraph();
    CHECK(old->GraphChecked());
  }

  // A flag other than 0 or 1 is a damaged file; so is a code file named where the collection
  // keeps its codes in RAM.
  std::string named = bytes;
  bytes[flag_at] = 2;
  bytes.resize(bytes.size() - 4);
  latentdb::PutFixed32LE(&bytes, latentdb::Crc32(bytes));
  REQUIRE(latentdb::WriteFileAtomically(path, bytes).ok());
  uint64_t seq = 0;
  auto damaged = VectorIndex::Load(path, spec, &seq);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.status().code() == latentdb::StatusCode::kCorruption);
  const std::string name = "hnsw.idx.0123456789abcdef.codes";
  std::string with_name = named.substr(0, codes_at);
  latentdb::PutFixed32LE(&with_name, static_cast<uint32_t>(name.size()));
  with_name += name + named.substr(codes_at + 4, named.size() - 4 - codes_at - 4);
  latentdb::PutFixed32LE(&with_name, latentdb::Crc32(with_name));
  REQUIRE(latentdb::WriteFileAtomically(path, with_name).ok());
  damaged = VectorIndex::Load(path, spec, &seq);
  INFO(damaged.status().ToString());
  CHECK(damaged.status().code() == latentdb::StatusCode::kCorruption);
  CHECK(damaged.status().message().find("code file") != std::string::npos);
}
