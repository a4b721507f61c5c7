// PUT /collections/{c}/points, GET /collections/{c}/points/{id},
// POST /collections/{c}/points (retrieve by ids, as Qdrant: {"ids":[…],"with_payload","with_vector"}),
// POST /collections/{c}/points/delete, POST /collections/{c}/points/scroll,
// POST /collections/{c}/points/sample {"limit", "filter", "with_payload", "with_vector"}
//   → {"points": [...], "matched": M}: an evenly spaced sample of the points the filter selects,
//   in id order (latent/point_sample.h), as attribute directions learn from.
// (PUT /collections/{c}/points/{id} and PUT /collections/{c}/points with a raw image are in images.cc.)
//
// Ids in paths follow Qdrant's rule (PathId): all digits = unsigned integer id. The retrieval
// body names any id with its JSON type, so "1990" (a string) and 1990 (an integer) both work.
#include <set>

#include "http/codec.h"
#include "http/error_mapping.h"
#include "http/handlers/handlers.h"
#include "latent/point_sample.h"

namespace latentdb::http {

using nlohmann::json;

namespace {
// An optional boolean field; `fallback` when absent or null, InvalidArgument when not a boolean.
Result<bool> BoolField(const json& body, const char* key, bool fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  if (!body[key].is_boolean()) return Status::InvalidArgument(std::string("\"") + key + "\" must be a boolean");
  return body[key].get<bool>();
}
}  // namespace

void RegisterPointRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("PUT", "/collections/{collection}/points", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    if (IsImageRequest(req)) {
      LDB_ASSIGN_OR_RETURN(auto id, QueryId(req));
      return UpsertRawImage(ctx, *c, req, std::move(id));
    }
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    LDB_ASSIGN_OR_RETURN(auto requests, ParsePoints(std::move(body)));
    // Texts and images become vectors here; a point whose image does not decode is left out and
    // reported, the rest are stored.
    LDB_ASSIGN_OR_RETURN(auto encoded, inference::EncodePoints(*ctx.models, *c, std::move(requests), kImageLimits));
    const auto& rejected = encoded.rejected;
    if (encoded.points.empty()) {
      return rejected[0].status.WithContext("points[" + std::to_string(rejected[0].index) + "]");
    }
    const size_t n = encoded.points.size();
    LDB_RETURN_IF_ERROR(c->Upsert(std::move(encoded.points)));
    // Qdrant's UpdateResult ("completed": the write is durable when this answers), plus the count.
    json out = {{"upserted", n}, {"operation_id", 0}, {"status", "completed"}};
    if (!rejected.empty()) {
      json errors = json::array();
      for (const auto& e : rejected) {
        errors.push_back({{"index", e.index}, {"id", e.id.ToJson()}, {"status", HttpStatusFor(e.status.code())},
                          {"error", e.status.message()}});
      }
      out["errors"] = std::move(errors);
    }
    return out;
  }));
  router.Add("GET", "/collections/{collection}/points/{id}", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto id, PathId(p));
    LDB_ASSIGN_OR_RETURN(bool with_vector, QueryBool(req, "with_vector", true));
    LDB_ASSIGN_OR_RETURN(auto rec, c->Get(id, with_vector));
    if (!rec) return Status::NotFound("point " + id.ToString() + " does not exist in collection '" + c->name() + "'");
    return PointRecordToJson(*rec);
  }));
  router.Add("POST", "/collections/{collection}/points", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    if (!body.is_object() || !body.contains("ids")) {
      return Status::InvalidArgument("body must be {\"ids\":[…], \"with_payload\", \"with_vector\":bool}");
    }
    LDB_ASSIGN_OR_RETURN(auto ids, ParseIdList(body["ids"]));
    if (ids.size() > kMaxPointsPerRequest) {
      return Status::PayloadTooLarge("at most " + std::to_string(kMaxPointsPerRequest) + " ids per request");
    }
    LDB_ASSIGN_OR_RETURN(PayloadSelector payload, ParsePayloadSelector(body, true));
    LDB_ASSIGN_OR_RETURN(bool with_vector, BoolField(body, "with_vector", false));
    LDB_RETURN_IF_ERROR(CheckAnswerSize(ids.size(), with_vector ? ids.size() * c->config().dim : 0, "this retrieval"));
    // Qdrant's answer: the points found, in the order asked, each once; missing ids are skipped.
    json out = json::array();
    std::set<std::string> seen;
    AnswerBudget answer;
    for (const auto& id : ids) {
      if (!seen.insert(id.ToKey()).second) continue;
      LDB_ASSIGN_OR_RETURN(auto rec, c->Get(id, with_vector));
      if (!rec) continue;
      if (payload.any) {
        rec->payload = payload.Apply(rec->payload);
        LDB_RETURN_IF_ERROR(answer.Charge(rec->payload));
      }
      out.push_back(PointRecordToJson(*rec, payload.any));
    }
    return out;
  }));
  router.Add("POST", "/collections/{collection}/points/delete", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    if (!body.is_object()) return Status::InvalidArgument("body must be {\"ids\":[…]} or {\"filter\":{…}}");
    // "points" is Qdrant's name of the id list.
    const char* ids_key = body.contains("points") ? "points" : "ids";
    const bool has_ids = body.contains(ids_key), has_filter = body.contains("filter");
    if (has_ids == has_filter || (body.contains("points") && body.contains("ids"))) {
      return Status::InvalidArgument("give exactly one of \"ids\" (Qdrant: \"points\") or \"filter\"");
    }
    size_t deleted = 0;
    if (has_ids) {
      LDB_ASSIGN_OR_RETURN(auto ids, ParseIdList(body[ids_key]));
      if (ids.size() > kMaxPointsPerRequest) {
        return Status::PayloadTooLarge("at most " + std::to_string(kMaxPointsPerRequest) +
                                       " ids per delete (or delete by filter)");
      }
      LDB_ASSIGN_OR_RETURN(deleted, c->Delete(ids));
    } else {
      LDB_ASSIGN_OR_RETURN(auto filter, ParseOptionalFilter(body));
      if (!filter) return Status::InvalidArgument("\"filter\" must be an object");
      LDB_ASSIGN_OR_RETURN(deleted, c->DeleteMatching(*filter));
    }
    return json{{"deleted", deleted}, {"operation_id", 0}, {"status", "completed"}};
  }));
  router.Add("POST", "/collections/{collection}/points/sample", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req, /*empty_is_object=*/true));
    LDB_ASSIGN_OR_RETURN(size_t limit, ParseCount(body, "limit", 10, 1, latent::kMaxSamplePoints));
    LDB_ASSIGN_OR_RETURN(auto filter, ParseOptionalFilter(body));
    LDB_ASSIGN_OR_RETURN(PayloadSelector payload, ParsePayloadSelector(body, true));
    LDB_ASSIGN_OR_RETURN(bool with_vector, BoolField(body, "with_vector", false));
    LDB_RETURN_IF_ERROR(CheckAnswerSize(limit, with_vector ? limit * c->config().dim : 0, "this sample"));
    LDB_ASSIGN_OR_RETURN(auto sample, latent::SamplePoints(*c, filter, limit, with_vector, payload.any));
    if (payload.any) {
      for (auto& rec : sample.points) rec.payload = payload.Apply(rec.payload);
    }
    AnswerBudget answer;
    LDB_ASSIGN_OR_RETURN(json points, PointRecordsToJson(sample.points, payload.any, answer));
    return json{{"points", std::move(points)}, {"matched", sample.matched}};
  }));
  router.Add("POST", "/collections/{collection}/points/scroll", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    json body = json::object();
    if (!req.body.empty()) {
      LDB_ASSIGN_OR_RETURN(body, BodyJson(req));
      if (!body.is_object()) return Status::InvalidArgument("scroll body must be a JSON object");
    }
    LDB_ASSIGN_OR_RETURN(size_t limit, ParseCount(body, "limit", 10, 1, engine::kMaxK));
    std::optional<engine::ExternalId> offset;
    if (body.contains("offset") && !body["offset"].is_null()) {
      LDB_ASSIGN_OR_RETURN(auto id, engine::ExternalId::FromJson(body["offset"]));
      offset = std::move(id);
    }
    LDB_ASSIGN_OR_RETURN(auto filter, ParseOptionalFilter(body));
    LDB_ASSIGN_OR_RETURN(PayloadSelector payload, ParsePayloadSelector(body, true));
    LDB_ASSIGN_OR_RETURN(bool with_vector, BoolField(body, "with_vector", false));
    LDB_RETURN_IF_ERROR(CheckAnswerSize(limit, with_vector ? limit * c->config().dim : 0, "this scroll"));
    LDB_ASSIGN_OR_RETURN(auto page, c->Scroll(limit, offset, filter, payload.any, with_vector));
    if (payload.any) {
      for (auto& rec : page.points) rec.payload = payload.Apply(rec.payload);
    }
    AnswerBudget answer;
    LDB_ASSIGN_OR_RETURN(json points, PointRecordsToJson(page.points, payload.any, answer));
    return json{{"points", points}, {"next_page_offset", page.next_offset ? page.next_offset->ToJson() : json(nullptr)}};
  }));
}

}  // namespace latentdb::http
