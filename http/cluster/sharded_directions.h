#pragma once
// Attribute directions and edits (latent/directions.h; http/handlers/directions.cc has the
// routes' shapes) on a sharded collection, as pure functions over the shards' JSON so that they
// are tested without a cluster (docs/cluster.md has the table of routes).
//
// A direction is learned by the router from samples every shard contributes: each shard samples
// its share of the points a filter selects (POST …/points/sample, evenly in its own id order; the
// shares are in proportion to the shards' matched counts, latent/map's rule), and the router
// learns from their union (latent::DirectionFromSets). Up to MaxSetPoints (pca: MaxPcaPoints) the
// sample is every matching point, so the direction is one node's up to the order of the points;
// beyond, it is another evenly spread sample than one node would take. The learned record is then
// stored on every shard (PUT …/directions/{name}), so that every shard can edit along it and any
// copy answers GET. An edit goes to every shard, its "from" id read first as its stored vector;
// each step's neighbours are the best of the shards'. Thread-safe (no state).

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "latent/directions.h"

namespace latentdb::http::cluster_routing {

// The filter that selects the points both sets select ({"must": [from, to]}), whose exact count
// over the shards is a direction's "overlap".
nlohmann::json BothSetsFilter(const nlohmann::json& from, const nlohmann::json& to);

// The vectors of the shards' sample answers ({"points": [{"id", "vector"}, …], "matched"}), in
// shard order. InvalidArgument when a point has no vector.
Result<latent::Rows> SampleRows(const std::vector<nlohmann::json>& answers);

// The shards' sample answers as one: their points in id order (http/cluster/shard_merge.h's
// IdBefore), with `matched`, the matching points of every shard (their exact counts: a shard
// asked for no point is not among the answers but its matches count).
nlohmann::json MergeSamples(const std::vector<nlohmann::json>& answers, uint64_t matched);

// The shards' edit answers ({"direction", "start", "steps": [{"strength", "vector",
// "neighbors": [scored points], "image"?}]}, each from the same start and strengths) as one:
// shard 0's answer with each step's neighbours the best `k` of the shards' (highest score, or
// lowest when `ascending`). An answer of another shape is left as shard 0 gave it.
nlohmann::json MergeEdits(const std::vector<nlohmann::json>& answers, size_t k, bool ascending);

}  // namespace latentdb::http::cluster_routing
