#include "latent/interpolation.h"

#include <string>
#include <utility>

#include "index/distance.h"

namespace latentdb::latent {

Result<std::vector<float>> ResolveEndpoint(engine::Collection& c, const Endpoint& endpoint, std::string_view name) {
  if (const auto* id = std::get_if<engine::ExternalId>(&endpoint)) return c.VectorOf(*id);
  const auto& vec = std::get<std::vector<float>>(endpoint);
  const std::string quoted = "\"" + std::string(name) + "\"";
  if (vec.size() != c.config().dim) {
    return Status::InvalidArgument(quoted + " has " + std::to_string(vec.size()) + " values, the collection is " +
                                   std::to_string(c.config().dim) + "-d");
  }
  if (index::FirstNonFinite(vec.data(), vec.size()) != vec.size()) {
    return Status::InvalidArgument(quoted + " contains NaN or Inf");
  }
  return vec;
}

Result<std::vector<std::vector<float>>> InterpolateLatents(engine::Collection& c, const InterpolationRequest& request) {
  if (request.steps < 2) {
    return Status::InvalidArgument("an interpolation needs at least 2 steps, not " + std::to_string(request.steps));
  }
  LDB_ASSIGN_OR_RETURN(auto from, ResolveEndpoint(c, request.from, "from"));
  LDB_ASSIGN_OR_RETURN(auto to, ResolveEndpoint(c, request.to, "to"));
  return Interpolate(from, to, request.steps, request.mode);
}

Result<Interpolation> InterpolateDecoded(engine::Collection& c, const encoders::ImageModel& vae,
                                         const InterpolationRequest& request, const PixelCharge& charge) {
  LDB_RETURN_IF_ERROR(CheckGenerative(c, vae));
  LDB_ASSIGN_OR_RETURN(auto latents, InterpolateLatents(c, request));
  Interpolation out;
  LDB_ASSIGN_OR_RETURN(out.steps, DecodeWithNearest(c, vae, std::move(latents), charge));
  out.t.reserve(request.steps);
  for (size_t i = 0; i < request.steps; ++i) {
    out.t.push_back(static_cast<double>(i) / static_cast<double>(request.steps - 1));
  }
  return out;
}

}  // namespace latentdb::latent
