#include "engine/json_path.h"

namespace latentdb::engine {

using nlohmann::json;

Result<JsonPath> JsonPath::Parse(const std::string& key) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("filter key '" + key + "' is not a valid path: " + why +
                                   " (use a.b, items[].color, items[0].color or \"a.b\".c)");
  };
  JsonPath path;
  path.text_ = key;
  size_t i = 0;
  while (true) {
    Item item{Item::Kind::kKey, {}, 0};
    if (i < key.size() && key[i] == '"') {
      size_t close = key.find('"', i + 1);
      if (close == std::string::npos) return bad("unclosed quote");
      item.key = key.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      size_t end = key.find_first_of(".[\"", i);
      if (end == std::string::npos) end = key.size();
      if (end < key.size() && key[end] == '"') return bad("a quote inside a segment");
      item.key = key.substr(i, end - i);
      i = end;
    }
    if (item.key.empty()) return bad("empty segment");
    path.items_.push_back(std::move(item));
    while (i < key.size() && key[i] == '[') {
      size_t close = key.find(']', i);
      if (close == std::string::npos) return bad("unclosed [");
      const std::string inside = key.substr(i + 1, close - i - 1);
      if (inside.empty()) {
        path.items_.push_back({Item::Kind::kEach, {}, 0});
      } else if (inside.size() <= 9 && inside.find_first_not_of("0123456789") == std::string::npos) {
        path.items_.push_back({Item::Kind::kIndex, {}, static_cast<size_t>(std::stoul(inside))});
      } else {
        return bad("[" + inside + "] is not [] or an index");
      }
      i = close + 1;
    }
    if (i == key.size()) return path;
    if (key[i] != '.') return bad("unexpected '" + std::string(1, key[i]) + "'");
    ++i;
  }
}

void JsonPath::Collect(const json& root, std::vector<const json*>* out, bool keep_null) const {
  CollectFrom(root, 0, out, keep_null);
}

void JsonPath::CollectFrom(const json& node, size_t i, std::vector<const json*>* out, bool keep_null) const {
  if (i == items_.size()) {
    if (keep_null || !node.is_null()) out->push_back(&node);
    return;
  }
  const Item& item = items_[i];
  switch (item.kind) {
    case Item::Kind::kKey:
      if (node.is_object()) {
        auto it = node.find(item.key);
        if (it != node.end()) CollectFrom(*it, i + 1, out, keep_null);
      } else if (node.is_array()) {
        for (const auto& element : node) CollectFrom(element, i, out, keep_null);
      }
      return;
    case Item::Kind::kEach:
      if (node.is_array()) {
        for (const auto& element : node) CollectFrom(element, i + 1, out, keep_null);
      }
      return;
    case Item::Kind::kIndex:
      if (node.is_array() && item.index < node.size()) CollectFrom(node[item.index], i + 1, out, keep_null);
      return;
  }
}

}  // namespace latentdb::engine
