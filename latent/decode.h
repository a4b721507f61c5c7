#pragma once
// Decoding through a generative model (a VAE's decoder or a GAN's generator), as engine
// operations on a collection: a stored point's latent, any latents each with the stored point
// nearest to it, samples from the prior N(0, I) (stored as points on request), and a VAE's
// reconstruction of an image. The interpolation (interpolation.h) decodes through here too.
//
// The model (named `vae` below for history): the collection's encoder, opened by the caller and passed as
// `const encoders::ImageModel&`. Every operation first checks that it is generative and that its
// latent dim is the collection's dim (InvalidArgument otherwise, naming both). Decoded images
// have the model's input shape (input().width × input().height × input().channels), pixel
// values in [0, 255].
//
// Limits: nothing here bounds how many latents one call decodes; the caller does (the HTTP API
// allows 256 interpolation steps or samples per request, and charges the decoded pixels to its
// per-request pixel budget through a PixelCharge).
//
// Thread-safety: every function may be called from many threads at once (ImageModel's methods
// are const and thread-safe; the collection is read through its public methods, each under its
// own shared lock). A result is not a snapshot: a write that lands during the call may or may
// not be seen by the nearest-point searches.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"
#include "encoders/image_model.h"
#include "images/image.h"

namespace latentdb::latent {

// Called once per operation, before anything is decoded, with the pixels the decoded images will
// hold (images × width × height of the model's input); a non-OK status ends the operation with
// that status. Lets a caller apply its own budget (the HTTP API's PixelBudget, 413). Empty: no
// charge.
using PixelCharge = std::function<Status(uint64_t pixels)>;

// A latent, its decoding and the stored point closest to it.
struct DecodedLatent {
  std::vector<float> latent;  // the model's dim() floats
  images::Image image;        // decode(latent)
  // The stored point nearest to `latent` (a search with k = 1 through the collection's index and
  // metric, exactly as a search request: score in the metric's units, payload included, vector
  // not). Absent when the collection is empty.
  std::optional<engine::ScoredPoint> nearest;
};

// InvalidArgument unless `vae` is generative (a VAE or a GAN) with a latent of the collection's dim.
Status CheckGenerative(const engine::Collection& c, const encoders::ImageModel& vae);

// decode(the stored vector of point `id`). NotFound when the point does not exist.
Result<images::Image> DecodePoint(engine::Collection& c, const encoders::ImageModel& vae, const engine::ExternalId& id);

// Decodes `latents` in one batch through the model, after charging their pixels. Every latent must
// have the model's dim and finite values (InvalidArgument otherwise); results are in order.
Result<std::vector<images::Image>> DecodeLatents(const engine::Collection& c, const encoders::ImageModel& vae,
                                                const std::vector<std::vector<float>>& latents,
                                                const PixelCharge& charge = {});

// DecodeLatents, and each latent's nearest stored point.
// Every latent must have the model's dim and finite values (InvalidArgument otherwise). Results
// are in the order of `latents`. An empty list gives an empty result.
Result<std::vector<DecodedLatent>> DecodeWithNearest(engine::Collection& c, const encoders::ImageModel& vae,
                                                     std::vector<std::vector<float>> latents,
                                                     const PixelCharge& charge = {});

struct Samples {
  uint64_t seed = 0;  // the seed used: the one asked for, or the one drawn
  std::vector<DecodedLatent> samples;
  // Class-conditional GAN or VAE only (empty otherwise): each sample's class, as an index into
  // class_names (the "label" of an ingested Fashion-MNIST image), and the model's class names.
  std::vector<int> labels;
  std::vector<std::string> class_names;
};

// n latents drawn from the model's prior — DrawPriorCodes(vae, n, seed, label) (prior.h), so one
// seed gives the same samples on every run and platform — decoded, each with its nearest stored
// point. Without a seed, one is drawn from std::random_device (64 bits) and returned. `label`
// (a class index) asks a class-conditional model for samples of one class. n ≥ 1; InvalidArgument
// otherwise, and as DrawPriorCodes says.
Result<Samples> SampleFromPrior(engine::Collection& c, const encoders::ImageModel& vae, size_t n,
                                std::optional<uint64_t> seed, const PixelCharge& charge = {},
                                std::optional<int> label = std::nullopt);

// Stores samples as points of `c`: ids "sample-SEED-I" (I = 0, 1, … in order; the same seed gives
// the same ids, so storing again overwrites, not duplicates), vectors their latents, payloads
// {"generated": true, "seed": SEED, "sample": I}, plus "label": INDEX and "class": NAME for a
// class-conditional GAN's or VAE's (the label as an ingest stores it, so the map colours and names them).
// One atomic upsert; returns the ids.
Result<std::vector<engine::ExternalId>> StoreSamples(engine::Collection& c, const Samples& samples);

// μ(image), decode(μ) and the anomaly scores of one image (encoders::Reconstruction: natural-log
// units, neg_elbo = reconstruction_error + kl, as Kingma & Welling, "Auto-Encoding Variational
// Bayes", 2014). The image may have any size and channel count: the model converts and resizes it
// to its input first. InvalidArgument when `vae` is not generative; the model's errors otherwise.
Result<encoders::Reconstruction> ReconstructImage(const encoders::ImageModel& vae, const images::Image& image);

}  // namespace latentdb::latent
