// Snapshot routes, on Qdrant's paths and with Qdrant's answers (engine::Database does the work):
//   POST   /collections/{c}/snapshots                 create → SnapshotDescription
//   GET    /collections/{c}/snapshots                 list   → [SnapshotDescription]
//   GET    /collections/{c}/snapshots/{name}          the file (application/octet-stream, streamed)
//   DELETE /collections/{c}/snapshots/{name}          → true
//   PUT    /collections/{c}/snapshots/recover         {"location", "priority", "checksum"} → true
//   POST   /collections/{c}/snapshots/upload          multipart field "snapshot" (or a raw body) → true
//   POST|GET /snapshots, GET|DELETE /snapshots/{name} the same for whole-database snapshots
// Qdrant's `wait=false` runs in the background; here every call completes before it answers.
#include <filesystem>
#include <system_error>

#include "common/file_util.h"
#include "engine/database.h"
#include "http/handlers/handlers.h"
#include "http/multipart.h"

namespace latentdb::http {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json DescriptionList(const std::vector<engine::SnapshotInfo>& infos) {
  json out = json::array();
  for (const auto& i : infos) out.push_back(engine::SnapshotInfoToJson(i));
  return out;
}

HttpResponse FileResponse(const std::string& path, const std::string& name) {
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.file_path = path;
  r.headers["Content-Disposition"] = "attachment; filename=\"" + name + "\"";
  return r;
}

// Qdrant's `priority` (which copy wins on a replicated cluster): every value means the same on
// one node, so any of Qdrant's is accepted and others refused.
Status CheckPriority(const std::string& priority) {
  if (priority.empty() || priority == "snapshot" || priority == "replica" || priority == "no_sync") return Status::Ok();
  return Status::InvalidArgument("priority must be \"snapshot\", \"replica\" or \"no_sync\", not \"" + priority + "\"");
}

// A recover location: a file:// URL or a path relative to the snapshots folder, which must name
// a file inside that folder (no path traversal, no symlink out of it). Remote URLs are refused:
// the server fetches nothing from the network.
Result<std::string> LocalSnapshotPath(const engine::Database& db, const std::string& location) {
  if (location.empty()) return Status::InvalidArgument("location must name a snapshot file");
  std::string path = location;
  if (location.starts_with("file://")) {
    path = location.substr(7);
  } else if (location.find("://") != std::string::npos) {
    return Status::InvalidArgument("location '" + location + "': only file:// locations inside the snapshots folder (" +
                                   db.SnapshotsDir() + ") are read; upload the file with POST …/snapshots/upload instead");
  } else {
    path = db.SnapshotsDir() + "/" + location;
  }
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(db.SnapshotsDir(), ec);
  const fs::path target = fs::weakly_canonical(path, ec);
  if (ec) return Status::InvalidArgument("location '" + location + "' is not a usable path: " + ec.message());
  const std::string root_text = root.string() + "/";
  if (!target.string().starts_with(root_text)) {
    return Status::InvalidArgument("location '" + location + "' is outside the snapshots folder " + db.SnapshotsDir());
  }
  if (!fs::is_regular_file(target, ec)) return Status::NotFound("no snapshot file at '" + location + "'");
  return target.string();
}

}  // namespace

void RegisterSnapshotRoutes(Router& router, const HandlerContext& ctx) {
  engine::Database* db = ctx.db;
  router.Add("POST", "/collections/{collection}/snapshots", JsonRoute([db](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto info, db->CreateSnapshot(p.at("collection")));
    return engine::SnapshotInfoToJson(info);
  }));
  router.Add("GET", "/collections/{collection}/snapshots", JsonRoute([db](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto infos, db->ListSnapshots(p.at("collection")));
    return DescriptionList(infos);
  }));
  router.Add("GET", "/collections/{collection}/snapshots/{snapshot}",
             RawRoute([db](const HttpRequest&, const PathParams& p) -> Result<HttpResponse> {
               LDB_ASSIGN_OR_RETURN(std::string path, db->SnapshotPath(p.at("collection"), p.at("snapshot")));
               return FileResponse(path, p.at("snapshot"));
             }));
  router.Add("DELETE", "/collections/{collection}/snapshots/{snapshot}",
             JsonRoute([db](const HttpRequest&, const PathParams& p) -> Result<json> {
               LDB_RETURN_IF_ERROR(db->DeleteSnapshot(p.at("collection"), p.at("snapshot")));
               return json(true);
             }));
  router.Add("PUT", "/collections/{collection}/snapshots/recover",
             JsonRoute([db](const HttpRequest& req, const PathParams& p) -> Result<json> {
               LDB_ASSIGN_OR_RETURN(json body, ObjectBody(req));
               std::string location, priority, checksum;
               for (const auto& [key, value] : body.items()) {
                 if (key == "api_key") continue;  // Qdrant's key for a remote location: nothing is fetched
                 std::string* field = key == "location" ? &location
                                      : key == "priority" ? &priority
                                      : key == "checksum" ? &checksum
                                                          : nullptr;
                 if (!field) return Status::InvalidArgument("unknown field '" + key + "' (location, priority, checksum)");
                 if (value.is_null() && key != "location") continue;
                 if (!value.is_string()) return Status::InvalidArgument(key + " must be a string");
                 *field = value.get<std::string>();
               }
               LDB_RETURN_IF_ERROR(CheckPriority(priority));
               LDB_ASSIGN_OR_RETURN(std::string path, LocalSnapshotPath(*db, location));
               LDB_RETURN_IF_ERROR(db->RestoreSnapshot(p.at("collection"), path, checksum).status());
               return json(true);
             }));
  router.Add("POST", "/collections/{collection}/snapshots/upload",
             JsonRoute([db](const HttpRequest& req, const PathParams& p) -> Result<json> {
               auto priority = req.query.find("priority");
               LDB_RETURN_IF_ERROR(CheckPriority(priority == req.query.end() ? "" : priority->second));
               auto checksum = req.query.find("checksum");
               // Qdrant's clients send the file as the multipart field "snapshot"; a raw body
               // (application/octet-stream) is taken as the file itself.
               std::string_view bytes = req.body;
               const std::string content_type = req.Header("content-type");
               if (content_type.starts_with("multipart/")) {
                 LDB_ASSIGN_OR_RETURN(bytes, MultipartField(content_type, req.body, "snapshot"));
               }
               if (bytes.empty()) return Status::InvalidArgument("the upload holds no snapshot file");
               LDB_ASSIGN_OR_RETURN(std::string dir, db->MakeScratchDir());
               const std::string path = dir + "/upload.snapshot";
               Status written = WriteFileAtomically(path, bytes);
               Status restored = written.ok() ? db->RestoreSnapshot(p.at("collection"), path,
                                                                    checksum == req.query.end() ? "" : checksum->second)
                                                    .status()
                                              : written;
               std::error_code ignored;
               fs::remove_all(dir, ignored);
               LDB_RETURN_IF_ERROR(restored);
               return json(true);
             }));

  router.Add("POST", "/snapshots", JsonRoute([db](const HttpRequest&, const PathParams&) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto info, db->CreateFullSnapshot());
    return engine::SnapshotInfoToJson(info);
  }));
  router.Add("GET", "/snapshots", JsonRoute([db](const HttpRequest&, const PathParams&) -> Result<json> {
    LDB_ASSIGN_OR_RETURN(auto infos, db->ListFullSnapshots());
    return DescriptionList(infos);
  }));
  router.Add("GET", "/snapshots/{snapshot}", RawRoute([db](const HttpRequest&, const PathParams& p) -> Result<HttpResponse> {
    LDB_ASSIGN_OR_RETURN(std::string path, db->SnapshotPath("", p.at("snapshot")));
    return FileResponse(path, p.at("snapshot"));
  }));
  router.Add("DELETE", "/snapshots/{snapshot}", JsonRoute([db](const HttpRequest&, const PathParams& p) -> Result<json> {
    LDB_RETURN_IF_ERROR(db->DeleteSnapshot("", p.at("snapshot")));
    return json(true);
  }));
}

}  // namespace latentdb::http
