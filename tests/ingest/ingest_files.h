#pragma once
// Writers for the files the ingest tests feed the tool, and a reader of what it stored. Every
// writer produces the real on-disk format (fvecs, npy, IDX, …) byte for byte, independently of
// the readers under test.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace latentdb::testing {

using Matrix = std::vector<std::vector<float>>;

// n × d floats, uniform in [-1, 1), deterministic per seed.
Matrix RandomMatrix(size_t n, size_t d, uint32_t seed);

void WriteBytes(const std::string& path, const std::string& bytes);
std::string ReadBytes(const std::string& path);
void WriteFvecs(const std::string& path, const Matrix& m);
void WriteBvecs(const std::string& path, const std::vector<std::vector<uint8_t>>& m);
void WriteIvecs(const std::string& path, const std::vector<std::vector<int32_t>>& m);
// A version 1.0 .npy file; `descr` "<f4" with float data or "|u1" with byte data.
void WriteNpyF32(const std::string& path, const Matrix& m, bool fortran_order = false);
void WriteNpyU8(const std::string& path, const std::vector<std::vector<uint8_t>>& m);
void WriteNpyRaw(const std::string& path, const std::string& header_dict, const std::string& data);
void WriteIdxImages(const std::string& path, size_t count, size_t rows, size_t cols, const std::vector<uint8_t>& pixels);
void WriteIdxLabels(const std::string& path, const std::vector<uint8_t>& labels);

// What a data directory holds for one collection, read in process after the tool exited.
struct StoredPoint {
  std::vector<float> vector;
  nlohmann::json payload;
};
struct StoredCollection {
  bool exists = false;
  size_t size = 0;
  size_t dim = 0;
  std::string metric, index;
};
StoredCollection InspectCollection(const std::string& data_dir, const std::string& name);
// The stored points for `ids` (nullopt where absent). ids are JSON (integer or string).
std::vector<std::optional<StoredPoint>> ReadPoints(const std::string& data_dir, const std::string& name,
                                                   const std::vector<nlohmann::json>& ids);

}  // namespace latentdb::testing
