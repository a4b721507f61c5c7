#pragma once
// Latent arithmetic for analogies in a VAE's latent space: the raw sum Σpositive − Σnegative of
// the terms' latents, which decodes to the "a + b − c" image (the vector arithmetic on generative
// latents of Radford et al., "Unsupervised Representation Learning with Deep Convolutional GANs",
// 2015, and White, "Sampling Generative Networks", 2016, after word2vec's vector offsets, Mikolov
// et al., 2013).
//
// Unlike Collection::Analogy, which ranks stored points by cosine against the sum of *unit*
// vectors (3CosAdd / 3CosMul, as gensim), the latents are summed as stored: their norms are
// part of what the VAE decodes.
// Thread-safety: any thread; each id term is read under the collection's shared lock, one by one.

#include <vector>

#include "common/result.h"
#include "engine/collection.h"

namespace latentdb::latent {

// Σ positive − Σ negative over the terms' latents, in float, terms added in order (positive
// first): a term's latent is its stored vector (id; NotFound when absent) or the vector it gives
// (InvalidArgument unless of the collection's dim, or when a term has neither). Only the terms of
// `query` are used (not k, method or filter). No term at all gives the zero vector.
Result<std::vector<float>> AnalogySum(engine::Collection& c, const engine::AnalogyQuery& query);

}  // namespace latentdb::latent
