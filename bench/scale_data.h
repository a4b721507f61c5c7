#pragma once
// scale_bench's generated data (bench/scale_bench.cc): vectors of Deep1B's shape — a Gaussian
// mixture of 1,000 centres drawn N(0, 1) per coordinate in 96 dimensions, each point its centre
// plus N(0, 0.35²) noise, then L2-normalized.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace latentdb::bench {

constexpr size_t kClusteredDim = 96;
// The 1,000 × 96 centres (seed 1).
std::vector<float> ClusterCentres();
// n points, row-major n × 96, drawn with `seed`.
std::vector<float> Clustered(size_t n, uint64_t seed, const std::vector<float>& centres);

// scale_bench --part quantization (bench/scale_quantization.cc); options as parsed by main.
int RunQuantizationPart(const std::map<std::string, std::string>& opt);
// scale_bench --part payload (bench/scale_payload.cc).
int RunPayloadPart(const std::map<std::string, std::string>& opt);

}  // namespace latentdb::bench
