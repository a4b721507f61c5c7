// The offline sink: opens the data directory with engine::Database in bulk-load mode (taking its
// lock, so a running server makes Open fail with Busy) and upserts through engine::Collection::Upsert in
// large batches.
// The collection is in bulk-load mode while ingesting (the index is built once, in Finish(), from
// the store); background index saves are off; Finish() saves each index once and closes.
#include <chrono>

#include "engine/database.h"
#include "ingest/sink.h"
#include "models/model_registry.h"

namespace latentdb::ingest {
namespace {

class OfflineSink final : public Sink {
 public:
  explicit OfflineSink(OfflineSinkOptions options) : options_(std::move(options)) {}
  ~OfflineSink() override {
    if (db_) db_->Close();
  }

  std::string Describe() const override { return "offline " + options_.data_dir; }

  Status Open() override {
    engine::DatabaseOptions dbo;
    dbo.data_dir = options_.data_dir;
    dbo.persist_interval_seconds = 0;  // one save at the end, not a full HNSW dump every 30 s
    // No WAL: the load is durable at each memtable flush and at Finish(); a killed run loses the
    // writes since the last flush, which the rerun writes again (ids are stable).
    dbo.bulk_load = true;
    LDB_ASSIGN_OR_RETURN(db_, engine::Database::Open(dbo));
    return Status::Ok();
  }

  Result<nlohmann::json> ModelManifest(const std::string& name) override {
    return models::ReadManifest(options_.data_dir, name);
  }
  engine::Database* database() const override { return db_.get(); }

  Result<CollectionTarget> EnsureCollection(const std::string& name, const engine::CollectionConfig& wanted) override {
    CollectionTarget t;
    auto existing = db_->GetCollection(name);
    if (existing.ok()) {
      collection_ = *existing;
    } else if (existing.status().code() == StatusCode::kNotFound) {
      if (wanted.dim == 0) return Status::InvalidArgument("collection '" + name + "' does not exist and the sources give no dimension");
      LDB_ASSIGN_OR_RETURN(collection_, db_->CreateCollection(name, wanted));
      t.created = true;
    } else {
      return existing.status();
    }
    t.config = collection_->config();
    t.points_before = collection_->size();
    // Build (or train) the index once at the end instead of per batch — except for a Flat index,
    // where adding a batch is a copy and a rebuild at the end would only read every vector back
    // from the store.
    if (t.config.index != "Flat") collection_->BeginBulkLoad();
    return t;
  }

  void Expect(uint64_t items) override { collection_->Reserve(items); }

  void Prepare(Item*) const override {}

  Status Write(std::span<const Item> items) override {
    // One copy into the batch's block: the items stay intact so that a refused batch can be split
    // to find the bad item.
    engine::UpsertBatch points;
    points.Reserve(items.size(), items.empty() ? 0 : items.size() * items[0].vector.size());
    for (const auto& it : items) points.Add(it.id, it.vector, it.payload);
    LDB_RETURN_IF_ERROR(collection_->Upsert(std::move(points)));
    if (options_.checkpoint_seconds > 0 &&
        std::chrono::steady_clock::now() - last_checkpoint_ >= std::chrono::duration<double>(options_.checkpoint_seconds)) {
      LDB_RETURN_IF_ERROR(db_->Checkpoint());
      last_checkpoint_ = std::chrono::steady_clock::now();
    }
    return Status::Ok();
  }

  Status Stored(const std::vector<Item>& items, std::vector<bool>* stored) override {
    stored->assign(items.size(), false);
    for (size_t i = 0; i < items.size(); ++i) {
      LDB_ASSIGN_OR_RETURN(auto rec, collection_->Get(items[i].id, /*with_vector=*/false));
      (*stored)[i] = rec.has_value();
    }
    return Status::Ok();
  }

  Result<size_t> Count() override { return collection_ ? collection_->size() : 0; }

  Status Finish() override {
    if (!db_) return Status::Ok();
    Status s = collection_ ? collection_->EndBulkLoad() : Status::Ok();
    if (s.ok()) s = db_->Checkpoint();
    db_->Close();
    db_.reset();
    return s;
  }

 private:
  OfflineSinkOptions options_;
  std::unique_ptr<engine::Database> db_;
  std::shared_ptr<engine::Collection> collection_;
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();
};

}  // namespace

std::unique_ptr<Sink> MakeOfflineSink(const OfflineSinkOptions& options) { return std::make_unique<OfflineSink>(options); }

}  // namespace latentdb::ingest
