#pragma once
// JSON <-> engine types for the REST API. Every parser returns InvalidArgument with a message
// that names the offending field.

#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"

namespace latentdb::http {

constexpr size_t kMaxPointsPerRequest = 65536;
constexpr size_t kMaxBatchSearches = 1024;

Result<std::vector<float>> ParseVector(const nlohmann::json& j, const std::string& what);
// Absent or null -> nullptr.
Result<std::shared_ptr<const engine::Filter>> ParseOptionalFilter(const nlohmann::json& body);
Result<std::vector<engine::PointInput>> ParsePoints(const nlohmann::json& body);
Result<std::vector<engine::ExternalId>> ParseIdList(const nlohmann::json& ids);
Result<engine::SearchQuery> ParseSearch(const nlohmann::json& body);
Result<engine::AnalogyQuery> ParseAnalogy(const nlohmann::json& body);
// Reads an optional unsigned integer field with bounds; `fallback` when absent.
Result<size_t> ParseCount(const nlohmann::json& body, const char* key, size_t fallback, size_t min, size_t max);

nlohmann::json VectorToJson(const std::vector<float>& v);
nlohmann::json ScoredPointToJson(const engine::ScoredPoint& p);
nlohmann::json PointRecordToJson(const engine::PointRecord& p);
nlohmann::json CollectionInfoToJson(const engine::CollectionInfo& info);

}  // namespace latentdb::http
