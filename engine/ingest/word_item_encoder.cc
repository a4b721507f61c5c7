#include "engine/ingest/word_item_encoder.h"

#include "engine/words/word_model.h"

namespace latentdb::engine::ingest {
namespace {

std::string Clip(const std::string& s) { return s.size() <= 40 ? s : s.substr(0, 40) + "…"; }

class WordItemEncoder final : public ItemEncoder {
 public:
  explicit WordItemEncoder(std::shared_ptr<words::WordModel> model) : model_(std::move(model)) {}

  const std::string& name() const override { return model_->name(); }
  size_t dim() const override { return model_->dim(); }
  bool Accepts(RawInput::Kind kind) const override { return kind == RawInput::Kind::kText; }

  std::vector<Result<EncodedInput>> Encode(const std::vector<const RawInput*>& inputs) const override {
    std::vector<Result<EncodedInput>> out;
    out.reserve(inputs.size());
    for (const RawInput* in : inputs) {
      auto tv = model_->TextVector(in->bytes);
      if (!tv.ok()) {  // no tokens, too many, or none with a vector
        out.push_back(Status::InvalidArgument("bad text: " + tv.status().message()));
      } else if (tv->tokens.size() == tv->unknown.size()) {
        out.push_back(Status::InvalidArgument("bad text: no word of '" + Clip(in->bytes) + "' is known to model '" +
                                              model_->name() + "'"));
      } else {
        out.push_back(EncodedInput{std::move(tv->vector), nullptr});
      }
    }
    return out;
  }

 private:
  std::shared_ptr<words::WordModel> model_;
};

}  // namespace

Result<std::unique_ptr<ItemEncoder>> MakeWordItemEncoder(engine::Database* db, const std::string& name) {
  LDB_ASSIGN_OR_RETURN(auto model, words::WordModel::Open(db, name));
  return std::unique_ptr<ItemEncoder>(new WordItemEncoder(std::move(model)));
}

}  // namespace latentdb::engine::ingest
