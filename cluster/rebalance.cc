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
  return moves;
}

}  // namespace latentdb::cluster
