#pragma once
// Quantized vector storage: the codes an HNSW graph walks, or a flat index scans, in place of
// float vectors (Qdrant's scalar, binary and float16 quantization; the exact vectors stay in the
// store and rescore the best candidates, see engine/collection.cc).
//
//   int8     faiss::ScalarQuantizer QT_8bit: one byte per dimension, each dimension's [min, max]
//            trained on a sample, clipped to the quantile range of all values (Qdrant's
//            "quantile": 0.99 keeps the middle 99 % of the values). 4× smaller.
//   float16  faiss::ScalarQuantizer QT_fp16: IEEE half precision, no training. 2× smaller.
//   binary   faiss::IndexLSH without rotation or thresholds: one sign bit per dimension
//            (bit = component > 0), Hamming distance (as Qdrant's binary quantization). 32×
//            smaller; for cosine and inner-product collections.
//
// The storages are FAISS's own classes (so FAISS builds the graph over them and writes and
// reads them), subclassed only to hand FAISS's graph build LatentDB's distance kernels: Debian's
// FAISS computes scalar-quantizer distances without SIMD. Internal header of index/.

#include <faiss/IndexFlatCodes.h>
#include <faiss/IndexLSH.h>
#include <faiss/IndexScalarQuantizer.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "index/code_file.h"
#include "index/vector_index.h"

namespace latentdb::index {

// Raw distances between a float query and codes in FAISS's convention: the squared L2 distance
// for L2 (smaller is better), an estimate of the inner product otherwise (larger is better; for
// binary codes dim − 2·Hamming, the inner product of the ±1 sign vectors).
// Not thread-safe (holds the query); one per search.
class CodeScorer {
 public:
  virtual ~CodeScorer() = default;
  // `query` has the collection's dimension (normalized already for cosine).
  virtual void SetQuery(const float* query) = 0;
  virtual float Raw(const uint8_t* code) const = 0;
  // Between two stored codes (the graph build's neighbour pruning).
  virtual float Symmetric(const uint8_t* a, const uint8_t* b) const = 0;

  const uint8_t* Row(size_t pos) const { return codes_ + pos * code_size_; }
  size_t code_size() const { return code_size_; }
  bool larger_is_better() const { return inner_product_; }

 protected:
  CodeScorer(const faiss::IndexFlatCodes& storage);
  const uint8_t* codes_;
  size_t code_size_;
  size_t dim_;
  bool inner_product_;
};

// Thrown from inside FAISS's add() when a storage whose codes live in a CodeFile cannot grow it
// (a full disk); VectorIndex turns it back into its Status. VectorIndex::PrepareUpsert reserves the
// room first, so that a write that would fail is refused before it is acknowledged.
class CodeFileError : public std::runtime_error {
 public:
  explicit CodeFileError(Status status) : std::runtime_error(status.message()), status_(std::move(status)) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

// An empty storage of the spec's quantization (not kNone). Its rows are a CodeFile: anonymous
// memory, or with spec.codes_file_prefix set a file "<prefix>.<hex>.codes" created at the first add. Int8 needs training (faiss::Index::train
// on a sample) before vectors are added; the others are ready.
std::unique_ptr<faiss::IndexFlatCodes> MakeCodeStorage(const IndexSpec& spec);
// The scorer for a storage made by MakeCodeStorage or read back by AdoptCodeStorage.
std::unique_ptr<CodeScorer> MakeCodeScorer(const faiss::IndexFlatCodes& storage);
// The first code row of a storage: its CodeFile's mapping (FAISS's `codes` vector for a storage
// not made here). Valid until the storage next grows.
const uint8_t* CodeRows(const faiss::IndexFlatCodes& storage);
// The rows of a storage made by MakeCodeStorage or AdoptCodeStorage (a file, or anonymous for
// codes in RAM); null while it has none yet.
const CodeFile* CodeFileOf(const faiss::Index* storage);
// Makes room for `additional` more rows, creating the storage's rows on first use: NoSpace on a
// full disk, IOError when memory cannot be mapped.
Status PrepareCodeRows(faiss::IndexFlatCodes* storage, size_t additional);
// Which quantization a storage holds; kNone for float storage.
Quantization StorageQuantization(const faiss::Index* storage);
// Takes over the codes of a storage FAISS read from a file (a plain IndexScalarQuantizer or
// IndexLSH) into LatentDB's subclass; null when `read` is not of the spec's quantization or does
// not hold `rows` codes. With `file` (the code file of a spec with codes on disk, or the anonymous
// rows read from the index file's own code section) FAISS read an empty storage and the rows are
// `file`'s, exactly `rows`; without, the rows are in FAISS's storage (an index file of version 1
// or 2) and are copied into anonymous rows — or, codes on disk, there must be none.
faiss::IndexFlatCodes* AdoptCodeStorage(faiss::Index* read, const IndexSpec& spec, std::unique_ptr<CodeFile> file,
                                        size_t rows);
// Whether a read storage's parameters (code size, trained ranges) are sound for the spec, and it
// holds its ntotal codes, or — `written_empty`: the rows are kept elsewhere — none.
bool CodeStorageMatches(const faiss::Index* storage, const IndexSpec& spec, bool written_empty);

// The k best positions of an exhaustive scan over every code the selector allows, as
// (raw distance, position) pairs best first.
std::vector<std::pair<float, int64_t>> ScanCodes(const CodeScorer& scorer, size_t n, size_t k,
                                                 const faiss::IDSelector* selector);

}  // namespace latentdb::index
