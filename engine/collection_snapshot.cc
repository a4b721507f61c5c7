// Collection's half of a snapshot: its vector index and its store records at one instant.
#include <mutex>

#include "common/file_util.h"
#include "engine/collection.h"
#include "storage/store.h"

namespace latentdb::engine {

Result<CollectionSnapshotFiles> Collection::ExportSnapshot(const std::string& dir) const {
  CollectionSnapshotFiles out;
  std::unique_ptr<storage::ReadView> view;
  {
    // Writers take mutex_ exclusively around their store write and index update: under the
    // shared lock, the index and the store agree, and the read view fixes that instant.
    std::shared_lock lock(mutex_);
    // A bulk load leaves the index stale (EndBulkLoad rebuilds it); code files live outside the
    // index file; a flat index is never saved. These are rebuilt from the vectors on restore.
    if (!bulk_loading_ && index_->WorthSaving() && index_->CodesFileName().empty()) {
      LDB_ASSIGN_OR_RETURN(auto file, AtomicFileWriter::Create(dir + "/index.idx"));
      // Sequence 0: the restored collection has no changelog, so nothing is replayed into it,
      // and every later write of the store it lands in is newer.
      LDB_RETURN_IF_ERROR(index_->WriteTo(file.get(), 0));
      LDB_RETURN_IF_ERROR(file->Commit(/*sync=*/false));  // the archive is fsynced as a whole
      out.has_index = true;
    }
    view = store_->OpenReadView();
    out.points = ids_.size();
  }
  LDB_ASSIGN_OR_RETURN(out.records, store_->ExportCollection(*view, cid_, dir));
  return out;
}

}  // namespace latentdb::engine
