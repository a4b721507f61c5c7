#include "engine/external_id.h"

#include "common/coding.h"

namespace latentdb::engine {

Result<ExternalId> ExternalId::FromJson(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return ExternalId(j.get<uint64_t>());
  if (j.is_number_integer()) {
    return Status::InvalidArgument("point id must be an unsigned integer or a string (got " + j.dump() + ")");
  }
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s.empty()) return Status::InvalidArgument("point id must not be an empty string");
    if (s.size() > 512) return Status::InvalidArgument("point id is longer than 512 bytes");
    return ExternalId(s);
  }
  return Status::InvalidArgument("point id must be an unsigned integer or a string (got " + j.dump() + ")");
}

ExternalId ExternalId::FromPathSegment(const std::string& s) {
  if (!s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos) {
    try {
      size_t used = 0;
      unsigned long long v = std::stoull(s, &used, 10);
      if (used == s.size()) return ExternalId(static_cast<uint64_t>(v));
    } catch (const std::exception&) {
      // out of range: treat as a string id
    }
  }
  return ExternalId(s);
}

Result<ExternalId> ExternalId::FromKey(const std::string& key) {
  if (key.size() == 9 && key[0] == 'u') return ExternalId(DecodeFixed64BE(key.data() + 1));
  if (key.size() >= 2 && key[0] == 's') return ExternalId(key.substr(1));
  return Status::Corruption("malformed external id key");
}

nlohmann::json ExternalId::ToJson() const {
  if (const auto* u = std::get_if<uint64_t>(&value_)) return *u;
  return std::get<std::string>(value_);
}

std::string ExternalId::ToKey() const {
  std::string key;
  if (const auto* u = std::get_if<uint64_t>(&value_)) {
    key.push_back('u');
    PutFixed64BE(&key, *u);
  } else {
    key.push_back('s');
    key += std::get<std::string>(value_);
  }
  return key;
}

// Ids from URL paths may hold any bytes: never throw on invalid UTF-8 while describing one.
std::string ExternalId::ToString() const {
  return ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace latentdb::engine
