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
// "sample-SEED-I", the samples' latents as vectors, payloads {"generated": true, "seed", "sample"}.
nlohmann::json SamplePoints(const nlohmann::json& answer, uint64_t seed);

// The shards' anomaly rankings ({"points": [{"id", "neg_elbo", "payload"}, …] highest first,
// "scored"}) as one: the `k` highest negative ELBOs, "scored" added up.
nlohmann::json MergeAnomalies(const std::vector<nlohmann::json>& answers, size_t k);

}  // namespace latentdb::http::cluster_routing
