#include "latent/directions.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <string>
#include <utility>

#include "engine/collection_config.h"
#include "index/distance.h"
#include "latent/math.h"
#include "latent/point_sample.h"
#include "models/model_registry.h"

namespace latentdb::latent {

using nlohmann::json;

namespace {

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double Norm(const std::vector<double>& v) { return std::sqrt(Dot(v, v)); }

Status CheckRows(const Rows& rows, size_t dim, const char* what) {
  for (const auto& r : rows) {
    if (r.size() != dim) return Status::InvalidArgument(std::string(what) + " rows differ in size");
  }
  return Status::Ok();
}

std::vector<float> ToFloat(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }
std::vector<double> ToDouble(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// log(1 + e^(−m)), stable for any m.
double LogLoss(double m) { return m > 0 ? std::log1p(std::exp(-m)) : -m + std::log1p(std::exp(m)); }
// 1 / (1 + e^m) = σ(−m), stable.
double SigmoidNeg(double m) {
  if (m >= 0) {
    const double e = std::exp(-m);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + std::exp(m));
}

// The logistic objective on standardized features, computed from the original rows:
// z_ij = (x_ij − μ_j)·inv_σ_j. Parameters p = [w (dim), b].
struct LogisticProblem {
  const Rows* from;
  const Rows* to;
  size_t dim = 0;
  std::vector<double> mean, inv_std;
  double weight_from = 1, weight_to = 1, total = 1;  // per-point class weights, Σ weights
  double l2 = 0;

  // f(p); fills grad (dim + 1).
  double Evaluate(const std::vector<double>& p, std::vector<double>* grad) const {
    std::vector<double> u(dim);
    double shift = 0;
    for (size_t j = 0; j < dim; ++j) {
      u[j] = p[j] * inv_std[j];
      shift += u[j] * mean[j];
    }
    const double b = p[dim];
    double loss = 0, sum_r = 0;
    std::vector<double> sum_rx(dim, 0.0);
    auto visit = [&](const Rows& rows, double y, double weight) {
      for (const auto& x : rows) {
        double margin = b - shift;
        for (size_t j = 0; j < dim; ++j) margin += u[j] * x[j];
        margin *= y;
        loss += weight * LogLoss(margin);
        const double r = -weight * y * SigmoidNeg(margin);  // d loss / d decision
        sum_r += r;
        for (size_t j = 0; j < dim; ++j) sum_rx[j] += r * x[j];
      }
    };
    visit(*from, -1.0, weight_from);
    visit(*to, 1.0, weight_to);
    grad->assign(dim + 1, 0.0);
    double penalty = 0;
    for (size_t j = 0; j < dim; ++j) {
      (*grad)[j] = inv_std[j] * (sum_rx[j] - mean[j] * sum_r) / total + l2 * p[j];
      penalty += p[j] * p[j];
    }
    (*grad)[dim] = sum_r / total;
    return loss / total + 0.5 * l2 * penalty;
  }
};

// L-BFGS with Armijo backtracking (Nocedal & Wright, Alg. 7.4 two-loop recursion, 7.5).
template <typename F>
std::pair<size_t, bool> MinimizeLbfgs(const F& f, std::vector<double>* x, size_t max_iterations, double tolerance) {
  constexpr size_t kMemory = 10;
  const size_t n = x->size();
  std::vector<double> g, g_new, x_new(n), dir(n);
  double fx = f(*x, &g);
  std::deque<std::vector<double>> s_hist, y_hist;
  std::deque<double> rho_hist;
  auto inf_norm = [](const std::vector<double>& v) {
    double m = 0;
    for (double e : v) m = std::max(m, std::abs(e));
    return m;
  };
  for (size_t it = 0; it < max_iterations; ++it) {
    if (inf_norm(g) < tolerance) return {it, true};
    // Two-loop recursion: dir = −H·g.
    dir = g;
    std::vector<double> alpha(s_hist.size());
    for (size_t i = s_hist.size(); i-- > 0;) {
      alpha[i] = rho_hist[i] * Dot(s_hist[i], dir);
      for (size_t j = 0; j < n; ++j) dir[j] -= alpha[i] * y_hist[i][j];
    }
    double gamma = 1.0;
    if (!s_hist.empty()) gamma = Dot(s_hist.back(), y_hist.back()) / Dot(y_hist.back(), y_hist.back());
    for (auto& e : dir) e *= gamma;
    for (size_t i = 0; i < s_hist.size(); ++i) {
      const double beta = rho_hist[i] * Dot(y_hist[i], dir);
      for (size_t j = 0; j < n; ++j) dir[j] += s_hist[i][j] * (alpha[i] - beta);
    }
    for (auto& e : dir) e = -e;
    double slope = Dot(g, dir);
    if (!(slope < 0)) {  // not a descent direction: restart from steepest descent
      s_hist.clear();
      y_hist.clear();
      rho_hist.clear();
      dir = g;
      for (auto& e : dir) e = -e;
      slope = Dot(g, dir);
    }
    double step = s_hist.empty() ? std::min(1.0, 1.0 / std::max(1e-12, Norm(g))) : 1.0;
    double f_new = 0;
    bool accepted = false;
    for (int tries = 0; tries < 60; ++tries) {
      for (size_t j = 0; j < n; ++j) x_new[j] = (*x)[j] + step * dir[j];
      f_new = f(x_new, &g_new);
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return {it, false};  // no decrease along a descent direction: at the precision floor
    std::vector<double> s(n), y(n);
    for (size_t j = 0; j < n; ++j) {
      s[j] = x_new[j] - (*x)[j];
      y[j] = g_new[j] - g[j];
    }
    const double sy = Dot(s, y);
    if (sy > 1e-12 * Norm(s) * Norm(y)) {
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
      if (s_hist.size() > kMemory) {
        s_hist.pop_front();
        y_hist.pop_front();
        rho_hist.pop_front();
      }
    }
    const double decrease = fx - f_new;
    *x = x_new;
    g = g_new;
    fx = f_new;
    if (decrease <= 1e-15 * std::max(1.0, std::abs(fx))) return {it + 1, inf_norm(g) < tolerance * 10};
  }
  return {max_iterations, false};
}

// A set of points: the ids a filter selects (id order) and the vectors of an evenly spaced sample.
struct SetSample {
  std::vector<engine::ExternalId> ids;  // every matching point
  Rows rows;                            // the sample's vectors
};

Result<SetSample> SampleSet(engine::Collection& c, const std::shared_ptr<const engine::Filter>& filter,
                            size_t max_points) {
  SetSample out;
  LDB_ASSIGN_OR_RETURN(out.ids, MatchingIds(c, filter));
  LDB_ASSIGN_OR_RETURN(auto sample, ReadEvenlySpaced(c, out.ids, max_points, /*with_vector=*/true, /*with_payload=*/false));
  for (auto& rec : sample) out.rows.push_back(std::move(*rec.vector));
  return out;
}

// The stored directions named in orthogonal_to, as double vectors.
Result<std::vector<std::vector<double>>> ResolveBasis(engine::Collection& c, const std::vector<std::string>& names) {
  std::vector<std::vector<double>> basis;
  for (const auto& name : names) {
    LDB_ASSIGN_OR_RETURN(auto d, GetDirection(c, name));
    LDB_RETURN_IF_ERROR(CheckBasisDirection(d, c.config().dim, c.name()));
    basis.push_back(ToDouble(d.vector));
  }
  return basis;
}

std::string Count(size_t n) { return std::to_string(n) + (n == 1 ? " point" : " points"); }

}  // namespace

Result<DirectionMethod> ParseDirectionMethod(std::string_view name) {
  if (name == "mean_difference") return DirectionMethod::kMeanDifference;
  if (name == "linear") return DirectionMethod::kLinear;
  if (name == "pca") return DirectionMethod::kPca;
  return Status::InvalidArgument("\"method\" must be \"mean_difference\", \"linear\" or \"pca\", not \"" +
                                 std::string(name) + "\"");
}

const char* DirectionMethodName(DirectionMethod method) {
  switch (method) {
    case DirectionMethod::kMeanDifference: return "mean_difference";
    case DirectionMethod::kLinear: return "linear";
    case DirectionMethod::kPca: return "pca";
  }
  return "?";
}

size_t MaxSetPoints(size_t dim) {
  return std::max<size_t>(2, std::min(kMaxSetPoints, kMaxDirectionFloats / std::max<size_t>(1, dim)));
}
size_t MaxPcaPoints(size_t dim) {
  return std::max<size_t>(2, std::min(kMaxPcaPoints, kMaxDirectionFloats / std::max<size_t>(1, dim)));
}

Result<std::vector<double>> MeanDifference(const Rows& from, const Rows& to) {
  if (from.empty() || to.empty()) return Status::InvalidArgument("a mean difference needs points in both sets");
  const size_t dim = from[0].size();
  LDB_RETURN_IF_ERROR(CheckRows(from, dim, "\"from\""));
  LDB_RETURN_IF_ERROR(CheckRows(to, dim, "\"to\""));
  std::vector<double> mf(dim, 0.0), mt(dim, 0.0);
  for (const auto& r : from)
    for (size_t j = 0; j < dim; ++j) mf[j] += r[j];
  for (const auto& r : to)
    for (size_t j = 0; j < dim; ++j) mt[j] += r[j];
  std::vector<double> d(dim);
  for (size_t j = 0; j < dim; ++j) d[j] = mt[j] / static_cast<double>(to.size()) - mf[j] / static_cast<double>(from.size());
  const double norm = Norm(d);
  if (!(norm > 0) || !std::isfinite(norm)) {
    return Status::InvalidArgument("the means of \"from\" and \"to\" are equal: they define no direction");
  }
  for (auto& e : d) e /= norm;
  return d;
}

Result<LinearBoundary> LogisticBoundary(const Rows& from, const Rows& to, const LogisticOptions& options) {
  if (from.empty() || to.empty()) return Status::InvalidArgument("a linear boundary needs points in both sets");
  const size_t dim = from[0].size();
  LDB_RETURN_IF_ERROR(CheckRows(from, dim, "\"from\""));
  LDB_RETURN_IF_ERROR(CheckRows(to, dim, "\"to\""));
  LogisticProblem problem;
  problem.from = &from;
  problem.to = &to;
  problem.dim = dim;
  problem.l2 = options.l2;
  const double n0 = static_cast<double>(from.size()), n1 = static_cast<double>(to.size()), n = n0 + n1;
  problem.weight_from = n / (2.0 * n0);
  problem.weight_to = n / (2.0 * n1);
  problem.total = n;
  // Standardization over both sets (unweighted): centred, and divided by ONE scale for every
  // feature, s = √(mean per-feature variance). One scale (not one per feature) keeps the method
  // rotation-equivariant, like mean_difference and pca (rotate the data, the direction rotates
  // with it) and its penalty Euclidean: the classifier is the one trained on the raw vectors, for
  // any unit of the data; per-feature scaling would change which classifier is found.
  problem.mean.assign(dim, 0.0);
  for (const Rows* set : {&from, &to})
    for (const auto& r : *set)
      for (size_t j = 0; j < dim; ++j) problem.mean[j] += r[j];
  for (auto& m : problem.mean) m /= n;
  double total_var = 0;
  for (const Rows* set : {&from, &to})
    for (const auto& r : *set)
      for (size_t j = 0; j < dim; ++j) total_var += (r[j] - problem.mean[j]) * (r[j] - problem.mean[j]);
  const double scale = std::sqrt(total_var / n / static_cast<double>(dim));
  if (!(scale > 0) || !std::isfinite(scale)) {
    return Status::InvalidArgument("the linear classifier found no boundary: every point of \"from\" and \"to\" is the same vector");
  }
  problem.inv_std.assign(dim, 1.0 / scale);
  std::vector<double> p(dim + 1, 0.0);
  auto [iterations, converged] = MinimizeLbfgs(
      [&](const std::vector<double>& x, std::vector<double>* g) { return problem.Evaluate(x, g); }, &p,
      options.max_iterations, options.gradient_tolerance);
  LinearBoundary out;
  out.iterations = iterations;
  out.converged = converged;
  out.normal.assign(dim, 0.0);
  double shift = 0;
  for (size_t j = 0; j < dim; ++j) {
    out.normal[j] = p[j] * problem.inv_std[j];
    shift += out.normal[j] * problem.mean[j];
  }
  const double norm = Norm(out.normal);
  if (!(norm > 0) || !std::isfinite(norm)) {
    return Status::InvalidArgument("the linear classifier found no boundary between \"from\" and \"to\" (its normal is zero)");
  }
  for (auto& e : out.normal) e /= norm;
  out.bias = (p[dim] - shift) / norm;
  size_t correct = 0;
  auto side = [&](const std::vector<float>& x) {
    double s = out.bias;
    for (size_t j = 0; j < dim; ++j) s += out.normal[j] * x[j];
    return s;
  };
  for (const auto& r : from) correct += side(r) <= 0;
  for (const auto& r : to) correct += side(r) > 0;
  out.training_accuracy = static_cast<double>(correct) / n;
  return out;
}

Result<PrincipalAxis> PrincipalAxisOf(const Rows& rows, size_t k) {
  if (rows.size() < 2) {
    return Status::InvalidArgument("a principal component needs at least 2 points, the sample has " + Count(rows.size()));
  }
  const size_t dim = rows[0].size();
  if (k >= dim) {
    return Status::InvalidArgument("\"component\" " + std::to_string(k) + " does not exist in " + std::to_string(dim) +
                                   "-d vectors (0 to " + std::to_string(dim - 1) + ")");
  }
  LDB_ASSIGN_OR_RETURN(auto pca, Pca(rows, k + 1));
  if (!(pca.explained_variance[k] > 0)) {
    return Status::InvalidArgument("principal component " + std::to_string(k) + " has no variance: the " +
                                   Count(rows.size()) + " span fewer than " + std::to_string(k + 1) + " dimensions");
  }
  PrincipalAxis out;
  out.axis = std::move(pca.components[k]);
  out.explained_variance_ratio = pca.explained_variance_ratio[k];
  const double norm = Norm(out.axis);
  for (auto& e : out.axis) e /= norm;  // unit already; exact again after rounding
  return out;
}

Result<std::vector<double>> ProjectOut(std::vector<double> v, const std::vector<std::vector<double>>& basis,
                                       const std::vector<std::string>& names) {
  std::vector<std::vector<double>> q;
  for (const auto& b : basis) {
    if (b.size() != v.size()) return Status::InvalidArgument("a direction to project out has another dim");
    std::vector<double> r = b;
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& e : q) {
        const double c = Dot(r, e);
        for (size_t j = 0; j < r.size(); ++j) r[j] -= c * e[j];
      }
    }
    const double nr = Norm(r), nb = Norm(b);
    if (!(nr > 1e-9 * nb)) continue;  // dependent on the ones before (or zero)
    for (auto& e : r) e /= nr;
    q.push_back(std::move(r));
  }
  const double before = Norm(v);
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& e : q) {
      const double c = Dot(v, e);
      for (size_t j = 0; j < v.size(); ++j) v[j] -= c * e[j];
    }
  }
  const double after = Norm(v);
  if (!(after > 1e-6 * before)) {
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
    return Status::InvalidArgument("nothing is left of the direction once [" + list +
                                   "] are projected out: it lies in their span");
  }
  for (auto& e : v) e /= after;
  return v;
}

json DirectionToJson(const Direction& d, bool with_vector) {
  json j = {{"name", d.name}, {"method", DirectionMethodName(d.method)}, {"dim", d.vector.size()}, {"created", d.created}};
  if (d.method == DirectionMethod::kPca) {
    j["component"] = d.component.value_or(0);
    j["explained_variance_ratio"] = d.explained_variance_ratio.value_or(0.0);
    j["points_used"] = d.points_used;
  } else {
    j["from"] = d.from_spec;
    j["to"] = d.to_spec;
    j["from_count"] = d.from_count;
    j["to_count"] = d.to_count;
    j["from_used"] = d.from_used;
    j["to_used"] = d.to_used;
    j["overlap"] = d.overlap;
    if (d.training_accuracy) j["training_accuracy"] = *d.training_accuracy;
  }
  j["orthogonal_to"] = d.orthogonal_to;
  j["unit_normalized_inputs"] = d.unit_normalized_inputs;
  if (with_vector) j["vector"] = d.vector;
  return j;
}

Result<Direction> DirectionFromJson(const json& j) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("stored direction " + (j.is_object() && j.contains("name") ? j["name"].dump() : "?") +
                              " is malformed: " + why);
  };
  try {
    if (!j.is_object()) return bad("not an object");
    Direction d;
    d.name = j.at("name").get<std::string>();
    auto method = ParseDirectionMethod(j.at("method").get<std::string>());
    if (!method.ok()) return bad(method.status().message());
    d.method = *method;
    d.created = j.value("created", std::string());
    if (!j.contains("vector") || !j["vector"].is_array()) return bad("no vector");
    d.vector = j["vector"].get<std::vector<float>>();
    if (d.method == DirectionMethod::kPca) {
      d.component = j.value("component", size_t{0});
      d.explained_variance_ratio = j.value("explained_variance_ratio", 0.0);
      d.points_used = j.value("points_used", size_t{0});
    } else {
      d.from_spec = j.value("from", json());
      d.to_spec = j.value("to", json());
      d.from_count = j.value("from_count", size_t{0});
      d.to_count = j.value("to_count", size_t{0});
      d.from_used = j.value("from_used", size_t{0});
      d.to_used = j.value("to_used", size_t{0});
      d.overlap = j.value("overlap", size_t{0});
      if (j.contains("training_accuracy")) d.training_accuracy = j["training_accuracy"].get<double>();
    }
    d.orthogonal_to = j.value("orthogonal_to", std::vector<std::string>());
    d.unit_normalized_inputs = j.value("unit_normalized_inputs", false);
    return d;
  } catch (const std::exception& e) {
    return bad(e.what());
  }
}

Result<Direction> DirectionFromRecord(const json& record, const std::string& name) {
  LDB_RETURN_IF_ERROR(engine::ValidateName(kDirectionKind, name));
  if (!record.is_object()) return Status::InvalidArgument("a direction must be a JSON object");
  auto bad = [](const std::string& field, const std::string& want) {
    return Status::InvalidArgument("direction field \"" + field + "\" must be " + want);
  };
  if (record.contains("name") && record["name"] != json(name)) {
    return bad("name", "the name in the path, '" + name + "'");
  }
  if (!record.contains("method") || !record["method"].is_string()) {
    return bad("method", "\"mean_difference\", \"linear\" or \"pca\"");
  }
  LDB_RETURN_IF_ERROR(ParseDirectionMethod(record["method"].get<std::string>()).status());
  if (!record.contains("vector") || !record["vector"].is_array() || record["vector"].empty()) {
    return bad("vector", "an array of numbers");
  }
  std::vector<double> v;
  for (const auto& x : record["vector"]) {
    if (!x.is_number() || !std::isfinite(x.get<double>())) return bad("vector", "an array of finite numbers");
    v.push_back(x.get<double>());
  }
  const double norm = Norm(v);
  if (!(norm > 0) || !std::isfinite(norm)) return bad("vector", "a vector of non-zero, finite length");
  for (const char* key : {"from_count", "to_count", "from_used", "to_used", "overlap", "points_used", "component"}) {
    if (record.contains(key) && !record[key].is_number_unsigned()) return bad(key, "an unsigned integer");
  }
  for (const char* key : {"training_accuracy", "explained_variance_ratio"}) {
    if (record.contains(key) && !record[key].is_number()) return bad(key, "a number");
  }
  if (record.contains("created") && !record["created"].is_string()) return bad("created", "a string (ISO 8601)");
  if (record.contains("unit_normalized_inputs") && !record["unit_normalized_inputs"].is_boolean()) {
    return bad("unit_normalized_inputs", "true or false");
  }
  for (const char* key : {"from", "to"}) {
    if (!record.contains(key) || record[key].is_null()) continue;
    auto filter = engine::Filter::Parse(record[key]);
    if (!filter.ok()) return filter.status().WithContext(std::string("direction field \"") + key + "\"");
  }
  if (record.contains("orthogonal_to")) {
    const json& names = record["orthogonal_to"];
    if (!names.is_array() || names.size() > kMaxOrthogonalTo) {
      return bad("orthogonal_to", "an array of at most " + std::to_string(kMaxOrthogonalTo) + " direction names");
    }
    for (const auto& n : names) {
      if (!n.is_string()) return bad("orthogonal_to", "an array of direction names");
      LDB_RETURN_IF_ERROR(engine::ValidateName(kDirectionKind, n.get<std::string>()));
    }
  }
  json stored = record;
  stored["name"] = name;
  for (double& x : v) x /= norm;
  stored["vector"] = ToFloat(v);
  if (!stored.contains("created")) stored["created"] = models::NowIso8601();
  auto d = DirectionFromJson(stored);
  if (!d.ok()) return Status::InvalidArgument(d.status().message());
  return d;
}

Status CheckDirectionRequest(const DirectionRequest& r, size_t dim) {
  LDB_RETURN_IF_ERROR(engine::ValidateName(kDirectionKind, r.name));
  if (r.method != DirectionMethod::kPca) {
    if (!r.from || !r.to) {
      return Status::InvalidArgument(std::string("method \"") + DirectionMethodName(r.method) +
                                     "\" needs \"from\" and \"to\": a filter each");
    }
    if (r.component) return Status::InvalidArgument("\"component\" is for method \"pca\" only");
  } else {
    if (r.from || r.to) return Status::InvalidArgument("method \"pca\" takes no \"from\" or \"to\": it uses every point");
    const size_t max_component = std::min(dim, kMaxPcaComponents);
    if (r.component && *r.component >= max_component) {
      return Status::InvalidArgument("\"component\" must be between 0 and " + std::to_string(max_component - 1) +
                                     " for this " + std::to_string(dim) + "-d collection");
    }
  }
  if (r.orthogonal_to.size() > kMaxOrthogonalTo) {
    return Status::InvalidArgument("\"orthogonal_to\" names at most " + std::to_string(kMaxOrthogonalTo) +
                                   " directions, not " + std::to_string(r.orthogonal_to.size()));
  }
  return Status::Ok();
}

Status CheckBasisDirection(const Direction& d, size_t dim, const std::string& collection) {
  if (d.vector.size() != dim) {
    return Status::InvalidArgument("direction '" + d.name + "' in \"orthogonal_to\" is " +
                                   std::to_string(d.vector.size()) + "-d, collection '" + collection + "' is " +
                                   std::to_string(dim) + "-d");
  }
  return Status::Ok();
}

Result<Direction> DirectionFromSets(const DirectionRequest& r, size_t dim, bool cosine, DirectionSets sets,
                                    const std::vector<std::vector<double>>& basis, const std::string& collection) {
  LDB_RETURN_IF_ERROR(CheckDirectionRequest(r, dim));
  if (basis.size() != r.orthogonal_to.size()) {
    return Status::Internal("orthogonal_to names " + std::to_string(r.orthogonal_to.size()) + " directions, " +
                            std::to_string(basis.size()) + " were given");
  }
  for (Rows* rows : {&sets.from, &sets.to}) {
    LDB_RETURN_IF_ERROR(CheckRows(*rows, dim, "sample"));
    if (cosine) {
      for (auto& row : *rows) index::NormalizeInPlace(row.data(), row.size());
    }
  }
  Direction d;
  d.name = r.name;
  d.method = r.method;
  d.orthogonal_to = r.orthogonal_to;
  d.unit_normalized_inputs = cosine;
  std::vector<double> v;
  if (r.method != DirectionMethod::kPca) {
    const size_t min_points = r.method == DirectionMethod::kLinear ? kMinLinearSetPoints : 1;
    auto check = [&](size_t matched, const Rows& rows, const char* key) -> Status {
      if (matched == 0) {
        return Status::InvalidArgument(std::string("\"") + key + "\" matches no point of collection '" + collection + "'");
      }
      if (rows.size() < min_points) {
        return Status::InvalidArgument(std::string("\"") + key + "\" matches " + Count(rows.size()) + "; method \"" +
                                       DirectionMethodName(r.method) + "\" needs at least " +
                                       std::to_string(min_points) + " in each set");
      }
      return Status::Ok();
    };
    LDB_RETURN_IF_ERROR(check(sets.from_count, sets.from, "from"));
    LDB_RETURN_IF_ERROR(check(sets.to_count, sets.to, "to"));
    if (sets.overlap == sets.from_count && sets.overlap == sets.to_count) {
      return Status::InvalidArgument("\"from\" and \"to\" select the same " + Count(sets.from_count) +
                                     ": a direction needs two different sets");
    }
    d.from_spec = r.from_spec;
    d.to_spec = r.to_spec;
    d.from_count = sets.from_count;
    d.to_count = sets.to_count;
    d.from_used = sets.from.size();
    d.to_used = sets.to.size();
    d.overlap = sets.overlap;
    if (r.method == DirectionMethod::kMeanDifference) {
      LDB_ASSIGN_OR_RETURN(v, MeanDifference(sets.from, sets.to));
    } else {
      LDB_ASSIGN_OR_RETURN(auto fit, LogisticBoundary(sets.from, sets.to));
      v = std::move(fit.normal);
      d.training_accuracy = fit.training_accuracy;
    }
  } else {
    d.component = r.component.value_or(0);
    LDB_ASSIGN_OR_RETURN(auto axis, PrincipalAxisOf(sets.from, *d.component));
    v = std::move(axis.axis);
    d.explained_variance_ratio = axis.explained_variance_ratio;
    d.points_used = sets.from.size();
  }
  if (!basis.empty()) {
    LDB_ASSIGN_OR_RETURN(v, ProjectOut(std::move(v), basis, r.orthogonal_to));
  }
  d.vector = ToFloat(v);
  d.created = models::NowIso8601();
  return d;
}

Result<Direction> LearnDirection(engine::Collection& c, const DirectionRequest& r) {
  const size_t dim = c.config().dim;
  LDB_RETURN_IF_ERROR(CheckDirectionRequest(r, dim));
  // The directions to project out are looked up first: a bad name fails before any work.
  LDB_ASSIGN_OR_RETURN(auto basis, ResolveBasis(c, r.orthogonal_to));
  DirectionSets sets;
  if (r.method != DirectionMethod::kPca) {
    LDB_ASSIGN_OR_RETURN(auto from, SampleSet(c, r.from, MaxSetPoints(dim)));
    LDB_ASSIGN_OR_RETURN(auto to, SampleSet(c, r.to, MaxSetPoints(dim)));
    sets.from_count = from.ids.size();
    sets.to_count = to.ids.size();
    std::vector<std::string> a, b;
    for (const auto& id : from.ids) a.push_back(id.ToKey());
    for (const auto& id : to.ids) b.push_back(id.ToKey());
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::vector<std::string> both;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    sets.overlap = both.size();
    sets.from = std::move(from.rows);
    sets.to = std::move(to.rows);
  } else {
    LDB_ASSIGN_OR_RETURN(auto all, SampleSet(c, nullptr, MaxPcaPoints(dim)));
    sets.from = std::move(all.rows);
  }
  return DirectionFromSets(r, dim, c.config().metric == index::Metric::kCosine, std::move(sets), basis, c.name());
}

Result<bool> StoreDirection(engine::Collection& c, const Direction& d) {
  if (d.vector.size() != c.config().dim) {
    return Status::InvalidArgument("direction '" + d.name + "' is " + std::to_string(d.vector.size()) +
                                   "-d, collection '" + c.name() + "' is " + std::to_string(c.config().dim) + "-d");
  }
  return c.PutAttachment(kDirectionKind, d.name, DirectionToJson(d, true));
}

Result<Direction> GetDirection(engine::Collection& c, const std::string& name) {
  LDB_ASSIGN_OR_RETURN(auto j, c.GetAttachment(kDirectionKind, name));
  if (!j) return Status::NotFound("collection '" + c.name() + "' has no direction '" + name + "'");
  return DirectionFromJson(*j);
}

Result<std::vector<Direction>> ListDirections(engine::Collection& c) {
  LDB_ASSIGN_OR_RETURN(auto records, c.ListAttachments(kDirectionKind));
  std::vector<Direction> out;
  out.reserve(records.size());
  for (const auto& rec : records) {
    LDB_ASSIGN_OR_RETURN(auto d, DirectionFromJson(rec.value));
    out.push_back(std::move(d));
  }
  return out;
}

Status DeleteDirection(engine::Collection& c, const std::string& name) {
  LDB_ASSIGN_OR_RETURN(bool existed, c.DeleteAttachment(kDirectionKind, name));
  if (!existed) return Status::NotFound("collection '" + c.name() + "' has no direction '" + name + "'");
  return Status::Ok();
}

Result<std::vector<EditStep>> EditAlong(engine::Collection& c, const std::vector<float>& start, const Direction& d,
                                        const std::vector<double>& strengths, size_t k,
                                        const encoders::ImageModel* decoder, const PixelCharge& charge) {
  const size_t dim = c.config().dim;
  if (start.size() != dim) {
    return Status::InvalidArgument("the start of the edit has " + std::to_string(start.size()) +
                                   " values, collection '" + c.name() + "' is " + std::to_string(dim) + "-d");
  }
  if (index::FirstNonFinite(start.data(), start.size()) != start.size()) {
    return Status::InvalidArgument("the start of the edit contains NaN or Inf");
  }
  if (d.vector.size() != dim) {
    return Status::InvalidArgument("direction '" + d.name + "' is " + std::to_string(d.vector.size()) +
                                   "-d, collection '" + c.name() + "' is " + std::to_string(dim) + "-d");
  }
  if (strengths.empty() || strengths.size() > kMaxEditStrengths) {
    return Status::InvalidArgument("\"strengths\" must hold 1 to " + std::to_string(kMaxEditStrengths) +
                                   " numbers, not " + std::to_string(strengths.size()));
  }
  if (k == 0 || k > kMaxEditNeighbors) {
    return Status::InvalidArgument("\"k\" must be between 1 and " + std::to_string(kMaxEditNeighbors));
  }
  if (decoder) LDB_RETURN_IF_ERROR(CheckGenerative(c, *decoder));
  std::vector<double> x = ToDouble(start);
  if (c.config().metric == index::Metric::kCosine) {
    const double norm = index::L2Norm(start.data(), start.size());
    if (norm > 0) {
      for (auto& e : x) e /= norm;
    }
  }
  std::vector<std::vector<float>> latents;
  latents.reserve(strengths.size());
  for (size_t i = 0; i < strengths.size(); ++i) {
    const double s = strengths[i];
    if (!std::isfinite(s)) return Status::InvalidArgument("strengths[" + std::to_string(i) + "] is not finite");
    std::vector<float> latent(dim);
    for (size_t j = 0; j < dim; ++j) {
      const double value = x[j] + s * d.vector[j];
      if (!(std::abs(value) <= std::numeric_limits<float>::max())) {
        return Status::InvalidArgument("strengths[" + std::to_string(i) + "] = " + std::to_string(s) +
                                       " takes the latent out of float range");
      }
      latent[j] = static_cast<float>(value);
    }
    latents.push_back(std::move(latent));
  }
  std::vector<EditStep> out(latents.size());
  if (decoder) {
    // Only the images: the k nearest points of each step come from the search below.
    LDB_ASSIGN_OR_RETURN(auto images, DecodeLatents(c, *decoder, latents, charge));
    for (size_t i = 0; i < images.size(); ++i) out[i].image = std::move(images[i]);
  }
  for (size_t i = 0; i < latents.size(); ++i) {
    engine::SearchQuery q;
    q.vector = latents[i];
    q.k = k;
    LDB_ASSIGN_OR_RETURN(out[i].neighbors, c.Search(q));
    out[i].strength = strengths[i];
    out[i].latent = std::move(latents[i]);
  }
  return out;
}

}  // namespace latentdb::latent
