#include "index/vector_index.h"

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "common/coding.h"
#include "common/file_util.h"
#include "common/mapped_file.h"
#include "index/distance.h"
#include "index/fast_flat.h"
#include "index/hnsw_repair.h"
#include "index/hnsw_search.h"
#include "index/index_spec.h"
#include "index/quantized_storage.h"

namespace latentdb::index {
namespace {

using idx_t = faiss::Index::idx_t;

enum class Kind : uint32_t { kFlat = 1, kHnsw = 2, kIvf = 3 };
const char* KindName(Kind k) {
  switch (k) {
    case Kind::kFlat: return "flat";
    case Kind::kHnsw: return "hnsw";
    case Kind::kIvf: return "ivf";
  }
  return "?";
}

constexpr char kMagic[8] = {'L', 'D', 'B', 'V', 'I', 'D', 'X', '1'};
// Version 3 keeps a quantized index's codes out of the FAISS section (written as an empty storage,
// see FaissFileWriter): after the graph-checked flag the code file (name, rows, CRC-32) of an index
// whose codes are on disk (an empty name otherwise), and after the FAISS section the rows of an
// index whose codes are in RAM (a byte count, then the rows; 0 otherwise).
// Version 2 added the graph-checked flag after the pending flag; version 1 files still load (their
// graph counts as unchecked).
constexpr uint32_t kFormatVersion = 3;
constexpr size_t kMaxTrainingSample = 100000;
// The most vectors an int8 index waits for (as floats) before it trains, when more are announced.
constexpr size_t kMaxInt8Sample = 65536;

faiss::MetricType FaissMetric(Metric m) {
  return m == Metric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

// The most memory an IVF-PQ index may spend on its precomputed distance tables (nlist × m ×
// 2^nbits floats). FAISS's own limit is 2 GiB, a lot to allocate for one PUT; above this the
// tables are computed per query instead.
constexpr size_t kMaxPrecomputedTableBytes = size_t{256} << 20;

// Builds the FAISS index for a spec and classifies it. The spec is parsed and bounds-checked
// first (index/index_spec.h): FAISS only ever sees a canonical string of the whitelisted grammar.
Status MakeFaissIndex(const IndexSpec& spec, const ParsedIndexSpec& parsed, std::unique_ptr<faiss::Index>* out,
                      Kind* kind) {
  std::unique_ptr<faiss::Index> idx;
  const std::string factory = parsed.FaissFactory();
  if (spec.quantization != Quantization::kNone) {
    if (parsed.family == IndexFamily::kIvf) {
      return Status::InvalidArgument("quantization applies to Flat and HNSW indexes; '" + factory +
                                     "' is an IVF index (encode its lists with PQ or SQ in the spec instead)");
    }
    if (spec.quantization == Quantization::kBinary && spec.metric == Metric::kL2) {
      return Status::InvalidArgument("binary quantization keeps one sign bit per dimension, which says nothing about "
                                     "l2 distances: use it with cosine or ip collections, or int8 / float16 with l2");
    }
    if (!(spec.quantile > 0.5f && spec.quantile <= 1.0f)) {
      return Status::InvalidArgument("quantile must be in (0.5, 1]");
    }
    const bool ready = spec.quantization != Quantization::kInt8;  // int8 trains its ranges first
    std::unique_ptr<faiss::IndexFlatCodes> codes = MakeCodeStorage(spec);
    codes->is_trained = ready;
    if (parsed.family == IndexFamily::kHnsw) {
      // FAISS writes an IndexHNSW with a tag for its storage family; IndexHNSWSQ's ("IHNs") reads
      // back whatever storage follows it, so it carries all three code storages.
      auto hnsw = std::make_unique<faiss::IndexHNSWSQ>(static_cast<int>(spec.dim), faiss::ScalarQuantizer::QT_fp16,
                                                       static_cast<int>(parsed.hnsw_m), FaissMetric(spec.metric));
      delete hnsw->storage;
      hnsw->storage = codes.release();
      hnsw->own_fields = true;
      hnsw->is_trained = ready;
      hnsw->hnsw.efConstruction = std::clamp(spec.hnsw_ef_construction, 16, 2048);
      idx = std::move(hnsw);
      *kind = Kind::kHnsw;
    } else {
      idx = std::move(codes);
      *kind = Kind::kFlat;
    }
    *out = std::move(idx);
    return Status::Ok();
  }
  try {
    idx.reset(faiss::index_factory(static_cast<int>(spec.dim), factory.c_str(), FaissMetric(spec.metric)));
  } catch (const std::exception& e) {
    return Status::InvalidArgument("index '" + factory + "' could not be built by FAISS: " + e.what());
  }
  switch (parsed.family) {
    case IndexFamily::kHnsw: {
      auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(idx.get());
      if (!hnsw) return Status::Internal("FAISS built no IndexHNSWFlat for '" + factory + "'");
      // Swap FAISS's SSE flat storage for ours so the graph build uses the SIMD kernels too.
      delete hnsw->storage;
      hnsw->storage = new FastFlatIndex(static_cast<idx_t>(spec.dim), FaissMetric(spec.metric));
      hnsw->own_fields = true;
      hnsw->hnsw.efConstruction = std::clamp(spec.hnsw_ef_construction, 16, 2048);
      *kind = Kind::kHnsw;
      break;
    }
    case IndexFamily::kIvf: {
      if (!dynamic_cast<faiss::IndexIVF*>(idx.get())) return Status::Internal("FAISS built no IndexIVF for '" + factory + "'");
      if (auto* pq = dynamic_cast<faiss::IndexIVFPQ*>(idx.get())) {
        // The factory turns on polysemous training (a simulated annealing that reorders the
        // centroids for Hamming-distance filtering, which LatentDB never uses): seconds to minutes
        // of CPU under the collection's write lock at the upsert that triggers training.
        pq->do_polysemous_training = false;
        const double table = double(parsed.nlist) * double(parsed.pq_m) * double(size_t{1} << parsed.pq_nbits) * 4.0;
        if (table > double(kMaxPrecomputedTableBytes)) pq->use_precomputed_table = -1;
      }
      *kind = Kind::kIvf;
      break;
    }
    case IndexFamily::kFlat:
      idx.reset(new FastFlatIndex(static_cast<idx_t>(spec.dim), FaissMetric(spec.metric)));
      *kind = Kind::kFlat;
      break;
  }
  *out = std::move(idx);
  return Status::Ok();
}

// The FAISS type tag (fourcc) that write_index() puts first for this spec's index: a flat one
// for an IVF index still waiting for training.
bool ExpectedFourcc(const ParsedIndexSpec& p, Quantization q, bool pending, std::string_view tag) {
  if (pending) return tag == "IxF2" || tag == "IxFI" || tag == "IxFl";
  if (q != Quantization::kNone) {
    if (p.family == IndexFamily::kHnsw) return tag == "IHNs";
    return q == Quantization::kBinary ? tag == "IxHe" : tag == "IxSQ";
  }
  if (p.family == IndexFamily::kFlat) return tag == "IxF2" || tag == "IxFI" || tag == "IxFl";
  if (p.family == IndexFamily::kHnsw) return tag == "IHNf";
  switch (p.encoding) {
    case IvfEncoding::kFlat: return tag == "IwFl";
    case IvfEncoding::kPQ: return tag == "IwPQ";
    case IvfEncoding::kSQ: return tag == "IwSq";
  }
  return false;
}

faiss::ScalarQuantizer::QuantizerType SqType(const std::string& name) {
  if (name == "SQ4") return faiss::ScalarQuantizer::QT_4bit;
  if (name == "SQ6") return faiss::ScalarQuantizer::QT_6bit;
  if (name == "SQfp16") return faiss::ScalarQuantizer::QT_fp16;
  return faiss::ScalarQuantizer::QT_8bit;
}

// FAISS's reader over the FAISS section of an index file, refusing counts the section cannot hold.
// FAISS reads a vector as its element count (one size_t) and then resizes the vector to it before
// reading the elements: a hostile count makes it allocate up to a terabyte first (fuzzing found
// 4.5-66 GiB from 8 kB files). Every count is stored in front of the elements it counts, so a
// single 8-byte value larger than the bytes that follow it cannot be a count of a valid file; it
// is refused as a short read (FAISS then throws), unless it is at most 2^20 — FAISS writes that
// constant as a placeholder in every index header, and a 2^20-element vector is a bounded cost.
// Small reads of anything else pass through; elements are copied straight from the file's bytes.
struct BoundedReader : faiss::IOReader {
  explicit BoundedReader(std::string_view bytes) : data(bytes) {}
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return 0;
    const size_t left = data.size() - pos;
    const size_t n = std::min(nitems, left / size);
    std::memcpy(ptr, data.data() + pos, n * size);
    pos += n * size;
    if (size == sizeof(uint64_t) && nitems == 1 && n == 1) {
      uint64_t v;
      std::memcpy(&v, ptr, sizeof v);
      if (v > std::max<uint64_t>(data.size() - pos, uint64_t{1} << 20)) return 0;
    }
    return n;
  }
  std::string_view data;
  size_t pos = 0;
};

// Whether `rows` vectors of `dim` floats are all finite with an L2 norm of at most `max_norm`
// (kMaxVectorNorm for vectors: the bound under which no float kernel overflows into Inf or NaN).
bool BoundedRows(const float* data, size_t rows, size_t dim, double max_norm = kMaxVectorNorm) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = data + r * dim;
    if (FirstNonFinite(row, dim) != dim || L2Norm(row, dim) > max_norm) return false;
  }
  return true;
}

bool BoundedFlat(const faiss::Index* idx) {
  const auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(idx);
  if (!flat || flat->code_size != static_cast<size_t>(idx->d) * sizeof(float) ||
      flat->codes.size() != static_cast<size_t>(idx->ntotal) * flat->code_size) {
    return false;
  }
  return BoundedRows(reinterpret_cast<const float*>(flat->codes.data()), static_cast<size_t>(idx->ntotal),
                     static_cast<size_t>(idx->d));
}

// Whether every number a loaded index computes scores from (vectors, centroids, codebooks,
// quantizer ranges) is finite and bounded: a file with a right checksum may still hold NaN or
// 1e38 (written by hand, or by a bug), which would come back as NaN or null scores.
bool BoundedData(const faiss::Index* idx) {
  const size_t d = static_cast<size_t>(idx->d);
  // Code storages were checked by CodeStorageMatches (their ranges are bounded; codes are bytes).
  if (StorageQuantization(idx) != Quantization::kNone) return true;
  if (const auto* h = dynamic_cast<const faiss::IndexHNSW*>(idx)) {
    return StorageQuantization(h->storage) != Quantization::kNone || BoundedFlat(h->storage);
  }
  if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(idx)) {
    if (!BoundedFlat(ivf->quantizer)) return false;
    if (dynamic_cast<const faiss::IndexIVFFlat*>(idx)) {
      if (ivf->code_size != d * sizeof(float)) return false;
      for (size_t l = 0; l < ivf->nlist; ++l) {
        faiss::InvertedLists::ScopedCodes codes(ivf->invlists, l);
        if (!BoundedRows(reinterpret_cast<const float*>(codes.get()), ivf->invlists->list_size(l), d)) return false;
      }
    }
    if (const auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(idx)) {
      const auto& q = pq->pq;
      if (q.centroids.size() != q.M * q.ksub * q.dsub) return false;
      // Codebooks of residuals (vector minus centroid): up to twice a vector's norm.
      if (!BoundedRows(q.centroids.data(), q.M * q.ksub, q.dsub, 4 * kMaxVectorNorm)) return false;
    }
    if (const auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(idx)) {
      if (!BoundedRows(sq->sq.trained.data(), 1, sq->sq.trained.size(), 4 * kMaxVectorNorm)) return false;
    }
    return true;
  }
  return BoundedFlat(idx);
}

// Whether a FAISS index read from a file has exactly the structure the collection's spec
// describes, and an HNSW graph whose links all stay inside it (the graph walk follows them
// without checks). The file passed its checksum; this catches one written for another spec or
// crafted by hand.
// `codes_written_empty`: a quantized index's code storage was written empty (version 3).
bool MatchesSpec(const faiss::Index* idx, const ParsedIndexSpec& p, const IndexSpec& spec, bool codes_written_empty) {
  const size_t dim = spec.dim;
  const faiss::MetricType metric = FaissMetric(spec.metric);
  if (idx->d != static_cast<int>(dim) || idx->ntotal < 0 || idx->metric_type != metric) return false;
  const size_t n = static_cast<size_t>(idx->ntotal);
  const bool quantized = spec.quantization != Quantization::kNone;
  if (const auto* h = dynamic_cast<const faiss::IndexHNSW*>(idx)) {
    if (p.family != IndexFamily::kHnsw) return false;
    if (quantized ? typeid(*h) != typeid(faiss::IndexHNSWSQ) : typeid(*h) != typeid(faiss::IndexHNSWFlat)) return false;
    const faiss::HNSW& g = h->hnsw;
    const bool empty_storage = quantized && codes_written_empty;
    if (!h->storage || h->storage->ntotal != (empty_storage ? 0 : idx->ntotal) || h->storage->d != idx->d ||
        h->storage->metric_type != metric) {
      return false;
    }
    if (quantized ? !CodeStorageMatches(h->storage, spec, codes_written_empty)
                  : !dynamic_cast<const faiss::IndexFlat*>(h->storage)) {
      return false;
    }
    if (g.cum_nneighbor_per_level.size() < 2 || g.nb_neighbors(0) != static_cast<int>(2 * p.hnsw_m)) return false;
    if (g.levels.size() != n || g.offsets.size() != n + 1 || g.offsets[0] != 0) return false;
    const int max_levels = static_cast<int>(g.cum_nneighbor_per_level.size()) - 1;
    if (g.max_level >= max_levels || (n > 0 && (g.entry_point < 0 || static_cast<size_t>(g.entry_point) >= n))) {
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      if (g.levels[i] < 1 || g.levels[i] > max_levels || g.levels[i] - 1 > g.max_level) return false;
      if (g.offsets[i + 1] != g.offsets[i] + static_cast<size_t>(g.cum_nneighbor_per_level[g.levels[i]])) return false;
    }
    if (g.neighbors.size() != g.offsets[n]) return false;
    for (auto nb : g.neighbors) {
      if (nb < -1 || nb >= static_cast<faiss::HNSW::storage_idx_t>(n)) return false;
    }
    return true;
  }
  if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(idx)) {
    if (p.family != IndexFamily::kIvf || ivf->nlist != p.nlist || !ivf->quantizer) return false;
    if (ivf->quantizer->ntotal != static_cast<idx_t>(p.nlist) || ivf->quantizer->d != idx->d) return false;
    if (ivf->nprobe < 1 || ivf->nprobe > ivf->nlist) return false;
    if (!ivf->invlists || ivf->invlists->nlist != p.nlist) return false;
    size_t listed = 0;
    for (size_t l = 0; l < ivf->nlist; ++l) listed += ivf->invlists->list_size(l);
    if (listed != n) return false;
    const auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(idx);
    const auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(idx);
    switch (p.encoding) {
      case IvfEncoding::kFlat: return dynamic_cast<const faiss::IndexIVFFlat*>(idx) != nullptr && !pq && !sq;
      case IvfEncoding::kPQ:
        return pq && typeid(*idx) == typeid(faiss::IndexIVFPQ) && pq->pq.M == p.pq_m && pq->pq.nbits == p.pq_nbits;
      case IvfEncoding::kSQ: return sq != nullptr && sq->sq.qtype == SqType(p.sq);
    }
    return false;
  }
  if (p.family == IndexFamily::kHnsw) return false;
  // A flat index: LatentDB's own or FAISS's, or codes.
  if (quantized) return CodeStorageMatches(idx, spec, codes_written_empty);
  return dynamic_cast<const faiss::IndexFlat*>(idx) != nullptr;
}

size_t TrainThreshold(const faiss::Index* idx) {
  const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(idx);
  if (!ivf) return 0;
  size_t need = std::max<size_t>(39 * ivf->nlist, 1000);
  if (const auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(idx)) {
    need = std::max<size_t>(need, 39 * (size_t{1} << pq->pq.nbits));
  }
  return need;
}

}  // namespace

Result<Metric> ParseMetric(const std::string& name) {
  if (name == "l2") return Metric::kL2;
  if (name == "ip") return Metric::kInnerProduct;
  if (name == "cosine") return Metric::kCosine;
  return Status::InvalidArgument("metric must be one of l2, ip, cosine (got '" + name + "')");
}

const char* QuantizationName(Quantization q) {
  switch (q) {
    case Quantization::kNone: return "none";
    case Quantization::kInt8: return "int8";
    case Quantization::kFloat16: return "float16";
    case Quantization::kBinary: return "binary";
  }
  return "?";
}

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kL2: return "l2";
    case Metric::kInnerProduct: return "ip";
    case Metric::kCosine: return "cosine";
  }
  return "?";
}

struct VectorIndex::Impl {
  IndexSpec spec;
  ParsedIndexSpec parsed;
  Kind kind = Kind::kFlat;
  // The index searched now. For an IVF or int8 index that is not trained yet this is a
  // FastFlatIndex holding the vectors until `untrained` can be trained on them.
  std::unique_ptr<faiss::Index> active;
  std::unique_ptr<faiss::Index> untrained;
  size_t train_threshold = 0;

  std::vector<uint64_t> pos_to_id;
  std::vector<uint8_t> dead;
  std::unordered_map<uint64_t, idx_t> id_to_pos;
  size_t tombstones = 0;

  bool pending() const { return untrained != nullptr; }
  // Whether `active` holds codes rather than floats (a quantized index once trained).
  bool quantized() const { return spec.quantization != Quantization::kNone && !pending(); }
  // The storage of codes a quantized index scores: the HNSW storage or the flat index itself.
  const faiss::IndexFlatCodes& Codes() const {
    const faiss::Index* s = active.get();
    if (kind == Kind::kHnsw) s = static_cast<const faiss::IndexHNSW*>(s)->storage;
    return *static_cast<const faiss::IndexFlatCodes*>(s);
  }
  faiss::IndexFlatCodes* MutableCodes(faiss::Index* s) {
    if (kind == Kind::kHnsw) s = static_cast<faiss::IndexHNSW*>(s)->storage;
    return dynamic_cast<faiss::IndexFlatCodes*>(s);
  }
  // A raw FAISS-convention distance as a Hit's score (see Hit::score). Binary codes' raw value is
  // dim − 2·h for h differing sign bits: the score is cos(π·h/dim), the angle those bits suggest
  // (Charikar's SimHash estimate).
  float ScoreOf(float raw) const {
    if (quantized() && spec.quantization == Quantization::kBinary) {
      const double h = (static_cast<double>(spec.dim) - raw) / 2;
      return static_cast<float>(std::cos(M_PI * h / static_cast<double>(spec.dim)));
    }
    return spec.metric == Metric::kL2 ? std::sqrt(std::max(0.0f, raw)) : raw;
  }
  size_t live() const { return pos_to_id.size() - tombstones; }

  // Graph repair (index/hnsw_repair.h): links added so far, and inserts since the last check.
  size_t repaired_links = 0;
  size_t inserted_since_repair = 0;
  size_t RepairGraph() {
    inserted_since_repair = 0;
    if (kind != Kind::kHnsw || pending()) return 0;
    const size_t links = ConnectUnreachable(static_cast<faiss::IndexHNSW*>(active.get())->hnsw, dead);
    repaired_links += links;
    return links;
  }

  // Selects live positions that pass the caller's filter.
  struct Selector : faiss::IDSelector {
    Selector(const Impl& impl, const IdFilter* filter) : impl(impl), filter(filter) {}
    bool is_member(idx_t pos) const override {
      if (pos < 0 || static_cast<size_t>(pos) >= impl.dead.size() || impl.dead[pos]) return false;
      return !filter || (*filter)(impl.pos_to_id[pos]);
    }
    const Impl& impl;
    const IdFilter* filter;
  };

  void Kill(idx_t pos) {
    if (!dead[pos]) {
      dead[pos] = 1;
      ++tombstones;
    }
  }

  void RebuildIdMap() {
    id_to_pos.clear();
    id_to_pos.reserve(pos_to_id.size());
    for (size_t p = 0; p < pos_to_id.size(); ++p) {
      if (!dead[p]) id_to_pos[pos_to_id[p]] = static_cast<idx_t>(p);
    }
  }

  // Vectors announced by Reserve(): an int8 index about to receive many waits for a larger
  // training sample than its threshold, so that a rebuild in insertion order does not fit its
  // ranges to the first few thousand points only.
  size_t expected = 0;

  Status TrainIfReady() {
    size_t need = train_threshold;
    if (spec.quantization == Quantization::kInt8) need = std::max(need, std::min(expected, kMaxInt8Sample));
    if (!pending() || live() < need) return Status::Ok();
    auto* flat = static_cast<FastFlatIndex*>(active.get());
    const size_t n = static_cast<size_t>(flat->ntotal);
    const size_t dim = spec.dim;
    // Train on live vectors only, evenly subsampled to bound training time.
    std::vector<float> sample;
    size_t step = std::max<size_t>(1, live() / kMaxTrainingSample);
    size_t taken = 0;
    for (size_t p = 0; p < n; ++p) {
      if (dead[p]) continue;
      if (taken++ % step != 0) continue;
      sample.insert(sample.end(), flat->vectors() + p * dim, flat->vectors() + (p + 1) * dim);
    }
    try {
      untrained->train(static_cast<idx_t>(sample.size() / dim), sample.data());
      LDB_RETURN_IF_ERROR(PrepareCodeRows(MutableCodes(untrained.get()), n));
      untrained->add(static_cast<idx_t>(n), flat->vectors());
    } catch (const CodeFileError& e) {
      return e.status();
    } catch (const std::exception& e) {
      return Status::Internal(std::string("training the index failed: ") + e.what());
    }
    active = std::move(untrained);
    return Status::Ok();
  }

  // Runs one FAISS-level search; returns (faiss distance, position) best first.
  std::vector<std::pair<float, idx_t>> RunSearch(const float* q, size_t k, const SearchParams& params,
                                                  const faiss::IDSelector* sel, bool exhaustive) const {
    std::vector<std::pair<float, idx_t>> out;
    const bool ip = spec.metric != Metric::kL2;
    if (quantized()) {
      auto scorer = MakeCodeScorer(Codes());
      scorer->SetQuery(q);
      if (kind == Kind::kHnsw && !exhaustive) {
        HnswQuery hq;
        hq.k = k;
        hq.ef = params.ef ? std::max(params.ef, k) : std::max<size_t>(64, k);
        hq.selector = sel;
        for (auto& [d, pos] : HnswGraphSearchCodes(static_cast<const faiss::IndexHNSW*>(active.get())->hnsw, *scorer, hq)) {
          out.emplace_back(scorer->larger_is_better() ? -d : d, pos);
        }
        return out;
      }
      return ScanCodes(*scorer, static_cast<size_t>(Codes().ntotal), k, sel);
    }
    if (kind == Kind::kHnsw && !exhaustive) {
      const auto* h = static_cast<const faiss::IndexHNSWFlat*>(active.get());
      const auto* storage = static_cast<const FastFlatIndex*>(h->storage);
      HnswQuery hq;
      hq.query = q;
      hq.k = k;
      hq.ef = params.ef ? std::max(params.ef, k) : std::max<size_t>(64, k);
      hq.selector = sel;
      for (auto& [d, pos] : HnswGraphSearch(h->hnsw, storage->vectors(), spec.dim, ip, hq)) {
        out.emplace_back(ip ? -d : d, pos);
      }
      return out;
    }
    std::vector<float> distances(k);
    std::vector<idx_t> labels(k);
    const faiss::Index* target = active.get();
    if (kind == Kind::kHnsw && !pending()) target = static_cast<const faiss::IndexHNSWFlat*>(active.get())->storage;
    if (kind == Kind::kIvf && !pending()) {
      const auto* ivf = static_cast<const faiss::IndexIVF*>(target);
      faiss::SearchParametersIVF p;
      p.sel = const_cast<faiss::IDSelector*>(sel);
      p.nprobe = exhaustive ? ivf->nlist : (params.nprobe ? params.nprobe : std::max<size_t>(8, ivf->nlist / 16));
      p.nprobe = std::min(p.nprobe, ivf->nlist);
      target->search(1, q, static_cast<idx_t>(k), distances.data(), labels.data(), &p);
    } else {
      faiss::SearchParameters p;
      p.sel = const_cast<faiss::IDSelector*>(sel);
      target->search(1, q, static_cast<idx_t>(k), distances.data(), labels.data(), &p);
    }
    for (size_t i = 0; i < k; ++i) {
      if (labels[i] >= 0) out.emplace_back(distances[i], labels[i]);
    }
    return out;
  }
};

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VectorIndex::~VectorIndex() = default;

Result<std::unique_ptr<VectorIndex>> VectorIndex::Create(const IndexSpec& spec) {
  LDB_ASSIGN_OR_RETURN(ParsedIndexSpec parsed, ParseIndexSpec(spec.factory, spec.dim));
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  impl->parsed = parsed;
  LDB_RETURN_IF_ERROR(MakeFaissIndex(spec, parsed, &impl->active, &impl->kind));
  if (impl->kind == Kind::kIvf || spec.quantization == Quantization::kInt8) {
    impl->train_threshold = impl->kind == Kind::kIvf ? TrainThreshold(impl->active.get()) : kInt8TrainThreshold;
    impl->untrained = std::move(impl->active);
    impl->active.reset(new FastFlatIndex(static_cast<idx_t>(spec.dim), FaissMetric(spec.metric)));
  }
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(impl)));
}

Status VectorIndex::Upsert(const uint64_t* ids, const float* vectors, size_t n) {
  if (n == 0) return Status::Ok();
  Impl& im = *impl_;
  const size_t dim = im.spec.dim;
  std::vector<float> normalized;
  const float* data = vectors;
  if (im.spec.metric == Metric::kCosine) {
    normalized.assign(vectors, vectors + n * dim);
    for (size_t i = 0; i < n; ++i) NormalizeInPlace(normalized.data() + i * dim, dim);
    data = normalized.data();
  }
  LDB_RETURN_IF_ERROR(PrepareUpsert(n));
  const idx_t base = im.active->ntotal;
  try {
    im.active->add(static_cast<idx_t>(n), data);
  } catch (const CodeFileError& e) {
    return e.status();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("adding to the FAISS index failed: ") + e.what());
  }
  im.pos_to_id.reserve(im.pos_to_id.size() + n);
  for (size_t i = 0; i < n; ++i) {
    const idx_t pos = base + static_cast<idx_t>(i);
    im.pos_to_id.push_back(ids[i]);
    im.dead.push_back(0);
    auto it = im.id_to_pos.find(ids[i]);
    if (it != im.id_to_pos.end()) {
      im.Kill(it->second);
      it->second = pos;
    } else {
      im.id_to_pos.emplace(ids[i], pos);
    }
  }
  // A full check costs about 2M reads per node: every ntotal/8 inserts it adds O(16·M) per insert.
  im.inserted_since_repair += n;
  if (im.inserted_since_repair >= std::max<size_t>(1024, im.pos_to_id.size() / 8)) im.RepairGraph();
  return im.TrainIfReady();
}

Status VectorIndex::PrepareUpsert(size_t n) {
  Impl& im = *impl_;
  if (im.spec.codes_file_prefix.empty() || im.spec.quantization == Quantization::kNone || n == 0) return Status::Ok();
  if (!im.pending()) return PrepareCodeRows(im.MutableCodes(im.active.get()), n);
  // Waiting for training: the upsert that trains encodes every vector held so far.
  if (im.pos_to_id.size() + n < im.train_threshold) return Status::Ok();
  return PrepareCodeRows(im.MutableCodes(im.untrained.get()), im.pos_to_id.size() + n);
}

Status VectorIndex::SyncCodes() const {
  const Impl& im = *impl_;
  if (!im.quantized()) return Status::Ok();
  // Sync() writes the mapping, which no reader changes; the caller holds writers off.
  auto* file = const_cast<CodeFile*>(CodeFileOf(&im.Codes()));
  return file ? file->Sync() : Status::Ok();
}

std::string VectorIndex::CodesFileName() const {
  const Impl& im = *impl_;
  const CodeFile* file = im.quantized() ? CodeFileOf(&im.Codes()) : nullptr;
  return file ? file->name() : std::string();
}

size_t VectorIndex::RepairGraph() { return impl_->RepairGraph(); }

bool VectorIndex::GraphChecked() const { return impl_->kind != Kind::kHnsw || impl_->inserted_since_repair == 0; }

void VectorIndex::Reserve(size_t additional) {
  Impl& im = *impl_;
  faiss::Index* vectors = im.active.get();
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(vectors)) vectors = hnsw->storage;
  try {
    // A quantized index waiting for training holds floats only until it trains: reserving room
    // for all of them would cost the memory quantization saves.
    const bool floats_until_trained = im.pending() && im.spec.quantization != Quantization::kNone;
    if (auto* flat = dynamic_cast<faiss::IndexFlatCodes*>(vectors); flat && !floats_until_trained) {
      if (im.quantized()) {
        (void)PrepareCodeRows(flat, additional);  // a hint: a full disk is reported by the upsert
      } else {
        flat->codes.reserve((static_cast<size_t>(flat->ntotal) + additional) * flat->code_size);
      }
    }
    im.pos_to_id.reserve(im.pos_to_id.size() + additional);
    im.expected = im.pos_to_id.size() + additional;
    im.dead.reserve(im.dead.size() + additional);
    im.id_to_pos.reserve(im.id_to_pos.size() + additional);
  } catch (const std::exception&) {
    // Only a hint (too large for memory or for a vector): the storage grows as it goes instead.
  }
}

void VectorIndex::Remove(const uint64_t* ids, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto it = impl_->id_to_pos.find(ids[i]);
    if (it == impl_->id_to_pos.end()) continue;
    impl_->Kill(it->second);
    impl_->id_to_pos.erase(it);
  }
}

Result<std::vector<Hit>> VectorIndex::Search(const float* query, size_t k, const SearchParams& params,
                                             const IdFilter* filter) const {
  const Impl& im = *impl_;
  if (params.ef > kMaxSearchEf) {
    return Status::InvalidArgument("ef must be at most " + std::to_string(kMaxSearchEf));
  }
  if (params.nprobe > kMaxSearchNprobe) {
    return Status::InvalidArgument("nprobe must be at most " + std::to_string(kMaxSearchNprobe));
  }
  std::vector<Hit> hits;
  const size_t live = im.live();
  if (k == 0 || live == 0) return hits;
  const size_t dim = im.spec.dim;
  std::vector<float> q(query, query + dim);
  if (im.spec.metric == Metric::kCosine) NormalizeInPlace(q.data(), dim);
  const size_t want = std::min(k, live);

  Impl::Selector selector(im, filter);
  const bool need_selector = filter != nullptr || im.tombstones > 0;
  const faiss::IDSelector* sel = need_selector ? &selector : nullptr;
  // The graph walk and IVF probing can come up short under a filter or many tombstones; ask
  // FAISS for enough results and fall back to an exhaustive filtered scan when they do.
  const bool exhaustive_first = params.exact || im.kind == Kind::kFlat || im.pending();
  std::vector<std::pair<float, idx_t>> raw;
  try {
    raw = im.RunSearch(q.data(), want, params, sel, exhaustive_first);
    if (raw.size() < want && !exhaustive_first) raw = im.RunSearch(q.data(), want, params, sel, true);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("FAISS search failed: ") + e.what());
  }
  hits.reserve(raw.size());
  for (const auto& [d, pos] : raw) {
    if (pos < 0 || static_cast<size_t>(pos) >= im.pos_to_id.size() || im.dead[pos]) continue;
    hits.push_back({im.pos_to_id[pos], im.ScoreOf(d)});
  }
  return hits;
}

Result<std::vector<Hit>> VectorIndex::SearchAmong(const float* query, size_t k, const std::vector<uint64_t>& ids) const {
  const Impl& im = *impl_;
  const FastFlatIndex* flat = nullptr;
  if (im.quantized()) {
    return Status::NotImplemented("a quantized index holds codes, not the exact vectors");
  } else if (im.pending() || im.kind == Kind::kFlat) {
    flat = static_cast<const FastFlatIndex*>(im.active.get());
  } else if (im.kind == Kind::kHnsw) {
    flat = static_cast<const FastFlatIndex*>(static_cast<const faiss::IndexHNSWFlat*>(im.active.get())->storage);
  } else {
    return Status::NotImplemented("a trained IVF index has no raw vectors to scan");
  }
  const size_t dim = im.spec.dim;
  std::vector<float> q(query, query + dim);
  if (im.spec.metric == Metric::kCosine) NormalizeInPlace(q.data(), dim);
  const bool l2 = im.spec.metric == Metric::kL2;
  // (FAISS-convention distance, id): smaller first for L2, larger first otherwise.
  std::vector<std::pair<float, uint64_t>> scored;
  scored.reserve(ids.size());
  for (uint64_t id : ids) {
    auto it = im.id_to_pos.find(id);
    if (it == im.id_to_pos.end()) continue;
    const float* v = flat->vectors() + static_cast<size_t>(it->second) * dim;
    scored.emplace_back(l2 ? L2Sqr(q.data(), v, dim) : InnerProduct(q.data(), v, dim), id);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  scored.erase(std::unique(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.second == b.second; }),
               scored.end());
  auto better = [l2](const auto& a, const auto& b) {
    if (a.first != b.first) return l2 ? a.first < b.first : a.first > b.first;
    return a.second < b.second;
  };
  const size_t n = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(), better);
  std::vector<Hit> hits;
  hits.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    hits.push_back({scored[i].second, l2 ? std::sqrt(std::max(0.0f, scored[i].first)) : scored[i].first});
  }
  return hits;
}

bool VectorIndex::WorthSaving() const { return impl_->kind != Kind::kFlat || impl_->quantized(); }

bool VectorIndex::Contains(uint64_t id) const { return impl_->id_to_pos.count(id) != 0; }
size_t VectorIndex::size() const { return impl_->live(); }
const IndexSpec& VectorIndex::spec() const { return impl_->spec; }

IndexStats VectorIndex::Stats() const {
  IndexStats s;
  s.kind = KindName(impl_->kind);
  s.quantization = impl_->spec.quantization;
  s.live = impl_->live();
  s.tombstones = impl_->tombstones;
  s.trained = !impl_->pending();
  s.train_threshold = impl_->train_threshold;
  s.repaired_links = impl_->repaired_links;
  return s;
}

bool VectorIndex::NeedsRebuild() const {
  return impl_->tombstones > 1000 && impl_->tombstones * 4 > impl_->pos_to_id.size();
}

namespace {

// FAISS's writer interface over an AtomicFileWriter; with no file it only counts the bytes.
// A failed append is returned to FAISS as a short write, which makes it throw.
//
// Codes on disk: FAISS writes the code storage with its `codes` vector (empty: the rows are in the
// code file) and its ntotal, and its reader refuses an IndexLSH whose codes are fewer than ntotal
// rows. So the storage's header is written with ntotal 0 — an empty storage, which FAISS reads
// back as such — and the loader takes the rows from the code file. FAISS writes each header field
// in a call of its own (index_write.cpp: WRITE1): the storage's fourcc, then d (int32), then
// ntotal (int64); the patch is the 8 bytes that follow exactly that sequence.
struct FaissFileWriter : faiss::IOWriter {
  AtomicFileWriter* file = nullptr;
  uint64_t bytes = 0;
  Status error;
  // Set to patch a code storage's ntotal to 0 (see above).
  std::string storage_fourcc;
  int32_t storage_d = 0;
  int64_t storage_ntotal = 0;
  int patch_state = 0;  // 0: looking for the fourcc, 1: for d, 2: for ntotal, 3: done
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    const size_t total = size * nitems;
    std::string_view out(static_cast<const char*>(ptr), total);
    const int64_t zero = 0;
    if (!storage_fourcc.empty() && patch_state < 3) {
      if (patch_state == 2 && total == 8 && std::memcmp(ptr, &storage_ntotal, 8) == 0) {
        out = std::string_view(reinterpret_cast<const char*>(&zero), 8);
        patch_state = 3;
      } else if (patch_state == 1 && total == 4 && std::memcmp(ptr, &storage_d, 4) == 0) {
        patch_state = 2;
      } else {
        patch_state = (total == 4 && out == storage_fourcc) ? 1 : 0;
      }
    }
    bytes += total;
    if (file && error.ok()) error = file->Append(out);
    return error.ok() ? nitems : 0;
  }
};

}  // namespace

Status VectorIndex::Save(const std::string& path, uint64_t sequence, bool sync) const {
  LDB_ASSIGN_OR_RETURN(auto file, AtomicFileWriter::Create(path));
  LDB_RETURN_IF_ERROR(WriteTo(file.get(), sequence));
  if (sync) LDB_RETURN_IF_ERROR(SyncCodes());
  return file->Commit(sync);
}

Status VectorIndex::WriteTo(AtomicFileWriter* file, uint64_t sequence) const {
  const Impl& im = *impl_;
  // Two passes over the FAISS index: the first counts its bytes (the header states them), the
  // second streams them to the file — no in-memory copy of an index that may be gigabytes.
  auto write_faiss = [&](FaissFileWriter* w) -> Status {
    try {
      faiss::write_index(im.active.get(), w);
    } catch (const std::exception& e) {
      if (!w->error.ok()) return w->error;
      return Status::Internal(std::string("serializing the FAISS index failed: ") + e.what());
    }
    return w->error;
  };
  FaissFileWriter counter;
  const CodeFile* codes = im.quantized() ? CodeFileOf(&im.Codes()) : nullptr;
  const bool codes_on_disk = codes && !im.spec.codes_file_prefix.empty();
  auto patch_storage = [&](FaissFileWriter* w) {
    if (!im.quantized()) return;
    w->storage_fourcc = im.spec.quantization == Quantization::kBinary ? "IxHe" : "IxSQ";
    w->storage_d = static_cast<int32_t>(im.spec.dim);
    w->storage_ntotal = im.Codes().ntotal;
  };
  patch_storage(&counter);
  LDB_RETURN_IF_ERROR(write_faiss(&counter));
  if (im.quantized() && counter.patch_state != 3 && im.Codes().ntotal != 0) {
    return Status::Internal("the code storage's header was not where FAISS writes it");
  }

  std::string head;
  head.reserve(64 + im.pos_to_id.size() * 9);
  head.append(kMagic, sizeof kMagic);
  PutFixed32LE(&head, kFormatVersion);
  PutFixed64LE(&head, sequence);
  PutFixed32LE(&head, static_cast<uint32_t>(im.spec.dim));
  PutFixed32LE(&head, static_cast<uint32_t>(im.spec.metric));
  PutFixed32LE(&head, static_cast<uint32_t>(im.kind));
  PutFixed32LE(&head, im.pending() ? 1 : 0);
  PutFixed32LE(&head, im.inserted_since_repair == 0 ? 1 : 0);
  const std::string codes_name = codes_on_disk ? codes->name() : std::string();
  PutFixed32LE(&head, static_cast<uint32_t>(codes_name.size()));
  head += codes_name;
  PutFixed64LE(&head, codes_on_disk ? codes->rows() : 0);
  PutFixed32LE(&head, codes_on_disk ? codes->crc() : 0);
  PutFixed64LE(&head, im.pos_to_id.size());
  for (uint64_t id : im.pos_to_id) PutFixed64LE(&head, id);
  head.append(reinterpret_cast<const char*>(im.dead.data()), im.dead.size());
  PutFixed64LE(&head, counter.bytes);
  LDB_RETURN_IF_ERROR(file->Append(head));

  FaissFileWriter out;
  out.file = file;
  patch_storage(&out);
  LDB_RETURN_IF_ERROR(write_faiss(&out));
  if (out.bytes != counter.bytes) return Status::Internal("the FAISS index changed while it was being saved");
  // Codes in RAM: their rows, straight from the mapping.
  const size_t inline_bytes = codes && !codes_on_disk ? codes->rows() * codes->code_size() : 0;
  std::string count;
  PutFixed64LE(&count, inline_bytes);
  LDB_RETURN_IF_ERROR(file->Append(count));
  if (inline_bytes > 0) {
    LDB_RETURN_IF_ERROR(file->Append(std::string_view(reinterpret_cast<const char*>(codes->data()), inline_bytes)));
  }
  std::string crc;
  PutFixed32LE(&crc, file->crc());
  return file->Append(crc);
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Load(const std::string& path, const IndexSpec& spec,
                                                       uint64_t* sequence) {
  // Mapped, not read into a buffer: FAISS copies what it keeps, the rest is the page cache's.
  LDB_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::Open(path));
  const std::string_view file = mapped.bytes();
  auto corrupt = [&](const std::string& why) { return Status::Corruption("index file '" + path + "': " + why); };
  if (file.size() < sizeof kMagic + 4 || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
    return corrupt("bad magic");
  }
  uint32_t stored_crc = DecodeFixed32LE(file.data() + file.size() - 4);
  if (Crc32(std::string_view(file.data(), file.size() - 4)) != stored_crc) return corrupt("checksum mismatch");
  ByteReader r(std::string_view(file.data() + sizeof kMagic, file.size() - sizeof kMagic - 4));
  uint32_t version, dim, metric, kind, pending, graph_checked = 0, codes_name_len = 0, codes_crc = 0;
  uint64_t seq, npos, codes_rows = 0;
  std::string_view codes_name;
  if (!r.ReadU32(&version) || version < 1 || version > kFormatVersion) return corrupt("unsupported version");
  if (!r.ReadU64(&seq) || !r.ReadU32(&dim) || !r.ReadU32(&metric) || !r.ReadU32(&kind) || !r.ReadU32(&pending) ||
      (version >= 2 && !r.ReadU32(&graph_checked)) ||
      (version >= 3 && (!r.ReadU32(&codes_name_len) || !r.ReadBytes(codes_name_len, &codes_name) ||
                        !r.ReadU64(&codes_rows) || !r.ReadU32(&codes_crc))) ||
      !r.ReadU64(&npos)) {
    return corrupt("truncated header");
  }
  if (graph_checked > 1) return corrupt("bad graph-checked flag");
  // Only a file of this index's own name pattern, in its own directory: never a path.
  if (!codes_name.empty() && !IsCodeFileName(spec.codes_file_prefix, std::string(codes_name))) {
    return corrupt(spec.codes_file_prefix.empty() ? "names a code file, but the collection keeps its codes in RAM"
                                                  : "names a code file that is not one of this index's");
  }
  if (dim != spec.dim || metric != static_cast<uint32_t>(spec.metric)) return corrupt("dimension or metric differ from the collection");
  LDB_ASSIGN_OR_RETURN(auto index, Create(spec));
  Impl& im = *index->impl_;
  if (kind != static_cast<uint32_t>(im.kind)) return corrupt("index kind differs from the collection's spec");
  if (npos > r.remaining() / 9) return corrupt("truncated id map");
  im.pos_to_id.resize(npos);
  for (auto& id : im.pos_to_id) (void)r.ReadU64(&id);
  std::string_view dead;
  if (!r.ReadBytes(npos, &dead)) return corrupt("truncated tombstones");
  im.dead.assign(dead.begin(), dead.end());
  im.tombstones = static_cast<size_t>(std::count_if(im.dead.begin(), im.dead.end(), [](uint8_t d) { return d != 0; }));
  uint64_t faiss_len;
  std::string_view faiss_bytes;
  if (!r.ReadU64(&faiss_len) || !r.ReadBytes(faiss_len, &faiss_bytes)) return corrupt("truncated FAISS section");
  uint64_t inline_len = 0;
  std::string_view inline_rows;
  if (version >= 3 && (!r.ReadU64(&inline_len) || !r.ReadBytes(inline_len, &inline_rows))) {
    return corrupt("truncated code rows");
  }
  if (r.remaining() != 0) return corrupt("unexpected bytes after the index");
  // FAISS's reader trusts its input (some malformed files abort the process rather than throw), so
  // it only sees a section whose type tag is the one this collection's spec writes.
  if (faiss_bytes.size() < 4 || !ExpectedFourcc(im.parsed, spec.quantization, pending != 0, faiss_bytes.substr(0, 4))) {
    return corrupt("FAISS section is not of the collection's index type");
  }
  BoundedReader reader(faiss_bytes);
  std::unique_ptr<faiss::Index> loaded;
  try {
    loaded.reset(faiss::read_index(&reader));
  } catch (const std::exception& e) {
    return corrupt(std::string("FAISS could not read it: ") + e.what());
  } catch (...) {
    return corrupt("FAISS could not read it");
  }
  // A pending index holds the floats in a flat index whatever the spec (see Impl::untrained).
  IndexSpec held = spec;
  if (pending) held.quantization = Quantization::kNone;
  // Version 3 writes a quantized storage empty (FaissFileWriter): a flat index's rows are the code
  // file's or the inline section's, checked against the id map when adopted.
  const bool codes_written_empty = version >= 3 && held.quantization != Quantization::kNone;
  const bool empty_flat_storage = codes_written_empty && !dynamic_cast<const faiss::IndexHNSW*>(loaded.get());
  if (inline_len != 0 && !(codes_written_empty && spec.codes_file_prefix.empty())) {
    return corrupt("holds code rows, but the collection keeps no codes in RAM");
  }
  if (static_cast<uint64_t>(loaded->ntotal) != (empty_flat_storage ? 0 : npos) || loaded->d != static_cast<int>(dim)) {
    return corrupt("FAISS index size differs from the id map");
  }
  if (!MatchesSpec(loaded.get(), pending ? ParsedIndexSpec{} : im.parsed, held, codes_written_empty)) {
    return corrupt("FAISS index does not match the collection's spec");
  }
  if (!BoundedData(loaded.get())) return corrupt("FAISS index holds non-finite or out-of-range numbers");
  if (held.quantization != Quantization::kNone) {
    std::unique_ptr<CodeFile> code_file;
    const faiss::Index* s = loaded.get();
    if (const auto* h = dynamic_cast<const faiss::IndexHNSW*>(s)) s = h->storage;
    const auto* read = dynamic_cast<const faiss::IndexFlatCodes*>(s);
    if (!read || read->code_size == 0) return corrupt("the FAISS section holds no code storage");
    if (codes_written_empty && spec.codes_file_prefix.empty()) {  // the rows follow the FAISS section
      if (!codes_name.empty() || inline_len != npos * read->code_size) return corrupt("code rows do not match the id map");
      code_file = CodeFile::CreateAnonymous(read->code_size);
      if (!code_file->Reserve(npos).ok() ||
          !code_file->Append(reinterpret_cast<const uint8_t*>(inline_rows.data()), npos).ok()) {
        return Status::Internal("index file '" + path + "': no memory for its code rows");
      }
    }
    if (!codes_name.empty()) {
      auto opened = CodeFile::Open(CodeFilePath(spec.codes_file_prefix, std::string(codes_name)), read->code_size,
                                   codes_rows, codes_crc);
      if (!opened.ok()) return corrupt(opened.status().message());
      code_file = std::move(opened).value();
    }
    if (auto* h = dynamic_cast<faiss::IndexHNSW*>(loaded.get())) {
      faiss::IndexFlatCodes* codes = AdoptCodeStorage(h->storage, spec, std::move(code_file), npos);
      if (!codes) return corrupt("HNSW storage does not hold the collection's codes");
      delete h->storage;
      h->storage = codes;
      h->own_fields = true;
      h->hnsw.efConstruction = std::clamp(spec.hnsw_ef_construction, 16, 2048);
    } else {
      faiss::IndexFlatCodes* codes = AdoptCodeStorage(loaded.get(), spec, std::move(code_file), npos);
      if (!codes) return corrupt("the file does not hold the collection's codes");
      loaded.reset(codes);
    }
  } else if (auto* h = dynamic_cast<faiss::IndexHNSWFlat*>(loaded.get())) {
    auto* flat = dynamic_cast<faiss::IndexFlat*>(h->storage);
    if (!flat) return corrupt("HNSW storage is not flat");
    h->storage = ConvertToFastFlat(flat);
    delete flat;
    // Build parameters come from the collection's spec, never from the file.
    h->hnsw.efConstruction = std::clamp(spec.hnsw_ef_construction, 16, 2048);
  } else if (auto* flat = dynamic_cast<faiss::IndexFlat*>(loaded.get())) {
    loaded.reset(ConvertToFastFlat(flat));
  }
  if (pending) {
    if (!im.pending() || !dynamic_cast<FastFlatIndex*>(loaded.get())) return corrupt("inconsistent training state");
    im.active = std::move(loaded);
  } else {
    if (im.kind == Kind::kIvf && !dynamic_cast<faiss::IndexIVF*>(loaded.get())) return corrupt("expected an IVF index");
    im.untrained.reset();
    im.active = std::move(loaded);
  }
  im.RebuildIdMap();
  im.inserted_since_repair = graph_checked ? 0 : 1;
  *sequence = seq;
  return index;
}

}  // namespace latentdb::index
