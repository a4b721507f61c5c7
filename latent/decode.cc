#include "latent/decode.h"

#include <random>
#include <string>
#include <utility>

#include "latent/math.h"
#include "latent/prior.h"
#include "index/distance.h"

namespace latentdb::latent {

Status CheckGenerative(const engine::Collection& c, const encoders::ImageModel& vae) {
  if (!vae.generative()) {
    return Status::InvalidArgument("model '" + vae.name() + "' is a " + vae.kind() +
                                   " model; decoding latents needs a generative model (a VAE or a GAN)");
  }
  if (vae.dim() != c.config().dim) {
    return Status::InvalidArgument("the " + std::string(vae.kind() == "gan" ? "GAN" : "VAE") + " '" + vae.name() + "' has " + std::to_string(vae.dim()) +
                                   "-d latents, collection '" + c.name() + "' is " +
                                   std::to_string(c.config().dim) + "-d");
  }
  return Status::Ok();
}

Result<images::Image> DecodePoint(engine::Collection& c, const encoders::ImageModel& vae, const engine::ExternalId& id) {
  LDB_RETURN_IF_ERROR(CheckGenerative(c, vae));
  LDB_ASSIGN_OR_RETURN(auto latent, c.VectorOf(id));
  LDB_ASSIGN_OR_RETURN(auto decoded, vae.Decode({latent}));
  return std::move(decoded.at(0));
}

Result<std::vector<images::Image>> DecodeLatents(const engine::Collection& c, const encoders::ImageModel& vae,
                                                const std::vector<std::vector<float>>& latents, const PixelCharge& charge) {
  LDB_RETURN_IF_ERROR(CheckGenerative(c, vae));
  for (size_t i = 0; i < latents.size(); ++i) {
    if (latents[i].size() != vae.dim()) {
      return Status::InvalidArgument("latent " + std::to_string(i) + " has " + std::to_string(latents[i].size()) +
                                     " values, the VAE's latents have " + std::to_string(vae.dim()));
    }
    if (index::FirstNonFinite(latents[i].data(), latents[i].size()) != latents[i].size()) {
      return Status::InvalidArgument("latent " + std::to_string(i) + " contains NaN or Inf");
    }
  }
  if (charge) {
    const uint64_t pixels = uint64_t{latents.size()} * static_cast<uint64_t>(vae.input().width) *
                            static_cast<uint64_t>(vae.input().height);
    LDB_RETURN_IF_ERROR(charge(pixels));
  }
  LDB_ASSIGN_OR_RETURN(auto decoded, vae.Decode(latents));
  if (decoded.size() != latents.size()) {
    return Status::Internal("the model decoded " + std::to_string(decoded.size()) + " images for " +
                            std::to_string(latents.size()) + " latents");
  }
  return decoded;
}

Result<std::vector<DecodedLatent>> DecodeWithNearest(engine::Collection& c, const encoders::ImageModel& vae,
                                                     std::vector<std::vector<float>> latents,
                                                     const PixelCharge& charge) {
  LDB_ASSIGN_OR_RETURN(auto decoded, DecodeLatents(c, vae, latents, charge));
  std::vector<DecodedLatent> out;
  out.reserve(latents.size());
  for (size_t i = 0; i < latents.size(); ++i) {
    engine::SearchQuery q;
    q.vector = latents[i];
    q.k = 1;
    LDB_ASSIGN_OR_RETURN(auto hits, c.Search(q));
    DecodedLatent item;
    item.latent = std::move(latents[i]);
    item.image = std::move(decoded[i]);
    if (!hits.empty()) item.nearest = std::move(hits[0]);
    out.push_back(std::move(item));
  }
  return out;
}

Result<Samples> SampleFromPrior(engine::Collection& c, const encoders::ImageModel& vae, size_t n,
                                std::optional<uint64_t> seed, const PixelCharge& charge, std::optional<int> label) {
  LDB_RETURN_IF_ERROR(CheckGenerative(c, vae));
  if (n == 0) return Status::InvalidArgument("sampling needs n >= 1");
  Samples out;
  out.seed = seed ? *seed : (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  LDB_ASSIGN_OR_RETURN(PriorCodes prior, DrawPriorCodes(vae, n, out.seed, label));
  out.labels = std::move(prior.classes);
  out.class_names = std::move(prior.class_names);
  LDB_ASSIGN_OR_RETURN(out.samples, DecodeWithNearest(c, vae, std::move(prior.codes), charge));
  return out;
}

Result<std::vector<engine::ExternalId>> StoreSamples(engine::Collection& c, const Samples& samples) {
  engine::UpsertBatch batch;
  std::vector<engine::ExternalId> ids;
  batch.Reserve(samples.samples.size(), samples.samples.size() * c.config().dim);
  for (size_t i = 0; i < samples.samples.size(); ++i) {
    engine::ExternalId id("sample-" + std::to_string(samples.seed) + "-" + std::to_string(i));
    ids.push_back(id);
    nlohmann::json payload{{"generated", true}, {"seed", samples.seed}, {"sample", i}};
    if (i < samples.labels.size()) {
      payload.update({{"label", samples.labels[i]}, {"class", samples.class_names[static_cast<size_t>(samples.labels[i])]}});
    }
    batch.Add(std::move(id), samples.samples[i].latent, std::move(payload));
  }
  LDB_RETURN_IF_ERROR(c.Upsert(std::move(batch)));
  return ids;
}

Result<encoders::Reconstruction> ReconstructImage(const encoders::ImageModel& vae, const images::Image& image) {
  if (!vae.generative()) {
    return Status::InvalidArgument("model '" + vae.name() + "' is a " + vae.kind() +
                                   " model; reconstruction needs a VAE");
  }
  LDB_ASSIGN_OR_RETURN(auto recs, vae.Reconstruct({image}));
  if (recs.size() != 1) return Status::Internal("the VAE reconstructed " + std::to_string(recs.size()) + " images for 1");
  return std::move(recs[0]);
}

}  // namespace latentdb::latent
