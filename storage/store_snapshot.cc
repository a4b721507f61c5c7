// Store: a collection's records exported to SST files and ingested back under a new collection
// id (the storage half of snapshots), and the removal of records no catalog entry names.
//
// Why SST files and not a column family per collection: every write batch of the engine spans
// the shared families (a point's vector, record, id and index entries commit together), and
// RocksDB's own tools for key ranges keep that layout: an iterator over a RocksDB snapshot writes
// the range into SstFileWriter files, and IngestExternalFiles adds them to the live database
// atomically across families, without a write through the WAL and memtable per record.
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>

#include <map>
#include <set>
#include <unordered_set>

#include "common/logging.h"
#include "storage/store_internal.h"

namespace latentdb::storage {
namespace {

class RocksReadView : public ReadView {
 public:
  RocksReadView(rocksdb::DB* db, const rocksdb::Snapshot* snapshot) : db_(db), snapshot_(snapshot) {}
  ~RocksReadView() override { db_->ReleaseSnapshot(snapshot_); }
  const rocksdb::Snapshot* snapshot() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// The families a collection's records live in, as exported: each with the prefix its keys carry
// in the store. Attachments are the meta family's "att" + cid range.
struct ExportedRange {
  const char* name;
  Family family;
  bool attachments;
};
constexpr ExportedRange kExportedRanges[] = {{"vectors", kVectors, false},
                                             {"points", kPoints, false},
                                             {"ids", kIds, false},
                                             {"payload_index", kPayloadIndex, false},
                                             {"attachments", kMeta, true}};

std::string RangePrefix(const ExportedRange& r, uint32_t cid) {
  return r.attachments ? AttachmentPrefix(cid) : CidPrefix(cid);
}

// SstFileWriter over one family's options; every call's exception and status become a Status.
class SstWriter {
 public:
  SstWriter(const rocksdb::Options& options, rocksdb::ColumnFamilyHandle* cf)
      : writer_(rocksdb::EnvOptions(), options, cf) {}
  Status Open(const std::string& path) {
    path_ = path;
    return Check([&] { return writer_.Open(path); }, "creating");
  }
  Status Put(std::string_view key, std::string_view value) {
    ++records_;
    return Check([&] { return writer_.Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())); },
                 "writing");
  }
  // Finishes the file (fsynced by RocksDB); an empty writer leaves no file (RocksDB refuses one).
  Status Finish() {
    if (records_ == 0) return Status::Ok();
    return Check([&] { return writer_.Finish(); }, "finishing");
  }
  uint64_t records() const { return records_; }

 private:
  template <typename F>
  Status Check(F&& f, const char* what) {
    rocksdb::Status s;
    try {
      s = f();
    } catch (const std::exception& e) {
      s = rocksdb::Status::IOError(e.what());
    }
    return FromRocks(s, std::string(what) + " SST file " + path_);
  }
  rocksdb::SstFileWriter writer_;
  std::string path_;
  uint64_t records_ = 0;
};

// Visits every record of an SST file in key order.
template <typename Visit>
Status ReadSst(const rocksdb::Options& options, const std::string& path, Visit&& visit) {
  try {
    rocksdb::SstFileReader reader(options);
    rocksdb::Status s = reader.Open(path);
    if (!s.ok()) return Status::Corruption("snapshot file " + path + " is not an SST file: " + s.ToString());
    s = reader.VerifyChecksum();
    if (!s.ok()) return Status::Corruption("snapshot file " + path + " fails its block checksums: " + s.ToString());
    std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      LDB_RETURN_IF_ERROR(visit(std::string_view(it->key().data(), it->key().size()),
                                std::string_view(it->value().data(), it->value().size())));
    }
    if (!it->status().ok()) return Status::Corruption("reading snapshot file " + path + ": " + it->status().ToString());
  } catch (const std::exception& e) {
    return Status::Corruption("reading snapshot file " + path + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace

Status Store::Impl::RemoveUnnamedRecords() {
  Store::Impl& impl = *this;
  std::unordered_set<uint32_t> named;
  bool damaged = false;
  LDB_RETURN_IF_ERROR(impl.ScanPrefix(kCatalog, "", "", [&](std::string_view, std::string_view v) {
    if (v.size() < 4) {
      damaged = true;  // its records cannot be told from orphans: keep everything
    } else {
      named.insert(DecodeFixed32BE(v.data()));
    }
    return true;
  }));
  if (damaged) return Status::Ok();
  // The collection ids present in a family under `prefix` + cid, one seek per id.
  std::set<uint32_t> orphans;
  // A one-off scan at open: its blocks stay out of the block cache (fill_cache false), which is
  // left to the queries.
  rocksdb::ReadOptions scan;
  scan.fill_cache = false;
  auto collect = [&](Family family, const std::string& prefix) -> Status {
    try {
      std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(scan, impl.cf[family]));
      for (it->Seek(prefix); it->Valid();) {
        std::string_view key(it->key().data(), it->key().size());
        if (!key.starts_with(prefix) || key.size() < prefix.size() + 4) break;
        const uint32_t cid = DecodeFixed32BE(key.data() + prefix.size());
        if (!named.count(cid)) orphans.insert(cid);
        if (cid == UINT32_MAX) break;
        it->Seek(prefix + CidPrefix(cid + 1));
      }
      return FromRocks(it->status(), std::string("scanning ") + kFamilyNames[family]);
    } catch (const std::exception& e) {
      return Status::IOError(std::string("scanning ") + kFamilyNames[family] + ": " + e.what());
    }
  };
  for (Family f : {kVectors, kPoints, kIds, kChangelog, kPayloadIndex}) LDB_RETURN_IF_ERROR(collect(f, ""));
  LDB_RETURN_IF_ERROR(collect(kMeta, "att"));
  LDB_RETURN_IF_ERROR(collect(kMeta, "next_iid"));
  if (orphans.empty()) return Status::Ok();
  rocksdb::WriteBatch batch;
  for (uint32_t cid : orphans) impl.DeleteCollectionRecords(cid, &batch);
  LogWarn("store: removing the records of " + std::to_string(orphans.size()) +
          " collection id(s) no catalog entry names (left by a crash during a restore)");
  return impl.Write(&batch, "removing records no collection owns");
}

std::unique_ptr<ReadView> Store::OpenReadView() {
  return std::make_unique<RocksReadView>(impl_->db, impl_->db->GetSnapshot());
}

Result<CollectionExport> Store::ExportCollection(const ReadView& view, uint32_t cid, const std::string& dir) {
  const auto* snapshot = static_cast<const RocksReadView&>(view).snapshot();
  CollectionExport out;
  for (const ExportedRange& range : kExportedRanges) {
    const std::string prefix = RangePrefix(range, cid);
    const std::string file = std::string(range.name) + ".sst";
    SstWriter writer(impl_->db->GetOptions(impl_->cf[range.family]), impl_->cf[range.family]);
    LDB_RETURN_IF_ERROR(writer.Open(dir + "/" + file));
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    ro.fill_cache = false;  // a whole collection read once: keep the serving working set
    const std::optional<std::string> upper = PrefixEnd(prefix);
    rocksdb::Slice upper_slice(upper ? *upper : std::string_view());
    if (upper) ro.iterate_upper_bound = &upper_slice;
    Status written;
    try {
      std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf[range.family]));
      for (it->Seek(prefix); it->Valid() && written.ok(); it->Next()) {
        std::string_view key(it->key().data(), it->key().size());
        if (!key.starts_with(prefix)) break;
        written = writer.Put(key.substr(prefix.size()), std::string_view(it->value().data(), it->value().size()));
      }
      if (written.ok()) written = FromRocks(it->status(), std::string("exporting ") + range.name);
    } catch (const std::exception& e) {
      written = Status::IOError(std::string("exporting ") + range.name + ": " + e.what());
    }
    LDB_RETURN_IF_ERROR(written);
    LDB_RETURN_IF_ERROR(writer.Finish());
    if (writer.records() > 0) out.files.push_back({range.name, file, writer.records()});
  }
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string next;
  rocksdb::Status s = impl_->db->Get(ro, impl_->cf[kMeta], NextIidKey(cid), &next);
  if (s.ok() && next.size() == 8) {
    out.next_iid = DecodeFixed64BE(next.data());
  } else if (!s.IsNotFound()) {
    return s.ok() ? Status::Corruption("meta 'next_iid' has a bad size") : FromRocks(s, "reading the id counter");
  }
  return out;
}

Result<CollectionRecord> Store::ImportCollection(const std::string& name, const std::string& config_json,
                                                 const CollectionExport& exported, const std::string& dir,
                                                 const CollectionRecord* replacing) {
  std::lock_guard<std::mutex> lock(impl_->catalog_mutex);
  LDB_ASSIGN_OR_RETURN(auto existing, impl_->Get(kCatalog, name));
  if (!replacing && existing) return Status::AlreadyExists("collection '" + name + "' already exists");
  if (replacing && (!existing || existing->size() < 4 || DecodeFixed32BE(existing->data()) != replacing->id)) {
    return Status::Conflict("collection '" + name + "' changed while it was being restored; nothing was restored");
  }
  LDB_ASSIGN_OR_RETURN(auto next, impl_->Get(kMeta, "next_cid"));
  uint32_t cid = 1;
  if (next) {
    if (next->size() != 4) return Status::Corruption("meta 'next_cid' has a bad size");
    cid = DecodeFixed32BE(next->data());
  }

  std::vector<rocksdb::IngestExternalFileArg> args;
  auto ingest_file = [&](Family family, const std::string& path) {
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = impl_->cf[family];
    arg.external_files = {path};
    arg.options.move_files = true;           // the files are ours: link them in, no copy
    arg.options.allow_blocking_flush = true; // a replaced catalog entry may sit in a memtable
    args.push_back(std::move(arg));
  };
  const rocksdb::Options options = impl_->db->GetOptions();
  std::map<std::string, const CollectionExport::File*> by_family;
  for (const auto& f : exported.files) by_family[f.family] = &f;
  // The meta family's records: attachments first ("att" sorts before "next_…"), then counters.
  SstWriter meta(impl_->db->GetOptions(impl_->cf[kMeta]), impl_->cf[kMeta]);
  LDB_RETURN_IF_ERROR(meta.Open(dir + "/import-meta.sst"));
  for (const ExportedRange& range : kExportedRanges) {
    auto it = by_family.find(range.name);
    if (it == by_family.end()) continue;
    if (it->second->name.find('/') != std::string::npos) return Status::Corruption("export file name with a '/'");
    const std::string prefix = RangePrefix(range, cid);
    const std::string source = dir + "/" + it->second->name;
    uint64_t records = 0;
    if (range.attachments) {
      LDB_RETURN_IF_ERROR(ReadSst(options, source, [&](std::string_view k, std::string_view v) {
        ++records;
        return meta.Put(prefix + std::string(k), v);
      }));
    } else {
      SstWriter writer(impl_->db->GetOptions(impl_->cf[range.family]), impl_->cf[range.family]);
      const std::string target = dir + "/import-" + range.name + ".sst";
      LDB_RETURN_IF_ERROR(writer.Open(target));
      LDB_RETURN_IF_ERROR(ReadSst(options, source, [&](std::string_view k, std::string_view v) {
        ++records;
        return writer.Put(prefix + std::string(k), v);
      }));
      LDB_RETURN_IF_ERROR(writer.Finish());
      if (writer.records() > 0) ingest_file(range.family, target);
    }
    if (records != it->second->records) {
      return Status::Corruption(std::string("snapshot file for ") + range.name + " holds " + std::to_string(records) +
                                " records, its manifest says " + std::to_string(it->second->records));
    }
  }
  LDB_RETURN_IF_ERROR(meta.Put("next_cid", CidPrefix(cid + 1)));
  LDB_RETURN_IF_ERROR(meta.Put(NextIidKey(cid), Fixed64(exported.next_iid)));
  LDB_RETURN_IF_ERROR(meta.Finish());
  ingest_file(kMeta, dir + "/import-meta.sst");
  SstWriter catalog(impl_->db->GetOptions(impl_->cf[kCatalog]), impl_->cf[kCatalog]);
  LDB_RETURN_IF_ERROR(catalog.Open(dir + "/import-catalog.sst"));
  LDB_RETURN_IF_ERROR(catalog.Put(name, CidPrefix(cid) + config_json));
  LDB_RETURN_IF_ERROR(catalog.Finish());
  ingest_file(kCatalog, dir + "/import-catalog.sst");

  {
    // Under the exclusive drop lock: no write of the replaced collection lands between the
    // ingestion and the removal of its records.
    std::unique_lock drop_lock(impl_->drop_mutex);
    LDB_RETURN_IF_ERROR(impl_->ResumeIfNeeded("restoring collection '" + name + "'"));
    rocksdb::Status s;
    try {
      s = impl_->db->IngestExternalFiles(args);
    } catch (const std::exception& e) {
      s = rocksdb::Status::IOError(e.what());
    }
    LDB_RETURN_IF_ERROR(FromRocks(s, "ingesting the snapshot of collection '" + name + "' (nothing was restored)"));
    if (replacing) {
      impl_->dropped.insert(replacing->id);
      rocksdb::WriteBatch batch;
      impl_->DeleteCollectionRecords(replacing->id, &batch);
      if (Status removed = impl_->Write(&batch, "removing the replaced records of '" + name + "'"); !removed.ok()) {
        // The restore stands; the old records are garbage the next open removes.
        LogWarn(removed.message());
      }
    }
  }
  return CollectionRecord{cid, name, config_json, ""};
}

}  // namespace latentdb::storage
