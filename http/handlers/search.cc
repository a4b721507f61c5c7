// POST /collections/{c}/search, /search/batch, /analogy
#include "http/codec.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

namespace {
Result<json> RunSearch(const HandlerContext& ctx, engine::Collection& c, json body) {
  LDB_RETURN_IF_ERROR(ResolveText(ctx, c, &body));
  LDB_ASSIGN_OR_RETURN(auto query, ParseSearch(body));
  LDB_ASSIGN_OR_RETURN(auto hits, c.Search(query));
  json out = json::array();
  for (const auto& h : hits) out.push_back(ScoredPointToJson(h));
  return out;
}
}  // namespace

void RegisterSearchRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("POST", "/collections/{collection}/search", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
    return RunSearch(ctx, *c, std::move(body));
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
    json out = json::array();
    size_t i = 0;
    for (const auto& s : body["searches"]) {
      auto r = RunSearch(ctx, *c, s);
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
    json out = json::array();
    for (const auto& h : result.hits) out.push_back(ScoredPointToJson(h));
    return out;
  }));
}

}  // namespace latentdb::http
