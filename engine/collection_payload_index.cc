// Collection's payload indexes: definitions kept as attachments, entries written with their
// points, builds in a background thread (see Collection::CreatePayloadIndex).
#include <algorithm>
#include <mutex>
#include <system_error>

#include "common/logging.h"
#include "engine/collection.h"
#include "storage/store.h"

namespace latentdb::engine {

using nlohmann::json;

namespace {

// Definitions are attachments of this kind, one per index, named "field-<number>" (attachment
// names are [A-Za-z0-9_-], field names are any path): {"field_name", "field_schema", "number",
// "status": "building" | "ready"}.
constexpr const char* kIndexKind = "payload_index";
// Points indexed per hold of the collection's write lock while building: short enough that
// writes and searches interleave with a build (about a millisecond of work).
constexpr uint64_t kBuildChunk = 4096;

std::string DefinitionName(uint32_t number) { return "field-" + std::to_string(number); }

}  // namespace

Collection::~Collection() { Stop(); }

void Collection::Stop() {
  {
    // Set under mutex_ so that a waiter between its check and its wait cannot miss it.
    std::unique_lock lock(mutex_);
    stopping_ = true;
  }
  index_built_.notify_all();
  // Joined outside builder_mutex_: a builder that found no work takes it before it ends.
  std::thread builder;
  {
    std::lock_guard<std::mutex> guard(builder_mutex_);
    builder = std::move(builder_);
  }
  if (builder.joinable()) builder.join();
}

Status Collection::StorePayloadIndexDefinition(const PayloadIndexState& state) const {
  const FieldIndex& index = *state.index;
  json def = {{"field_name", index.field_name()},
              {"field_schema", PayloadSchemaName(index.schema())},
              {"number", index.number()},
              {"status", state.ready ? "ready" : "building"}};
  return store_->PutAttachment(cid_, kIndexKind, DefinitionName(index.number()), def.dump()).status();
}

Status Collection::LoadPayloadIndexes() {
  std::vector<std::pair<std::string, std::string>> definitions;
  LDB_RETURN_IF_ERROR(store_->ScanAttachments(cid_, kIndexKind, [&](std::string_view name, std::string_view value) {
    definitions.emplace_back(std::string(name), std::string(value));
    return true;
  }));
  bool any_building = false;
  for (const auto& [name, text] : definitions) {
    auto bad = [&](const std::string& why) {
      return Status::Corruption("payload index definition '" + name + "' of collection '" + name_ + "': " + why);
    };
    json def = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!def.is_object() || !def.value("field_name", json()).is_string() || !def.value("number", json()).is_number_unsigned() ||
        !def.value("status", json()).is_string()) {
      return bad("not a definition");
    }
    auto path = JsonPath::Parse(def["field_name"].get<std::string>());
    auto schema = ParsePayloadSchema(def.value("field_schema", json()));
    if (!path.ok() || !schema.ok()) return bad("unreadable field or schema");
    const auto number = def["number"].get<uint32_t>();
    PayloadIndexState state;
    state.index = std::make_unique<FieldIndex>(number, std::move(*path), *schema);
    state.ready = def["status"] == "ready";
    const std::string prefix = FieldIndex::EntryPrefix(number);
    if (state.ready) {
      Status entry_status;
      LDB_RETURN_IF_ERROR(store_->ScanIndexEntries(cid_, prefix, [&](std::string_view entry) {
        entry_status = state.index->AddStoredEntry(entry);
        return entry_status.ok();
      }));
      LDB_RETURN_IF_ERROR(entry_status);
    } else if (!replica_) {
      // An interrupted build: start it again from nothing (its entries so far cover an unknown
      // part of the points).
      LDB_RETURN_IF_ERROR(store_->DeleteIndexEntries(cid_, prefix));
      any_building = true;
    }  // a replica's building index is its primary's: it is loaded when its definition says ready
    const std::string field = state.index->field_name();
    auto [it, inserted] = payload_index_states_.emplace(field, std::move(state));
    if (!inserted) return bad("a second index of field '" + field + "'");
    if (it->second.ready) payload_indexes_.SetReady(field, it->second.index.get());
  }
  if (any_building) StartIndexBuilder();
  return Status::Ok();
}

Result<bool> Collection::CreatePayloadIndex(const std::string& field_name, PayloadSchema schema, bool wait) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  if (field_name.empty()) return Status::InvalidArgument("field_name must be a non-empty payload key");
  LDB_ASSIGN_OR_RETURN(JsonPath path, JsonPath::Parse(field_name));
  std::unique_lock lock(mutex_);
  auto existing = payload_index_states_.find(field_name);
  bool created = false;
  if (existing != payload_index_states_.end() && existing->second.index->schema() == schema &&
      existing->second.failure.ok()) {
    if (!wait) return false;
    // The same index: wait for its build like the request that created it.
  } else {
    uint32_t number = 1;
    for (const auto& [name, st] : payload_index_states_) number = std::max(number, st.index->number() + 1);
    if (existing != payload_index_states_.end()) LDB_RETURN_IF_ERROR(DropPayloadIndexLocked(existing));
    // Entries a crash left behind under this number (a drop interrupted after its definition
    // went) must not join the new index.
    LDB_RETURN_IF_ERROR(store_->DeleteIndexEntries(cid_, FieldIndex::EntryPrefix(number)));
    PayloadIndexState state;
    state.index = std::make_unique<FieldIndex>(number, std::move(path), schema);
    LDB_RETURN_IF_ERROR(StorePayloadIndexDefinition(state));
    payload_index_states_.emplace(field_name, std::move(state));
    created = true;
  }
  const uint32_t number = payload_index_states_.at(field_name).index->number();
  lock.unlock();
  StartIndexBuilder();
  if (!wait) return created;
  lock.lock();
  index_built_.wait(lock, [&] {
    auto it = payload_index_states_.find(field_name);
    return it == payload_index_states_.end() || it->second.index->number() != number || it->second.ready ||
           !it->second.failure.ok() || stopping_;
  });
  auto it = payload_index_states_.find(field_name);
  const bool same = it != payload_index_states_.end() && it->second.index->number() == number;
  if (same && !it->second.ready && it->second.failure.ok() && stopping_) {
    // The collection is being dropped or the server is shutting down: the build will not finish
    // here (a restart resumes it when the collection still exists).
    return Status::Unavailable("the payload index of '" + field_name +
                               "' was not finished: the collection was dropped or the server is stopping");
  }
  if (same && !it->second.failure.ok()) {
    // The store's own code (NoSpace, IOError), so that a full disk answers as a full disk.
    return Status(it->second.failure.code(),
                  "building the payload index of '" + field_name + "' failed: " + it->second.failure.message());
  }
  return created;
}

Result<bool> Collection::DeletePayloadIndex(const std::string& field_name) {
  LDB_RETURN_IF_ERROR(CheckWritable());
  std::unique_lock lock(mutex_);
  auto it = payload_index_states_.find(field_name);
  if (it == payload_index_states_.end()) return false;
  LDB_RETURN_IF_ERROR(DropPayloadIndexLocked(it));
  return true;
}

Status Collection::DropPayloadIndexLocked(std::map<std::string, PayloadIndexState>::iterator it) {
  const uint32_t number = it->second.index->number();
  // The definition goes first: entries left by a crash in between are orphans, removed when the
  // number is used again, never read. The index leaves memory with its definition.
  LDB_RETURN_IF_ERROR(store_->DeleteAttachment(cid_, kIndexKind, DefinitionName(number)).status());
  payload_indexes_.Remove(it->first);
  payload_index_states_.erase(it);
  index_built_.notify_all();  // waiters for its build
  return store_->DeleteIndexEntries(cid_, FieldIndex::EntryPrefix(number));
}

std::vector<PayloadIndexInfo> Collection::PayloadIndexes() const {
  std::shared_lock lock(mutex_);
  std::vector<PayloadIndexInfo> out;
  for (const auto& [name, st] : payload_index_states_) {
    PayloadIndexInfo info;
    info.field_name = name;
    info.schema = st.index->schema();
    info.status = st.ready ? "ready" : (st.failure.ok() ? "building" : "failed");
    info.error = st.failure.message();
    info.points = st.index->points();
    out.push_back(std::move(info));
  }
  return out;
}

void Collection::CollectIndexChanges(uint64_t iid, const json* before, const json* after, storage::PointBatch* batch,
                                     std::vector<IndexChange>* changes) const {
  for (const auto& [name, st] : payload_index_states_) {
    // A failed index keeps the entries of the points it covers up to date too: its last step may
    // have failed after its "ready" definition reached the disk, and then a restart reads them.
    if (!st.Covers(iid)) continue;
    IndexChange change{st.index.get(), iid, {}, {}};
    if (before) change.before = st.index->EntriesOf(iid, *before);
    if (after) change.after = st.index->EntriesOf(iid, *after);
    if (change.before.empty() && change.after.empty()) continue;
    // Entries in both lists stay; the store deletes before it puts, so listing them on both sides
    // would also be right, but costs writes.
    std::set_difference(change.before.begin(), change.before.end(), change.after.begin(), change.after.end(),
                        std::back_inserter(batch->index_deletes));
    std::set_difference(change.after.begin(), change.after.end(), change.before.begin(), change.before.end(),
                        std::back_inserter(batch->index_puts));
    changes->push_back(std::move(change));
  }
}

Status Collection::CollectIndexChangesOf(const std::vector<std::pair<uint64_t, const json*>>& writes,
                                         storage::PointBatch* batch, std::vector<IndexChange>* changes) const {
  // The existing points' stored payloads say which entries they have now: one batched read.
  std::vector<uint64_t> existing;
  for (const auto& [iid, after] : writes) {
    if (ids_.Contains(iid)) existing.push_back(iid);
  }
  std::vector<json> stored;
  LDB_RETURN_IF_ERROR(PayloadsOf(existing, &stored));
  size_t next = 0;  // `existing` follows `writes`' order
  for (const auto& [iid, after] : writes) {
    const json* before = next < existing.size() && existing[next] == iid ? &stored[next++] : nullptr;
    CollectIndexChanges(iid, before, after, batch, changes);
  }
  return Status::Ok();
}

void Collection::ApplyIndexChanges(const std::vector<IndexChange>& changes) {
  for (const auto& c : changes) c.index->Update(c.iid, c.before, c.after);
}

void Collection::StartIndexBuilder() {
  std::lock_guard<std::mutex> guard(builder_mutex_);
  if (builder_running_ || stopping_) return;
  if (builder_.joinable()) builder_.join();  // a finished run: it no longer needs builder_mutex_
  try {
    builder_ = std::thread([this] { RunIndexBuilder(); });
  } catch (const std::system_error& e) {
    // No thread to be had (resource limits): the indexes stay "building" and the next request
    // that creates one, or the next open, tries again.
    LogError("collection '" + name_ + "': cannot start the payload index builder: " + e.what());
    return;
  }
  builder_running_ = true;
}

void Collection::RunIndexBuilder() {
  while (!stopping_) {
    std::unique_lock lock(mutex_);
    if (BuildIndexChunkLocked()) continue;
    // Nothing left. Said under mutex_, so a CreatePayloadIndex that registers an index after
    // this check (under mutex_) finds builder_running_ false and starts a new run.
    std::lock_guard<std::mutex> guard(builder_mutex_);
    builder_running_ = false;
    return;
  }
}

bool Collection::BuildIndexChunkLocked() {
  auto it = std::find_if(payload_index_states_.begin(), payload_index_states_.end(),
                         [](const auto& entry) { return !entry.second.ready && entry.second.failure.ok(); });
  if (it == payload_index_states_.end()) return false;
  PayloadIndexState& st = it->second;
  const uint64_t end = std::min(next_iid_, st.built_below + kBuildChunk);
  std::vector<std::pair<uint64_t, std::vector<std::string>>> entries;
  std::vector<std::string> keys;
  // The chunk's payloads, read in iid order (under the exclusive lock the store holds exactly the
  // points of ids_).
  Status bad;
  Status s = store_->ScanPoints(cid_, st.built_below, [&](const storage::StoredPoint& p) {
    if (p.iid >= end) return false;
    auto payload = ParsePayload(p.payload_json);
    if (!payload.ok()) {
      bad = payload.status();
      return false;
    }
    auto e = st.index->EntriesOf(p.iid, *payload);
    if (e.empty()) return true;
    keys.insert(keys.end(), e.begin(), e.end());
    entries.emplace_back(p.iid, std::move(e));
    return true;
  });
  if (s.ok()) s = bad;
  if (s.ok() && !keys.empty()) s = store_->PutIndexEntries(cid_, keys);
  if (s.ok()) {
    for (const auto& [iid, e] : entries) st.index->Update(iid, {}, e);
    st.built_below = end;
    if (end >= next_iid_) {
      st.ready = true;
      s = StorePayloadIndexDefinition(st);
      if (s.ok()) {
        payload_indexes_.SetReady(it->first, st.index.get());
      } else {
        st.ready = false;
      }
    }
  }
  if (!s.ok()) {
    st.failure = s;
    LogError("collection '" + name_ + "': building the payload index of '" + it->first + "' failed: " + s.message());
  }
  if (st.ready || !s.ok()) index_built_.notify_all();
  return true;
}

}  // namespace latentdb::engine
