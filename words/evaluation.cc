#include "words/evaluation.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "common/file_util.h"
#include "common/utf8_bom.h"
#include "models/model_registry.h"
#include "words/word_model.h"

namespace latentdb::words {

using nlohmann::json;

std::string UpperAscii(std::string s) {
  for (auto& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

Result<EvalVocabulary> EvalVocabulary::Load(engine::Collection& c, size_t restrict_vocab) {
  EvalVocabulary v;
  v.dim_ = c.config().dim;
  // Insertion order: the vocabulary is stored most frequent first (gensim's restrict_vocab).
  uint64_t position = 0;
  while (v.words_.size() < restrict_vocab) {
    size_t want = std::min<size_t>(10000, restrict_vocab - v.words_.size());
    LDB_ASSIGN_OR_RETURN(auto page, c.ScrollInsertionOrder(want, position, false, true));
    for (auto& p : page.points) {
      if (v.words_.size() >= restrict_vocab) break;
      auto id = p.id.ToJson();
      if (!id.is_string() || !p.vector) continue;
      v.words_.push_back(id.get<std::string>());
      auto u = UnitVector(*p.vector);
      v.unit_.insert(v.unit_.end(), u.begin(), u.end());
    }
    if (!page.next_position) break;
    position = *page.next_position;
  }
  // Reversed, so the most frequent variant of an upper-cased form wins (as gensim).
  for (size_t i = v.words_.size(); i-- > 0;) v.upper_[UpperAscii(v.words_[i])] = i;
  return v;
}

long EvalVocabulary::Find(const std::string& upper) const {
  auto it = upper_.find(upper);
  return it == upper_.end() ? -1 : static_cast<long>(it->second);
}

namespace {

struct Question {
  size_t section;
  long a, b, c, expected;
  std::string A, B, C, D;
};

// gensim: most_similar(positive=[b, c], negative=[a], topn=5, restrict_vocab), then the first
// result whose upper-case form is not one of the question words.
// Questions are solved a block at a time: the block's query vectors are stored transposed, so the
// inner loop runs over questions (vectorizable) and each vocabulary row is read once per block.
constexpr size_t kTop = 5;
constexpr size_t kBlock = 64;

void SolveBlock(const EvalVocabulary& v, const Question* qs, size_t nq, char* correct) {
  const size_t d = v.dim();
  std::vector<float> qt(d * nq);
  for (size_t q = 0; q < nq; ++q) {
    std::vector<float> mean(d);
    const float *a = v.unit(qs[q].a), *b = v.unit(qs[q].b), *c = v.unit(qs[q].c);
    for (size_t i = 0; i < d; ++i) mean[i] = (b[i] + c[i] - a[i]) / 3.f;
    mean = UnitVector(mean);
    for (size_t i = 0; i < d; ++i) qt[i * nq + q] = mean[i];
  }
  std::vector<std::vector<std::pair<float, size_t>>> top(nq);  // best first
  std::vector<float> threshold(nq, -std::numeric_limits<float>::infinity());
  std::vector<float> s(nq);
  for (size_t w = 0; w < v.size(); ++w) {
    const float* x = v.unit(w);
    std::fill(s.begin(), s.end(), 0.f);
    for (size_t i = 0; i < d; ++i) {
      const float xi = x[i];
      const float* row = &qt[i * nq];
      for (size_t q = 0; q < nq; ++q) s[q] += xi * row[q];
    }
    for (size_t q = 0; q < nq; ++q) {
      if (s[q] <= threshold[q] && top[q].size() == kTop) continue;
      const long lw = static_cast<long>(w);
      if (lw == qs[q].a || lw == qs[q].b || lw == qs[q].c) continue;
      auto& t = top[q];
      auto pos = std::upper_bound(t.begin(), t.end(), s[q], [](float val, const auto& e) { return val > e.first; });
      t.insert(pos, {s[q], w});
      if (t.size() > kTop) t.pop_back();
      if (t.size() == kTop) threshold[q] = t.back().first;
    }
  }
  for (size_t q = 0; q < nq; ++q) {
    correct[q] = 0;
    for (const auto& [score, w] : top[q]) {
      std::string up = UpperAscii(v.word(w));
      if (up == qs[q].A || up == qs[q].B || up == qs[q].C) continue;
      correct[q] = up == qs[q].D;
      break;
    }
  }
}

void Add(AnalogySection* to, const AnalogySection& s) {
  to->correct += s.correct;
  to->incorrect += s.incorrect;
}

std::vector<double> Ranks(const std::vector<double>& x) {
  std::vector<size_t> idx(x.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && x[idx[j + 1]] == x[idx[i]]) ++j;
    double avg = (double(i) + double(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

}  // namespace

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  size_t n = x.size();
  if (n < 2) return 0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= double(n), my /= double(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
}

double Spearman(const std::vector<double>& x, const std::vector<double>& y) { return Pearson(Ranks(x), Ranks(y)); }

json AnalogyEvaluation::ToJson() const {
  auto sec = [](const AnalogySection& s) {
    return json{{"section", s.name}, {"correct", s.correct}, {"incorrect", s.incorrect}, {"accuracy", s.accuracy()}};
  };
  json out = {{"questions", questions}, {"skipped", skipped}, {"total", sec(total)}, {"semantic", sec(semantic)},
              {"syntactic", sec(syntactic)}, {"sections", json::array()}};
  for (const auto& s : sections) out["sections"].push_back(sec(s));
  return out;
}

json PairsEvaluation::ToJson() const {
  return {{"pairs", pairs}, {"oov", oov}, {"oov_ratio_percent", oov_ratio_percent}, {"pearson", pearson}, {"spearman", spearman}};
}

Result<AnalogyEvaluation> EvaluateAnalogies(const EvalVocabulary& v, const std::string& path, int threads) {
  LDB_RETURN_IF_ERROR(RequireRegularFile(path));  // /dev/zero has no lines to end
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot open " + path);
  AnalogyEvaluation out;
  std::vector<Question> questions;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1) StripUtf8Bom(&line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == ':') {
      AnalogySection s;
      s.name = line.substr(line.find_first_not_of(": ") == std::string::npos ? 1 : line.find_first_not_of(": "));
      out.sections.push_back(s);
      continue;
    }
    if (out.sections.empty()) return Status::InvalidArgument(path + ": line " + std::to_string(line_no) + ": question before the first ': section' line");
    std::istringstream ls(line);
    Question q;
    if (!(ls >> q.A >> q.B >> q.C >> q.D)) return Status::InvalidArgument(path + ": line " + std::to_string(line_no) + ": expected 4 words");
    ++out.questions;
    q.A = UpperAscii(q.A), q.B = UpperAscii(q.B), q.C = UpperAscii(q.C), q.D = UpperAscii(q.D);
    q.a = v.Find(q.A), q.b = v.Find(q.B), q.c = v.Find(q.C), q.expected = v.Find(q.D);
    if (q.a < 0 || q.b < 0 || q.c < 0 || q.expected < 0) {
      ++out.skipped;
      continue;
    }
    q.section = out.sections.size() - 1;
    questions.push_back(std::move(q));
  }
  std::vector<char> correct(questions.size(), 0);
  threads = std::max(1, threads);
  std::vector<std::thread> pool;
  const size_t blocks = (questions.size() + kBlock - 1) / kBlock;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t b = static_cast<size_t>(t); b < blocks; b += static_cast<size_t>(threads)) {
        size_t first = b * kBlock, n = std::min(kBlock, questions.size() - first);
        SolveBlock(v, &questions[first], n, &correct[first]);
      }
    });
  }
  for (auto& th : pool) th.join();
  for (size_t i = 0; i < questions.size(); ++i) {
    auto& s = out.sections[questions[i].section];
    (correct[i] ? s.correct : s.incorrect)++;
  }
  out.total.name = "total";
  out.semantic.name = "semantic";
  out.syntactic.name = "syntactic";
  for (size_t i = 0; i < out.sections.size(); ++i) {
    Add(&out.total, out.sections[i]);
    Add(i < 5 ? &out.semantic : &out.syntactic, out.sections[i]);
  }
  return out;
}

Result<PairsEvaluation> EvaluatePairs(const EvalVocabulary& v, const std::string& path) {
  LDB_RETURN_IF_ERROR(RequireRegularFile(path));
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot open " + path);
  PairsEvaluation out;
  std::vector<double> gold, model;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) StripUtf8Bom(&line);
    first = false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string field;
    while (std::getline(ls, field, '\t')) f.push_back(field);
    if (f.size() != 3) continue;  // gensim skips invalid lines
    char* end = nullptr;
    double sim = std::strtod(f[2].c_str(), &end);
    if (end == f[2].c_str()) continue;
    long a = v.Find(UpperAscii(f[0])), b = v.Find(UpperAscii(f[1]));
    if (a < 0 || b < 0) {
      ++out.oov;
      continue;
    }
    double s = 0;
    for (size_t i = 0; i < v.dim(); ++i) s += double(v.unit(a)[i]) * v.unit(b)[i];
    gold.push_back(sim);
    model.push_back(s);
  }
  out.pairs = gold.size();
  out.pearson = Pearson(gold, model);
  out.spearman = Spearman(gold, model);
  out.oov_ratio_percent = gold.size() + out.oov ? 100.0 * double(out.oov) / double(gold.size() + out.oov) : 0;
  return out;
}

}  // namespace latentdb::words
