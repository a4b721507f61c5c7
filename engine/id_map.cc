#include "engine/id_map.h"

#include <algorithm>
#include <functional>

namespace latentdb::engine {

namespace {

void AppendVarint(std::string* out, size_t n) {
  while (n >= 0x80) {
    out->push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

// The key stored at `offset` (its varint length first); `entry_size`, when given, receives the
// bytes the whole entry takes.
std::string_view EntryAt(const std::string& arena, size_t offset, size_t* entry_size = nullptr) {
  size_t n = 0, pos = offset;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<uint8_t>(arena[pos++]);
    n |= static_cast<size_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  if (entry_size) *entry_size = pos - offset + n;
  return std::string_view(arena.data() + pos, n);
}

}  // namespace

uint64_t IdMap::Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

std::string_view IdMap::KeyOf(uint64_t iid) const {
  if (!Contains(iid)) return {};
  return EntryAt(arena_, offsets_[iid] - 1);
}

size_t IdMap::Probe(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = Tag(hash);
  for (size_t i = Home(hash);; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0) return i;
    if ((slot >> kIidBits) == tag && KeyOf((slot & kIidMask) - 1) == key) return i;
  }
}

std::optional<uint64_t> IdMap::Find(std::string_view key) const {
  if (size_ == 0) return std::nullopt;
  const uint64_t slot = slots_[Probe(key, Hash(key))];
  if (slot == 0) return std::nullopt;
  return (slot & kIidMask) - 1;
}

void IdMap::Insert(std::string_view key, uint64_t iid) {
  if ((size_ + 1) * 4 > slots_.size() * 3) Rehash(std::max<size_t>(16, slots_.size() * 2));
  if (offsets_.size() <= iid) offsets_.resize(iid + 1, 0);
  offsets_[iid] = arena_.size() + 1;
  AppendVarint(&arena_, key.size());
  arena_.append(key);
  const uint64_t hash = Hash(key);
  slots_[Probe(key, hash)] = (Tag(hash) << kIidBits) | (iid + 1);
  ++size_;
}

bool IdMap::Erase(uint64_t iid) {
  if (!Contains(iid)) return false;
  size_t entry_size = 0;
  const std::string_view key = EntryAt(arena_, offsets_[iid] - 1, &entry_size);
  const size_t mask = slots_.size() - 1;
  size_t hole = Probe(key, Hash(key));
  // Backward shift: every later key of the probe run whose home does not lie cyclically in
  // (hole, j] moves into the hole, so that no run is broken and no tombstone is needed.
  for (size_t j = (hole + 1) & mask; slots_[j] != 0; j = (j + 1) & mask) {
    const uint64_t slot = slots_[j];
    const size_t home = Home(Hash(KeyOf((slot & kIidMask) - 1)));
    const bool reachable = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!reachable) {
      slots_[hole] = slot;
      hole = j;
    }
  }
  slots_[hole] = 0;
  offsets_[iid] = 0;
  --size_;
  dead_bytes_ += entry_size;
  if (dead_bytes_ > 4096 && dead_bytes_ * 2 > arena_.size()) CompactArena();
  return true;
}

void IdMap::Reserve(size_t points) {
  size_t slots = std::max<size_t>(slots_.size(), 16);
  while (points * 4 > slots * 3) slots *= 2;
  if (slots != slots_.size()) Rehash(slots);
  if (points > size_) offsets_.reserve(offsets_.size() + (points - size_));
}

void IdMap::Rehash(size_t slot_count) {
  slots_.assign(slot_count, 0);
  ForEachIid([&](uint64_t iid) { PlaceIid(iid); });
}

void IdMap::PlaceIid(uint64_t iid) {
  const uint64_t hash = Hash(KeyOf(iid));
  const size_t mask = slots_.size() - 1;
  size_t i = Home(hash);
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = (Tag(hash) << kIidBits) | (iid + 1);
}

void IdMap::CompactArena() {
  std::string fresh;
  fresh.reserve(arena_.size() - dead_bytes_);
  ForEachIid([&](uint64_t iid) {
    size_t entry_size = 0;
    const size_t offset = offsets_[iid] - 1;
    EntryAt(arena_, offset, &entry_size);
    offsets_[iid] = fresh.size() + 1;
    fresh.append(arena_, offset, entry_size);
  });
  arena_ = std::move(fresh);
  dead_bytes_ = 0;
}

size_t IdMap::MemoryBytes() const {
  return arena_.capacity() + offsets_.capacity() * sizeof(uint64_t) + slots_.capacity() * sizeof(uint64_t);
}

}  // namespace latentdb::engine
