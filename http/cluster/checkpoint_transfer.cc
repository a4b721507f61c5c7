#include "http/cluster/checkpoint_transfer.h"

#include <filesystem>
#include <system_error>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/logging.h"
#include "http/cluster/shard_replication.h"
#include "http/error_mapping.h"

namespace latentdb::http {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSenderFile = "sender";  // in the staging directory, beside store/

HttpResponse Answer(const json& body) {
  HttpResponse r;
  r.body = body.dump();
  return r;
}

}  // namespace

bool IsCheckpointFileName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '-' || c == '_';
    if (!plain) return false;
  }
  return true;
}

std::string CheckpointManifest::ToJson() const {
  json files = json::array();
  for (const auto& f : this->files) files.push_back({{"name", f.name}, {"size", f.size}});
  return json{{"files", files}}.dump();
}

Result<CheckpointManifest> CheckpointManifest::FromJson(std::string_view text) {
  const json body = json::parse(text, nullptr, false);
  if (!body.is_object() || !body.contains("files") || !body["files"].is_array()) {
    return Status::InvalidArgument("a checkpoint manifest must be {\"files\": [{\"name\", \"size\"}, ...]}");
  }
  CheckpointManifest m;
  for (const json& f : body["files"]) {
    if (!f.is_object() || !f.value("name", json()).is_string() || !f.value("size", json()).is_number_unsigned()) {
      return Status::InvalidArgument("a checkpoint manifest's file must be {\"name\": string, \"size\": integer}");
    }
    File file{f["name"].get<std::string>(), f["size"].get<uint64_t>()};
    if (!IsCheckpointFileName(file.name)) {
      return Status::InvalidArgument("'" + file.name + "' is not the name of a checkpoint's file");
    }
    m.files.push_back(std::move(file));
  }
  if (m.files.empty()) return Status::InvalidArgument("a checkpoint manifest lists no file");
  return m;
}

Result<CheckpointManifest> CheckpointManifest::OfDirectory(const std::string& dir) {
  CheckpointManifest m;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const uint64_t size = entry.file_size(ec);
    if (ec) break;
    m.files.push_back({entry.path().filename().string(), size});
  }
  if (ec) return Status::IOError("listing the checkpoint " + dir + ": " + ec.message());
  return m;
}

Status CheckpointReceiver::CheckSender(const ShardCopyId& id, const std::string& sender) const {
  auto began = ReadWholeFile(Staging(id) + "/" + kSenderFile);
  if (!began.ok() || *began != sender) {
    return Status::Conflict("no checkpoint transfer of " + sender + " was begun for this copy");
  }
  return Status::Ok();
}

HttpResponse CheckpointReceiver::Begin(const ShardCopyId& id, const std::string& sender) {
  const std::string staging = Staging(id);
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (ec) return ErrorResponse(Status::IOError("emptying " + staging + ": " + ec.message()));
  if (Status s = CreateDirectories(staging + "/store"); !s.ok()) return ErrorResponse(s);
  if (Status s = WriteFileAtomically(staging + "/" + kSenderFile, sender); !s.ok()) return ErrorResponse(s);
  return Answer({{"staged", true}});
}

HttpResponse CheckpointReceiver::Chunk(const ShardCopyId& id, const std::string& sender, const HttpRequest& request) {
  if (Status s = CheckSender(id, sender); !s.ok()) return ErrorResponse(s);
  auto file = request.query.find("file");
  auto offset_text = request.query.find("offset");
  if (file == request.query.end() || !IsCheckpointFileName(file->second)) {
    return ErrorResponse(Status::InvalidArgument("a checkpoint chunk needs ?file=<a checkpoint file's name>"));
  }
  if (offset_text == request.query.end() || offset_text->second.empty() || offset_text->second.size() > 19 ||
      offset_text->second.find_first_not_of("0123456789") != std::string::npos) {
    return ErrorResponse(Status::InvalidArgument("a checkpoint chunk needs ?offset=<bytes already sent>"));
  }
  const uint64_t offset = std::stoull(offset_text->second);
  const std::string path = Staging(id) + "/store/" + file->second;
  std::error_code ec;
  const uint64_t staged = fs::exists(path, ec) ? fs::file_size(path, ec) : 0;
  if (ec) return ErrorResponse(Status::IOError("reading the size of " + path + ": " + ec.message()));
  if (offset != staged) {
    return ErrorResponse(Status::Conflict("the chunk of " + file->second + " starts at byte " + std::to_string(offset) +
                                          ", but " + std::to_string(staged) + " are staged"));
  }
  if (Status s = AppendToFile(path, request.body); !s.ok()) return ErrorResponse(s);
  return Answer({{"staged", offset + request.body.size()}});
}

HttpResponse CheckpointReceiver::Install(const ShardCopyId& id, const std::string& sender, uint64_t epoch,
                                         const HttpRequest& request) {
  if (Status s = CheckSender(id, sender); !s.ok()) return ErrorResponse(s);
  auto manifest = CheckpointManifest::FromJson(request.body);
  if (!manifest.ok()) return ErrorResponse(manifest.status());
  const std::string store = Staging(id) + "/store";
  for (const auto& f : manifest->files) {
    const std::string path = store + "/" + f.name;
    std::error_code ec;
    const uint64_t size = fs::exists(path, ec) ? fs::file_size(path, ec) : 0;
    if (ec || size != f.size || !fs::exists(path, ec)) {
      return ErrorResponse(Status::Conflict("the checkpoint's " + f.name + " is staged with " + std::to_string(size) +
                                            " bytes, not " + std::to_string(f.size)));
    }
    if (Status s = FsyncFile(path); !s.ok()) return ErrorResponse(s);
  }
  if (Status s = FsyncDirectoryOf(store + "/."); !s.ok()) return ErrorResponse(s);
  auto copy = copies_->Install(id, store, epoch);
  std::error_code ec;
  fs::remove_all(Staging(id), ec);
  if (!copy.ok()) return ErrorResponse(copy.status());
  LogInfo("shard " + std::to_string(id.shard) + " of '" + id.collection + "': installed a checkpoint of " +
          std::to_string(manifest->files.size()) + " files from its primary (" + sender + "), at sequence " +
          std::to_string((*copy)->db->WalSequence()));
  return ShardReplication::Position(**copy);
}

}  // namespace latentdb::http
