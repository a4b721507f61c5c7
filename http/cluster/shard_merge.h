#pragma once
// How the answers of a clustered collection's shards become one answer (docs/cluster.md,
// "Reads"): pure functions over the shards' JSON results, so that they are tested without a
// cluster. Each shard answers as a single node would; these functions give the answer a single
// node holding every point would give.

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace latentdb::http::cluster_routing {

// Point ids in a single node's scroll order (engine::Collection::Scroll): unsigned integers
// ascending, then strings by their UTF-8 bytes. True when `a` comes before `b`.
bool IdBefore(const nlohmann::json& a, const nlohmann::json& b);

// Top-k merge of per-shard result lists (arrays of scored points {"id", "score", …}, each best
// first): the best `limit` after skipping `offset`, by score descending, or ascending when
// `ascending` (Euclidean distances). Each shard must have been asked for offset + limit results
// from its own offset 0. Ties keep the lower id first, as a deterministic order.
nlohmann::json MergeScored(const std::vector<nlohmann::json>& lists, size_t offset, size_t limit, bool ascending);

// Scroll pages ({"points": [...], "next_page_offset": id|null}, each at most `limit` points from
// the same offset) into one page of `limit` points in id order. The next page starts at the
// first id not returned among the pages' points and their own next offsets: every shard's points
// before that id are all in the pages, so nothing is skipped or repeated.
nlohmann::json MergeScrollPages(const std::vector<nlohmann::json>& pages, size_t limit);

// Retrieval by ids: the points of every shard's answer, in the order `ids` asked for them (each
// once; ids no shard has are left out, as Qdrant does).
nlohmann::json OrderByIds(const nlohmann::json& ids, const std::vector<nlohmann::json>& answers);

}  // namespace latentdb::http::cluster_routing
