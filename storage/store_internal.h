#pragma once
// Internals of storage::Store shared by its source files (store.cc: open, catalog, points;
// store_snapshot.cc: a collection's records exported to SST files and ingested back). Not a
// public header: only storage/ includes it.

#include <rocksdb/db.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/coding.h"
#include "common/result.h"
#include "storage/store.h"

namespace latentdb::storage {
namespace internal {

enum Family { kCatalog = 0, kVectors, kPoints, kIds, kChangelog, kMeta, kPayloadIndex, kNumFamilies };
inline const char* const kFamilyNames[kNumFamilies] = {"catalog", "vectors", "points", "ids", "changelog", "meta",
                                                "payload_index"};

// Whether a RocksDB error means the disk (or quota) is full. RocksDB marks ENOSPC with the
// NoSpace subcode; a background error it reports again later may carry only the text.
inline bool IsNoSpace(const rocksdb::Status& s) {
  if (s.IsNoSpace()) return true;
  const std::string text = s.ToString();
  return text.find("No space left on device") != std::string::npos || text.find("Disk quota exceeded") != std::string::npos;
}

inline Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (IsNoSpace(s)) {
    return Status::NoSpace(what + ": the disk is full (" + s.ToString() + "); writes resume by themselves once the data directory has room for a memtable "
                           "(StoreOptions::memtable_mb, 64 MiB unless set)");
  }
  if (s.IsNotFound()) return Status::NotFound(what + ": " + s.ToString());
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

inline std::string CidPrefix(uint32_t cid) {
  std::string k;
  PutFixed32BE(&k, cid);
  return k;
}
inline std::string PointKey(uint32_t cid, uint64_t iid) {
  std::string k = CidPrefix(cid);
  PutFixed64BE(&k, iid);
  return k;
}
inline std::string IdKey(uint32_t cid, std::string_view external_key) {
  std::string k = CidPrefix(cid);
  k.append(external_key);
  return k;
}
inline std::string NextIidKey(uint32_t cid) { return "next_iid" + CidPrefix(cid); }
// Attachments live in the meta family under "att" + cid, so that one range covers a collection's.
inline std::string AttachmentPrefix(uint32_t cid) { return "att" + CidPrefix(cid); }
inline std::string AttachmentKindPrefix(uint32_t cid, std::string_view kind) {
  std::string k = AttachmentPrefix(cid);
  k.append(kind);
  k.push_back('\0');
  return k;
}
inline Status CheckAttachmentName(std::string_view what, std::string_view s) {
  if (s.empty() || s.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("an attachment's " + std::string(what) + " must be non-empty and free of NUL bytes");
  }
  return Status::Ok();
}

inline std::string EncodePointValue(std::string_view external_key, std::string_view payload) {
  std::string v;
  PutFixed32LE(&v, static_cast<uint32_t>(external_key.size()));
  v.append(external_key);
  v.append(payload);
  return v;
}

inline bool DecodePointValue(std::string_view value, StoredPoint* out) {
  if (value.size() < 4) return false;
  uint32_t n = DecodeFixed32LE(value.data());
  if (value.size() - 4 < n) return false;
  out->external_key.assign(value.data() + 4, n);
  out->payload_json.assign(value.data() + 4 + n, value.size() - 4 - n);
  return true;
}

// The smallest key above every key that starts with `prefix` (drop trailing 0xff bytes, increment
// the last one); nullopt when the prefix is all 0xff, so that no key bounds it.
inline std::optional<std::string> PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::nullopt;
  end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

inline std::string Fixed64(uint64_t v) {
  std::string s;
  PutFixed64BE(&s, v);
  return s;
}

}  // namespace internal

using namespace internal;  // NOLINT: the helpers above are this directory's vocabulary

struct Store::Impl {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cf;
#ifdef LDB_STORE_SERIALIZE_WRITES
  std::mutex tsan_write_mutex;
#endif
  StoreOptions options;
  std::mutex write_mutex;  // serializes sequence assignment with the WAL write
  // Apply()'s batch, reused under write_mutex: a bulk load writes megabytes per batch, and a
  // fresh buffer each time costs an allocation that the kernel must zero page by page.
  rocksdb::WriteBatch point_batch;
  std::atomic<uint64_t> last_seq{0};
  std::mutex catalog_mutex;
  // Collections dropped since the store opened (ids are never reused). A write to one of them
  // checks this under the shared lock and DropCollection adds to it under the exclusive one, so
  // nothing is written under a dropped id after its records went: a request still holding the
  // collection, or a background build, gets NotFound instead of leaving orphans.
  std::shared_mutex drop_mutex;
  std::unordered_set<uint32_t> dropped;
  std::mutex attachment_mutex;  // serializes PutAttachment / DeleteAttachment (exact answers)

  ~Impl() {
    for (auto* h : cf) {
      if (h) db->DestroyColumnFamilyHandle(h);
    }
    if (db) {
      db->Close();
      delete db;
    }
  }

  rocksdb::WriteOptions WriteOpts() const {
    rocksdb::WriteOptions w;
    // A bulk load writes no WAL (RocksDB refuses sync without one): see StoreOptions.
    w.disableWAL = options.bulk_load;
    w.sync = options.sync_writes && !options.bulk_load;
    return w;
  }

  // After a failed write (a full disk above all) RocksDB stops accepting writes — or, when it has
  // not recorded a background error, its WAL writer is left in an error state that the next write
  // would trip over (an assertion in Debian's build). So a failed write marks the store, and the
  // next write first calls DB::Resume(), which flushes the memtables and starts a new WAL; only
  // when that works does it write. While the disk stays full, writes fail cleanly with NoSpace;
  // once space is back, the first write resumes the store.
  std::atomic<bool> needs_resume{false};
  std::mutex resume_mutex;
  rocksdb::Status last_error;  // the failure that set needs_resume (guarded by resume_mutex)

  void MarkFailed(const rocksdb::Status& s) {
    std::lock_guard<std::mutex> lock(resume_mutex);
    last_error = s;
    needs_resume.store(true);
  }

  Status ResumeIfNeeded(const std::string& what) {
    if (!needs_resume.load()) return Status::Ok();
    std::lock_guard<std::mutex> lock(resume_mutex);
    if (!needs_resume.load()) return Status::Ok();
    rocksdb::Status r;
    try {
      r = db->Resume();
    } catch (const std::exception& e) {
      r = rocksdb::Status::IOError(e.what());
    }
    // Busy: RocksDB's own recovery of the error is still running; the error stands meanwhile.
    if (r.IsBusy()) r = last_error;
    if (!r.ok()) return FromRocks(r, what + " (the store is recovering from an earlier write error; nothing was stored)");
    needs_resume.store(false);
    return Status::Ok();
  }

  // Write() for the records of collection `cid`: refused once the collection is dropped.
  Status WriteFor(uint32_t cid, rocksdb::WriteBatch* batch, const std::string& what) {
    std::shared_lock lock(drop_mutex);
    if (dropped.count(cid)) return Status::NotFound(what + ": the collection was dropped (nothing was stored)");
    return Write(batch, what);
  }

  Status Write(rocksdb::WriteBatch* batch, const std::string& what) {
    LDB_RETURN_IF_ERROR(ResumeIfNeeded(what));
    rocksdb::Status s;
#ifdef LDB_STORE_SERIALIZE_WRITES  // the TSan build only: see storage/CMakeLists.txt
    std::lock_guard<std::mutex> serialized(tsan_write_mutex);
#endif
    try {
      s = db->Write(WriteOpts(), batch);
    } catch (const std::exception& e) {
      s = rocksdb::Status::IOError(e.what());
    }
    if (!s.ok() && !s.IsInvalidArgument() && !s.IsNotFound()) MarkFailed(s);
    // A failed write batch is applied not at all (the WAL record is incomplete, the memtable
    // untouched): the caller may retry it as a whole.
    return FromRocks(s, what + " (nothing of it was stored)");
  }

  Result<std::optional<std::string>> Get(Family f, const std::string& key) {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf[f], key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, std::string("reading ") + kFamilyNames[f]);
    return std::optional<std::string>(std::move(value));
  }

  // Reads the records of many points of one family in one batched MultiGet (RocksDB reads the
  // keys that share a block together) and hands each found value to `found(i, value)`, i being
  // its place in `iids`; absent points are skipped.
  template <typename Found>
  Status MultiGet(Family f, uint32_t cid, const std::vector<uint64_t>& iids, Found&& found) {
    if (iids.empty()) return Status::Ok();
    std::vector<std::string> keys;
    keys.reserve(iids.size());
    for (uint64_t iid : iids) keys.push_back(PointKey(cid, iid));
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    try {
      db->MultiGet(rocksdb::ReadOptions(), cf[f], slices.size(), slices.data(), values.data(), statuses.data(),
                   /*sorted_input=*/false);
    } catch (const std::exception& e) {
      return Status::IOError(std::string("reading ") + kFamilyNames[f] + ": " + e.what());
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) return FromRocks(statuses[i], std::string("reading ") + kFamilyNames[f]);
      LDB_RETURN_IF_ERROR(found(i, std::string_view(values[i].data(), values[i].size())));
    }
    return Status::Ok();
  }

  // Iterates keys with `prefix`, from `start` (which must begin with prefix).
  template <typename Visit>
  Status ScanPrefix(Family f, const std::string& prefix, const std::string& start, Visit&& visit) {
    rocksdb::ReadOptions ro;
    const std::optional<std::string> upper = PrefixEnd(prefix);
    rocksdb::Slice upper_slice(upper ? *upper : std::string_view());
    if (upper) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf[f]));
    for (it->Seek(start); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (!k.starts_with(prefix)) break;
      if (!visit(std::string_view(k.data(), k.size()), std::string_view(it->value().data(), it->value().size()))) break;
    }
    return FromRocks(it->status(), std::string("scanning ") + kFamilyNames[f]);
  }

  // Adds to `batch` the removal of every record of collection `cid` but its catalog entry: its
  // points, vectors, ids, changelog, payload-index entries, id counter and attachments.
  void DeleteCollectionRecords(uint32_t cid, rocksdb::WriteBatch* batch) {
    const std::string begin = CidPrefix(cid);
    const std::string end = CidPrefix(cid + 1);
    for (Family f : {kVectors, kPoints, kIds, kChangelog, kPayloadIndex}) batch->DeleteRange(cf[f], begin, end);
    batch->Delete(cf[kMeta], NextIidKey(cid));
    batch->DeleteRange(cf[kMeta], AttachmentPrefix(cid), AttachmentPrefix(cid + 1));
  }

  // Removes the records of collection ids that no catalog entry names (a crash between a
  // restore's ingestion and the removal of the records it replaced leaves some), unless a catalog
  // entry is damaged (its id unknown). Called when the store opens (store_snapshot.cc).
  Status RemoveUnnamedRecords();
};

}  // namespace latentdb::storage
