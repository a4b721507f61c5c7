#pragma once
// Models: the registry's models loaded by one process (server or ingest tool), by name. Each is
// loaded once — its manifest read, its weights or vectors opened — and then looked up in memory
// per request. A model that fails to load is not kept: that request gets the reason and the
// next one tries again, so one bad model never takes the server down.
//
// It lives beside engine::Database (whoever opens the data directory creates both) rather than
// inside it: the core (collections, filters, ids) does not depend on LibTorch or fastText.
// Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"
#include "inference/encoder.h"

namespace latentdb::engine {
class Collection;
class Database;
}  // namespace latentdb::engine

namespace latentdb::inference {

class Models {
 public:
  // `db` is the open data directory (word models read their vectors from their collection);
  // image models read DATA_DIR/models/NAME. Both outlive this object.
  Models(std::string data_dir, engine::Database* db);
  ~Models();
  Models(const Models&) = delete;
  Models& operator=(const Models&) = delete;

  // The model NAME as an encoder. NotFound when the registry has no such model; InvalidArgument
  // for an unknown kind; Corruption / IOError when its files do not load.
  Result<std::shared_ptr<const Encoder>> Get(const std::string& name);

  // The encoder of collection `c` (its config's "encoder"), required to take `input`.
  // InvalidArgument when the collection has no encoder, or one of the other input kind, with a
  // message saying what to send instead; the model's load error otherwise.
  Result<std::shared_ptr<const Encoder>> ForCollection(const engine::Collection& c, InputKind input);

  const std::string& data_dir() const { return data_dir_; }
  engine::Database* db() const { return db_; }

 private:
  const std::string data_dir_;
  engine::Database* const db_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Encoder>> loaded_;
};

}  // namespace latentdb::inference
