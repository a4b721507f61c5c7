#include "index/quantized_storage.h"

#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissAssert.h>
#include <faiss/impl/IDSelector.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <typeinfo>

#include "index/distance.h"
#include "index/top_k.h"

namespace latentdb::index {
namespace {

faiss::MetricType FaissMetricOf(Metric m) { return m == Metric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT; }

faiss::FlatCodesDistanceComputer* NewScorerDistanceComputer(const faiss::IndexFlatCodes& storage);

// From this dimension on, int8 L2 distances use the norm form (see ScalarCodes::ComputeNorms).
// Below it the extra random read of the norm costs more than the arithmetic it saves: measured
// with scale_bench at 1 M × 96-d, codes-only queries/s 0.78× the weighted form's; at
// Fashion-MNIST's 784-d, 1.10× (ef 64).
constexpr size_t kNormFormMinDim = 256;

// Where a storage keeps its code rows — never FAISS's `codes` vector (see index/code_file.h):
// anonymous memory (no prefix), or a CodeFile of the index file `prefix`, created at the first
// add (an index that never holds codes leaves no file).
class CodeHome {
 public:
  explicit CodeHome(std::string prefix) : prefix_(std::move(prefix)) {}
  virtual ~CodeHome() = default;
  bool on_disk() const { return !prefix_.empty(); }
  const CodeFile* file() const { return file_.get(); }
  CodeFile* file() { return file_.get(); }
  void Adopt(std::unique_ptr<CodeFile> file) { file_ = std::move(file); }
  const uint8_t* Rows() const { return file_ ? file_->data() : nullptr; }
  Status Prepare(size_t rows, size_t code_size) {
    if (!file_) {
      if (on_disk()) {
        LDB_ASSIGN_OR_RETURN(file_, CodeFile::Create(NewCodeFileName(prefix_), code_size));
      } else {
        file_ = CodeFile::CreateAnonymous(code_size);
      }
    }
    return file_->Reserve(rows);
  }
  // FAISS's IndexFlatCodes::add with the codes written to the rows instead of `codes`.
  void AddRows(faiss::IndexFlatCodes& self, faiss::Index::idx_t n, const float* x) {
    FAISS_THROW_IF_NOT(self.is_trained);
    const size_t rows = static_cast<size_t>(self.ntotal) + static_cast<size_t>(n);
    if (Status s = Prepare(rows, self.code_size); !s.ok()) throw CodeFileError(std::move(s));
    constexpr size_t kChunk = 16384;
    std::vector<uint8_t> buf;
    for (size_t done = 0; done < static_cast<size_t>(n); done += kChunk) {
      const size_t m = std::min(kChunk, static_cast<size_t>(n) - done);
      buf.resize(m * self.code_size);
      self.sa_encode(static_cast<faiss::Index::idx_t>(m), x + done * static_cast<size_t>(self.d), buf.data());
      if (Status s = file_->Append(buf.data(), m); !s.ok()) throw CodeFileError(std::move(s));
    }
    self.ntotal += n;
  }

 private:
  std::string prefix_;
  std::unique_ptr<CodeFile> file_;
};

// FAISS's scalar-quantizer storage with LatentDB's kernels for the graph build.
class ScalarCodes : public faiss::IndexScalarQuantizer, public CodeHome {
 public:
  ScalarCodes(size_t dim, faiss::ScalarQuantizer::QuantizerType qtype, faiss::MetricType metric, std::string prefix,
              float quantile = 1.0f)
      : faiss::IndexScalarQuantizer(static_cast<int>(dim), qtype, metric), CodeHome(std::move(prefix)),
        quantile_(quantile) {}
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override {
    return NewScorerDistanceComputer(*this);
  }
  // int8: each dimension's own [min, max] over the sample (FAISS's per-dimension RS_minmax),
  // clipped to the quantile range of all the sample's values (Qdrant's "quantile": the middle
  // share of all values, so only outliers are clipped). Per-dimension quantiles would clip the
  // values of a whole cluster that sits at one end of a dimension — measured: recall@10 0.87
  // instead of 0.99 on clustered data.
  void train(idx_t n, const float* x) override {
    if (sq.qtype == faiss::ScalarQuantizer::QT_8bit) {
      sq.rangestat = faiss::ScalarQuantizer::RS_minmax;
      sq.rangestat_arg = 0;
    }
    faiss::IndexScalarQuantizer::train(n, x);
    if (sq.qtype != faiss::ScalarQuantizer::QT_8bit || quantile_ >= 1.0f || n <= 0) return;
    // The quantiles of at most ~1M values taken evenly from the sample.
    const size_t total = static_cast<size_t>(n) * static_cast<size_t>(d);
    const size_t step = std::max<size_t>(1, total / (size_t{1} << 20));
    std::vector<float> values;
    values.reserve(total / step + 1);
    for (size_t i = 0; i < total; i += step) values.push_back(x[i]);
    const double cut = (1.0 - quantile_) / 2;
    const auto lo_at = static_cast<size_t>(cut * static_cast<double>(values.size() - 1));
    const size_t hi_at = values.size() - 1 - lo_at;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo_at), values.end());
    const float lo = values[lo_at];
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(hi_at), values.end());
    const float hi = values[hi_at];
    const size_t dim = static_cast<size_t>(d);
    for (size_t i = 0; i < dim; ++i) {  // trained = [vmin × d, vdiff × d]
      float vmin = sq.trained[i], vmax = vmin + sq.trained[dim + i];
      vmin = std::clamp(vmin, lo, hi);
      vmax = std::clamp(vmax, lo, hi);
      sq.trained[i] = vmin;
      sq.trained[dim + i] = vmax - vmin;
    }
  }

  void add(idx_t n, const float* x) override {
    const idx_t before = ntotal;
    AddRows(*this, n, x);
    ComputeNorms(before);
  }

  // int8: the squared norm of each code's decoded vector, so that an L2 distance is
  // ‖q‖² + ‖x‖² − 2·q·x, one multiply-add per byte (the weighted form costs three more
  // operations per byte). Derived data: recomputed from the codes after a load.
  void ComputeNorms(idx_t from) {
    if (sq.qtype != faiss::ScalarQuantizer::QT_8bit || static_cast<size_t>(d) < kNormFormMinDim) return;
    const size_t dim = static_cast<size_t>(d);
    norms_.resize(static_cast<size_t>(ntotal));
    for (size_t pos = static_cast<size_t>(from); pos < static_cast<size_t>(ntotal); ++pos) {
      const uint8_t* code = Rows() + pos * code_size;
      double sum = 0;
      for (size_t i = 0; i < dim; ++i) {
        const double x = sq.trained[i] + (code[i] + 0.5) * (sq.trained[dim + i] / 255.0);
        sum += x * x;
      }
      norms_[pos] = static_cast<float>(sum);
    }
  }
  const std::vector<float>& norms() const { return norms_; }

 private:
  float quantile_;  // training only (the trained ranges are what a saved index keeps)
  std::vector<float> norms_;
};

// FAISS's LSH storage used as plain sign bits (no rotation, thresholds at 0).
class BinaryCodes : public faiss::IndexLSH, public CodeHome {
 public:
  BinaryCodes(size_t dim, faiss::MetricType metric, std::string prefix)
      : faiss::IndexLSH(static_cast<idx_t>(dim), static_cast<int>(dim), /*rotate_data=*/false,
                        /*train_thresholds=*/false),
        CodeHome(std::move(prefix)) {
    metric_type = metric;
  }
  void add(idx_t n, const float* x) override { AddRows(*this, n, x); }
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override {
    return NewScorerDistanceComputer(*this);
  }
};

class Int8Scorer : public CodeScorer {
 public:
  explicit Int8Scorer(const faiss::IndexScalarQuantizer& s)
      : CodeScorer(s), vmin_(s.sq.trained.data()), vdiff_(s.sq.trained.data() + dim_), k_(QuantizedKernels()),
        a_(dim_), t_(dim_), b_(dim_), step_(dim_), w_(dim_) {
    for (size_t i = 0; i < dim_; ++i) {
      step_[i] = vdiff_[i] / 255.0f;
      w_[i] = step_[i] * step_[i];
    }
    if (const auto* own = dynamic_cast<const ScalarCodes*>(&s); own && own->norms().size() == static_cast<size_t>(s.ntotal)) {
      norms_ = own->norms().data();
    }
  }
  void SetQuery(const float* q) override {
    // A code c stands for vmin + (c + 0.5)·step (FAISS's 8-bit codec): the query is moved into
    // code units once, so that each distance is one pass over the bytes.
    constant_ = 0;
    query_norm_ = 0;
    // The steps are precomputed and the dot-product form has its own branch-free loop: this runs
    // once per search, and at 784-d a division per dimension was 3 % of an int8 search.
    if (inner_product_ || norms_) {  // q·x = Σ q·(vmin + 0.5·step) + Σ (q·step)·c
      // Eight partial sums: one float sum is a chain of dependent adds the compiler may not
      // reorder, four cycles a dimension.
      constexpr size_t kLanes = 8;
      float norm[kLanes] = {}, constant[kLanes] = {}, largest[kLanes] = {};
      for (size_t i = 0; i < dim_; ++i) {
        const size_t lane = i % kLanes;
        a_[i] = q[i] * step_[i];
        norm[lane] += q[i] * q[i];
        constant[lane] += q[i] * (vmin_[i] + 0.5f * step_[i]);
        largest[lane] = std::max(largest[lane], std::fabs(a_[i]));
      }
      for (size_t lane = 0; lane < kLanes; ++lane) {
        query_norm_ += norm[lane];
        constant_ += constant[lane];
        largest[0] = std::max(largest[0], largest[lane]);
      }
      QuantizeWeights(largest[0]);
      return;
    }
    for (size_t i = 0; i < dim_; ++i) {
      const float step = step_[i];
      if (step > 0) {
        a_[i] = (q[i] - vmin_[i]) / step - 0.5f;
      } else {  // a constant dimension: every code decodes to vmin
        a_[i] = 0;
        constant_ += (q[i] - vmin_[i]) * (q[i] - vmin_[i]);
      }
    }
  }
  float Raw(const uint8_t* code) const override {
    if (inner_product_) return constant_ + Dot(code);
    if (norms_) {
      const size_t pos = static_cast<size_t>(code - codes_) / code_size_;
      return std::max(0.0f, query_norm_ + norms_[pos] - 2 * (constant_ + Dot(code)));
    }
    return constant_ + k_.weighted_l2_u8(a_.data(), w_.data(), code, dim_);
  }
  float Symmetric(const uint8_t* x, const uint8_t* y) const override {
    if (!inner_product_) {  // sum step² (x − y)²
      for (size_t i = 0; i < dim_; ++i) b_[i] = static_cast<float>(x[i]);
      return k_.weighted_l2_u8(b_.data(), w_.data(), y, dim_);
    }
    for (size_t i = 0; i < dim_; ++i) b_[i] = vmin_[i] + (static_cast<float>(x[i]) + 0.5f) * step_[i];
    float s = 0;
    for (size_t i = 0; i < dim_; ++i) s += b_[i] * (vmin_[i] + (static_cast<float>(y[i]) + 0.5f) * step_[i]);
    return s;
  }

 private:
  // Σ a[i]·c[i] from the integer weights: (Σ t[i]·c[i]) / scale.
  float Dot(const uint8_t* code) const {
    return static_cast<float>(k_.dot_u8_i8(t_.data(), code, dim_)) * inverse_scale_;
  }
  // The weights a[i] as integers t[i] = round(a[i]·scale), the `largest` |a[i]| at the kernel's
  // bound (±64: 129 levels, as Qdrant quantizes the query for its int8 scores). Rounding moves a
  // distance by at most Σ|c|/(2·scale); candidates are rescored with exact vectors, and at
  // 784-d it cost 0.002 of recall@10 rescored ×1.5 (0.9925 → 0.9907) for a 1.10× faster search
  // (bench/scale_bench). The recall tests hold it.
  void QuantizeWeights(float largest) {
    const float scale = largest > 0 ? static_cast<float>(kMaxDotU8Weight) / largest : 1.0f;
    inverse_scale_ = 1.0f / scale;
    // Rounded half away from zero, as std::lround, in a loop the compiler vectorizes (lround is a
    // library call per element).
    for (size_t i = 0; i < dim_; ++i) {
      const float x = a_[i] * scale;
      t_[i] = static_cast<int8_t>(x >= 0 ? x + 0.5f : x - 0.5f);
    }
  }

  const float* vmin_;
  const float* vdiff_;
  const CodeKernels& k_;
  std::vector<float> a_;          // the query in code units (l2) or scaled by the step (ip)
  std::vector<int8_t> t_;         // a_ as integers (QuantizeWeights), for the dot product forms
  float inverse_scale_ = 1.0f;
  mutable std::vector<float> b_;  // Symmetric()'s scratch
  std::vector<float> step_;       // vdiff / 255: a code's width per dimension
  std::vector<float> w_;          // step²
  const float* norms_ = nullptr;  // ‖decoded x‖² per position (ScalarCodes), for l2
  float constant_ = 0;
  float query_norm_ = 0;
};

class Float16Scorer : public CodeScorer {
 public:
  explicit Float16Scorer(const faiss::IndexScalarQuantizer& s) : CodeScorer(s), k_(QuantizedKernels()), q_(dim_), b_(dim_) {}
  void SetQuery(const float* q) override { std::copy(q, q + dim_, q_.begin()); }
  float Raw(const uint8_t* code) const override {
    const auto* h = reinterpret_cast<const uint16_t*>(code);
    return inner_product_ ? k_.dot_f16(q_.data(), h, dim_) : k_.l2_sqr_f16(q_.data(), h, dim_);
  }
  float Symmetric(const uint8_t* x, const uint8_t* y) const override {
    const auto* hx = reinterpret_cast<const uint16_t*>(x);
    const auto* hy = reinterpret_cast<const uint16_t*>(y);
    // x decoded (half → float is exact), y read by the kernel.
    k_.half_to_float(hx, b_.data(), dim_);
    return inner_product_ ? k_.dot_f16(b_.data(), hy, dim_) : k_.l2_sqr_f16(b_.data(), hy, dim_);
  }

 private:
  const CodeKernels& k_;
  std::vector<float> q_;
  mutable std::vector<float> b_;
};

class BinaryScorer : public CodeScorer {
 public:
  explicit BinaryScorer(const faiss::IndexLSH& s) : CodeScorer(s), storage_(s), k_(QuantizedKernels()), q_(code_size_) {}
  void SetQuery(const float* q) override { storage_.sa_encode(1, q, q_.data()); }
  float Raw(const uint8_t* code) const override { return FromHamming(k_.hamming(q_.data(), code, code_size_)); }
  float Symmetric(const uint8_t* x, const uint8_t* y) const override { return FromHamming(k_.hamming(x, y, code_size_)); }

 private:
  float FromHamming(uint32_t h) const { return static_cast<float>(dim_) - 2.0f * static_cast<float>(h); }
  const faiss::IndexLSH& storage_;
  const CodeKernels& k_;
  std::vector<uint8_t> q_;
};

// FAISS's distance-computer interface over a CodeScorer (raw distances; IndexHNSW negates inner
// products itself).
class ScorerDistanceComputer : public faiss::FlatCodesDistanceComputer {
 public:
  explicit ScorerDistanceComputer(std::unique_ptr<CodeScorer> scorer)
      : faiss::FlatCodesDistanceComputer(scorer->Row(0), scorer->code_size()), scorer_(std::move(scorer)) {}
  void set_query(const float* x) override { scorer_->SetQuery(x); }
  float distance_to_code(const uint8_t* code) override { return scorer_->Raw(code); }
  float symmetric_dis(idx_t i, idx_t j) override {
    return scorer_->Symmetric(scorer_->Row(static_cast<size_t>(i)), scorer_->Row(static_cast<size_t>(j)));
  }

 private:
  std::unique_ptr<CodeScorer> scorer_;
};

faiss::FlatCodesDistanceComputer* NewScorerDistanceComputer(const faiss::IndexFlatCodes& storage) {
  return new ScorerDistanceComputer(MakeCodeScorer(storage));
}

}  // namespace

CodeScorer::CodeScorer(const faiss::IndexFlatCodes& storage)
    : codes_(CodeRows(storage)),
      code_size_(storage.code_size),
      dim_(static_cast<size_t>(storage.d)),
      inner_product_(storage.metric_type == faiss::METRIC_INNER_PRODUCT) {}

std::unique_ptr<faiss::IndexFlatCodes> MakeCodeStorage(const IndexSpec& spec) {
  const faiss::MetricType metric = FaissMetricOf(spec.metric);
  switch (spec.quantization) {
    case Quantization::kInt8: {
      return std::make_unique<ScalarCodes>(spec.dim, faiss::ScalarQuantizer::QT_8bit, metric, spec.codes_file_prefix,
                                           spec.quantile);
    }
    case Quantization::kFloat16: {
      return std::make_unique<ScalarCodes>(spec.dim, faiss::ScalarQuantizer::QT_fp16, metric, spec.codes_file_prefix);
    }
    case Quantization::kBinary: return std::make_unique<BinaryCodes>(spec.dim, metric, spec.codes_file_prefix);
    case Quantization::kNone: break;
  }
  return nullptr;
}

const uint8_t* CodeRows(const faiss::IndexFlatCodes& storage) {
  if (const auto* home = dynamic_cast<const CodeHome*>(&storage)) return home->Rows();
  return storage.codes.data();
}

const CodeFile* CodeFileOf(const faiss::Index* storage) {
  const auto* home = dynamic_cast<const CodeHome*>(storage);
  return home ? home->file() : nullptr;
}

Status PrepareCodeRows(faiss::IndexFlatCodes* storage, size_t additional) {
  auto* home = dynamic_cast<CodeHome*>(storage);
  if (!home) return Status::Ok();
  return home->Prepare(static_cast<size_t>(storage->ntotal) + additional, storage->code_size);
}

std::unique_ptr<CodeScorer> MakeCodeScorer(const faiss::IndexFlatCodes& storage) {
  if (const auto* lsh = dynamic_cast<const faiss::IndexLSH*>(&storage)) return std::make_unique<BinaryScorer>(*lsh);
  const auto& sq = dynamic_cast<const faiss::IndexScalarQuantizer&>(storage);
  if (sq.sq.qtype == faiss::ScalarQuantizer::QT_fp16) return std::make_unique<Float16Scorer>(sq);
  return std::make_unique<Int8Scorer>(sq);
}

Quantization StorageQuantization(const faiss::Index* storage) {
  if (dynamic_cast<const faiss::IndexLSH*>(storage)) return Quantization::kBinary;
  if (const auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(storage)) {
    return sq->sq.qtype == faiss::ScalarQuantizer::QT_fp16 ? Quantization::kFloat16 : Quantization::kInt8;
  }
  return Quantization::kNone;
}

bool CodeStorageMatches(const faiss::Index* storage, const IndexSpec& spec, bool written_empty) {
  const auto* codes = dynamic_cast<const faiss::IndexFlatCodes*>(storage);
  if (!codes || storage->d != static_cast<int>(spec.dim) || storage->metric_type != FaissMetricOf(spec.metric) ||
      storage->ntotal < 0) {
    return false;
  }
  if (written_empty ? (!codes->codes.empty() || storage->ntotal != 0)
                    : codes->codes.size() != static_cast<size_t>(storage->ntotal) * codes->code_size) {
    return false;
  }
  switch (spec.quantization) {
    case Quantization::kInt8: {
      const auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(storage);
      if (!sq || typeid(*sq) != typeid(faiss::IndexScalarQuantizer) || sq->sq.qtype != faiss::ScalarQuantizer::QT_8bit ||
          sq->code_size != spec.dim || sq->sq.trained.size() != 2 * spec.dim) {
        return false;
      }
      for (size_t i = 0; i < spec.dim; ++i) {  // vmin, then vdiff >= 0, all finite and bounded
        const float lo = sq->sq.trained[i], width = sq->sq.trained[spec.dim + i];
        if (!std::isfinite(lo) || !std::isfinite(width) || width < 0 || std::fabs(lo) > 1e18f || width > 1e18f) return false;
      }
      return true;
    }
    case Quantization::kFloat16: {
      const auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(storage);
      return sq && typeid(*sq) == typeid(faiss::IndexScalarQuantizer) && sq->sq.qtype == faiss::ScalarQuantizer::QT_fp16 &&
             sq->code_size == 2 * spec.dim;
    }
    case Quantization::kBinary: {
      const auto* lsh = dynamic_cast<const faiss::IndexLSH*>(storage);
      return lsh && typeid(*lsh) == typeid(faiss::IndexLSH) && lsh->nbits == static_cast<int>(spec.dim) && !lsh->rotate_data &&
             !lsh->train_thresholds && lsh->code_size == (spec.dim + 7) / 8;
    }
    case Quantization::kNone: break;
  }
  return false;
}

faiss::IndexFlatCodes* AdoptCodeStorage(faiss::Index* read, const IndexSpec& spec, std::unique_ptr<CodeFile> file,
                                        size_t rows) {
  // Rows from a file (or the index file's inline section): FAISS's storage was written empty.
  // No file: an older index file whose FAISS storage holds the rows itself.
  if (!CodeStorageMatches(read, spec, /*written_empty=*/file != nullptr || !spec.codes_file_prefix.empty())) return nullptr;
  auto* from = static_cast<faiss::IndexFlatCodes*>(read);
  if (file ? file->rows() != rows || file->code_size() != from->code_size
           : static_cast<size_t>(from->ntotal) != rows || (!spec.codes_file_prefix.empty() && rows != 0)) {
    return nullptr;
  }
  if (!file) {  // copied out of the vector into page-aligned rows
    file = CodeFile::CreateAnonymous(from->code_size);
    if (!file->Reserve(rows).ok() || !file->Append(from->codes.data(), rows).ok()) return nullptr;
    std::vector<uint8_t>().swap(from->codes);
  }
  auto fresh = MakeCodeStorage(spec);
  dynamic_cast<CodeHome&>(*fresh).Adopt(std::move(file));
  if (auto* sq = dynamic_cast<faiss::IndexScalarQuantizer*>(fresh.get())) {
    sq->sq = static_cast<faiss::IndexScalarQuantizer*>(read)->sq;
  }
  fresh->ntotal = static_cast<faiss::Index::idx_t>(rows);
  fresh->is_trained = true;
  from->ntotal = 0;
  if (auto* sc = dynamic_cast<ScalarCodes*>(fresh.get())) sc->ComputeNorms(0);
  return fresh.release();
}

std::vector<std::pair<float, int64_t>> ScanCodes(const CodeScorer& scorer, size_t n, size_t k,
                                                 const faiss::IDSelector* selector) {
  TopK top(k);
  const bool larger = scorer.larger_is_better();
  for (size_t pos = 0; pos < n; ++pos) {
    if (selector && !selector->is_member(static_cast<int64_t>(pos))) continue;
    const float raw = scorer.Raw(scorer.Row(pos));
    top.Push(larger ? -raw : raw, static_cast<int64_t>(pos));
  }
  auto best = top.TakeSorted();
  for (auto& e : best) e.first = larger ? -e.first : e.first;
  return best;
}

}  // namespace latentdb::index
