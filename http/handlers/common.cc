#include <charconv>
#include <chrono>

#include "http/error_mapping.h"
#include "http/handlers/handlers.h"
#include "http/json_body.h"
#include "words/word_model.h"

namespace latentdb::http {

using nlohmann::json;

HttpResponse EnvelopeResponse(json result, double seconds) {
  HttpResponse r;
  json envelope = {{"result", std::move(result)}, {"status", "ok"}, {"time", seconds}};
  r.body = envelope.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

RouteHandler JsonRoute(JsonHandlerFn fn) {
  return [fn = std::move(fn)](const HttpRequest& req, const PathParams& params) {
    auto start = std::chrono::steady_clock::now();
    Result<json> result = fn(req, params);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!result.ok()) return ErrorResponse(result.status(), secs);
    return EnvelopeResponse(std::move(result).value(), secs);
  };
}

RouteHandler RawRoute(RawHandlerFn fn) {
  return [fn = std::move(fn)](const HttpRequest& req, const PathParams& params) {
    auto start = std::chrono::steady_clock::now();
    Result<HttpResponse> result = fn(req, params);
    if (result.ok()) return std::move(result).value();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return ErrorResponse(result.status(), secs);
  };
}

HttpResponse PngResponse(std::string png) {
  HttpResponse r;
  r.content_type = "image/png";
  r.body = std::move(png);
  return r;
}

Result<size_t> QueryCount(const HttpRequest& req, const std::string& key, size_t fallback, size_t min, size_t max) {
  auto it = req.query.find(key);
  if (it == req.query.end()) return fallback;
  const std::string& text = it->second;
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value < min || value > max) {
    return Status::InvalidArgument("query parameter '" + key + "' must be an integer between " + std::to_string(min) +
                                   " and " + std::to_string(max));
  }
  return value;
}

Result<bool> QueryBool(const HttpRequest& req, const std::string& key, bool fallback) {
  auto it = req.query.find(key);
  if (it == req.query.end()) return fallback;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  return Status::InvalidArgument("query parameter '" + key + "' must be true or false");
}

Result<json> BodyJson(const HttpRequest& req) { return ParseJsonBody(req.body); }

Result<json> ObjectBody(const HttpRequest& req, bool empty_is_object) {
  if (empty_is_object && req.body.empty()) return json::object();
  LDB_ASSIGN_OR_RETURN(json body, BodyJson(req));
  if (!body.is_object()) return Status::InvalidArgument("body must be a JSON object");
  return body;
}

Result<size_t> EncoderDim(const HandlerContext& ctx, const std::string& encoder) {
  auto model = ctx.models->Get(encoder);
  if (!model.ok()) {
    if (model.status().code() == StatusCode::kNotFound) {
      return Status::InvalidArgument("encoder '" + encoder + "' is not a registered model");
    }
    return Status::InvalidArgument("encoder '" + encoder + "' does not load: " + model.status().message());
  }
  return (*model)->dim();
}

Status CheckEncoder(const HandlerContext& ctx, const std::string& encoder, size_t dim) {
  LDB_ASSIGN_OR_RETURN(size_t model_dim, EncoderDim(ctx, encoder));
  if (model_dim != dim) {
    return Status::InvalidArgument("encoder '" + encoder + "' gives " + std::to_string(model_dim) +
                                   "-d vectors, the collection is " + std::to_string(dim) + "-d");
  }
  return Status::Ok();
}

Result<std::shared_ptr<words::WordModel>> NamedWordModel(const HandlerContext& ctx, const std::string& name) {
  LDB_ASSIGN_OR_RETURN(auto encoder, ctx.models->Get(name));
  if (!encoder->word_model()) {
    return Status::InvalidArgument("model '" + name + "' is a " + encoder->kind() + " image model, not a word model");
  }
  return encoder->word_model();
}

Result<engine::ExternalId> PathId(const PathParams& params) {
  const std::string& s = params.at("id");
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
      return Status::InvalidArgument("point id " + s + " in the path is an integer over 2^64 - 1; a string id made "
                                     "of digits cannot be named in a path: send it in a JSON body (e.g. POST "
                                     "/collections/{c}/points {\"ids\":[\"" + s + "\"]})");
    }
    return engine::ExternalId(v);
  }
  return engine::ExternalId::FromJson(json(s));  // the string as sent (length checked)
}

Result<std::shared_ptr<engine::Collection>> PathCollection(const HandlerContext& ctx, const PathParams& params) {
  const std::string& name = params.at("collection");
  LDB_RETURN_IF_ERROR(engine::ValidateCollectionName(name));
  return ctx.db->GetCollection(name);
}

}  // namespace latentdb::http
