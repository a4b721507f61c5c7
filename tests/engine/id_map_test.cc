// IdMap against std::unordered_map: random inserts and erases of integer and string keys, through
// rehashes, backward-shift deletions and arena compactions.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <unordered_map>

#include "engine/external_id.h"
#include "engine/id_map.h"

namespace latentdb::engine {
namespace {

std::string RandomKey(std::mt19937_64& rng) {
  if (rng() % 2) return ExternalId(rng() % 5000).ToKey();
  std::string s(1 + rng() % 200, 'x');  // long ones need a two-byte length
  for (auto& c : s) c = static_cast<char>('a' + rng() % 4);
  return ExternalId(s).ToKey();
}

void CheckSame(const IdMap& map, const std::unordered_map<std::string, uint64_t>& model, uint64_t next_iid) {
  REQUIRE(map.size() == model.size());
  std::unordered_map<uint64_t, std::string> by_iid;
  for (const auto& [key, iid] : model) {
    REQUIRE(map.Find(key) == iid);
    REQUIRE(map.KeyOf(iid) == key);
    by_iid[iid] = key;
  }
  for (uint64_t iid = 0; iid < next_iid + 3; ++iid) REQUIRE(map.Contains(iid) == by_iid.count(iid) > 0);
  uint64_t last = 0;
  size_t visited = 0;
  map.ForEachIid([&](uint64_t iid) {
    REQUIRE((visited == 0 || iid > last));
    REQUIRE(by_iid.count(iid));
    last = iid;
    ++visited;
  });
  REQUIRE(visited == model.size());
}

TEST_CASE("IdMap agrees with a hash map through inserts, erases, rehashes and compactions", "[id_map]") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    IdMap map;
    std::unordered_map<std::string, uint64_t> model;
    uint64_t next_iid = 0;
    for (int step = 0; step < 40000; ++step) {
      const std::string key = RandomKey(rng);
      auto it = model.find(key);
      // More erases in the second half: the arena shrinks through compactions.
      const bool erase = it != model.end() && rng() % 100 < (step < 20000 ? 30 : 70);
      if (erase) {
        REQUIRE(map.Erase(it->second));
        REQUIRE_FALSE(map.Erase(it->second));
        REQUIRE_FALSE(map.Find(key).has_value());
        model.erase(it);
      } else if (it == model.end()) {
        REQUIRE_FALSE(map.Find(key).has_value());
        map.Insert(key, next_iid);
        model.emplace(key, next_iid++);
      }
      if (step % 5000 == 0) CheckSame(map, model, next_iid);
    }
    CheckSame(map, model, next_iid);
  }
}

TEST_CASE("IdMap: empty, reserve, and keys that share a hash bucket", "[id_map]") {
  IdMap map;
  REQUIRE_FALSE(map.Find("u").has_value());
  REQUIRE(map.KeyOf(0).empty());
  REQUIRE_FALSE(map.Erase(7));
  map.Reserve(1000);
  for (uint64_t i = 0; i < 1000; ++i) map.Insert(ExternalId(i * 7919).ToKey(), i);
  const size_t reserved = map.MemoryBytes();
  REQUIRE(map.size() == 1000);
  for (uint64_t i = 0; i < 1000; i += 2) REQUIRE(map.Erase(i));
  for (uint64_t i = 0; i < 1000; ++i) {
    REQUIRE(map.Find(ExternalId(i * 7919).ToKey()) == (i % 2 ? std::optional<uint64_t>(i) : std::nullopt));
  }
  REQUIRE(map.MemoryBytes() <= reserved + 16 * 1024);
}

}  // namespace
}  // namespace latentdb::engine
