#pragma once
// The default English corpus, built from Debian packages' text with no download:
//   GCIDE (dict-gcide, /usr/share/dictd/gcide.dict.dz): one line per dictionary entry, with the
//     headword's pronunciation markup (\Ab*di"cate\) and "[1913 Webster]" source tags removed;
//   WordNet 3.0 glosses (wordnet-base, /usr/share/wordnet/data.*): the synonyms and the gloss of
//     each synset, one line each;
//   the King James Bible (bible-kjv + bible-kjv-text): printed by the `bible` program, one line
//     per verse.
// Every line is tokenized with Tokenize(…, lower=true): lower-case, punctuation split off.
// Invalid UTF-8 bytes are dropped and counted. A missing source is skipped and reported.

#include <nlohmann/json.hpp>

#include <string>

#include "common/result.h"

namespace latentdb::words {

struct CorpusSources {
  std::string gcide = "/usr/share/dictd/gcide.dict.dz";
  std::string wordnet_dir = "/usr/share/wordnet";
  std::string bible_command = "bible -l 1000000 gen1:1-rev22:21";
};

// Writes the corpus to `out_path`; returns per source {"lines","tokens","bad_utf8_bytes"} or
// {"missing": reason}, and totals.
Result<nlohmann::json> BuildDefaultCorpus(const std::string& out_path, const CorpusSources& sources = {});

}  // namespace latentdb::words
