#pragma once
// IdMap: a collection's external ids (encoded keys, engine/external_id.h) and internal point ids
// (iids), both ways, in a compact form held in RAM — about 30 bytes a point for integer ids, where
// two node-based hash maps took about 150.
//
// Layout:
//   arena_    every key once, appended: a varint length, then the key's bytes (10 bytes for an
//             integer id: 'u' + 8 bytes, + 1 length byte)
//   offsets_  iid -> 1 + the key's offset in the arena (0: no point), a dense array indexed by iid
//             (iids are handed out consecutively, so its holes are the deleted points)
//   slots_    key -> iid: an open-addressing table with linear probing (Knuth, TAOCP 6.4,
//             Algorithm L, with deletion by backward shift, Algorithm R). A slot packs 24 bits of
//             the key's hash above 1 + iid (40 bits), so that most probes that meet another key
//             are told apart without reading the arena; 0 is an empty slot. At most 3/4 full.
// A deleted key's bytes stay in the arena until they are half of it; the arena is then rewritten
// with the live keys (amortized O(1) per delete).
//
// Limits: iids below 2^40 - 1 (kMaxIid); keys of at most 2^32 bytes (external ids are at most 513).
// Thread-safety: none; the collection's lock guards it (shared for lookups, exclusive for changes).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace latentdb::engine {

class IdMap {
 public:
  static constexpr uint64_t kMaxIid = (uint64_t{1} << 40) - 2;

  // The iid of `key`, or nullopt.
  std::optional<uint64_t> Find(std::string_view key) const;
  bool Contains(uint64_t iid) const { return iid < offsets_.size() && offsets_[iid] != 0; }
  // The key of `iid`; empty when there is no such point. Valid until the next change.
  std::string_view KeyOf(uint64_t iid) const;
  // Adds a point: `key` must be absent and `iid` unused, at most kMaxIid (the caller checks).
  void Insert(std::string_view key, uint64_t iid);
  // Removes the point `iid` (and its key); false when there is none.
  bool Erase(uint64_t iid);
  size_t size() const { return size_; }
  // Room for `points` points in all without growing.
  void Reserve(size_t points);
  // Visits the live iids in ascending order.
  template <typename Visit>
  void ForEachIid(Visit&& visit) const {
    for (uint64_t iid = 0; iid < offsets_.size(); ++iid) {
      if (offsets_[iid] != 0) visit(iid);
    }
  }
  // Bytes held (capacity, not size), for the collection's memory figures.
  size_t MemoryBytes() const;

 private:
  static constexpr int kIidBits = 40;
  static constexpr uint64_t kIidMask = (uint64_t{1} << kIidBits) - 1;
  static uint64_t Hash(std::string_view key);
  static uint64_t Tag(uint64_t hash) { return hash >> kIidBits; }  // the hash's top 24 bits
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash) & (slots_.size() - 1); }
  // Where `key` is, or the empty slot where it would go.
  size_t Probe(std::string_view key, uint64_t hash) const;
  void Rehash(size_t slot_count);
  void PlaceIid(uint64_t iid);  // puts an arena-resident key's iid into slots_ (no size check)
  void CompactArena();

  std::string arena_;
  std::vector<uint64_t> offsets_;
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
  size_t dead_bytes_ = 0;  // arena bytes of erased keys
};

}  // namespace latentdb::engine
