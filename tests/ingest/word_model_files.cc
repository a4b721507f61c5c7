#include "tests/ingest/word_model_files.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "engine/database.h"
#include "words/importer.h"
#include "tests/ingest/ingest_files.h"

namespace latentdb::testing {
namespace {

const std::map<std::string, std::vector<float>>& Words() {
  static const std::map<std::string, std::vector<float>> words = {
      {"king", {3, 0, 4}}, {"queen", {1, 2, 2}}, {"apple", {0, -2, 0}}, {"man", {1, 1, 1}}};
  return words;
}

}  // namespace

void ImportTinyWordModel(const std::string& data_dir, const std::string& file, const std::string& name) {
  std::string text = std::to_string(Words().size()) + " 3\n";
  for (const char* w : {"king", "queen", "apple", "man"}) {
    text += w;
    for (float x : Words().at(w)) text += " " + std::to_string(x);
    text += "\n";
  }
  WriteBytes(file, text);
  engine::DatabaseOptions o;
  o.data_dir = data_dir;
  o.persist_interval_seconds = 0;
  auto db = engine::Database::Open(o);
  REQUIRE(db.ok());
  words::ImportOptions io;
  io.path = file;
  io.name = name;
  auto m = words::ImportWordModel(**db, io);
  INFO((m.ok() ? std::string("ok") : m.status().ToString()));
  REQUIRE(m.ok());
  (*db)->Close();
}

std::vector<float> TinyTextVector(const std::vector<std::string>& words) {
  std::vector<float> sum(3, 0.f);
  for (const auto& w : words) {
    const auto& v = Words().at(w);
    double n = 0;
    for (float x : v) n += double(x) * x;
    n = std::sqrt(n);
    for (size_t i = 0; i < 3; ++i) sum[i] += static_cast<float>(v[i] / n);
  }
  for (float& x : sum) x /= static_cast<float>(words.size());
  return sum;
}

}  // namespace latentdb::testing
