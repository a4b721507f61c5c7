// Store's replication primitives (cluster mode, docs/cluster.md): the WAL's batches since a
// sequence number (RocksDB's GetUpdatesSince), a primary's batch written unchanged on a replica,
// and a checkpoint of the whole store (RocksDB's Checkpoint).
#include <rocksdb/transaction_log.h>
#include <rocksdb/utilities/checkpoint.h>

#include "common/coding.h"
#include "common/file_util.h"
#include "storage/store.h"
#include "storage/store_internal.h"

namespace latentdb::storage {
namespace {

// Walks a replicated batch before it is written: RocksDB would log a malformed batch to the WAL
// and then fail half-way through its memtable insert. Counts the operations and checks that each
// names one of the store's column families (same ids on every copy: the store creates them in one
// order). Anything else — blob indexes, transaction markers, wide-column entities — is refused.
// Also notes what the batch changes that an engine holds in memory (ReplicatedChanges).
class BatchCheck : public rocksdb::WriteBatch::Handler {
 public:
  uint64_t operations = 0;
  ReplicatedChanges changes;

  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    return Note(cf, key, kPut);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override { return Note(cf, key, kDelete); }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override { return Note(cf, key, kDelete); }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin, const rocksdb::Slice&) override {
    return Note(cf, begin, kRange);
  }
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::InvalidArgument("merge operations are not LatentDB's");
  }

 private:
  enum Kind { kPut, kDelete, kRange };
  rocksdb::Status Note(uint32_t cf, const rocksdb::Slice& key, Kind kind) {
    // Family ids: 0 the default family (unused), then one per internal::Family.
    if (cf == 0 || cf > static_cast<uint32_t>(kNumFamilies)) return rocksdb::Status::InvalidArgument("unknown column family");
    ++operations;
    const std::string_view k(key.data(), key.size());
    auto cid = [&](size_t at) -> std::optional<uint32_t> {
      if (k.size() < at + 4) return std::nullopt;
      return DecodeFixed32BE(k.data() + at);
    };
    switch (static_cast<Family>(cf - 1)) {
      case kCatalog:
        changes.catalog = true;
        break;
      case kChangelog:
        if (kind == kPut) {  // deletes are trims of entries already applied
          if (auto c = cid(0)) changes.points.insert(*c);
        }
        break;
      case kMeta:
        if (k.substr(0, 3) == "att") {
          if (auto c = cid(3)) {
            const std::string_view rest = k.substr(7);
            changes.attachment_kinds[*c].insert(std::string(rest.substr(0, rest.find('\0'))));
          }
        }
        break;
      case kPayloadIndex:
        if (auto c = cid(0)) {
          if (kind == kRange) {
            changes.index_reset.insert(*c);
          } else {
            changes.index_entries[*c].emplace_back(std::string(k.substr(4)), kind == kPut);
          }
        }
        break;
      default:
        break;
    }
    return rocksdb::Status::OK();
  }
};

}  // namespace

uint64_t Store::WalSequence() const { return impl_->db->GetLatestSequenceNumber(); }

Result<std::vector<ReplicatedBatch>> Store::WalSince(uint64_t from, size_t max_bytes) {
  std::vector<ReplicatedBatch> out;
  if (from > impl_->db->GetLatestSequenceNumber()) return out;
  std::unique_ptr<rocksdb::TransactionLogIterator> it;
  rocksdb::Status s;
  try {
    s = impl_->db->GetUpdatesSince(from, &it);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("reading the WAL: ") + e.what());
  }
  if (s.IsNotFound()) return Status::NotFound("the WAL no longer holds sequence number " + std::to_string(from));
  LDB_RETURN_IF_ERROR(FromRocks(s, "reading the WAL"));
  size_t bytes = 0;
  uint64_t expected = from;
  for (; it->Valid(); it->Next()) {
    rocksdb::BatchResult r = it->GetBatch();
    if (r.sequence != expected) {
      // The first batch must start at `from`, and each next one where its predecessor ended:
      // anything else is a gap in the log (files removed under us) or a `from` inside a batch.
      if (out.empty() && r.sequence < from)
        return Status::InvalidArgument("sequence number " + std::to_string(from) + " is inside a logged batch");
      return Status::NotFound("the WAL has a gap before sequence number " + std::to_string(expected));
    }
    ReplicatedBatch b;
    b.sequence = r.sequence;
    b.count = r.writeBatchPtr->Count();
    b.data = r.writeBatchPtr->Data();
    expected = b.sequence + b.count;
    bytes += b.data.size();
    out.push_back(std::move(b));
    if (bytes >= max_bytes) break;
  }
  if (out.empty()) LDB_RETURN_IF_ERROR(FromRocks(it->status(), "reading the WAL"));
  return out;
}

Status Store::ApplyReplicated(const ReplicatedBatch& batch, ReplicatedChanges* changes) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  const uint64_t latest = impl_->db->GetLatestSequenceNumber();
  if (batch.sequence != latest + 1)
    return Status::InvalidArgument("replicated batch at sequence number " + std::to_string(batch.sequence) +
                                   " does not follow this store's " + std::to_string(latest));
  // A write batch's bytes: an 8-byte sequence number, a 4-byte count, then the operations.
  if (batch.data.size() < 12 || batch.count == 0)
    return Status::InvalidArgument("a replicated batch must hold at least one operation");
  rocksdb::WriteBatch wb(batch.data);
  BatchCheck check;
  rocksdb::Status walked;
  try {
    walked = wb.Iterate(&check);
  } catch (const std::exception& e) {
    walked = rocksdb::Status::Corruption(e.what());
  }
  if (!walked.ok()) return Status::InvalidArgument("replicated batch is malformed: " + walked.ToString());
  if (wb.Count() != batch.count || check.operations != batch.count)
    return Status::InvalidArgument("replicated batch holds " + std::to_string(check.operations) + " operations, not " +
                                   std::to_string(batch.count));
  LDB_RETURN_IF_ERROR(impl_->Write(&wb, "applying a replicated batch"));
  // The batch may have advanced LatentDB's own sequence number (meta "seq", see Apply).
  LDB_ASSIGN_OR_RETURN(auto seq, impl_->Get(kMeta, "seq"));
  if (seq) {
    if (seq->size() != 8) return Status::Corruption("meta 'seq' has a bad size");
    impl_->last_seq.store(DecodeFixed64BE(seq->data()));
  }
  if (impl_->db->GetLatestSequenceNumber() != batch.sequence + batch.count - 1)
    return Status::Internal("a replicated batch was given other sequence numbers than its primary's");
  if (changes) {
    ReplicatedChanges& c = check.changes;
    changes->catalog |= c.catalog;
    changes->points.insert(c.points.begin(), c.points.end());
    for (auto& [cid, kinds] : c.attachment_kinds) changes->attachment_kinds[cid].merge(kinds);
    for (auto& [cid, entries] : c.index_entries) {
      auto& to = changes->index_entries[cid];
      to.insert(to.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
    }
    changes->index_reset.insert(c.index_reset.begin(), c.index_reset.end());
  }
  return Status::Ok();
}

Status Store::CreateCheckpoint(const std::string& dir) {
  if (PathExists(dir)) return Status::AlreadyExists("checkpoint directory '" + dir + "' exists");
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(impl_->db, &raw);
  LDB_RETURN_IF_ERROR(FromRocks(s, "starting a checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  try {
    // log_size_for_flush 0: the memtables are flushed first, so the copy needs no WAL replay.
    s = checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("writing a checkpoint: ") + e.what());
  }
  return FromRocks(s, "writing a checkpoint to '" + dir + "'");
}

}  // namespace latentdb::storage
