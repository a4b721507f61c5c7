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
  bool handover = false;  // only the primary's role moves (ShardMap::StartHandover)
};

// While the live node with the most copies holds at least two more than the one with the fewest,
// one copy moves from the first to the second: a copy of a shard that has none on the second and
// no move under way, a replica rather than a primary when there is a choice (moving a primary
// hands its role over, which fails the writes in flight), and then the lowest (collection, shard).
// Copies on nodes that are not live count for no node and are not moved: failover and catch-up
// look after them.
// Then the primaries (a failover leaves them all on the nodes that stayed up, which then take
// every write): while the live node with the most primaries has at least two more than another
// live node holding an in-sync copy of one of its shards, that shard's role is handed over to the
// one of those nodes with the fewest primaries (ties to the lower id), among the shards no move
// was planned or is under way for, lowest (collection, shard) first. Deterministic; pure.
std::vector<PlannedMove> PlanRebalance(const std::vector<ShardRecord>& shards, const std::vector<uint64_t>& live_nodes);

}  // namespace latentdb::cluster
