#pragma once
// Helpers for the word-model tests: random vocabularies, writers for each file format, and
// gensim's formulas written out independently of the code under test.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace latentdb::testing::words {

struct Vocab {
  std::vector<std::string> words;
  std::vector<std::vector<float>> vectors;
  size_t dim = 0;
  size_t Index(const std::string& w) const {
    return static_cast<size_t>(std::find(words.begin(), words.end(), w) - words.begin());
  }
};

inline Vocab RandomVocab(size_t n, size_t dim, unsigned seed) {
  Vocab v;
  v.dim = dim;
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  for (size_t i = 0; i < n; ++i) {
    v.words.push_back("w" + std::to_string(i) + (i % 7 == 0 ? "é" : ""));
    std::vector<float> x(dim);
    for (auto& f : x) f = g(rng);
    v.vectors.push_back(x);
  }
  return v;
}

inline void WriteText(const Vocab& v, const std::string& path, bool header) {
  std::ofstream out(path);
  if (header) out << v.words.size() << " " << v.dim << "\n";
  char buf[64];
  for (size_t i = 0; i < v.words.size(); ++i) {
    out << v.words[i];
    for (float x : v.vectors[i]) {
      std::snprintf(buf, sizeof buf, " %.9g", x);
      out << buf;
    }
    out << "\n";
  }
}

inline void WriteBinary(const Vocab& v, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  out << v.words.size() << " " << v.dim << "\n";
  for (size_t i = 0; i < v.words.size(); ++i) {
    out << v.words[i] << " ";
    out.write(reinterpret_cast<const char*>(v.vectors[i].data()), static_cast<std::streamsize>(v.dim * sizeof(float)));
    out << "\n";
  }
}

using DVec = std::vector<double>;

inline DVec Unit(const std::vector<float>& x) {
  double n = 0;
  for (float f : x) n += double(f) * f;
  n = std::sqrt(n);
  DVec u(x.size());
  for (size_t i = 0; i < x.size(); ++i) u[i] = x[i] / n;
  return u;
}
inline double Dot(const DVec& a, const DVec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// gensim most_similar (cosmul=false) / most_similar_cosmul (cosmul=true), inputs excluded.
inline std::vector<std::pair<std::string, double>> GensimAnalogy(const Vocab& v, const std::vector<std::string>& pos,
                                                                const std::vector<std::string>& neg, size_t k, bool cosmul) {
  std::vector<std::pair<std::string, double>> all;
  DVec mean(v.dim, 0.0);
  if (!cosmul) {
    for (const auto& w : pos) {
      auto u = Unit(v.vectors[v.Index(w)]);
      for (size_t i = 0; i < v.dim; ++i) mean[i] += u[i];
    }
    for (const auto& w : neg) {
      auto u = Unit(v.vectors[v.Index(w)]);
      for (size_t i = 0; i < v.dim; ++i) mean[i] -= u[i];
    }
    double n = std::sqrt(Dot(mean, mean));
    for (auto& x : mean) x /= n;
  }
  for (size_t j = 0; j < v.words.size(); ++j) {
    const auto& w = v.words[j];
    if (std::count(pos.begin(), pos.end(), w) || std::count(neg.begin(), neg.end(), w)) continue;
    auto u = Unit(v.vectors[j]);
    double s;
    if (!cosmul) {
      s = Dot(u, mean);
    } else {
      double num = 1, den = 1;
      for (const auto& p : pos) num *= (1 + Dot(u, Unit(v.vectors[v.Index(p)]))) / 2;
      for (const auto& q : neg) den *= (1 + Dot(u, Unit(v.vectors[v.Index(q)]))) / 2;
      s = num / (den + 1e-6);
    }
    all.push_back({w, s});
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  all.resize(std::min(k, all.size()));
  return all;
}

// gensim doesnt_match.
inline std::string GensimOddOneOut(const Vocab& v, const std::vector<std::string>& words) {
  DVec mean(v.dim, 0.0);
  std::vector<DVec> units;
  for (const auto& w : words) units.push_back(Unit(v.vectors[v.Index(w)]));
  for (const auto& u : units)
    for (size_t i = 0; i < v.dim; ++i) mean[i] += u[i] / double(units.size());
  double n = std::sqrt(Dot(mean, mean));
  for (auto& x : mean) x /= n;
  size_t best = 0;
  for (size_t j = 1; j < words.size(); ++j) {
    if (Dot(units[j], mean) < Dot(units[best], mean)) best = j;
  }
  return words[best];
}

}  // namespace latentdb::testing::words
