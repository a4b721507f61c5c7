#pragma once
// JsonPath: a payload key in Qdrant's JSON path syntax, compiled once and then read from payloads.
//
// Syntax: segments separated by dots ("a.b" reads field b of object a); a segment may be followed
// by [] (every element of an array: "items[].color") or [N] (element N); a segment containing
// dots or brackets is written in double quotes: `"a.b".c`. Arrays met on the way are flattened:
// when `items` is an array of objects, "items.color" reads the color of every element (see
// engine/filter.h for why). Used by filters and by payload indexes, so both read a key the same way.
// Thread-safety: immutable after Parse; any thread.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::engine {

class JsonPath {
 public:
  // InvalidArgument naming the problem ("filter key 'a..b' is not a valid path: empty segment …").
  static Result<JsonPath> Parse(const std::string& key);

  // Appends every value found at the path below `root`, arrays on the way flattened; the value at
  // the end of the path is not flattened (an array there is appended whole). Nulls at the end are
  // appended only with `keep_null` (is_empty / is_null need them; for other readers null is
  // absence). The pointers point into `root`.
  void Collect(const nlohmann::json& root, std::vector<const nlohmann::json*>* out, bool keep_null = false) const;

  // The key as written.
  const std::string& text() const { return text_; }

 private:
  struct Item {
    enum class Kind { kKey, kEach, kIndex } kind;
    std::string key;   // kKey
    size_t index = 0;  // kIndex
  };
  void CollectFrom(const nlohmann::json& node, size_t i, std::vector<const nlohmann::json*>* out, bool keep_null) const;

  std::vector<Item> items_;
  std::string text_;
};

}  // namespace latentdb::engine
