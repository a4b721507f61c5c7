#pragma once
// Interpolation through a collection's latent space: from one latent to another in `steps`
// evenly spaced points (t = i / (steps − 1), both ends exact), linearly or spherically (slerp,
// White, "Sampling Generative Networks", 2016; the formulas are in math.h), then decoded through
// the collection's VAE with each latent's nearest stored point (decode.h).
//
// An endpoint is a stored point (its stored vector) or a latent given as a vector.
//
// Limits: `steps` has no upper bound here (the HTTP API allows 256); the frames' pixels go through
// the caller's PixelCharge before anything is decoded.
// Thread-safety: as decode.h — any thread; the collection is read under its own locks, call by
// call, so an endpoint rewritten during the call may be read before or after the write.

#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"
#include "encoders/image_model.h"
#include "latent/decode.h"
#include "latent/math.h"

namespace latentdb::latent {

// A stored point, or a latent of the collection's dim.
using Endpoint = std::variant<engine::ExternalId, std::vector<float>>;

struct InterpolationRequest {
  Endpoint from;
  Endpoint to;
  size_t steps = 8;  // ≥ 2
  InterpolationMode mode = InterpolationMode::kLinear;
};

// The latent of an endpoint: the stored vector of its point (NotFound when there is none), or the
// vector as given (InvalidArgument unless it has the collection's dim and finite values).
// `name` names the endpoint in messages: "\"to\" has 2 values, the collection is 8-d".
Result<std::vector<float>> ResolveEndpoint(engine::Collection& c, const Endpoint& endpoint, std::string_view name);

// The request's `steps` latents, not decoded: from (resolved first, named "from"), then to
// ("to"), then Interpolate(from, to, steps, mode). InvalidArgument when steps < 2.
Result<std::vector<std::vector<float>>> InterpolateLatents(engine::Collection& c, const InterpolationRequest& request);

struct Interpolation {
  std::vector<double> t;             // i / (steps − 1): 0 first, exactly 1 last
  std::vector<DecodedLatent> steps;  // steps[i].latent is the latent at t[i]
};

// InterpolateLatents, then DecodeWithNearest (the VAE is checked first, as decode.h says).
// Errors: InvalidArgument (not a VAE, steps < 2, a vector endpoint of the wrong dim or not
// finite), NotFound (an endpoint id that is not stored), the charge's status, the model's.
Result<Interpolation> InterpolateDecoded(engine::Collection& c, const encoders::ImageModel& vae,
                                         const InterpolationRequest& request, const PixelCharge& charge = {});

}  // namespace latentdb::latent
