#include "http/cluster/shard_merge.h"

#include <algorithm>
#include <map>

namespace latentdb::http::cluster_routing {

using nlohmann::json;

bool IdBefore(const json& a, const json& b) {
  const bool a_int = a.is_number_unsigned() || a.is_number_integer();
  const bool b_int = b.is_number_unsigned() || b.is_number_integer();
  if (a_int != b_int) return a_int;
  if (a_int) return a.get<uint64_t>() < b.get<uint64_t>();
  return a.get<std::string>() < b.get<std::string>();  // std::string compares bytes as unsigned char
}

json MergeScored(const std::vector<json>& lists, size_t offset, size_t limit, bool ascending) {
  std::vector<const json*> all;
  for (const auto& list : lists) {
    if (!list.is_array()) continue;
    for (const auto& p : list) all.push_back(&p);
  }
  auto better = [ascending](const json* a, const json* b) {
    const double sa = (*a)["score"].get<double>(), sb = (*b)["score"].get<double>();
    if (sa != sb) return ascending ? sa < sb : sa > sb;
    return IdBefore((*a)["id"], (*b)["id"]);
  };
  const size_t end = std::min(all.size(), offset + limit);
  if (end <= offset) return json::array();
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(end), all.end(), better);
  json out = json::array();
  for (size_t i = offset; i < end; ++i) out.push_back(*all[i]);
  return out;
}

json MergeScrollPages(const std::vector<json>& pages, size_t limit) {
  std::vector<const json*> points;
  std::vector<const json*> next_offsets;
  for (const auto& page : pages) {
    if (page.contains("points") && page["points"].is_array()) {
      for (const auto& p : page["points"]) points.push_back(&p);
    }
    if (page.contains("next_page_offset") && !page["next_page_offset"].is_null()) {
      next_offsets.push_back(&page["next_page_offset"]);
    }
  }
  auto by_id = [](const json* a, const json* b) { return IdBefore((*a)["id"], (*b)["id"]); };
  std::sort(points.begin(), points.end(), by_id);
  json out_points = json::array();
  for (size_t i = 0; i < points.size() && i < limit; ++i) out_points.push_back(*points[i]);
  // The next page starts at the first id not returned: the next point of the merged pages, or a
  // shard's own next offset, whichever comes first.
  const json* next = points.size() > limit ? &(*points[limit])["id"] : nullptr;
  for (const json* o : next_offsets) {
    if (next == nullptr || IdBefore(*o, *next)) next = o;
  }
  return json{{"points", std::move(out_points)}, {"next_page_offset", next ? *next : json(nullptr)}};
}

json OrderByIds(const json& ids, const std::vector<json>& answers) {
  std::map<std::string, const json*> found;  // by the id's JSON text: 7 and "7" stay distinct
  for (const auto& a : answers) {
    if (!a.is_array()) continue;
    for (const auto& p : a) found.emplace(p["id"].dump(), &p);
  }
  json out = json::array();
  for (const auto& id : ids) {
    auto it = found.find(id.dump());
    if (it == found.end() || it->second == nullptr) continue;
    out.push_back(*it->second);
    it->second = nullptr;  // each id once
  }
  return out;
}

}  // namespace latentdb::http::cluster_routing
