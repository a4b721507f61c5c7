#pragma once
// Keeps every live node of an HNSW graph reachable by the layer-0 walk.
//
// HNSW (Malkov & Yashunin, 2018) keeps at most 2·M links per node on layer 0; when a new node's
// reverse link overflows a neighbour's list, the list is shrunk with the neighbour-selection
// heuristic (their Algorithm 4, faiss::HNSW::shrink_neighbor_list), which drops links. A node
// whose every in-link has been dropped this way can never be found by a search, at any ef — a
// stored point that similarity search silently never returns. Measured with FAISS 1.7.3
// (HNSW32, efConstruction 100, 16-d Gaussian data, ~20k nodes under churn): 0 to 2 such nodes per
// graph, all with in-degree 0, none of them freshly inserted (they lose their last in-link later).
// hnswlib and FAISS leave them unreachable; LatentDB links them back.
// Internal header of index/.

#include <faiss/impl/HNSW.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace latentdb::index {

// Breadth-first search over layer 0 from the graph's entry point; every unreached node that is
// not `dead` (dead[i] != 0; `dead` has one entry per node) is linked from a reached node, without
// taking a link away where it can: a free slot in the list of a reached node it selected as a
// neighbour (hence near it), else a free slot of any reached node (in search order), and only when
// no reached node has a free slot, in place of a list's last entry that keeps another in-link
// (in-degree > 1), so that no reached node loses its only in-link. The search then continues from
// the linked node, and the whole pass repeats (at most 4 times) until no live node is unreached.
// Inner-product graphs leave many nodes unreachable (small-norm vectors are nobody's neighbour
// under the inner product: 28 % in a 6,000-point test); they are linked the same way.
//
// Cost: O(nodes × 2M) reads per pass, and 9 bytes per node of scratch memory.
// Returns the number of links added. Needs exclusive access to the graph.
size_t ConnectUnreachable(faiss::HNSW& graph, const std::vector<uint8_t>& dead);

}  // namespace latentdb::index
