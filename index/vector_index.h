#pragma once
// VectorIndex: the approximate-nearest-neighbour index of one collection, built on FAISS.
//
// The index is derived data: RocksDB holds every vector, and an index can always be rebuilt from
// it. Callers identify vectors by 64-bit internal ids; inside, FAISS stores them at dense
// positions 0..n-1 and this class owns the position <-> id map and the tombstones.
//
// Supported index specs (a whitelisted subset of FAISS factory strings, with bounds on every
// number: see index/index_spec.h):
//   Flat                 exact search (LatentDB's SIMD scan)
//   HNSW<M>[,Flat]       graph index; built by FAISS, searched with LatentDB's graph walk
//   IVF<n>,Flat | IVF<n>,PQ<m>[x<b>] | IVF<n>,SQ4|SQ6|SQ8|SQfp16   inverted lists; trained
//                        automatically once enough vectors exist (39 per list, 39×2^b for PQ),
//                        exact search before
//
// Deletes and replacements are tombstones (HNSW cannot remove); NeedsRebuild() says when they
// have grown past a quarter of the index, and the owner then rebuilds from the store.
//
// Thread-safety: const methods may run concurrently with each other; mutating methods need
// exclusive access (the engine's collection lock provides it).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb {
class AtomicFileWriter;
}

namespace latentdb::index {

enum class Metric { kL2, kInnerProduct, kCosine };
Result<Metric> ParseMetric(const std::string& name);  // "l2", "ip", "cosine"
const char* MetricName(Metric metric);

// How a Flat or HNSW index holds its vectors (index/quantized_storage.h). With anything but
// kNone the index keeps only codes: Search() scores are estimates (Hit::score), and the caller
// rescores with the exact vectors it keeps elsewhere (the engine reads them from the store).
enum class Quantization { kNone, kInt8, kFloat16, kBinary };
const char* QuantizationName(Quantization q);  // "none", "int8", "float16", "binary"

// Vectors an int8 index collects, held as floats and searched exactly, before it trains its
// ranges on them and builds its codes (as an IVF index waits for training).
constexpr size_t kInt8TrainThreshold = 1000;

struct IndexSpec {
  size_t dim = 0;
  Metric metric = Metric::kCosine;
  std::string factory = "HNSW32";
  int hnsw_ef_construction = 100;
  Quantization quantization = Quantization::kNone;  // Flat and HNSW only; binary not with l2
  float quantile = 1.0f;  // int8: the share of all values the ranges cover, (0.5, 1] (1: min to max)
  // Quantized indexes: empty keeps the codes in RAM; otherwise they are kept out of it, in a
  // memory-mapped file "<codes_file_prefix>.<16 hex>.codes" (index/code_file.h) that the saved
  // index file names. The owner passes its index file's path, and removes the files no saved
  // index names (RemoveStaleCodeFiles) once a save or an open has settled which one is current.
  std::string codes_file_prefix;
};

// Upper bounds of the search parameters: Search() refuses larger ones with InvalidArgument.
constexpr size_t kMaxSearchEf = 100000;
constexpr size_t kMaxSearchNprobe = size_t{1} << 20;

struct SearchParams {
  size_t ef = 0;      // HNSW beam width; 0 = default (max(64, k)); raised to k when smaller
  size_t nprobe = 0;  // IVF lists to visit; 0 = default (max(8, nlist/16)); at most nlist are visited
  bool exact = false; // exhaustive search
};

struct Hit {
  uint64_t id;
  // l2: Euclidean distance (smaller is better); ip: inner product; cosine: cosine similarity
  // (larger is better).
  float score;
};

// Thread-safe predicate over internal ids; called once per candidate, so keep it cheap.
using IdFilter = std::function<bool(uint64_t id)>;

struct IndexStats {
  std::string kind;       // "flat", "hnsw", "ivf"
  Quantization quantization = Quantization::kNone;
  size_t live = 0;        // searchable vectors
  size_t tombstones = 0;  // deleted or replaced positions still inside FAISS
  bool trained = true;    // false while an IVF index is waiting for enough vectors
  size_t train_threshold = 0;
  size_t repaired_links = 0;  // HNSW: links RepairGraph() added since this object was created or loaded
};

class VectorIndex {
 public:
  // Validates the spec (dimension 1..65536, a supported factory string with every parameter in
  // bounds) before FAISS sees it; InvalidArgument otherwise.
  static Result<std::unique_ptr<VectorIndex>> Create(const IndexSpec& spec);
  // Loads a file written by Save(); fails with Corruption on any format or checksum problem, and on
  // a FAISS section whose type or structure (HNSW M and links, IVF lists, PQ/SQ parameters)
  // differs from `spec` — checked before and after FAISS reads it.
  // *sequence receives the store sequence number the file was saved at.
  static Result<std::unique_ptr<VectorIndex>> Load(const std::string& path, const IndexSpec& spec,
                                                   uint64_t* sequence);
  ~VectorIndex();

  // Adds vectors (row-major, n × dim); an id already present is replaced. Vectors must be finite.
  Status Upsert(const uint64_t* ids, const float* vectors, size_t n);
  // Makes room for `additional` more vectors in one allocation, so that a bulk load does not
  // grow (copy, and page-fault in) the vector storage step by step. Only a hint.
  void Reserve(size_t additional);
  // HNSW: links every live vector the graph walk cannot reach from the entry point back into the
  // graph (index/hnsw_repair.h: HNSW's neighbour pruning can drop a node's last in-link, and such
  // a vector is never returned at any ef). Upsert() runs it by itself every ntotal/8 inserts; the
  // owner calls it after a load with replayed writes and after a rebuild, so that an index that
  // has just been opened has no unreachable vector. Returns the links added; 0 for other kinds.
  // Cost: O(ntotal × 2M) reads, about 9 bytes per vector of scratch memory.
  size_t RepairGraph();
  // Whether no vector was inserted since the last RepairGraph() — then it would add nothing. An
  // index loaded from a file saved in that state counts as checked (the file records it), so
  // opening a saved graph does not walk it again; true for kinds other than HNSW.
  bool GraphChecked() const;
  // Makes room for n more vectors wherever running out of it must be an error before a write is
  // acknowledged: an index whose codes are on disk reserves them in its code file (NoSpace when the
  // disk is full, IOError). Ok and nothing for an index in RAM. Upsert() calls it too.
  Status PrepareUpsert(size_t n);
  // Removes ids; unknown ids are ignored.
  void Remove(const uint64_t* ids, size_t n);

  // k nearest live vectors, best first. With a filter, returns k results whenever at least k
  // live vectors pass it (falls back to an exhaustive filtered scan when the graph walk or the
  // probed lists come up short).
  Result<std::vector<Hit>> Search(const float* query, size_t k, const SearchParams& params,
                                  const IdFilter* filter) const;

  // The exact k nearest among `ids` (ids not in the index are skipped; repeated ids count once),
  // best first, scored as Search() scores. For a filter whose few matching points are known (a
  // payload index answered it): |ids| distance computations instead of a graph walk that would
  // have to step over the non-matching points. NotImplemented for a trained IVF index, whose
  // vectors are encoded or spread over its lists, and for a quantized index, which holds codes
  // only: the caller scores the ids with the exact vectors it keeps.
  Result<std::vector<Hit>> SearchAmong(const float* query, size_t k, const std::vector<uint64_t>& ids) const;

  bool Contains(uint64_t id) const;
  size_t size() const;
  IndexStats Stats() const;
  bool NeedsRebuild() const;
  const IndexSpec& spec() const;

  // Whether a saved file is worth having: false for a flat index, whose file would hold nothing
  // but a second copy of the vectors (the store has them; reading them from it is as fast).
  bool WorthSaving() const;
  // Streams the index file (magic, version, sequence, flags, the code file's name, rows and CRC
  // when the codes are on disk, ids, FAISS index, CRC-32) into `file`,
  // without committing it. The caller keeps the index unchanged meanwhile (e.g. a shared lock).
  Status WriteTo(AtomicFileWriter* file, uint64_t sequence) const;
  // Writes the index file to `path` atomically; with `sync`, fsynced (see AtomicFileWriter), the
  // code file first (SyncCodes).
  Status Save(const std::string& path, uint64_t sequence, bool sync = true) const;
  // Codes on disk: writes the code file's rows to disk; a synced index file must not name rows
  // that are not. Ok and nothing otherwise. Needs the same guarantee as WriteTo().
  Status SyncCodes() const;
  // The name (no directory) of the code file the index's codes are in; empty when in RAM.
  std::string CodesFileName() const;

 private:
  struct Impl;
  explicit VectorIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace latentdb::index
