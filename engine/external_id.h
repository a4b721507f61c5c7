#pragma once
// External point ids: what users call their points — an unsigned integer or a string.
// They are encoded into a byte key for the store: 'u' + 8 bytes big-endian, or 's' + UTF-8 bytes,
// so 7 and "7" are different ids, as in Qdrant.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <variant>

#include "common/result.h"

namespace latentdb::engine {

class ExternalId {
 public:
  ExternalId() : value_(uint64_t{0}) {}
  explicit ExternalId(uint64_t v) : value_(v) {}
  explicit ExternalId(std::string v) : value_(std::move(v)) {}

  // Accepts a non-negative integer or a non-empty string of at most 512 bytes.
  static Result<ExternalId> FromJson(const nlohmann::json& j);
  // Parses a URL path segment: all digits (up to 2^64-1) means an integer id, else a string.
  static ExternalId FromPathSegment(const std::string& s);
  static Result<ExternalId> FromKey(const std::string& key);

  nlohmann::json ToJson() const;
  std::string ToKey() const;
  std::string ToString() const;  // for messages: 42 or "abc"

  bool operator==(const ExternalId& o) const { return value_ == o.value_; }

 private:
  std::variant<uint64_t, std::string> value_;
};

}  // namespace latentdb::engine
