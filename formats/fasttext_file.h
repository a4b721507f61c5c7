#pragma once
// Validation of a fastText model file (.bin) before the fastText library sees it.
//
// fastText 0.9.2's loader checks only the magic number and version; a file with bad sizes makes it
// allocate whatever the file says (std::bad_alloc, or an abort) and a truncated one leaves
// uninitialized matrices. InspectFastTextFile walks the whole layout — header, arguments,
// dictionary, both matrices — checking every declared size against the bytes actually in the
// file, without allocating anything the file asks for — and every value the library divides by,
// allocates by or indexes with when it loads: dim 1…65536; bucket > 0 when subword n-grams are
// on (maxn > 0; a 0 is SIGFPE in fastText); minn <= maxn; at least one word; nwords + bucket
// within int32; dictionary counts 0 <= count < 1e15, not all 0; entry types words then labels;
// input matrix (nwords + bucket) x dim, output matrix nwords x dim; no bytes after it.
//
// Layout (fastText >= 0.9, versions 11 and 12): int32 magic 793712314, int32 version;
// args (12 int32 + double t); dictionary (int32 size, nwords, nlabels; int64 ntokens,
// pruneidx_size; per entry: NUL-terminated word, int64 count, int8 type; pruneidx pairs);
// bool quant_input; matrix (int64 rows, cols, rows*cols float32); bool qout; output matrix.

#include <cstdint>
#include <string>

#include "common/result.h"

namespace latentdb::formats {

struct FastTextFileInfo {
  int32_t version = 0;
  int32_t dim = 0;
  int32_t ws = 0, epoch = 0, min_count = 0, neg = 0, word_ngrams = 0, loss = 0, model = 0;
  int32_t bucket = 0, minn = 0, maxn = 0;
  int32_t nwords = 0, nlabels = 0;
  int64_t ntokens = 0;
  std::string ModelName() const;  // "cbow", "skipgram", "supervised"
};

// Ok when the library may load the file. Corruption/UnsupportedMedia otherwise, with a message
// that says what is wrong (old format, quantized, truncated, sizes that do not match).
Result<FastTextFileInfo> InspectFastTextFile(const std::string& path);

}  // namespace latentdb::formats
