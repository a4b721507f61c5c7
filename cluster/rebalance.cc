#include "cluster/rebalance.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace latentdb::cluster {

std::vector<PlannedMove> PlanRebalance(const std::vector<ShardRecord>& shards, const std::vector<uint64_t>& live_nodes) {
  std::vector<PlannedMove> moves;
  if (live_nodes.size() < 2) return moves;
  std::map<uint64_t, size_t> load;
  for (uint64_t n : live_nodes) load[n] = 0;
  // Where each shard's copies are, as the plan goes on; shards already moving stay as they are.
  std::vector<std::set<uint64_t>> placed(shards.size());
  std::vector<bool> moving(shards.size());
  for (size_t i = 0; i < shards.size(); ++i) {
    moving[i] = !shards[i].transfers.empty();
    for (uint64_t n : shards[i].replicas) {
      placed[i].insert(n);
      if (load.count(n)) ++load[n];
    }
  }
  for (;;) {
    // The fullest and the emptiest live node, ties to the lower id.
    auto most = std::max_element(load.begin(), load.end(), [](auto& a, auto& b) { return a.second < b.second; });
    auto least = std::min_element(load.begin(), load.end(), [](auto& a, auto& b) { return a.second < b.second; });
    if (most->second < least->second + 2) break;
    std::optional<size_t> pick;
    for (size_t i = 0; i < shards.size(); ++i) {
      if (moving[i] || !placed[i].count(most->first) || placed[i].count(least->first)) continue;
      const bool primary = shards[i].primary == most->first;
      if (!pick || (!primary && shards[*pick].primary == most->first)) pick = i;
      if (!primary) break;
    }
    if (!pick) break;  // every copy on the fullest node is of a shard the emptiest one holds too
    moves.push_back({shards[*pick].collection, shards[*pick].shard, most->first, least->first});
    moving[*pick] = true;
    placed[*pick].erase(most->first);
    placed[*pick].insert(least->first);
    --most->second;
    ++least->second;
  }

  // The primaries, among the shards that do not move.
  std::map<uint64_t, size_t> primaries;
  for (uint64_t n : live_nodes) primaries[n] = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    if (primaries.count(shards[i].primary)) ++primaries[shards[i].primary];
  }
  std::vector<uint64_t> primary_of(shards.size());
  for (size_t i = 0; i < shards.size(); ++i) primary_of[i] = shards[i].primary;
  for (;;) {
    std::optional<PlannedMove> best;
    size_t best_gap = 1;
    for (size_t i = 0; i < shards.size(); ++i) {
      if (moving[i] || !primaries.count(primary_of[i])) continue;
      const size_t from_load = primaries[primary_of[i]];
      for (uint64_t n : shards[i].in_sync) {
        if (n == primary_of[i] || !primaries.count(n) || primaries[n] + 2 > from_load) continue;
        const size_t gap = from_load - primaries[n];
        // The widest gap first; then the lowest shard (the order of `shards`), the lowest target.
        if (gap > best_gap || (best && gap == best_gap && best->shard == shards[i].shard &&
                               best->collection == shards[i].collection && n < best->to)) {
          best = PlannedMove{shards[i].collection, shards[i].shard, primary_of[i], n, /*handover=*/true};
          best_gap = gap;
        }
      }
    }
    if (!best) break;
    moves.push_back(*best);
    for (size_t i = 0; i < shards.size(); ++i) {
      if (shards[i].collection == best->collection && shards[i].shard == best->shard) {
        moving[i] = true;
        primary_of[i] = best->to;
      }
    }
    --primaries[best->from];
    ++primaries[best->to];
  }
  return moves;
}

}  // namespace latentdb::cluster
