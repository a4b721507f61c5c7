#pragma once
// Rebalancing: which shard copies to move so that every live node holds about as many copies as
// the others (docs/cluster.md, "Moving shards") — after a node joins, or when placement drifted
// through failures. The moves are carried out by ShardMap::StartTransfer and the shards'
// primaries (http/cluster/shard_replication.h).

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/shard_map.h"

namespace latentdb::cluster {

struct PlannedMove {
  std::string collection;
  uint32_t shard = 0;
  uint64_t from = 0;
  uint64_t to = 0;
};

// While the live node with the most copies holds at least two more than the one with the fewest,
// one copy moves from the first to the second: a copy of a shard that has none on the second and
// no move under way, a replica rather than a primary when there is a choice (moving a primary
// hands its role over, which fails the writes in flight), and then the lowest (collection, shard).
// Copies on nodes that are not live count for no node and are not moved: failover and catch-up
// look after them. Deterministic; pure.
std::vector<PlannedMove> PlanRebalance(const std::vector<ShardRecord>& shards, const std::vector<uint64_t>& live_nodes);

}  // namespace latentdb::cluster
