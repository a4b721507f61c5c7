#pragma once
// The latent-space routes of a generative (VAE, GAN) collection on a sharded collection, as pure
// functions over JSON so that they are tested without a cluster (http/handlers/latent.cc has the
// routes' shapes; docs/cluster.md the table of routes).
//
// A decoded latent's "nearest" is the nearest stored point of the whole collection. Every shard
// decodes the same latents (an interpolation between endpoints given as vectors, or samples of
// one seed, which the router draws when the request has none) and finds its own nearest point;
// the merge keeps shard 0's latents and images with the best of the shards' nearest points — the
// answer of one node holding every point. Thread-safe (no state).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "latent/map.h"

namespace latentdb::http::cluster_routing {

// The ids among an interpolation's endpoints ("from", "to"), to be read with their vectors.
nlohmann::json InterpolationIdEndpoints(const nlohmann::json& body);

// The interpolation body every shard is sent: id endpoints replaced by their vectors (`vectors`
// keyed by engine::ExternalId::ToKey). NotFound naming the first id without a vector.
Result<nlohmann::json> InterpolationWithVectors(const nlohmann::json& body, const std::map<std::string, nlohmann::json>& vectors,
                                                const std::string& collection);

// Merges the shards' answers ({"<list_key>": [{…, "nearest": hit|null}, …], …}, each from the
// same latents): shard 0's answer with each item's "nearest" the best of the shards' (highest
// score, or lowest when `ascending`: Euclidean distances). An answer of another shape is left as
// shard 0 gave it.
nlohmann::json MergeNearest(const std::vector<nlohmann::json>& answers, const std::string& list_key, bool ascending);

// The points a single node's `"store": true` sample writes (latent::StoreSamples): ids
// "sample-SEED-I", the samples' latents as vectors, payloads {"generated": true, "seed", "sample"},
// plus "label" and "class" for a sample that has them (a class-conditional GAN's or VAE's).
nlohmann::json SamplePoints(const nlohmann::json& answer, uint64_t seed);

// The shards' anomaly rankings ({"points": [{"id", "neg_elbo", "payload"}, …] highest first,
// "scored"}) as one: the `k` highest negative ELBOs, "scored" added up.
nlohmann::json MergeAnomalies(const std::vector<nlohmann::json>& answers, size_t k);

// The map (GET /collections/{c}/map): each shard samples its share of the n points evenly in its
// own insertion order, with their vectors; the router projects the union on its principal axes
// (latent::MapOfSample). With n at least the collection's size the sample is every point and the
// map is one node's, up to the order of the points; below it, the sample is another evenly
// spread one than a single node would take.

// How many of a map's `n` points each shard samples: in proportion to its `counts` (largest
// remainders), never more than it holds; every point when n is at least their total.
std::vector<size_t> MapShares(const std::vector<uint64_t>& counts, size_t n);

struct MapSample {
  std::vector<latent::MapPoint> points;  // ids and labels
  std::vector<std::vector<float>> rows;  // their vectors
};
// The shards' map answers, asked with_vectors=true, as one sample in shard order. InvalidArgument
// when a point has no vector or no valid id.
Result<MapSample> GatherMapSample(const std::vector<nlohmann::json>& answers);

}  // namespace latentdb::http::cluster_routing
