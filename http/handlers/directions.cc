// Attribute directions of a collection, and edits along them (latent/directions.h has the
// methods, their sources, limits and errors). Any collection: VAE, GAN, CNN, word model, vectors.
//   POST   /collections/{c}/directions          {"name", "method": "mean_difference"|"linear"|"pca",
//                                                "from": filter, "to": filter, "component": k,
//                                                "orthogonal_to": [names]} → the stored direction
//                                               (?with_vector=true adds its vector). A name that
//                                               exists is replaced ("replaced": true says so).
//   GET    /collections/{c}/directions          {"directions": [...]} without vectors (?with_vector=true)
//   GET    /collections/{c}/directions/{name}   one direction with its vector (404 when absent)
//   PUT    /collections/{c}/directions/{name}   a direction record (as GET gives it, with its
//                                               "vector"; latent::DirectionFromRecord) stored as
//                                               given, its vector scaled to unit length: a direction
//                                               learned elsewhere, or another collection's
//                                               → the stored direction ("replaced" as POST)
//   DELETE /collections/{c}/directions/{name}   404 when absent
//   POST   /collections/{c}/edit                {"from": id | vector | {"text"} | {"image"},
//                                                "direction": name, "strengths": [...], "k": 5,
//                                                "with_images": bool, "with_payload": bool}
//       → {"direction", "start", "steps": [{"strength", "vector", "neighbors", "image"?, …}]}
// Texts and images in "from" are encoded exactly as a search's (inference::EncodeQuery). Images
// of the steps: by default when the collection's encoder is generative (a VAE or a GAN), decoded
// through latent/decode.h like interpolation and sampling; "with_images": true on any other
// collection is 400; false never decodes. Every refused request changes nothing stored.
#include <chrono>

#include "encoders/image_model.h"
#include "latent/directions.h"
#include "http/codec.h"
#include "http/handlers/handlers.h"

namespace latentdb::http {

using nlohmann::json;

namespace {


Result<std::string> DirectionName(const json& value, const char* what) {
  if (!value.is_string()) return Status::InvalidArgument(std::string("\"") + what + "\" must be a direction name");
  std::string name = value.get<std::string>();
  LDB_RETURN_IF_ERROR(engine::ValidateName(latent::kDirectionKind, name));
  return name;
}

Result<std::string> PathDirection(const PathParams& p) {
  const std::string& name = p.at("name");
  LDB_RETURN_IF_ERROR(engine::ValidateName(latent::kDirectionKind, name));
  return name;
}

// A filter of "from" / "to", or null when absent.
Result<std::shared_ptr<const engine::Filter>> SetFilter(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::shared_ptr<const engine::Filter>();
  auto f = engine::Filter::Parse(body[key]);
  if (!f.ok()) return f.status().WithContext(std::string("\"") + key + "\"");
  return f;
}

}  // namespace

Result<latent::DirectionRequest> ParseDirectionRequest(const json& body) {
  latent::DirectionRequest r;
  if (!body.contains("name")) return Status::InvalidArgument("missing \"name\": the direction's name");
  LDB_ASSIGN_OR_RETURN(r.name, DirectionName(body["name"], "name"));
  if (!body.contains("method") || !body["method"].is_string()) {
    return Status::InvalidArgument("\"method\" must be \"mean_difference\", \"linear\" or \"pca\"");
  }
  LDB_ASSIGN_OR_RETURN(r.method, latent::ParseDirectionMethod(body["method"].get<std::string>()));
  LDB_ASSIGN_OR_RETURN(r.from, SetFilter(body, "from"));
  LDB_ASSIGN_OR_RETURN(r.to, SetFilter(body, "to"));
  if (r.from) r.from_spec = body["from"];
  if (r.to) r.to_spec = body["to"];
  if (body.contains("component") && !body["component"].is_null()) {
    LDB_ASSIGN_OR_RETURN(r.component, ParseCount(body, "component", 0, 0, latent::kMaxPcaComponents - 1));
  }
  if (body.contains("orthogonal_to") && !body["orthogonal_to"].is_null()) {
    const json& names = body["orthogonal_to"];
    if (!names.is_array()) return Status::InvalidArgument("\"orthogonal_to\" must be an array of direction names");
    if (names.size() > latent::kMaxOrthogonalTo) {
      return Status::InvalidArgument("\"orthogonal_to\" names at most " + std::to_string(latent::kMaxOrthogonalTo) +
                                     " directions");
    }
    for (const auto& n : names) {
      LDB_ASSIGN_OR_RETURN(auto name, DirectionName(n, "orthogonal_to"));
      r.orthogonal_to.push_back(std::move(name));
    }
  }
  return r;
}

namespace {

Result<std::vector<double>> ParseStrengths(const json& body) {
  if (!body.contains("strengths") || !body["strengths"].is_array()) {
    return Status::InvalidArgument("\"strengths\" must be an array of numbers, e.g. [-2, -1, 0, 1, 2]");
  }
  const json& s = body["strengths"];
  if (s.empty() || s.size() > latent::kMaxEditStrengths) {
    return Status::InvalidArgument("\"strengths\" must hold 1 to " + std::to_string(latent::kMaxEditStrengths) +
                                   " numbers, not " + std::to_string(s.size()));
  }
  std::vector<double> out;
  for (const auto& v : s) {
    if (!v.is_number()) return Status::InvalidArgument("\"strengths\" must contain only numbers");
    out.push_back(v.get<double>());
  }
  return out;
}

Result<bool> OptionalBool(const json& body, const char* key, bool fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  if (!body[key].is_boolean()) return Status::InvalidArgument(std::string("\"") + key + "\" must be true or false");
  return body[key].get<bool>();
}

// The model that decodes the edit's steps, or null for none: "with_images" true requires a
// generative encoder (400 otherwise), false never decodes, absent decodes when there is one.
Result<std::shared_ptr<encoders::ImageModel>> EditDecoder(const HandlerContext& ctx, const engine::Collection& c,
                                                          const json& body) {
  if (body.contains("with_images") && !body["with_images"].is_null()) {
    LDB_ASSIGN_OR_RETURN(bool with_images, OptionalBool(body, "with_images", false));
    if (!with_images) return std::shared_ptr<encoders::ImageModel>();
    return CollectionGenerativeModel(ctx, c);
  }
  if (!c.config().encoder) return std::shared_ptr<encoders::ImageModel>();
  auto model = CollectionImageModel(ctx, c);
  if (!model.ok()) {
    // A word-model encoder is no image model (InvalidArgument): no images. A model that fails to
    // load is an error the caller should see, not a silent answer without images.
    if (model.status().code() == StatusCode::kInvalidArgument) return std::shared_ptr<encoders::ImageModel>();
    return model.status();
  }
  if (!(*model)->generative()) return std::shared_ptr<encoders::ImageModel>();
  return model;
}

}  // namespace

void RegisterDirectionRoutes(Router& router, const HandlerContext& ctx) {
  router.Add("POST", "/collections/{collection}/directions", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(bool with_vector, QueryBool(req, "with_vector", false));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    LDB_ASSIGN_OR_RETURN(auto request, ParseDirectionRequest(body));
    LDB_ASSIGN_OR_RETURN(auto direction, latent::LearnDirection(*c, request));
    LDB_ASSIGN_OR_RETURN(bool replaced, latent::StoreDirection(*c, direction));
    json out = latent::DirectionToJson(direction, with_vector);
    out["replaced"] = replaced;
    return out;
  }));
  router.Add("GET", "/collections/{collection}/directions", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(bool with_vector, QueryBool(req, "with_vector", false));
    LDB_ASSIGN_OR_RETURN(auto list, latent::ListDirections(*c));
    json out = json::array();
    for (const auto& d : list) out.push_back(latent::DirectionToJson(d, with_vector));
    return json{{"directions", std::move(out)}};
  }));
  router.Add("GET", "/collections/{collection}/directions/{name}", JsonRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto name, PathDirection(p));
    LDB_ASSIGN_OR_RETURN(auto d, latent::GetDirection(*c, name));
    return latent::DirectionToJson(d, true);
  }));
  router.Add("PUT", "/collections/{collection}/directions/{name}", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto name, PathDirection(p));
    LDB_ASSIGN_OR_RETURN(bool with_vector, QueryBool(req, "with_vector", false));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    LDB_ASSIGN_OR_RETURN(auto direction, latent::DirectionFromRecord(body, name));
    LDB_ASSIGN_OR_RETURN(bool replaced, latent::StoreDirection(*c, direction));
    json out = latent::DirectionToJson(direction, with_vector);
    out["replaced"] = replaced;
    return out;
  }));
  router.Add("DELETE", "/collections/{collection}/directions/{name}", JsonRoute([ctx](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(auto name, PathDirection(p));
    LDB_RETURN_IF_ERROR(latent::DeleteDirection(*c, name));
    return json(true);
  }));

  router.Add("POST", "/collections/{collection}/edit", JsonRoute([ctx](const HttpRequest& req, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto c, PathCollection(ctx, p));
    LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
    if (!body.contains("direction")) return Status::InvalidArgument("missing \"direction\": the name of a stored direction");
    LDB_ASSIGN_OR_RETURN(auto name, DirectionName(body["direction"], "direction"));
    LDB_ASSIGN_OR_RETURN(auto strengths, ParseStrengths(body));
    LDB_ASSIGN_OR_RETURN(size_t k, ParseCount(body, "k", 5, 1, latent::kMaxEditNeighbors));
    LDB_ASSIGN_OR_RETURN(bool with_payload, OptionalBool(body, "with_payload", true));
    LDB_ASSIGN_OR_RETURN(auto source, ParseLatentSource(body.contains("from") ? body["from"] : json(), "from"));
    LDB_ASSIGN_OR_RETURN(auto direction, latent::GetDirection(*c, name));
    LDB_ASSIGN_OR_RETURN(auto decoder, EditDecoder(ctx, *c, body));
    PixelBudget pixels;
    std::vector<float> start;
    if (source.id) {
      LDB_ASSIGN_OR_RETURN(start, c->VectorOf(*source.id));
    } else if (source.input->kind == inference::Input::Kind::kVector) {
      start = std::move(source.input->vector);
    } else {
      LDB_ASSIGN_OR_RETURN(start, inference::EncodeQuery(*ctx.models, *c, std::move(*source.input), kImageLimits, pixels));
    }
    LDB_ASSIGN_OR_RETURN(auto steps, latent::EditAlong(*c, start, direction, strengths, k, decoder.get(),
                                                       [&pixels](uint64_t n) { return pixels.Spend(n); }));
    AnswerBudget answer;
    json out_steps = json::array();
    for (auto& step : steps) {
      if (!with_payload) {
        for (auto& hit : step.neighbors) hit.payload.reset();
      }
      LDB_ASSIGN_OR_RETURN(json neighbors, ScoredPointsToJson(step.neighbors, answer));
      json item = {{"strength", step.strength}, {"vector", VectorToJson(step.latent)}, {"neighbors", std::move(neighbors)}};
      if (step.image) AddImageJson(*step.image, &item);
      out_steps.push_back(std::move(item));
    }
    return json{{"direction", direction.name}, {"start", VectorToJson(start)}, {"steps", std::move(out_steps)}};
  }));
}

}  // namespace latentdb::http
