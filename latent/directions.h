#pragma once
// Attribute directions in a collection's vector space, and edits along them (issue 12): a unit
// vector d such that moving a latent x to x + s·d changes one attribute — the pose of a face, a
// shirt into a coat, a word's gender — for a generative collection (VAE, GAN) the decoded image
// changes that way; in any collection (CNN embeddings, word vectors) the neighbours do.
//
// Methods (every direction is a unit vector of the collection's dim, float, stored as such):
//   mean_difference  unit(mean(to) − mean(from)) over the points two payload filters select (the
//                    "attribute vector" of White, "Sampling Generative Networks", 2016; Radford
//                    et al., DCGAN, 2016);
//   linear           the unit normal of a linear classifier's boundary between the two sets,
//                    oriented from → to (InterFaceGAN, Shen et al., "Interpreting the Latent Space
//                    of GANs for Semantic Face Editing", CVPR 2020, which uses a linear SVM):
//                    here an L2-regularized logistic regression (LogisticBoundary below). It is
//                    NOT the mean difference: with anisotropic sets the boundary's normal tilts
//                    away from the elongated axes (≈ Σ⁻¹·Δmean, as in Fisher's discriminant);
//   pca              the k-th principal axis of the collection's vectors (GANSpace, Härkönen et
//                    al., "GANSpace: Discovering Interpretable GAN Controls", NeurIPS 2020), by
//                    math.h's Pca: unit length, sign such that its largest-magnitude entry is
//                    positive (an axis has no inherent orientation).
//   orthogonal_to    (any method) the named stored directions, orthonormalized first (modified
//                    Gram–Schmidt, dependent ones skipped), are projected out of the result and it
//                    is renormalized ("conditional manipulation", InterFaceGAN §3.2), so moving
//                    along it leaves the removed attributes' coordinates unchanged. Refused when
//                    nothing is left (the direction lies in their span).
//
// Sets: "from" and "to" are payload filters (engine::Filter, Qdrant's shape) over the points. Each
// is read in id order (Collection::Scroll) and, when it holds more than MaxSetPoints(dim) points,
// an evenly spaced sample of that many is used (positions floor(i · matched / n), deterministic;
// the counts of matched and used points are recorded). The pca sample is the same over all points,
// at most MaxPcaPoints(dim). Refused with InvalidArgument naming the set: a set that matches no
// point; fewer than kMinLinearSetPoints points in a set for "linear"; two filters that select the
// same points (overlapping sets are allowed: "overlap" counts the points in both).
//
// Cosine collections: stored vectors are kept exactly as given (the index normalizes them only
// inside it), but a cosine collection's geometry is that of their directions, so every method
// here works on the unit-normalized vectors (zero vectors stay zero), and an edit starts from the
// unit-normalized start vector. l2 and ip collections use the vectors as stored.
//
// Storage: a direction is a collection attachment of kind "direction" (Collection::PutAttachment:
// RocksDB, survives restarts, dropped with the collection). Learning stores nothing; StoreDirection
// is one write; so a refused request changes nothing.
//
// Thread-safety: every function may be called from any thread; the collection is read through
// its public methods, each under its own lock, so a result is not a snapshot: points written
// during the call may or may not be seen (a point deleted between the id scan and its vector read
// is left out of the sample).

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "encoders/image_model.h"
#include "engine/collection.h"
#include "images/image.h"
#include "latent/decode.h"

namespace latentdb::latent {

// The attachment kind under which directions are stored.
inline constexpr const char* kDirectionKind = "direction";

enum class DirectionMethod { kMeanDifference, kLinear, kPca };

// "mean_difference" | "linear" | "pca"; InvalidArgument naming the accepted ones otherwise.
Result<DirectionMethod> ParseDirectionMethod(std::string_view name);
const char* DirectionMethodName(DirectionMethod method);

// --- limits (they bound the memory and time of one request) ---
// Points used per labelled set and for pca (a sample beyond), and vector components per sample:
// at most min(cap, kMaxDirectionFloats / dim) points (at least 2).
inline constexpr size_t kMaxSetPoints = 10000;
inline constexpr size_t kMaxPcaPoints = 20000;
inline constexpr size_t kMaxDirectionFloats = size_t{1} << 22;  // 4,194,304 (16 MiB of floats)
size_t MaxSetPoints(size_t dim);
size_t MaxPcaPoints(size_t dim);
// pca's component k: 0 ≤ k < min(dim, kMaxPcaComponents).
inline constexpr size_t kMaxPcaComponents = 64;
// Names in orthogonal_to.
inline constexpr size_t kMaxOrthogonalTo = 64;
// Points each set needs for "linear" (mean_difference needs 1).
inline constexpr size_t kMinLinearSetPoints = 2;
// Strengths in one edit, and nearest points per step.
inline constexpr size_t kMaxEditStrengths = 64;
inline constexpr size_t kMaxEditNeighbors = 100;

using Rows = std::vector<std::vector<float>>;

// --- the math (pure, double precision, any thread) ---

// unit(mean(to) − mean(from)). InvalidArgument when a set is empty, rows differ in size, or the
// two means are equal (no direction).
Result<std::vector<double>> MeanDifference(const Rows& from, const Rows& to);

struct LogisticOptions {
  // λ of the L2 penalty (λ/2)·‖w‖² on the standardized weights, beside the mean log-loss. Small:
  // with separable sets the normal approaches the maximum-margin one (Rosset, Zhu & Hastie, 2004),
  // as the linear SVM InterFaceGAN trains.
  double l2 = 1e-3;
  size_t max_iterations = 500;
  double gradient_tolerance = 1e-7;  // stop when ‖∇f‖∞ falls below
};

struct LinearBoundary {
  std::vector<double> normal;  // unit, in the original space, pointing from "from" to "to"
  double bias = 0;             // the boundary is normal·x + bias = 0 ("to" where positive)
  double training_accuracy = 0;  // share of the training points on their own side
  size_t iterations = 0;
  bool converged = false;
};

// Logistic regression of "to" (label 1) against "from" (0), L2-regularized, each class weighted
// n / (2·n_class) so that unequal sets count equally (scikit-learn's class_weight="balanced").
// Trained on standardized vectors z = (x − μ)/s — μ the mean of both sets, s ONE scale for all
// features, √(mean per-feature variance), so that the method is rotation-equivariant like the
// other two (per-feature scaling would pick another classifier) and does not depend on the data's
// unit — by L-BFGS (Nocedal & Wright, "Numerical Optimization", 2006, Alg. 7.4/7.5; memory 10,
// Armijo backtracking) from w = 0, then mapped back: the decision w·(x − μ)/s + b has the
// original-space normal w / s, normalized to unit length.
// InvalidArgument when a set is empty, rows differ in size, every point is the same vector, or
// the classifier finds no boundary (a zero normal). Cost: O((n0 + n1)·dim) per iteration, at most
// options.max_iterations iterations.
Result<LinearBoundary> LogisticBoundary(const Rows& from, const Rows& to, const LogisticOptions& options = {});

// The k-th principal axis of `rows` (Pca(rows, k + 1).components[k]) with its share of the
// variance. InvalidArgument when fewer than 2 rows, k ≥ the rows' dim, or that axis has no
// variance (the sample spans fewer than k + 1 dimensions).
struct PrincipalAxis {
  std::vector<double> axis;
  double explained_variance_ratio = 0;
};
Result<PrincipalAxis> PrincipalAxisOf(const Rows& rows, size_t k);

// `v` with the span of `basis` projected out, renormalized: the basis is orthonormalized by
// modified Gram–Schmidt (a vector whose residual is below 1e-9 of its norm is dependent and
// skipped), and each projection is applied twice ("twice is enough", Giraud et al., 2005), so the
// result's dot product with every basis vector is ~1e-15. InvalidArgument when the residual of v
// is below 1e-6 of its norm: v lies in the span (`names` label the basis in the message).
Result<std::vector<double>> ProjectOut(std::vector<double> v, const std::vector<std::vector<double>>& basis,
                                       const std::vector<std::string>& names);

// --- directions of a collection ---

struct DirectionRequest {
  std::string name;  // [A-Za-z0-9_-]{1,64}
  DirectionMethod method = DirectionMethod::kMeanDifference;
  // mean_difference and linear: both required; pca: both null.
  std::shared_ptr<const engine::Filter> from, to;
  nlohmann::json from_spec, to_spec;  // the filters as given, recorded with the direction
  std::optional<size_t> component;    // pca only (default 0)
  std::vector<std::string> orthogonal_to;
};

struct Direction {
  std::string name;
  DirectionMethod method = DirectionMethod::kMeanDifference;
  std::vector<float> vector;  // unit length, the collection's dim
  // mean_difference / linear: points matched by each filter, those used (a sample beyond
  // MaxSetPoints), points in both sets, the filters as given.
  size_t from_count = 0, to_count = 0, from_used = 0, to_used = 0, overlap = 0;
  nlohmann::json from_spec, to_spec;
  std::optional<double> training_accuracy;  // linear
  std::optional<size_t> component;          // pca
  std::optional<double> explained_variance_ratio;  // pca
  size_t points_used = 0;                   // pca: points in the sample
  std::vector<std::string> orthogonal_to;
  bool unit_normalized_inputs = false;      // a cosine collection (see above)
  std::string created;                      // ISO 8601, UTC
};

// The stored (and answered) form: {"name", "method", "dim", "created", "from": filter,
// "from_count", "from_used", "to", "to_count", "to_used", "overlap", "training_accuracy",
// "component", "explained_variance_ratio", "points_used", "orthogonal_to", "unit_normalized_inputs",
// "vector"}; fields of other methods absent; "vector" only `with_vector`.
nlohmann::json DirectionToJson(const Direction& d, bool with_vector);
// Corruption when a stored record is malformed.
Result<Direction> DirectionFromJson(const nlohmann::json& j);

// A request's own checks, against a collection of `dim` (InvalidArgument, nothing read): the name,
// a method's missing or extra fields, the pca component's range, too many orthogonal_to names.
Status CheckDirectionRequest(const DirectionRequest& r, size_t dim);
// An orthogonal_to direction `d` of another dim than the collection's: InvalidArgument.
Status CheckBasisDirection(const Direction& d, size_t dim, const std::string& collection);

// The points a direction learns from, however they were gathered: one copy's sample
// (LearnDirection) or the union of every shard's share of one (a sharded collection's router,
// http/cluster/sharded_directions.h).
struct DirectionSets {
  // Labelled methods: the points each filter matches and those both match (every point, not the
  // sample). The sets are the same when overlap equals both counts.
  size_t from_count = 0, to_count = 0, overlap = 0;
  // The samples' stored vectors (unit-normalized here for a cosine collection). pca: `from` holds
  // the sample of every point, `to` is empty.
  Rows from, to;
};

// The direction the request learns from `sets`, with `basis` the orthogonal_to directions'
// vectors in the request's order (each checked by CheckBasisDirection); stores nothing. `cosine`:
// the collection's metric is cosine (see above). `collection` names it in messages. Errors as
// LearnDirection's, after the reads.
Result<Direction> DirectionFromSets(const DirectionRequest& r, size_t dim, bool cosine, DirectionSets sets,
                                    const std::vector<std::vector<double>>& basis, const std::string& collection);

// A direction record given by a user (PUT /collections/{c}/directions/{name}: one learned
// elsewhere, or another collection's, in the form DirectionToJson gives with its vector), named
// `name`. "vector" (required) must hold finite numbers, not all zero; it is stored scaled to unit
// length. "method" is required; "name", when given, must be `name`; "created" defaults to now;
// the method's other fields are optional, checked for their types ("from"/"to" must be filters).
// InvalidArgument naming the field otherwise. The dim is checked by StoreDirection.
Result<Direction> DirectionFromRecord(const nlohmann::json& record, const std::string& name);

// Learns a direction as the request says (CheckDirectionRequest, the orthogonal_to directions,
// the sets' samples, DirectionFromSets); stores nothing. Errors (nothing changes): the name
// (InvalidArgument), a method's missing or extra fields (InvalidArgument), too many orthogonal_to
// names (InvalidArgument), an orthogonal_to name that is not stored (NotFound) or of another dim
// (InvalidArgument), the sets as described above, the math's, storage errors.
Result<Direction> LearnDirection(engine::Collection& c, const DirectionRequest& request);
// Stores (creates or replaces) the direction; returns whether one of that name was replaced.
Result<bool> StoreDirection(engine::Collection& c, const Direction& d);
// NotFound when the collection has no direction `name`.
Result<Direction> GetDirection(engine::Collection& c, const std::string& name);
Result<std::vector<Direction>> ListDirections(engine::Collection& c);
Status DeleteDirection(engine::Collection& c, const std::string& name);

// --- edits ---

struct EditStep {
  double strength = 0;
  std::vector<float> latent;  // start + strength · direction
  std::vector<engine::ScoredPoint> neighbors;  // nearest stored points (search, payloads included)
  std::optional<images::Image> image;          // the decoded latent, with a decoder
};

// For each strength s (in order): latent = start + s·d (in double, then float; in a cosine
// collection start is unit-normalized first), its k nearest stored points (a search with the
// collection's index and metric) and, when `decoder` is given, its decoding through the same path
// as interpolation and sampling (decode.h's DecodeWithNearest: one batch, the pixels charged to
// `charge` before anything is decoded). Checked before any work (InvalidArgument): start of the
// collection's dim and finite; d of the collection's dim ("direction 'x' is 4-d, the collection is
// 8-d"); 1 to kMaxEditStrengths strengths, each finite, none taking the latent out of float range;
// k in [1, kMaxEditNeighbors]; the decoder generative with the collection's dim (CheckGenerative).
Result<std::vector<EditStep>> EditAlong(engine::Collection& c, const std::vector<float>& start, const Direction& d,
                                        const std::vector<double>& strengths, size_t k,
                                        const encoders::ImageModel* decoder, const PixelCharge& charge = {});

}  // namespace latentdb::latent
