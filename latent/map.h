#pragma once
// The map of a collection: a 2-D picture of its vectors. An evenly spaced sample of the points in
// insertion order (positions floor(i · total / n), deterministic, so the same collection gives the
// same map), projected on its first two principal axes (PCA as math.h computes it: the axes of
// the sample's covariance, signed so that their largest entry is positive; variances divided by
// rows − 1 as numpy's np.cov and scikit-learn's explained_variance_), each point with an optional
// payload field as its label. Works on any collection (a VAE's latents or any vectors).
//
// Memory: the sample's vectors are held at once (n × dim floats) plus the dim × dim covariance in
// double; MaxMapPoints bounds n so that one map holds at most kMaxMapFloats vector components.
// Cost: two passes over the ids (insertion order, no payloads) and n point reads, then the PCA
// (n · dim² / 2 for the covariance).
// Thread-safety: any thread; the collection is read page by page and point by point under its
// own locks. Points deleted during the call are left out of the sample (so it may hold fewer than
// n); `total` is the collection's size when the call ends.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"

namespace latentdb::latent {

// Bounds of one map, which protect the engine's memory: at most 50,000 points and at most 2^24
// (16,777,216, 64 MiB as floats) vector components.
inline constexpr size_t kMaxMapPoints = 50000;
inline constexpr size_t kMaxMapFloats = size_t{1} << 24;
// The points of a map when the request does not say (at most MaxMapPoints(dim)).
inline constexpr size_t kDefaultMapPoints = 5000;

// The largest n a map of `dim`-d vectors accepts: min(kMaxMapPoints, kMaxMapFloats / dim), and at
// least 2 (dim 0 counts as 1).
size_t MaxMapPoints(size_t dim);

struct MapRequest {
  size_t n = 5000;  // points to sample: [1, MaxMapPoints(dim)]; more than the collection has = all
  // A payload field to label each point with: a key, or a dotted path into nested objects
  // ("meta.kind"). Absent: no labels. An empty string is InvalidArgument.
  std::optional<std::string> field;
  bool with_vectors = false;  // keep the sampled points' vectors in LatentMap::vectors
};

struct MapPoint {
  engine::ExternalId id;
  double x = 0;  // coordinate on the first principal axis (largest variance)
  double y = 0;  // on the second
  // Present when the request named a field: the payload's value there (any JSON), null when the
  // payload has none.
  std::optional<nlohmann::json> label;
};

// The map's projection: x = (v − mean) · axes[0], y = (v − mean) · axes[1], in double. Lets a
// caller place any vector of the collection's dim on the map, a point outside the sample included
// (the console's deep link does so with the answer's "basis").
struct MapBasis {
  std::vector<double> mean;               // the sample's mean: dim values (zeros for an empty sample)
  std::vector<std::vector<double>> axes;  // the two principal axes, dim values each, unit length
                                          // (zeros for an axis of no variance)

  // The map coordinates of `v`. InvalidArgument unless v has the basis's dim.
  Result<std::pair<double, double>> Project(const std::vector<float>& v) const;
};

struct LatentMap {
  std::vector<MapPoint> points;  // in insertion order
  MapBasis basis;                // the projection that placed them
  // The variance along the two axes and its share of the sample's total variance (0, 0 for an
  // empty sample or one whose points are all equal).
  std::vector<double> explained_variance;
  std::vector<double> explained_variance_ratio;
  size_t total = 0;  // points in the collection
  std::vector<std::vector<float>> vectors;  // the points' vectors, in their order (with_vectors only)
};

// The map of `c`. InvalidArgument when n is 0 or above MaxMapPoints(dim), or the field is empty.
// Storage errors as the collection reports them.
Result<LatentMap> MapCollection(engine::Collection& c, const MapRequest& request);

// The map of a sample made elsewhere (a sharded collection's, gathered from its shards): `points`
// (ids and labels; their x, y are set here) with their vectors `rows` in the same order, projected
// as MapCollection projects its own sample; `total` the collection's size. The rows are kept in
// the result's `vectors` when `keep_vectors`. InvalidArgument when points and rows differ in count
// or a row is not `dim`-d.
Result<LatentMap> MapOfSample(std::vector<MapPoint> points, std::vector<std::vector<float>> rows, size_t dim, size_t total,
                              bool keep_vectors);

// The answered form: {"points": [{"id", "x", "y", "label"?, "vector"?}], "basis": {"mean", "axes"},
// "explained_variance", "explained_variance_ratio", "total"}.
nlohmann::json MapToJson(LatentMap map);

// The value at a dotted path ("a.b") of a payload; null when absent (or when a step of the path is
// not an object). A key that itself contains '.' cannot be named.
nlohmann::json PayloadField(const nlohmann::json& payload, std::string_view path);

}  // namespace latentdb::latent
