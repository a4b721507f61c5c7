#include "words/word_model.h"

#include <algorithm>
#include <cmath>

#include "common/logging.h"
#include "formats/fasttext_file.h"
#include "models/model_registry.h"
#include "words/tokenize.h"
#include "index/distance.h"

namespace latentdb::words {

using nlohmann::json;

namespace {

Status CheckK(size_t k) {
  if (k < 1 || k > engine::kMaxK) return Status::InvalidArgument("k must be 1…" + std::to_string(engine::kMaxK));
  return Status::Ok();
}

Status CheckWordList(const std::vector<std::string>& words, const char* what) {
  if (words.size() > kMaxWordsPerRequest) {
    return Status::InvalidArgument(std::string(what) + ": at most " + std::to_string(kMaxWordsPerRequest) + " words");
  }
  return Status::Ok();
}

}  // namespace

std::vector<float> UnitVector(const std::vector<float>& v) {
  std::vector<float> u(v);
  index::NormalizeInPlace(u.data(), u.size());  // the engine's one normalization (zero stays zero)
  return u;
}

Result<std::shared_ptr<WordModel>> WordModel::Open(engine::Database* db, const std::string& name) {
  LDB_ASSIGN_OR_RETURN(json manifest, models::ReadManifest(db->options().data_dir, name));
  auto c = db->GetCollection(name);
  if (!c.ok()) return Status::NotFound("word model '" + name + "' has no collection (was it deleted?)");
  std::shared_ptr<WordModel> m(new WordModel());
  m->name_ = name;
  m->manifest_ = std::move(manifest);
  m->collection_ = *c;
  std::string bin = models::FastTextPath(db->options().data_dir, m->manifest_);
  if (!bin.empty()) {
    // Validate now (cheap: the dictionary is read, the matrices are skipped); load on first use.
    auto info = formats::InspectFastTextFile(bin);
    if (!info.ok()) return info.status().WithContext("word model '" + name + "'");
    if (static_cast<size_t>(info->dim) != m->collection_->config().dim) {
      return Status::Corruption("word model '" + name + "': model.bin has dimension " + std::to_string(info->dim) +
                                ", the collection " + std::to_string(m->collection_->config().dim));
    }
    if (info->maxn > 0) m->fasttext_path_ = bin;
  }
  return m;
}

Result<const FastTextModel*> WordModel::Subwords() const {
  if (fasttext_path_.empty()) return Status::NotFound("no subwords");
  std::call_once(fasttext_once_, [this] {
    auto ft = FastTextModel::Load(fasttext_path_);
    if (ft.ok()) {
      fasttext_ = std::move(ft).value();
    } else {
      fasttext_status_ = ft.status().WithContext("word model '" + name_ + "'");
    }
  });
  if (!fasttext_) return fasttext_status_;
  return fasttext_.get();
}

size_t WordModel::dim() const { return collection_->config().dim; }

bool WordModel::InVocabulary(const std::string& word) const {
  auto r = collection_->Get(engine::ExternalId(word), false);
  return r.ok() && r->has_value();
}

Result<WordVectorResult> WordModel::Vector(const std::string& word) const {
  if (word.empty()) return Status::InvalidArgument("empty word");
  std::string check = word;
  if (StripInvalidUtf8(&check) > 0) return Status::InvalidArgument("a word is not valid UTF-8");
  auto v = collection_->VectorOf(engine::ExternalId(word));
  if (v.ok()) return WordVectorResult{std::move(v).value(), false};
  if (v.status().code() != StatusCode::kNotFound) return v.status();
  if (has_subwords()) {
    LDB_ASSIGN_OR_RETURN(const FastTextModel* ft, Subwords());
    return WordVectorResult{ft->WordVector(word), true};
  }
  return Status::NotFound("word '" + word + "' is not in the vocabulary of model '" + name_ + "'");
}

Result<std::vector<WordScore>> WordModel::Neighbors(const std::string& word, size_t k) const {
  LDB_RETURN_IF_ERROR(CheckK(k));
  LDB_ASSIGN_OR_RETURN(auto wv, Vector(word));
  engine::SearchQuery q;
  if (wv.oov) {
    q.vector = std::move(wv.vector);
  } else {
    q.id = engine::ExternalId(word);
  }
  q.k = k;
  q.params.exact = true;
  q.with_payload = false;
  LDB_ASSIGN_OR_RETURN(auto hits, collection_->Search(q));
  std::vector<WordScore> out;
  for (auto& h : hits) out.push_back({h.id.ToJson().get<std::string>(), h.score});
  return out;
}

Result<double> WordModel::Similarity(const std::string& a, const std::string& b) const {
  LDB_ASSIGN_OR_RETURN(auto va, Vector(a));
  LDB_ASSIGN_OR_RETURN(auto vb, Vector(b));
  auto ua = UnitVector(va.vector), ub = UnitVector(vb.vector);
  double s = 0;
  for (size_t i = 0; i < ua.size(); ++i) s += double(ua[i]) * ub[i];
  return s;
}

Result<std::vector<WordScore>> WordModel::Analogy(const std::vector<std::string>& positive,
                                                  const std::vector<std::string>& negative, size_t k, bool cosmul,
                                                  size_t restrict_vocab) const {
  LDB_RETURN_IF_ERROR(CheckK(k));
  LDB_RETURN_IF_ERROR(CheckWordList(positive, "positive"));
  LDB_RETURN_IF_ERROR(CheckWordList(negative, "negative"));
  if (positive.empty() && negative.empty()) return Status::InvalidArgument("positive and negative are both empty");
  engine::AnalogyQuery q;
  auto term = [&](const std::string& w) -> Result<engine::AnalogyTerm> {
    LDB_ASSIGN_OR_RETURN(auto wv, Vector(w));
    engine::AnalogyTerm t;
    if (wv.oov) {
      t.vector = std::move(wv.vector);
    } else {
      t.id = engine::ExternalId(w);
    }
    return t;
  };
  for (const auto& w : positive) {
    LDB_ASSIGN_OR_RETURN(auto t, term(w));
    q.positive.push_back(std::move(t));
  }
  for (const auto& w : negative) {
    LDB_ASSIGN_OR_RETURN(auto t, term(w));
    q.negative.push_back(std::move(t));
  }
  q.k = k;
  q.method = cosmul ? engine::AnalogyMethod::kCosMul : engine::AnalogyMethod::kCosAdd;
  q.restrict_to_first = restrict_vocab;
  q.with_payload = false;
  LDB_ASSIGN_OR_RETURN(auto r, collection_->Analogy(q));
  std::vector<WordScore> out;
  for (auto& h : r.hits) out.push_back({h.id.ToJson().get<std::string>(), h.score});
  return out;
}

Result<OddOneOutResult> WordModel::OddOneOut(const std::vector<std::string>& words) const {
  if (words.empty()) return Status::InvalidArgument("words is empty");
  LDB_RETURN_IF_ERROR(CheckWordList(words, "words"));
  std::vector<std::vector<float>> units;
  for (const auto& w : words) {
    LDB_ASSIGN_OR_RETURN(auto wv, Vector(w));
    units.push_back(UnitVector(wv.vector));
  }
  std::vector<float> mean(dim(), 0.f);
  for (const auto& u : units) {
    for (size_t i = 0; i < mean.size(); ++i) mean[i] += u[i];
  }
  for (auto& x : mean) x /= static_cast<float>(units.size());
  mean = UnitVector(mean);
  OddOneOutResult out;
  for (size_t j = 0; j < words.size(); ++j) {
    double s = 0;
    for (size_t i = 0; i < mean.size(); ++i) s += double(units[j][i]) * mean[i];
    out.scores.push_back({words[j], static_cast<float>(s)});
  }
  // gensim: sorted(zip(dists, words))[0] — lowest cosine, ties broken by the word.
  std::stable_sort(out.scores.begin(), out.scores.end(), [](const WordScore& a, const WordScore& b) {
    return a.score != b.score ? a.score < b.score : a.word < b.word;
  });
  out.word = out.scores.front().word;
  return out;
}

Result<TextVectorResult> WordModel::TextVector(const std::string& text) const {
  TextVectorResult out;
  out.tokens = Tokenize(text, false);
  if (out.tokens.empty()) return Status::InvalidArgument("text has no tokens");
  if (out.tokens.size() > 100000) return Status::InvalidArgument("text has more than 100000 tokens");
  out.vector.assign(dim(), 0.f);
  size_t used = 0;
  for (const auto& tok : out.tokens) {
    auto wv = collection_->VectorOf(engine::ExternalId(tok));
    if (!wv.ok()) {
      std::string lower = Tokenize(tok, true).front();
      if (lower != tok) wv = collection_->VectorOf(engine::ExternalId(lower));
    }
    std::vector<float> v;
    if (wv.ok()) {
      v = std::move(wv).value();
    } else if (has_subwords()) {
      LDB_ASSIGN_OR_RETURN(const FastTextModel* ft, Subwords());
      v = ft->WordVector(tok);
    } else {
      out.unknown.push_back(tok);
      continue;
    }
    if (!(index::L2Norm(v.data(), v.size()) > 0)) {  // fastText skips zero vectors (a token with no known n-gram)
      out.unknown.push_back(tok);
      continue;
    }
    index::NormalizeInPlace(v.data(), v.size());
    for (size_t i = 0; i < v.size(); ++i) out.vector[i] += v[i];
    ++used;
  }
  if (used == 0) return Status::NotFound("no token of the text has a vector in model '" + name_ + "'");
  for (auto& x : out.vector) x /= static_cast<float>(used);
  return out;
}

}  // namespace latentdb::words
