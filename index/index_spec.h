#pragma once
// Index specs: the subset of FAISS factory strings LatentDB accepts, parsed and bounds-checked
// before FAISS ever sees one.
//
// FAISS's factory and constructors take whatever numbers a string carries and then crash or
// allocate without end on the ones they cannot handle (HNSW0: SIGSEGV on the first add, IVF0,Flat:
// abort, IVF4,PQ8x0: SIGFPE, HNSW1: a level generator that never stops; fast-scan "fs" indexes
// cannot be searched with a filter). So the grammar is a whitelist, and every number in it has
// bounds; everything else is refused with InvalidArgument naming what is allowed:
//
//   Flat
//   HNSW<M>  or  HNSW<M>,Flat          2 <= M <= 256
//   IVF<nlist>,Flat                    1 <= nlist <= 65536, and nlist × dim <= 2^28 (1 GiB of centroids)
//   IVF<nlist>,PQ<m>[x<nbits>]         m divides dim; 1 <= nbits <= 8 (default 8)
//   IVF<nlist>,SQ4|SQ6|SQ8|SQfp16      scalar quantizers
//
// Case-sensitive, no spaces, decimal numbers without sign or leading zeros. Not accepted: the
// pre-transforms (PCA, OPQ, RR, ITQ, L2norm, Pad), IDMap, fast-scan (…fs), "np", refinement
// (RFlat, Refine), IMI, LSH, NSG, additive quantizers, HNSW over anything but Flat.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace latentdb::index {

enum class IndexFamily { kFlat, kHnsw, kIvf };
enum class IvfEncoding { kFlat, kPQ, kSQ };

constexpr size_t kMinHnswM = 2;
constexpr size_t kMaxHnswM = 256;
constexpr size_t kMaxNlist = 65536;
constexpr size_t kMaxCentroidFloats = size_t{1} << 28;
constexpr size_t kMaxPqNbits = 8;  // FAISS 1.7.3 IndexIVFPQ refuses more

struct ParsedIndexSpec {
  IndexFamily family = IndexFamily::kFlat;
  size_t hnsw_m = 0;                      // kHnsw
  size_t nlist = 0;                       // kIvf
  IvfEncoding encoding = IvfEncoding::kFlat;  // kIvf
  size_t pq_m = 0, pq_nbits = 0;          // kIvf + kPQ
  std::string sq;                         // kIvf + kSQ: "SQ4", "SQ6", "SQ8" or "SQfp16"

  // The FAISS factory string that builds exactly this index (e.g. "HNSW32" for "HNSW32,Flat").
  std::string FaissFactory() const;
};

// Parses and validates `spec` for vectors of `dim` dimensions (1..65536). Never throws; any input
// string is safe to pass.
Result<ParsedIndexSpec> ParseIndexSpec(std::string_view spec, size_t dim);

// The accepted forms, for error messages and docs.
const char* IndexSpecGrammar();

}  // namespace latentdb::index
