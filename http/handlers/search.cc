// POST /collections/{c}/search, /search/batch, /analogy
// A search gives "vector", "id", "text" (word-model encoder) or "image" (image encoder, base64);
// POST /collections/{c}/search also takes a raw image body (Content-Type image/…) with ?k=.
// On a collection with a VAE encoder, the analogy also decodes the latent Σpositive − Σnegative.
#include <algorithm>

#include "encoders/image_model.h"
#include "latent/analogy.h"
#include "http/codec.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

namespace {
// The points and vector components a search body would answer, read before it runs (an invalid
// k is refused later by ParseSearch with 400; here it counts as nothing).
struct Cost {
  size_t hits = 0, floats = 0;
};
Cost SearchCost(const json& s, size_t dim) {
  if (!s.is_object()) return {};
  const char* key = s.contains("k") ? "k" : "limit";
  size_t k = 10;
  if (s.contains(key) && s[key].is_number_unsigned()) k = static_cast<size_t>(std::min<uint64_t>(s[key].get<uint64_t>(), engine::kMaxK));
  else if (s.contains(key) && !s[key].is_null()) k = 0;
  const bool with_vector = s.contains("with_vector") && s["with_vector"] == true;
  return {k, with_vector ? k * dim : 0};
}

// `pixels`: the request's image pixels; `answer`: its payload bytes (a batch shares both).
Result<json> RunSearch(const HandlerContext& ctx, engine::Collection& c, SearchRequest request, PixelBudget& pixels,
                       AnswerBudget& answer) {
  if (request.input) {
    LDB_ASSIGN_OR_RETURN(request.query.vector,
                         inference::EncodeQuery(*ctx.models, c, std::move(*request.input), kImageLimits, pixels));
  }
  engine::SearchPlan plan;
  LDB_ASSIGN_OR_RETURN(auto hits, c.Search(request.query, &plan));
  LDB_ASSIGN_OR_RETURN(json points, ScoredPointsToJson(hits, answer));
  if (!request.debug) return points;
  return json{{"points", std::move(points)}, {"debug", SearchPlanToJson(plan)}};
}

Result<json> RunSearch(const HandlerContext& ctx, engine::Collection& c, const json& body, PixelBudget& pixels,
                       AnswerBudget& answer) {
  LDB_ASSIGN_OR_RETURN(auto request, ParseSearch(body));
  return RunSearch(ctx, c, std::move(request), pixels, answer);
}

// A raw image body: the search parameters come from the query (?k=, ?with_vector=).
Result<json> RawImageSearch(const HandlerContext& ctx, engine::Collection& c, const HttpRequest& req) {
  LDB_ASSIGN_OR_RETURN(size_t k, QueryCount(req, "k", 10, 1, engine::kMaxK));
  LDB_ASSIGN_OR_RETURN(bool with_vector, QueryBool(req, "with_vector", false));
  LDB_RETURN_IF_ERROR(CheckAnswerSize(k, with_vector ? k * c.config().dim : 0, "this search"));
  SearchRequest request;
  request.query.k = k;
  request.query.with_vector = with_vector;
  LDB_ASSIGN_OR_RETURN(request.input, RawImageInput(req));
  PixelBudget pixels;
  AnswerBudget answer;
  return RunSearch(ctx, c, std::move(request), pixels, answer);
}

}  // namespace

void RegisterSearchRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("POST", "/collections/{collection}/search", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    if (IsImageRequest(req)) return RawImageSearch(ctx, *c, req);
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    const Cost cost = SearchCost(body, c->config().dim);
    LDB_RETURN_IF_ERROR(CheckAnswerSize(cost.hits, cost.floats, "this search"));
    PixelBudget pixels;
    AnswerBudget answer;
    return RunSearch(ctx, *c, body, pixels, answer);
  }));
  router.Add("POST", "/collections/{collection}/search/batch", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    if (!body.is_object() || !body.contains("searches") || !body["searches"].is_array()) {
      return Status::InvalidArgument("body must be {\"searches\":[{…}, …]}");
    }
    if (body["searches"].size() > kMaxBatchSearches) {
      return Status::PayloadTooLarge("at most " + std::to_string(kMaxBatchSearches) + " searches per batch");
    }
    Cost total;
    for (const auto& s : body["searches"]) {
      const Cost cost = SearchCost(s, c->config().dim);
      total.hits += cost.hits;
      total.floats += cost.floats;
    }
    LDB_RETURN_IF_ERROR(CheckAnswerSize(total.hits, total.floats, "this batch"));
    json out = json::array();
    size_t i = 0;
    PixelBudget pixels;
    AnswerBudget answer;
    for (const auto& s : body["searches"]) {
      auto r = RunSearch(ctx, *c, s, pixels, answer);
      if (!r.ok()) return r.status().WithContext("searches[" + std::to_string(i) + "]");
      out.push_back(std::move(r).value());
      ++i;
    }
    return out;
  }));
  router.Add("POST", "/collections/{collection}/analogy", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    LDB_ASSIGN_OR_RETURN(auto query, ParseAnalogy(body));
    LDB_ASSIGN_OR_RETURN(auto result, c->Analogy(query));
    AnswerBudget answer;
    LDB_ASSIGN_OR_RETURN(json hits, ScoredPointsToJson(result.hits, answer));
    // VAE collections: {"hits", "vector": Σpositive − Σnegative, "image": its decoding (base64 PNG)};
    // any other collection (or a VAE that does not load) answers the hits alone.
    auto vae = CollectionGenerativeModel(ctx, *c);
    if (!vae.ok()) return hits;
    LDB_ASSIGN_OR_RETURN(auto latent, latent::AnalogySum(*c, query));
    LDB_ASSIGN_OR_RETURN(auto decoded, (*vae)->Decode({latent}));
    json out = {{"hits", std::move(hits)}, {"vector", VectorToJson(latent)}};
    AddImageJson(decoded.at(0), &out);
    return out;
  }));
}

}  // namespace latentdb::http
