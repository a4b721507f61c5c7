#include "words/fasttext_model.h"

#include <fasttext/fasttext.h>

#include <exception>
#include <iostream>
#include <streambuf>
#include <new>

namespace latentdb::words {

FastTextModel::FastTextModel() : ft_(std::make_unique<fasttext::FastText>()) {}
FastTextModel::~FastTextModel() = default;

Result<std::unique_ptr<FastTextModel>> FastTextModel::Load(const std::string& path) {
  LDB_ASSIGN_OR_RETURN(formats::FastTextFileInfo info, formats::InspectFastTextFile(path));
  (void)info;
  std::unique_ptr<FastTextModel> m(new FastTextModel());
  try {
    m->ft_->loadModel(path);
    m->counts_ = m->ft_->getDictionary()->getCounts(fasttext::entry_type::word);
  } catch (const std::bad_alloc&) {
    return Status::Corruption(path + ": fastText ran out of memory loading the model");
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": fastText refused the model: " + e.what());
  }
  return m;
}

Result<std::unique_ptr<FastTextModel>> FastTextModel::Train(const TrainOptions& o,
                                                            const std::function<void(const TrainProgress&)>& progress) {
  fasttext::Args args;
  args.input = o.corpus;
  args.output = "";
  if (o.model == "skipgram") {
    args.model = fasttext::model_name::sg;
  } else if (o.model == "cbow") {
    args.model = fasttext::model_name::cbow;
  } else {
    return Status::InvalidArgument("model must be skipgram or cbow, not '" + o.model + "'");
  }
  args.dim = o.dim;
  args.epoch = o.epoch;
  args.minCount = o.min_count;
  args.ws = o.window;
  args.thread = o.threads;
  args.minn = o.minn;
  args.maxn = o.maxn;
  args.neg = o.neg;
  args.lr = o.lr;
  args.bucket = o.maxn > 0 ? o.bucket : 0;
  args.loss = fasttext::loss_name::ns;
  // verbose 2: fastText updates the loss it hands to the callback only at this level; it also
  // prints its own progress to std::cerr, which is silenced while training (our caller prints).
  args.verbose = 2;
  std::unique_ptr<FastTextModel> m(new FastTextModel());
  struct NullBuf : std::streambuf {
    int overflow(int c) override { return c; }
  } null_buf;
  struct CerrSilencer {
    std::streambuf* saved;
    explicit CerrSilencer(std::streambuf* b) : saved(std::cerr.rdbuf(b)) {}
    ~CerrSilencer() { std::cerr.rdbuf(saved); }
  } silence(&null_buf);
  try {
    m->ft_->train(args, [&](float p, float loss, double wst, double lr, int64_t eta) {
      if (progress) progress(TrainProgress{p, loss, wst, lr, eta});
    });
    m->counts_ = m->ft_->getDictionary()->getCounts(fasttext::entry_type::word);
  } catch (const std::bad_alloc&) {
    return Status::Internal("fastText ran out of memory while training");
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("fastText training failed: ") + e.what());
  }
  return m;
}

Status FastTextModel::Save(const std::string& path) const {
  try {
    ft_->saveModel(path);
  } catch (const std::exception& e) {
    return Status::IOError("saving fastText model " + path + ": " + e.what());
  }
  return Status::Ok();
}

int FastTextModel::dim() const { return ft_->getDimension(); }
size_t FastTextModel::vocab_size() const { return counts_.size(); }
std::string FastTextModel::Word(size_t i) const { return ft_->getDictionary()->getWord(static_cast<int32_t>(i)); }
int64_t FastTextModel::Count(size_t i) const { return counts_[i]; }
int64_t FastTextModel::ntokens() const { return ft_->getDictionary()->ntokens(); }
bool FastTextModel::has_subwords() const { return ft_->getArgs().maxn > 0; }
bool FastTextModel::Contains(const std::string& word) const { return ft_->getWordId(word) >= 0; }

std::vector<float> FastTextModel::WordVector(const std::string& word) const {
  fasttext::Vector v(ft_->getDimension());
  ft_->getWordVector(v, word);
  return std::vector<float>(v.data(), v.data() + v.size());
}

}  // namespace latentdb::words
