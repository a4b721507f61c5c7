#include "storage/store.h"
#include "storage/store_internal.h"

#include <fcntl.h>
#include <unistd.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <shared_mutex>
#include <unordered_set>
#include <optional>

#include "common/coding.h"
#include "common/file_util.h"
#include "common/logging.h"

namespace latentdb::storage {
namespace {

// RocksDB's info log, written to <dir>/LOG (the previous one kept as LOG.old) with plain write(2)
// calls whose failures are ignored, errors also to LatentDB's log. RocksDB's own file logger
// aborts the process (an assertion in Debian's build) on the first line after a failed one —
// i.e. as soon as the disk is full. A log line is the one write a full disk may cost silently.
class InfoLog : public rocksdb::Logger {
 public:
  explicit InfoLog(const std::string& dir) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {
    const std::string path = dir + "/LOG";
    (void)std::rename(path.c_str(), (path + ".old").c_str());
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { Write(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    Write(level, format, ap);
  }

 private:
  void Write(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
    char buf[4096];
    int n = std::vsnprintf(buf, sizeof buf - 1, format, ap);
    if (n < 0) return;
    size_t len = std::min(static_cast<size_t>(n), sizeof buf - 2);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) LogError("rocksdb: " + std::string(buf, len));
    buf[len++] = '\n';
    if (fd_ >= 0 && ::write(fd_, buf, len) < 0) {
      // Ignored: see the class comment.
    }
  }
  int fd_ = -1;
};

}  // namespace


Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  LDB_RETURN_IF_ERROR(CreateDirectories(dir));
  rocksdb::Options db_options;
  db_options.info_log = std::make_shared<InfoLog>(dir);
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  // Small families (meta, catalog) rarely fill a memtable: past this much live WAL, RocksDB
  // flushes the ones that hold the oldest file, so that recovery and the WAL stay bounded.
  const size_t memtable_bytes = std::max<size_t>(options.memtable_mb, 1) << 20;
  db_options.max_total_wal_size = 4 * memtable_bytes;
  // Flushed WAL files stay (archived) this long, for replicas tailing them (Store::WalSince).
  db_options.WAL_ttl_seconds = options.wal_retention_seconds;
  if (options.row_cache_mb > 0) db_options.row_cache = rocksdb::NewLRUCache(options.row_cache_mb << 20);
  // Without a WAL, each flush must commit every family at once, or a crash could leave one
  // family's records of a batch without the others'.
  db_options.atomic_flush = options.bulk_load;
  rocksdb::ColumnFamilyOptions cf_options;
  // RocksDB reserves this much free space (the memtable size at open) before it resumes writes by
  // itself after a full disk: its SstFileManager checks every 5 s.
  cf_options.write_buffer_size = memtable_bytes;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 * 1024;
  table.block_cache = rocksdb::NewLRUCache(std::max<size_t>(options.block_cache_mb, 1) << 20);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (const char* name : kFamilyNames) {
    rocksdb::ColumnFamilyOptions o = cf_options;
    // Vectors: LZ4, the cheapest try. Dense embeddings barely compress (RocksDB then keeps the
    // block raw), but pixels and ReLU outputs are full of zeros.
    if (std::strcmp(name, "vectors") == 0) o.compression = rocksdb::kLZ4Compression;
    if (std::strcmp(name, "vectors") == 0 || std::strcmp(name, "points") == 0) {
      // Rescoring a quantized index reads a few random vectors per search, and results and filters
      // read payloads (never held in RAM): point lookups. A hash index inside each data block
      // finds a key without a binary search over restart points, and a Bloom filter skips files
      // that cannot hold it.
      rocksdb::BlockBasedTableOptions lookup_table = table;
      lookup_table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
      lookup_table.data_block_hash_table_util_ratio = 0.75;
      lookup_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      // A payload read decompresses the whole block that holds it: 4 KiB blocks (RocksDB's
      // default) instead of 16 cost a quarter of that when the block cache cannot hold them all.
      if (std::strcmp(name, "points") == 0) lookup_table.block_size = 4 * 1024;
      o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(lookup_table));
    }
    descriptors.emplace_back(name, o);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s;
  try {
    s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &impl->db);
  } catch (const std::exception& e) {
    return Status::IOError("opening RocksDB at '" + dir + "': " + e.what());
  }
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::Busy("RocksDB at '" + dir + "' is locked by another process: " + s.ToString());
    }
    return FromRocks(s, "opening RocksDB at '" + dir + "'");
  }
  // handles[0] is the default family, which we do not use.
  impl->db->DestroyColumnFamilyHandle(handles[0]);
  impl->cf.assign(handles.begin() + 1, handles.end());

  LDB_ASSIGN_OR_RETURN(auto seq, impl->Get(kMeta, "seq"));
  if (seq) {
    if (seq->size() != 8) return Status::Corruption("meta 'seq' has a bad size");
    impl->last_seq = DecodeFixed64BE(seq->data());
  }
  LDB_RETURN_IF_ERROR(impl->RemoveUnnamedRecords());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<std::vector<CollectionRecord>> Store::ListCollections() {
  std::vector<CollectionRecord> out;
  Status bad;
  LDB_RETURN_IF_ERROR(impl_->ScanPrefix(kCatalog, "", "", [&](std::string_view k, std::string_view v) {
    if (v.size() < 4) {
      out.push_back(CollectionRecord{0, std::string(k), "", "its catalog entry is truncated"});
      return true;
    }
    out.push_back(CollectionRecord{DecodeFixed32BE(v.data()), std::string(k), std::string(v.substr(4)), ""});
    return true;
  }));
  LDB_RETURN_IF_ERROR(bad);
  return out;
}

Result<CollectionRecord> Store::CreateCollection(const std::string& name, const std::string& config_json) {
  std::lock_guard<std::mutex> lock(impl_->catalog_mutex);
  LDB_ASSIGN_OR_RETURN(auto existing, impl_->Get(kCatalog, name));
  if (existing) return Status::AlreadyExists("collection '" + name + "' already exists");
  LDB_ASSIGN_OR_RETURN(auto next, impl_->Get(kMeta, "next_cid"));
  uint32_t cid = 1;
  if (next) {
    if (next->size() != 4) return Status::Corruption("meta 'next_cid' has a bad size");
    cid = DecodeFixed32BE(next->data());
  }
  rocksdb::WriteBatch batch;
  std::string value = CidPrefix(cid) + config_json;
  batch.Put(impl_->cf[kCatalog], name, value);
  batch.Put(impl_->cf[kMeta], "next_cid", CidPrefix(cid + 1));
  LDB_RETURN_IF_ERROR(impl_->Write(&batch, "creating collection '" + name + "'"));
  return CollectionRecord{cid, name, config_json, ""};
}

Status Store::UpdateCollectionConfig(const CollectionRecord& record) {
  rocksdb::WriteBatch batch;
  batch.Put(impl_->cf[kCatalog], record.name, CidPrefix(record.id) + record.config_json);
  return impl_->WriteFor(record.id, &batch, "updating collection '" + record.name + "'");
}

Status Store::DropCollection(const CollectionRecord& record) {
  std::lock_guard<std::mutex> lock(impl_->catalog_mutex);
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->cf[kCatalog], record.name);
  if (record.id != 0) impl_->DeleteCollectionRecords(record.id, &batch);  // 0: a damaged entry (ids start at 1)
  std::unique_lock drop_lock(impl_->drop_mutex);
  LDB_RETURN_IF_ERROR(impl_->Write(&batch, "dropping collection '" + record.name + "'"));
  if (record.id != 0) impl_->dropped.insert(record.id);
  return Status::Ok();
}

Result<bool> Store::PutAttachment(uint32_t cid, std::string_view kind, std::string_view name, std::string_view value) {
  LDB_RETURN_IF_ERROR(CheckAttachmentName("kind", kind));
  LDB_RETURN_IF_ERROR(CheckAttachmentName("name", name));
  const std::string key = AttachmentKindPrefix(cid, kind) + std::string(name);
  std::lock_guard<std::mutex> lock(impl_->attachment_mutex);
  LDB_ASSIGN_OR_RETURN(auto existing, impl_->Get(kMeta, key));
  rocksdb::WriteBatch batch;
  batch.Put(impl_->cf[kMeta], key, rocksdb::Slice(value.data(), value.size()));
  LDB_RETURN_IF_ERROR(impl_->WriteFor(cid, &batch, "storing " + std::string(kind) + " '" + std::string(name) + "'"));
  return existing.has_value();
}

Result<std::optional<std::string>> Store::GetAttachment(uint32_t cid, std::string_view kind, std::string_view name) {
  LDB_RETURN_IF_ERROR(CheckAttachmentName("kind", kind));
  LDB_RETURN_IF_ERROR(CheckAttachmentName("name", name));
  return impl_->Get(kMeta, AttachmentKindPrefix(cid, kind) + std::string(name));
}

Status Store::ScanAttachments(uint32_t cid, std::string_view kind,
                              const std::function<bool(std::string_view, std::string_view)>& visit) {
  LDB_RETURN_IF_ERROR(CheckAttachmentName("kind", kind));
  const std::string prefix = AttachmentKindPrefix(cid, kind);
  return impl_->ScanPrefix(kMeta, prefix, prefix, [&](std::string_view k, std::string_view v) {
    return visit(k.substr(prefix.size()), v);
  });
}

Result<bool> Store::DeleteAttachment(uint32_t cid, std::string_view kind, std::string_view name) {
  LDB_RETURN_IF_ERROR(CheckAttachmentName("kind", kind));
  LDB_RETURN_IF_ERROR(CheckAttachmentName("name", name));
  const std::string key = AttachmentKindPrefix(cid, kind) + std::string(name);
  std::lock_guard<std::mutex> lock(impl_->attachment_mutex);
  LDB_ASSIGN_OR_RETURN(auto existing, impl_->Get(kMeta, key));
  if (!existing) return false;
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->cf[kMeta], key);
  LDB_RETURN_IF_ERROR(impl_->WriteFor(cid, &batch, "deleting " + std::string(kind) + " '" + std::string(name) + "'"));
  return true;
}

Result<uint64_t> Store::Apply(const PointBatch& b) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  const uint64_t seq = impl_->last_seq.load() + 1;
  rocksdb::WriteBatch& batch = impl_->point_batch;
  struct Reset {  // leaves the batch empty whatever happens; drops a buffer grown very large
    rocksdb::WriteBatch& b;
    ~Reset() {
      if (b.GetDataSize() > (64u << 20)) b = rocksdb::WriteBatch();
      b.Clear();
    }
  } reset{batch};
  std::string changes;
  changes.reserve((b.upserts.size() + b.deletes.size()) * 9);
  try {
    for (const auto& d : b.deletes) {
      std::string pk = PointKey(b.cid, d.iid);
      batch.Delete(impl_->cf[kVectors], pk);
      batch.Delete(impl_->cf[kPoints], pk);
      batch.Delete(impl_->cf[kIds], IdKey(b.cid, d.external_key));
      changes.push_back(static_cast<char>(ChangeOp::kDelete));
      PutFixed64BE(&changes, d.iid);
    }
    for (const auto& u : b.upserts) {
      std::string pk = PointKey(b.cid, u.iid);
      rocksdb::Slice vec(reinterpret_cast<const char*>(u.vector.data()), u.vector.size() * sizeof(float));
      batch.Put(impl_->cf[kVectors], pk, vec);
      batch.Put(impl_->cf[kPoints], pk, EncodePointValue(u.external_key, u.payload_json));
      batch.Put(impl_->cf[kIds], IdKey(b.cid, u.external_key), Fixed64(u.iid));
      changes.push_back(static_cast<char>(ChangeOp::kUpsert));
      PutFixed64BE(&changes, u.iid);
    }
    for (const auto& w : b.payload_writes) {
      batch.Put(impl_->cf[kPoints], PointKey(b.cid, w.iid), EncodePointValue(w.external_key, w.payload_json));
    }
    // Deletes first: an entry that a batch both removes and adds (two upserts of one point) stays.
    for (const auto& key : b.index_deletes) batch.Delete(impl_->cf[kPayloadIndex], CidPrefix(b.cid) + key);
    for (const auto& key : b.index_puts) batch.Put(impl_->cf[kPayloadIndex], CidPrefix(b.cid) + key, rocksdb::Slice());
    if (!changes.empty()) {  // a batch of payload writes only leaves the vector index as it is
      std::string ck = CidPrefix(b.cid);
      PutFixed64BE(&ck, seq);
      batch.Put(impl_->cf[kChangelog], ck, changes);
    }
    batch.Put(impl_->cf[kMeta], NextIidKey(b.cid), Fixed64(b.next_iid));
    batch.Put(impl_->cf[kMeta], "seq", Fixed64(seq));
  } catch (const std::exception& e) {
    return Status::IOError(std::string("building write batch: ") + e.what());
  }
  LDB_RETURN_IF_ERROR(impl_->WriteFor(b.cid, &batch, "writing points"));
  impl_->last_seq.store(seq);
  return seq;
}

Result<std::optional<uint64_t>> Store::FindInternalId(uint32_t cid, std::string_view external_key) {
  LDB_ASSIGN_OR_RETURN(auto v, impl_->Get(kIds, IdKey(cid, external_key)));
  if (!v) return std::optional<uint64_t>();
  if (v->size() != 8) return Status::Corruption("id map entry has a bad size");
  return std::optional<uint64_t>(DecodeFixed64BE(v->data()));
}

Result<std::optional<StoredPoint>> Store::GetPoint(uint32_t cid, uint64_t iid) {
  LDB_ASSIGN_OR_RETURN(auto v, impl_->Get(kPoints, PointKey(cid, iid)));
  if (!v) return std::optional<StoredPoint>();
  StoredPoint p;
  p.iid = iid;
  if (!DecodePointValue(*v, &p)) return Status::Corruption("point record is truncated");
  return std::optional<StoredPoint>(std::move(p));
}

namespace {
// A vectors-family value: the floats as stored (little-endian IEEE 754, as written by Apply).
Result<std::vector<float>> DecodeVector(std::string_view bytes) {
  if (bytes.size() % sizeof(float) != 0) return Status::Corruption("vector record has a bad size");
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}
}  // namespace

Status Store::MultiGetVectors(uint32_t cid, const std::vector<uint64_t>& iids, std::vector<std::vector<float>>* out) {
  out->assign(iids.size(), {});
  return VisitVectors(cid, iids, [&](size_t i, const float* v, size_t dim) {
    (*out)[i].assign(v, v + dim);
    return Status::Ok();
  });
}

Status Store::VisitVectors(uint32_t cid, const std::vector<uint64_t>& iids,
                           const std::function<Status(size_t, const float*, size_t)>& visit) {
  std::vector<float> aligned;  // RocksDB's value bytes carry no float alignment
  return impl_->MultiGet(kVectors, cid, iids, [&](size_t i, std::string_view value) -> Status {
    if (value.size() % sizeof(float) != 0) return Status::Corruption("vector record has a bad size");
    aligned.resize(value.size() / sizeof(float));
    std::memcpy(aligned.data(), value.data(), value.size());
    return visit(i, aligned.data(), aligned.size());
  });
}

Status Store::MultiGetPoints(uint32_t cid, const std::vector<uint64_t>& iids, std::vector<std::optional<StoredPoint>>* out) {
  out->assign(iids.size(), std::nullopt);
  return impl_->MultiGet(kPoints, cid, iids, [&](size_t i, std::string_view value) -> Status {
    StoredPoint p;
    p.iid = iids[i];
    if (!DecodePointValue(value, &p)) return Status::Corruption("point record is truncated");
    (*out)[i] = std::move(p);
    return Status::Ok();
  });
}

Result<std::optional<std::vector<float>>> Store::GetVector(uint32_t cid, uint64_t iid) {
  LDB_ASSIGN_OR_RETURN(auto v, impl_->Get(kVectors, PointKey(cid, iid)));
  if (!v) return std::optional<std::vector<float>>();
  LDB_ASSIGN_OR_RETURN(auto out, DecodeVector(*v));
  return std::optional<std::vector<float>>(std::move(out));
}

Result<uint64_t> Store::NextInternalId(uint32_t cid) {
  LDB_ASSIGN_OR_RETURN(auto v, impl_->Get(kMeta, NextIidKey(cid)));
  if (!v) return uint64_t{0};
  if (v->size() != 8) return Status::Corruption("meta next_iid has a bad size");
  return DecodeFixed64BE(v->data());
}

Status Store::ScanPoints(uint32_t cid, uint64_t start_iid, const std::function<bool(const StoredPoint&)>& visit) {
  Status bad;
  StoredPoint p;
  LDB_RETURN_IF_ERROR(impl_->ScanPrefix(kPoints, CidPrefix(cid), PointKey(cid, start_iid),
                                        [&](std::string_view k, std::string_view v) {
    if (k.size() != 12 || !DecodePointValue(v, &p)) {
      bad = Status::Corruption("point record is malformed");
      return false;
    }
    p.iid = DecodeFixed64BE(k.data() + 4);
    return visit(p);
  }));
  return bad;
}

Status Store::ScanIds(uint32_t cid, std::string_view start_key,
                      const std::function<bool(std::string_view, uint64_t)>& visit) {
  Status bad;
  LDB_RETURN_IF_ERROR(impl_->ScanPrefix(kIds, CidPrefix(cid), IdKey(cid, start_key), [&](std::string_view k, std::string_view v) {
    if (k.size() <= 4 || v.size() != 8) {
      bad = Status::Corruption("id map entry is malformed");
      return false;
    }
    return visit(k.substr(4), DecodeFixed64BE(v.data()));
  }));
  return bad;
}

Status Store::ScanVectors(uint32_t cid, const std::function<bool(uint64_t, const float*, size_t)>& visit) {
  Status bad;
  std::vector<float> aligned;
  LDB_RETURN_IF_ERROR(impl_->ScanPrefix(kVectors, CidPrefix(cid), CidPrefix(cid), [&](std::string_view k, std::string_view v) {
    if (k.size() != 12 || v.size() % sizeof(float) != 0) {
      bad = Status::Corruption("vector record is malformed");
      return false;
    }
    aligned.resize(v.size() / sizeof(float));
    std::memcpy(aligned.data(), v.data(), v.size());
    return visit(DecodeFixed64BE(k.data() + 4), aligned.data(), aligned.size());
  }));
  return bad;
}

Status Store::ScanChangelog(uint32_t cid, uint64_t after_seq,
                            const std::function<void(uint64_t, ChangeOp, uint64_t)>& visit) {
  Status bad;
  std::string start = CidPrefix(cid);
  PutFixed64BE(&start, after_seq + 1);
  LDB_RETURN_IF_ERROR(impl_->ScanPrefix(kChangelog, CidPrefix(cid), start, [&](std::string_view k, std::string_view v) {
    if (k.size() != 12 || v.size() % 9 != 0) {
      bad = Status::Corruption("changelog record is malformed");
      return false;
    }
    uint64_t seq = DecodeFixed64BE(k.data() + 4);
    for (size_t i = 0; i < v.size(); i += 9) {
      auto op = static_cast<ChangeOp>(static_cast<uint8_t>(v[i]));
      if (op != ChangeOp::kUpsert && op != ChangeOp::kDelete) {
        bad = Status::Corruption("changelog op is unknown");
        return false;
      }
      visit(seq, op, DecodeFixed64BE(v.data() + i + 1));
    }
    return true;
  }));
  return bad;
}

Status Store::TrimChangelog(uint32_t cid, uint64_t up_to_seq) {
  rocksdb::WriteBatch batch;
  std::string begin = CidPrefix(cid);
  std::string end = CidPrefix(cid);
  PutFixed64BE(&end, up_to_seq + 1);
  batch.DeleteRange(impl_->cf[kChangelog], begin, end);
  return impl_->WriteFor(cid, &batch, "trimming changelog");
}

Status Store::PutIndexEntries(uint32_t cid, const std::vector<std::string>& keys) {
  rocksdb::WriteBatch batch;
  for (const auto& key : keys) batch.Put(impl_->cf[kPayloadIndex], CidPrefix(cid) + key, rocksdb::Slice());
  return impl_->WriteFor(cid, &batch, "writing payload index entries");
}

Status Store::ScanIndexEntries(uint32_t cid, std::string_view prefix,
                               const std::function<bool(std::string_view key)>& visit) {
  const std::string full = CidPrefix(cid) + std::string(prefix);
  return impl_->ScanPrefix(kPayloadIndex, full, full, [&](std::string_view k, std::string_view) {
    return visit(k.substr(4));
  });
}

Status Store::DeleteIndexEntries(uint32_t cid, std::string_view prefix) {
  if (prefix.empty()) return Status::InvalidArgument("DeleteIndexEntries needs a non-empty prefix");
  const std::string begin = CidPrefix(cid) + std::string(prefix);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(impl_->cf[kPayloadIndex], begin, PrefixEnd(begin).value_or(CidPrefix(cid + 1)));
  return impl_->WriteFor(cid, &batch, "deleting payload index entries");
}

uint64_t Store::LastSequence() const { return impl_->last_seq.load(); }

Status Store::Flush(bool wait) {
  LDB_RETURN_IF_ERROR(impl_->ResumeIfNeeded("flushing"));
  rocksdb::FlushOptions fo;
  fo.wait = wait;
  fo.allow_write_stall = true;
  rocksdb::Status s = impl_->db->Flush(fo, impl_->cf);
  if (!s.ok()) impl_->MarkFailed(s);
  return FromRocks(s, "flushing");
}

Status Store::CompactCollection(uint32_t cid) {
  const std::string begin = CidPrefix(cid);
  const std::optional<std::string> end = PrefixEnd(begin);
  const rocksdb::Slice begin_slice(begin);
  const rocksdb::Slice end_slice(end ? *end : std::string());
  // Every family flushed first, together: CompactRange would flush only the family it compacts,
  // and without a WAL (bulk_load) a crash must find a batch's records in all families or none.
  LDB_RETURN_IF_ERROR(Flush());
  rocksdb::CompactRangeOptions options;
  options.allow_write_stall = true;  // a bulk loader waits for this anyway
  for (Family f : {kPoints, kVectors}) {
    rocksdb::Status s;
    try {
      s = impl_->db->CompactRange(options, impl_->cf[f], &begin_slice, end ? &end_slice : nullptr);
    } catch (const std::exception& e) {
      return Status::IOError(std::string("compacting ") + kFamilyNames[f] + ": " + e.what());
    }
    if (!s.ok()) {
      impl_->MarkFailed(s);
      return FromRocks(s, std::string("compacting ") + kFamilyNames[f]);
    }
  }
  return Status::Ok();
}

}  // namespace latentdb::storage
