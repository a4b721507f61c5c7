#pragma once
// The analogy route (POST /collections/{c}/analogy, engine::Collection::Analogy) on a sharded
// collection, as pure functions over JSON so that they are tested without a cluster.
//
// One node ranks every point against the terms' unit vectors and leaves out the points named as
// terms. Across shards: the id terms' vectors are read from their shards first; every shard is
// then sent the terms as vectors (normalized there as an id term's vector is) with k raised by the
// number of id terms; the shards' hits are merged by score with the terms' own points left out.
// The answer is the single node's, up to ties between equal scores and the last bits of the
// vectors' normalization. `restrict_vocab` (the first N points in insertion order, gensim's
// restrict_vocab) has no cross-shard meaning — each shard has its own insertion order — and is
// refused with InvalidArgument. Thread-safe (no state).

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace latentdb::http::cluster_routing {

// The id terms of a valid analogy body (positive, then negative; as given), to be read with their
// vectors. InvalidArgument when the body asks for "restrict_vocab".
Result<nlohmann::json> AnalogyIdTerms(const nlohmann::json& body);

// The body every shard is sent: each id term replaced by its vector from `vectors` (keyed by
// engine::ExternalId::ToKey), "k" raised by the number of id terms (at most `max_k`). NotFound
// naming the first id term without a vector (as one node answers a term that is no point).
Result<nlohmann::json> ShardAnalogyBody(const nlohmann::json& body, const std::map<std::string, nlohmann::json>& vectors,
                                        const std::string& collection, size_t max_k);

// One answer from the shards' answers to ShardAnalogyBody: each a list of hits (best first), or an
// object {"hits", …} (generative collections: the first answer's other fields — the decoded sum —
// are kept). The hits merged by score, best first, the id terms' points left out, the best k of
// `body` (10 when absent).
nlohmann::json MergeAnalogy(const std::vector<nlohmann::json>& answers, const nlohmann::json& body);

}  // namespace latentdb::http::cluster_routing
