// Collection: attachments, the named JSON records kept with a collection (see collection.h).
#include <string>

#include "engine/collection.h"
#include "storage/store.h"

namespace latentdb::engine {

using nlohmann::json;

namespace {

Status CheckNames(const std::string& kind, const std::string& name) {
  LDB_RETURN_IF_ERROR(ValidateName("attachment kind", kind));
  return ValidateName(kind, name);
}

Result<json> ParseStored(const std::string& kind, std::string_view name, std::string_view text,
                         const std::string& collection) {
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Status::Corruption("stored " + kind + " '" + std::string(name) + "' of collection '" + collection +
                              "' is not JSON");
  }
  return value;
}

}  // namespace

Result<bool> Collection::PutAttachment(const std::string& kind, const std::string& name, const json& value) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  LDB_RETURN_IF_ERROR(CheckNames(kind, name));
  std::string text;
  try {
    text = value.dump();  // strict UTF-8: a value that cannot be stored is refused here
  } catch (const std::exception& e) {
    return Status::InvalidArgument(kind + " '" + name + "' cannot be stored as JSON: " + e.what());
  }
  if (text.size() > kMaxAttachmentBytes) {
    return Status::PayloadTooLarge(kind + " '" + name + "' is " + std::to_string(text.size()) +
                                   " bytes of JSON; at most " + std::to_string(kMaxAttachmentBytes) + " are stored");
  }
  return store_->PutAttachment(cid_, kind, name, text);
}

Result<std::optional<json>> Collection::GetAttachment(const std::string& kind, const std::string& name) const {
  LDB_RETURN_IF_ERROR(CheckNames(kind, name));
  LDB_ASSIGN_OR_RETURN(auto text, store_->GetAttachment(cid_, kind, name));
  if (!text) return std::optional<json>();
  LDB_ASSIGN_OR_RETURN(auto value, ParseStored(kind, name, *text, name_));
  return std::optional<json>(std::move(value));
}

Result<std::vector<Attachment>> Collection::ListAttachments(const std::string& kind) const {
  LDB_RETURN_IF_ERROR(ValidateName("attachment kind", kind));
  std::vector<Attachment> out;
  Status bad;
  LDB_RETURN_IF_ERROR(store_->ScanAttachments(cid_, kind, [&](std::string_view name, std::string_view text) {
    auto value = ParseStored(kind, name, text, name_);
    if (!value.ok()) {
      bad = value.status();
      return false;
    }
    out.push_back(Attachment{std::string(name), std::move(value).value()});
    return true;
  }));
  LDB_RETURN_IF_ERROR(bad);
  return out;
}

Result<bool> Collection::DeleteAttachment(const std::string& kind, const std::string& name) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  LDB_RETURN_IF_ERROR(CheckNames(kind, name));
  return store_->DeleteAttachment(cid_, kind, name);
}

}  // namespace latentdb::engine
