#pragma once
// An evenly spaced sample of the points a payload filter selects: the sample attribute directions
// learn from (latent/directions.h) and POST /collections/{c}/points/sample answers, so that a
// sharded collection's router can gather the same kind of sample from every shard
// (http/cluster/sharded_directions.h).
//
// The matching points are listed in id order (engine::Collection::Scroll: unsigned integers
// ascending, then strings by their UTF-8 bytes); when more than `n` match, the sample is the
// points at positions floor(i · matched / n), i = 0 … n−1 (latent/math.h's EvenlySpacedIndices):
// deterministic, spread over the whole id range, in id order.
//
// Thread-safety: any thread; the collection is read through its public methods, each under its
// own lock, so the sample is not a snapshot: a point deleted between the id scan and its read is
// left out (the sample is then smaller than asked).

#include <cstddef>
#include <memory>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"

namespace latentdb::latent {

// Points one sample may hold (a request's bound; the answer's size is bounded by its caller).
inline constexpr size_t kMaxSamplePoints = 100000;

struct PointSample {
  size_t matched = 0;                       // points the filter selects (all points without one)
  std::vector<engine::PointRecord> points;  // the sample, in id order
};

// Every point `filter` selects (null: every point), in id order. Cost: one id scan.
Result<std::vector<engine::ExternalId>> MatchingIds(engine::Collection& c, const std::shared_ptr<const engine::Filter>& filter);

// At most `n` of `ids` (in id order), evenly spaced, read with their stored vectors and payloads
// when asked; a point deleted since `ids` was listed is left out. Cost: one read per point.
Result<std::vector<engine::PointRecord>> ReadEvenlySpaced(engine::Collection& c, const std::vector<engine::ExternalId>& ids,
                                                          size_t n, bool with_vector, bool with_payload);

// At most `n` of the points `filter` selects (null: every point), with their stored vectors and
// payloads when asked: MatchingIds, then ReadEvenlySpaced. InvalidArgument when n is 0 or above
// kMaxSamplePoints; storage errors as the collection reports them.
Result<PointSample> SamplePoints(engine::Collection& c, const std::shared_ptr<const engine::Filter>& filter, size_t n,
                                 bool with_vector, bool with_payload);

}  // namespace latentdb::latent
