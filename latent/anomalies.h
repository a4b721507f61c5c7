#pragma once
// Anomaly ranking of a collection: the points whose stored anomaly score is highest.
//
// The score is the negative ELBO a VAE gives each image when it is upserted (reconstruction error
// + KL, natural-log units; Kingma & Welling, "Auto-Encoding Variational Bayes", 2014; ranking by
// it follows An & Cho, "Variational Autoencoder based Anomaly Detection using Reconstruction
// Probability", 2015), stored in the point's payload under kAnomalyScoreField. Nothing is
// recomputed here: the ranking reads payloads only, so it works on any collection whose payloads
// carry the field (the HTTP API offers it on VAE collections only).
//
// Cost: one scan of the whole collection in insertion order (pages of 10,000 points, payloads
// without vectors) with a heap of the k best: O(n log k) time, O(k + page) memory.
// Thread-safety: any thread; each page is read under the collection's shared lock, so writes may
// interleave between pages: every point that exists for the whole scan is seen exactly once, a
// point written meanwhile may or may not be (Collection::ScrollInsertionOrder).

#include <nlohmann/json.hpp>

#include <cstddef>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"
#include "inference/point_encoding.h"

namespace latentdb::latent {

// The payload field that holds a point's anomaly score (a JSON number), as the inference layer
// stores it for VAE collections.
using inference::kAnomalyScoreField;

struct Anomaly {
  engine::ExternalId id;
  double neg_elbo = 0;      // the payload's kAnomalyScoreField
  nlohmann::json payload;   // the whole stored payload (an object)
};

struct AnomalyRanking {
  // At most k points, highest score first; equal scores keep insertion order.
  std::vector<Anomaly> points;
  // How many points of the collection carry a numeric score (those without one are not ranked).
  size_t scored = 0;
};

// The k points of highest payload kAnomalyScoreField. k in [1, engine::kMaxK] (InvalidArgument
// otherwise); a k above the number of scored points returns them all. Storage errors as the
// collection reports them.
Result<AnomalyRanking> RankAnomalies(engine::Collection& c, size_t k);

}  // namespace latentdb::latent
