#include "latent/map.h"

#include <algorithm>
#include <string>
#include <utility>

#include "latent/math.h"

namespace latentdb::latent {

namespace {
constexpr size_t kScrollPage = 10000;
}  // namespace

size_t MaxMapPoints(size_t dim) {
  return std::max<size_t>(2, std::min(kMaxMapPoints, kMaxMapFloats / std::max<size_t>(1, dim)));
}

nlohmann::json PayloadField(const nlohmann::json& payload, std::string_view path) {
  const nlohmann::json* cur = &payload;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    if (dot == std::string_view::npos) return *cur;
    start = dot + 1;
  }
}

Result<std::pair<double, double>> MapBasis::Project(const std::vector<float>& v) const {
  if (v.size() != mean.size()) {
    return Status::InvalidArgument("a vector of " + std::to_string(v.size()) + " values cannot be placed on a map of " +
                                   std::to_string(mean.size()) + "-d vectors");
  }
  double xy[2] = {0, 0};
  for (size_t a = 0; a < 2; ++a)
    for (size_t i = 0; i < v.size(); ++i) xy[a] += (v[i] - mean[i]) * axes[a][i];
  return std::pair<double, double>{xy[0], xy[1]};
}

Result<LatentMap> MapCollection(engine::Collection& c, const MapRequest& request) {
  const size_t max_n = MaxMapPoints(c.config().dim);
  if (request.n == 0 || request.n > max_n) {
    return Status::InvalidArgument("a map of " + std::to_string(c.config().dim) + "-d vectors samples 1 to " +
                                   std::to_string(max_n) + " points, not " + std::to_string(request.n));
  }
  if (request.field && request.field->empty()) return Status::InvalidArgument("the map's label field is empty");

  // Pass 1: the ids in insertion order, keeping the evenly spaced ones. Pass 2: their vectors.
  const auto wanted = EvenlySpacedIndices(c.size(), request.n);
  std::vector<engine::ExternalId> ids;
  ids.reserve(wanted.size());
  size_t position = 0, next = 0;
  uint64_t scan_position = 0;
  while (next < wanted.size()) {
    LDB_ASSIGN_OR_RETURN(auto page, c.ScrollInsertionOrder(kScrollPage, scan_position, false, false));
    for (auto& rec : page.points) {
      if (next < wanted.size() && position == wanted[next]) {
        ids.push_back(std::move(rec.id));
        ++next;
      }
      ++position;
    }
    if (!page.next_position) break;  // points were deleted meanwhile
    scan_position = *page.next_position;
  }

  std::vector<MapPoint> points;
  std::vector<std::vector<float>> rows;
  rows.reserve(ids.size());
  points.reserve(ids.size());
  for (auto& id : ids) {
    LDB_ASSIGN_OR_RETURN(auto rec, c.Get(id, true));
    if (!rec || !rec->vector) continue;  // deleted meanwhile
    MapPoint point;
    point.id = std::move(id);
    if (request.field) point.label = PayloadField(rec->payload, *request.field);
    points.push_back(std::move(point));
    rows.push_back(std::move(*rec->vector));
  }
  return MapOfSample(std::move(points), std::move(rows), c.config().dim, c.size(), request.with_vectors);
}

Result<LatentMap> MapOfSample(std::vector<MapPoint> points, std::vector<std::vector<float>> rows, size_t dim, size_t total,
                              bool keep_vectors) {
  if (points.size() != rows.size()) {
    return Status::InvalidArgument("a map's sample has " + std::to_string(points.size()) + " points and " +
                                   std::to_string(rows.size()) + " vectors");
  }
  for (const auto& row : rows) {
    if (row.size() != dim) {
      return Status::InvalidArgument("a map of " + std::to_string(dim) + "-d vectors got one of " + std::to_string(row.size()));
    }
  }
  LatentMap out;
  out.points = std::move(points);
  LDB_ASSIGN_OR_RETURN(auto pca, Pca(rows, 2));
  for (size_t i = 0; i < rows.size(); ++i) {
    out.points[i].x = pca.coords[i][0];
    out.points[i].y = pca.coords[i][1];
  }
  // An empty sample has no rows to size the mean and axes by: zeros of the collection's dim.
  out.basis.mean = pca.mean.size() == dim ? std::move(pca.mean) : std::vector<double>(dim, 0.0);
  for (auto& axis : pca.components) out.basis.axes.push_back(axis.size() == dim ? std::move(axis) : std::vector<double>(dim, 0.0));
  out.explained_variance = std::move(pca.explained_variance);
  out.explained_variance_ratio = std::move(pca.explained_variance_ratio);
  out.total = total;
  if (keep_vectors) out.vectors = std::move(rows);
  return out;
}

nlohmann::json MapToJson(LatentMap map) {
  nlohmann::json points = nlohmann::json::array();
  for (size_t i = 0; i < map.points.size(); ++i) {
    auto& pt = map.points[i];
    nlohmann::json item = {{"id", pt.id.ToJson()}, {"x", pt.x}, {"y", pt.y}};
    if (pt.label) item["label"] = std::move(*pt.label);
    if (i < map.vectors.size()) item["vector"] = map.vectors[i];
    points.push_back(std::move(item));
  }
  return {{"points", std::move(points)},
          {"basis", {{"mean", map.basis.mean}, {"axes", map.basis.axes}}},
          {"explained_variance", map.explained_variance},
          {"explained_variance_ratio", map.explained_variance_ratio},
          {"total", map.total}};
}

}  // namespace latentdb::latent
