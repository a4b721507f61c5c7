#include "latent/point_sample.h"

#include <optional>
#include <string>
#include <utility>

#include "latent/math.h"

namespace latentdb::latent {

namespace {
constexpr size_t kScrollPage = 10000;
}  // namespace

Result<std::vector<engine::ExternalId>> MatchingIds(engine::Collection& c, const std::shared_ptr<const engine::Filter>& filter) {
  std::vector<engine::ExternalId> ids;
  std::optional<engine::ExternalId> offset;
  while (true) {
    LDB_ASSIGN_OR_RETURN(auto page, c.Scroll(kScrollPage, offset, filter, false, false));
    for (auto& rec : page.points) ids.push_back(std::move(rec.id));
    if (!page.next_offset) break;
    offset = std::move(page.next_offset);
  }
  return ids;
}

Result<std::vector<engine::PointRecord>> ReadEvenlySpaced(engine::Collection& c, const std::vector<engine::ExternalId>& ids,
                                                          size_t n, bool with_vector, bool with_payload) {
  std::vector<engine::PointRecord> out;
  for (size_t i : EvenlySpacedIndices(ids.size(), n)) {
    engine::PointRecord rec;
    if (with_payload) {
      LDB_ASSIGN_OR_RETURN(auto got, c.Get(ids[i], with_vector));
      if (!got) continue;  // deleted meanwhile
      rec = std::move(*got);
    } else {
      rec.id = ids[i];
      if (with_vector) {
        auto v = c.VectorOf(ids[i]);
        if (!v.ok()) {
          if (v.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
          return v.status();
        }
        rec.vector = std::move(v).value();
      }
    }
    out.push_back(std::move(rec));
  }
  return out;
}

Result<PointSample> SamplePoints(engine::Collection& c, const std::shared_ptr<const engine::Filter>& filter, size_t n,
                                 bool with_vector, bool with_payload) {
  if (n == 0 || n > kMaxSamplePoints) {
    return Status::InvalidArgument("a sample holds 1 to " + std::to_string(kMaxSamplePoints) + " points, not " +
                                   std::to_string(n));
  }
  LDB_ASSIGN_OR_RETURN(auto ids, MatchingIds(c, filter));
  PointSample out;
  out.matched = ids.size();
  LDB_ASSIGN_OR_RETURN(out.points, ReadEvenlySpaced(c, ids, n, with_vector, with_payload));
  return out;
}

}  // namespace latentdb::latent
