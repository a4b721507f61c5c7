// Word-model routes (words):
//   GET  /models                                 the registered word models (manifests)
//   GET  /models/{model}                         one manifest
//   GET  /words/{model}/{word}/neighbors?k=10    gensim most_similar(word)
//   GET  /words/{model}/similarity?a=…&b=…       gensim similarity(a, b)
//   POST /words/{model}/analogy                  {"positive","negative","k","method","restrict_vocab"}
//   POST /words/{model}/odd-one-out              {"words":[…]}  gensim doesnt_match
//   POST /words/{model}/vector                   {"words":[…]} | {"text":"…"}
// Models are opened on first use (inference::Models); one that fails to load answers errors for
// itself only.
#include <memory>

#include "common/logging.h"
#include "models/model_registry.h"
#include "words/word_model.h"
#include "http/codec.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

namespace {

json ScoresToJson(const std::vector<words::WordScore>& hits) {
  json out = json::array();
  for (const auto& h : hits) out.push_back({{"word", h.word}, {"score", h.score}});
  return out;
}

// An optional array of non-empty strings.
Result<std::vector<std::string>> WordList(const json& body, const char* key) {
  std::vector<std::string> out;
  if (!body.contains(key) || body[key].is_null()) return out;
  const json& a = body[key];
  if (!a.is_array()) return Status::InvalidArgument(std::string(key) + " must be an array of words");
  if (a.size() > words::kMaxWordsPerRequest) {
    return Status::InvalidArgument(std::string(key) + ": at most " + std::to_string(words::kMaxWordsPerRequest) + " words");
  }
  for (const auto& w : a) {
    if (!w.is_string() || w.get<std::string>().empty()) return Status::InvalidArgument(std::string(key) + " must hold non-empty strings");
    out.push_back(w.get<std::string>());
  }
  return out;
}


}  // namespace

void RegisterWordRoutes(Router& router, const HandlerContext& ctx) {
  auto model = [ctx](const PathParams& p) { return NamedWordModel(ctx, p.at("model")); };
  std::string data_dir = ctx.db->options().data_dir;
  // Report broken models at startup (cheap checks only: the manifest and its collection); they
  // answer errors for their own routes while everything else serves.
  for (const auto& m : models::ListManifests(data_dir)) {
    std::string name = m.value("name", std::string());
    if (m.contains("error")) {
      LogError("model '" + name + "' is unusable: " + m["error"].get<std::string>());
    } else if (m.value("kind", std::string("word2vec")) == "word2vec" && !ctx.db->GetCollection(name).ok()) {
      LogError("word model '" + name + "' has no collection; its routes will answer 404");
    }
  }

  router.Add("GET", "/models", JsonRoute([data_dir](const HttpRequest&, const PathParams&) -> Result<json> {
    json out = json::array();
    for (auto& m : models::ListManifests(data_dir)) out.push_back(std::move(m));
    return out;
  }));
  router.Add("GET", "/models/{model}", JsonRoute([data_dir](const HttpRequest&, const PathParams& p) -> Result<json> {
    return models::ReadManifest(data_dir, p.at("model"));
  }));
  router.Add("GET", "/words/{model}/{word}/neighbors", JsonRoute([model](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(size_t k, QueryCount(req, "k", 10, 1, engine::kMaxK));
    LDB_ASSIGN_OR_RETURN(auto m, model(p));
    LDB_ASSIGN_OR_RETURN(auto hits, m->Neighbors(p.at("word"), k));
    return ScoresToJson(hits);
  }));
  router.Add("GET", "/words/{model}/similarity", JsonRoute([model](const HttpRequest& req, const PathParams& p) -> Result<json> {
    auto a = req.query.find("a"), b = req.query.find("b");
    if (a == req.query.end() || b == req.query.end() || a->second.empty() || b->second.empty()) {
      return Status::InvalidArgument("similarity needs the query parameters a and b");
    }
    LDB_ASSIGN_OR_RETURN(auto m, model(p));
    LDB_ASSIGN_OR_RETURN(double s, m->Similarity(a->second, b->second));
    return json{{"a", a->second}, {"b", b->second}, {"similarity", s}};
  }));
  router.Add("POST", "/words/{model}/analogy", JsonRoute([model](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    LDB_ASSIGN_OR_RETURN(auto positive, WordList(body, "positive"));
    LDB_ASSIGN_OR_RETURN(auto negative, WordList(body, "negative"));
    if (positive.empty() && negative.empty()) return Status::InvalidArgument("positive and negative are both empty");
    LDB_ASSIGN_OR_RETURN(size_t k, ParseCount(body, "k", 10, 1, engine::kMaxK));
    LDB_ASSIGN_OR_RETURN(size_t restrict_vocab, ParseCount(body, "restrict_vocab", 0, 0, size_t{1} << 40));
    std::string method = "3cosadd";
    if (body.contains("method")) {
      if (!body["method"].is_string()) return Status::InvalidArgument("method must be \"3cosadd\" or \"3cosmul\"");
      method = body["method"].get<std::string>();
    }
    if (method != "3cosadd" && method != "3cosmul") return Status::InvalidArgument("method must be \"3cosadd\" or \"3cosmul\"");
    LDB_ASSIGN_OR_RETURN(auto m, model(p));
    LDB_ASSIGN_OR_RETURN(auto hits, m->Analogy(positive, negative, k, method == "3cosmul", restrict_vocab));
    return ScoresToJson(hits);
  }));
  router.Add("POST", "/words/{model}/odd-one-out", JsonRoute([model](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    if (!body.contains("words")) return Status::InvalidArgument("body must be {\"words\":[…]}");
    LDB_ASSIGN_OR_RETURN(auto list, WordList(body, "words"));
    if (list.empty()) return Status::InvalidArgument("words is empty");
    LDB_ASSIGN_OR_RETURN(auto m, model(p));
    LDB_ASSIGN_OR_RETURN(auto r, m->OddOneOut(list));
    return json{{"word", r.word}, {"scores", ScoresToJson(r.scores)}};
  }));
  router.Add("POST", "/words/{model}/vector", JsonRoute([model](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    bool has_text = body.contains("text"), has_words = body.contains("words");
    if (has_text == has_words) return Status::InvalidArgument("body must be {\"words\":[…]} or {\"text\":\"…\"}");
    if (has_text) {
      if (!body["text"].is_string()) return Status::InvalidArgument("text must be a string");
      LDB_ASSIGN_OR_RETURN(auto m, model(p));
      LDB_ASSIGN_OR_RETURN(auto r, m->TextVector(body["text"].get<std::string>()));
      return json{{"vector", VectorToJson(r.vector)}, {"tokens", r.tokens}, {"unknown", r.unknown}};
    }
    LDB_ASSIGN_OR_RETURN(auto list, WordList(body, "words"));
    if (list.empty()) return Status::InvalidArgument("words is empty");
    LDB_ASSIGN_OR_RETURN(auto m, model(p));
    LDB_RETURN_IF_ERROR(CheckAnswerSize(list.size(), list.size() * m->dim(), "this request"));
    json out = json::array();
    for (const auto& w : list) {
      LDB_ASSIGN_OR_RETURN(auto v, m->Vector(w));
      out.push_back({{"word", w}, {"vector", VectorToJson(v.vector)}, {"oov", v.oov}});
    }
    return out;
  }));
}

}  // namespace latentdb::http
