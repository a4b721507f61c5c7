// Collection's analogy (gensim's most_similar and most_similar_cosmul): the unit-normalized
// matrix of the collection's vectors, built on the first analogy after a write, and the scan.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <queue>

#include "engine/collection.h"
#include "index/distance.h"
#include "storage/store.h"

namespace latentdb::engine {

using nlohmann::json;

const float* Collection::UnitMatrix::Row(uint64_t iid) const {
  auto it = std::lower_bound(iids.begin(), iids.end(), iid);
  if (it == iids.end() || *it != iid) return nullptr;
  return rows.data() + static_cast<size_t>(it - iids.begin()) * (rows.size() / iids.size());
}

void Collection::DropUnitMatrix() {
  std::lock_guard<std::mutex> lock(unit_mutex_);
  unit_matrix_.reset();
}

Result<std::shared_ptr<const Collection::UnitMatrix>> Collection::UnitMatrixShared() const {
  std::lock_guard<std::mutex> lock(unit_mutex_);
  if (unit_matrix_) return unit_matrix_;
  const size_t dim = config_.dim;
  auto m = std::make_shared<UnitMatrix>();
  m->iids.reserve(ids_.size());
  m->rows.reserve(ids_.size() * dim);
  LDB_RETURN_IF_ERROR(store_->ScanVectors(cid_, [&](uint64_t iid, const float* v, size_t d) {
    if (d != dim || !ids_.Contains(iid)) return true;
    m->iids.push_back(iid);
    m->rows.insert(m->rows.end(), v, v + dim);
    index::NormalizeInPlace(m->rows.data() + m->rows.size() - dim, dim);
    return true;
  }));
  unit_matrix_ = std::move(m);
  return unit_matrix_;
}

Result<std::vector<float>> Collection::ResolveTerm(const AnalogyTerm& t, const UnitMatrix& m,
                                                   std::vector<uint64_t>* exclude) const {
  std::vector<float> v;
  if (t.id) {
    auto iid = ids_.Find(t.id->ToKey());
    if (!iid) {
      return Status::NotFound("point " + t.id->ToString() + " does not exist in collection '" + name_ + "'");
    }
    exclude->push_back(*iid);
    const float* row = m.Row(*iid);
    if (!row) return Status::Corruption("point " + t.id->ToString() + " has no stored vector");
    return std::vector<float>(row, row + config_.dim);  // already unit length
  }
  if (!t.vector) return Status::InvalidArgument("analogy term needs an id or a vector");
  LDB_RETURN_IF_ERROR(ValidateVector(*t.vector, "analogy vector"));
  v = *t.vector;
  index::NormalizeInPlace(v.data(), v.size());
  return v;
}

Result<AnalogyResult> Collection::Analogy(const AnalogyQuery& q) {
  if (q.k == 0 || q.k > kMaxK) return Status::InvalidArgument("k must be between 1 and " + std::to_string(kMaxK));
  // As gensim: most_similar takes negative terms alone (the mean of their negated unit vectors);
  // most_similar_cosmul's product needs a positive term.
  if (q.positive.empty() && q.negative.empty()) return Status::InvalidArgument("analogy needs at least one term");
  if (q.positive.empty() && q.method == AnalogyMethod::kCosMul) {
    return Status::InvalidArgument("3CosMul needs at least one positive term (as gensim's most_similar_cosmul)");
  }
  std::shared_lock lock(mutex_);
  LDB_ASSIGN_OR_RETURN(std::shared_ptr<const UnitMatrix> matrix, UnitMatrixShared());
  const UnitMatrix& m = *matrix;
  std::vector<uint64_t> exclude;
  std::vector<std::vector<float>> pos, neg;
  for (const auto& t : q.positive) {
    LDB_ASSIGN_OR_RETURN(auto v, ResolveTerm(t, m, &exclude));
    pos.push_back(std::move(v));
  }
  for (const auto& t : q.negative) {
    LDB_ASSIGN_OR_RETURN(auto v, ResolveTerm(t, m, &exclude));
    neg.push_back(std::move(v));
  }
  const size_t dim = config_.dim;
  AnalogyResult result;
  if (q.method == AnalogyMethod::kCosAdd) {
    // gensim: mean of (+1 × positive, -1 × negative) unit vectors, then unit-normalized.
    std::vector<double> mean(dim, 0.0);
    for (const auto& v : pos) for (size_t i = 0; i < dim; ++i) mean[i] += v[i];
    for (const auto& v : neg) for (size_t i = 0; i < dim; ++i) mean[i] -= v[i];
    const double count = static_cast<double>(pos.size() + neg.size());
    result.query_vector.resize(dim);
    for (size_t i = 0; i < dim; ++i) result.query_vector[i] = static_cast<float>(mean[i] / count);
    index::NormalizeInPlace(result.query_vector.data(), dim);
  }
  std::sort(exclude.begin(), exclude.end());
  // Exact scan of the unit matrix in insertion order (frequency order for word models), keeping
  // the best k.
  using Entry = std::pair<float, uint64_t>;  // min-heap on score
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> best;
  size_t rows = m.iids.size();
  if (q.restrict_to_first) rows = std::min(rows, q.restrict_to_first);
  const float* query = result.query_vector.data();
  Status filter_error;  // a payload the filter could not read
  for (size_t r = 0; r < rows; ++r) {
    const uint64_t iid = m.iids[r];
    const float* unit = m.rows.data() + r * dim;
    float score;
    if (q.method == AnalogyMethod::kCosAdd) {
      score = index::InnerProduct(unit, query, dim);
    } else {
      // gensim most_similar_cosmul: prod((1+cos)/2 over positive) / (prod over negative + 1e-6)
      double num = 1.0, den = 1.0;
      for (const auto& p : pos) num *= (1.0 + index::InnerProduct(unit, p.data(), dim)) / 2.0;
      for (const auto& n : neg) den *= (1.0 + index::InnerProduct(unit, n.data(), dim)) / 2.0;
      score = static_cast<float>(num / (den + 1e-6));
    }
    if (best.size() == q.k && !(score > best.top().first)) continue;
    if (std::binary_search(exclude.begin(), exclude.end(), iid)) continue;
    if (q.filter && !(ids_.Contains(iid) && MatchesStored(*q.filter, iid, &filter_error))) continue;
    if (best.size() == q.k) best.pop();
    best.emplace(score, iid);
  }
  LDB_RETURN_IF_ERROR(filter_error);
  std::vector<index::Hit> hits(best.size());
  for (size_t i = best.size(); i-- > 0;) {
    hits[i] = {best.top().second, best.top().first};
    best.pop();
  }
  LDB_ASSIGN_OR_RETURN(result.hits, MakeScoredPoints(hits, q.with_payload, false));
  return result;
}

}  // namespace latentdb::engine
