#include "latent/anomalies.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace latentdb::latent {

namespace {
constexpr size_t kScrollPage = 10000;
}  // namespace

Result<AnomalyRanking> RankAnomalies(engine::Collection& c, size_t k) {
  if (k == 0 || k > engine::kMaxK) {
    return Status::InvalidArgument("k must be in [1, " + std::to_string(engine::kMaxK) + "], not " + std::to_string(k));
  }
  struct Scored {
    double neg_elbo;
    size_t order;  // insertion order: ties keep it
    engine::PointRecord rec;
  };
  auto worse = [](const Scored& a, const Scored& b) {
    return a.neg_elbo != b.neg_elbo ? a.neg_elbo > b.neg_elbo : a.order < b.order;
  };
  std::vector<Scored> top;  // a heap whose front is the least anomalous kept
  size_t order = 0, scored = 0;
  std::optional<uint64_t> position = 0;
  do {
    LDB_ASSIGN_OR_RETURN(auto page, c.ScrollInsertionOrder(kScrollPage, *position, true, false));
    for (auto& rec : page.points) {
      const nlohmann::json& s =
          rec.payload.is_object() ? rec.payload.value(kAnomalyScoreField, nlohmann::json()) : nlohmann::json();
      ++order;
      if (!s.is_number()) continue;
      ++scored;
      top.push_back({s.get<double>(), order, std::move(rec)});
      std::push_heap(top.begin(), top.end(), worse);
      if (top.size() > k) {
        std::pop_heap(top.begin(), top.end(), worse);
        top.pop_back();
      }
    }
    position = page.next_position;
  } while (position);
  std::sort_heap(top.begin(), top.end(), worse);
  AnomalyRanking out;
  out.scored = scored;
  out.points.reserve(top.size());
  for (auto& s : top) out.points.push_back({std::move(s.rec.id), s.neg_elbo, std::move(s.rec.payload)});
  return out;
}

}  // namespace latentdb::latent
