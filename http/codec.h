#pragma once
// JSON <-> engine types for the REST API. Every parser returns InvalidArgument with a message
// that names the offending field.

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/collection.h"
#include "inference/point_encoding.h"

namespace latentdb::http {

// Limits on what one request may cost (README "Limits"). The JSON body itself is bounded by the
// server's body limit and by kDefaultMaxJsonValues (common/json_parser.h) while it is parsed.
constexpr size_t kMaxPointsPerRequest = 65536;  // points per upsert, ids per retrieval or delete
constexpr size_t kMaxBatchSearches = 1024;      // searches per /search/batch
// Examples (positive + negative) in one recommendation: each given as an id is one point read.
constexpr size_t kMaxRecommendExamples = 1024;
// An answer carries at most this many points (k × searches for a batch, limit for a scroll,
// ids for a retrieval) ...
constexpr size_t kMaxAnswerHits = 100000;
// ... and at most this many vector components (points × dim when with_vector).
constexpr size_t kMaxAnswerFloats = size_t{1} << 22;  // 4,194,304 (16 MiB of floats)

// ... and at most this many bytes of payloads (as JSON text), so that a small request over
// points with large payloads cannot build an answer of gigabytes (64 MiB, the default body limit).
constexpr size_t kMaxAnswerPayloadBytes = size_t{64} << 20;

// PayloadTooLarge when an answer of `hits` points carrying `floats` vector components would
// pass the limits above; `what` names the request in the message. Checked before any work.
Status CheckAnswerSize(size_t hits, size_t floats, const std::string& what);

// The payload bytes of one answer, charged point by point before a payload is copied into the
// answer (a batch search shares one). Not thread-safe: one per request.
class AnswerBudget {
 public:
  // PayloadTooLarge once the payloads charged so far pass kMaxAnswerPayloadBytes. The size is
  // that of the payload's compact JSON text, counted without serializing (and stopping early).
  Status Charge(const nlohmann::json& payload);

 private:
  size_t bytes_ = 0;
};

Result<std::vector<float>> ParseVector(const nlohmann::json& j, const std::string& what);
// Absent or null -> nullptr.
Result<std::shared_ptr<const engine::Filter>> ParseOptionalFilter(const nlohmann::json& body);
// The points of an upsert, {"points":[{"id", "vector"|"text"|"image", "payload"}, …]}, as typed
// inputs for the inference layer: each point gives exactly one of "vector", "text" (a collection
// with a word-model encoder) or "image" (base64, a collection with an image encoder). Structure
// errors fail the request; an "image" that is not base64 stays with its point (ParseImageField).
// Qdrant's column form {"batch": {"ids", "vectors", "payloads"}} is taken too (its values are
// moved into the row form: pass the body with std::move when it is not needed afterwards).
Result<std::vector<inference::PointRequest>> ParsePoints(nlohmann::json body);
// A JSON "image" value (a base64 string; a "data:image/…;base64," prefix allowed) as an input.
// When it is not one, the input carries the reason (Input::BadImage), so that a batch rejects
// that item alone.
inference::Input ParseImageField(const nlohmann::json& value);
Result<std::vector<engine::ExternalId>> ParseIdList(const nlohmann::json& ids);
// A search body: exactly one of "vector", "id", "text" or "image", and k/limit, filter,
// with_payload, with_vector, params. A text or image comes back as `input`, to be encoded into
// query.vector by the caller (inference::EncodeQuery).
struct SearchRequest {
  engine::SearchQuery query;
  std::optional<inference::Input> input;
  // "debug": true — answer {"points": [...], "debug": {"plan": …}} instead of the bare list.
  bool debug = false;
};
// A search plan as the "debug" object of a search answer: {"plan", "estimated_matches",
// "full_scan_threshold"}.
nlohmann::json SearchPlanToJson(const engine::SearchPlan& plan);
Result<SearchRequest> ParseSearch(const nlohmann::json& body);
// The parts of a search body that LatentDB's and Qdrant's shapes share: "filter" and "params"
// ({"ef" | "hnsw_ef", "nprobe", "exact", "quantization": {"rescore", "oversampling", "ignore"}}),
// into `query`. InvalidArgument naming the field.
Status ParseSearchFilterAndParams(const nlohmann::json& body, engine::SearchQuery* query);
Result<engine::AnalogyQuery> ParseAnalogy(const nlohmann::json& body);
// A latent to start from (an edit's "from"): a point id (integer or string), a vector (an array
// of numbers), or an object with exactly one of "vector", "text" or "image" (base64), to be
// encoded like a search's (inference::EncodeQuery). `what` names the field in messages.
struct LatentSource {
  std::optional<engine::ExternalId> id;
  std::optional<inference::Input> input;  // a vector, or a text or image to encode
};
Result<LatentSource> ParseLatentSource(const nlohmann::json& value, const std::string& what);
// Reads an optional unsigned integer field with bounds; `fallback` when absent.
Result<size_t> ParseCount(const nlohmann::json& body, const char* key, size_t fallback, size_t min, size_t max);

// Qdrant's with_payload: true/false, a list of top-level keys to include, {"include": […]} or
// {"exclude": […]}; the same in every route that returns payloads (retrieve, scroll, search,
// recommend, query).
struct PayloadSelector {
  bool any = true;  // whether payloads are returned at all
  std::optional<std::set<std::string>> include, exclude;
  // The payload as selected (an object; {} for none).
  nlohmann::json Apply(const nlohmann::json& payload) const;
};
// An array of payload keys (strings); InvalidArgument naming `what` otherwise.
Result<std::set<std::string>> ParseKeyList(const nlohmann::json& j, const std::string& what);
// The body's "with_payload" (`fallback` when absent or null); InvalidArgument naming the shape.
Result<PayloadSelector> ParsePayloadSelector(const nlohmann::json& body, bool fallback);

nlohmann::json VectorToJson(const std::vector<float>& v);
// Payloads follow one rule in every answer (search, batch, analogy, scroll, retrieval, GET):
// when payloads were asked for, "payload" is an object — {} for a point stored without one, as
// Qdrant answers; when they were not, the key is absent.
nlohmann::json ScoredPointToJson(const engine::ScoredPoint& p);
nlohmann::json PointRecordToJson(const engine::PointRecord& p, bool with_payload = true);
// A list of hits or records as an answer, each payload charged to `budget` first.
Result<nlohmann::json> ScoredPointsToJson(const std::vector<engine::ScoredPoint>& hits, AnswerBudget& budget);
Result<nlohmann::json> PointRecordsToJson(const std::vector<engine::PointRecord>& records, bool with_payload,
                                          AnswerBudget& budget);
nlohmann::json CollectionInfoToJson(const engine::CollectionInfo& info);

}  // namespace latentdb::http
