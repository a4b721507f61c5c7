#pragma once
// Sink: where the ingest pipeline writes — a data directory opened in this process (offline) or a
// running server over HTTP (online). The pipeline calls Open, then EnsureCollection, then, from
// worker threads, Prepare for each item, and from the one writer thread Write (and, with --resume,
// Stored) for each batch, and Finish at the end.

#include <nlohmann/json.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/collection_config.h"
#include "ingest/item.h"

namespace latentdb::engine {
class Database;
}

namespace latentdb::ingest {

struct CollectionTarget {
  engine::CollectionConfig config;  // as stored (for an existing collection) or as created
  bool created = false;
  size_t points_before = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // "offline ./data" / "online http://127.0.0.1:8080", for messages.
  virtual std::string Describe() const = 0;
  // Connects / opens the data directory. Busy when a server holds the directory.
  virtual Status Open() = 0;
  // The manifest of registered model NAME (its kind and dim; see models): offline from the
  // data directory, online from GET /models/NAME. NotFound when there is no such model.
  virtual Result<nlohmann::json> ModelManifest(const std::string& name) = 0;
  // The open data directory (offline, after Open), for encoders that read it; nullptr online.
  virtual engine::Database* database() const { return nullptr; }
  // Returns the collection, creating it with `wanted` when it does not exist (wanted.dim == 0:
  // the dimension is unknown, so a missing collection is an error).
  virtual Result<CollectionTarget> EnsureCollection(const std::string& name, const engine::CollectionConfig& wanted) = 0;
  // A hint, when the sources know their size: about `items` items are coming (the offline sink
  // sizes the collection's maps and index storage once).
  virtual void Expect(uint64_t /*items*/) {}
  // Called on worker threads for each validated item: the sink's chance to pre-serialize it into
  // item->wire (and drop what it no longer needs; Write then reads only what Prepare kept).
  // An item with raw input (item->raw) only reaches an online sink. Thread-safe.
  virtual void Prepare(Item* item) const = 0;
  // Upserts the items as one batch, all or nothing. InvalidArgument / PayloadTooLarge mean the
  // batch (some item in it) was refused and nothing was written; other errors are fatal.
  virtual Status Write(std::span<const Item> items) = 0;
  // For --resume: marks in `stored` which of the items are already in the collection.
  virtual Status Stored(const std::vector<Item>& items, std::vector<bool>* stored) = 0;
  // Points in the collection now.
  virtual Result<size_t> Count() = 0;
  // Offline: saves the index and closes the directory. Online: nothing to do.
  virtual Status Finish() = 0;
  // Requests sent again after a connection loss or a 5xx (online), for the summary.
  virtual uint64_t retries() const { return 0; }
};

struct OfflineSinkOptions {
  std::string data_dir = "./data";
  // The data directory is opened for bulk loading (no WAL, see engine::DatabaseOptions): writes
  // become durable at a checkpoint — every `checkpoint_seconds` (0: never on a timer), whenever a
  // memtable fills, and in Finish().
  double checkpoint_seconds = 10;
};
std::unique_ptr<Sink> MakeOfflineSink(const OfflineSinkOptions& options);

struct OnlineSinkOptions {
  std::string url;         // http://host:port
  std::string api_key;     // sent as `api-key` when not empty
  int max_attempts = 8;    // per request, on connection loss and 5xx
  int initial_backoff_ms = 100;  // doubled after each failed attempt, capped at max_backoff_ms
  int max_backoff_ms = 5000;
};
std::unique_ptr<Sink> MakeOnlineSink(const OnlineSinkOptions& options);

}  // namespace latentdb::ingest
