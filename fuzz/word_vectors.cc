// Fuzz target: the word-vector file readers (formats/word_vectors.h): format detection, then
// every text and binary reader on the same bytes, as `latentdb models import` would read them.
//
// Properties: the header callback runs once, before any word; every word is non-empty and its
// vector has the dimension of the file; values are finite; a file with a header yields no more
// words than it declares (gensim's rule) and never more than the limit.

#include <cmath>
#include <cstdint>

#include "formats/word_vectors.h"
#include "fuzz/fuzz_util.h"

using latentdb::fuzz::Check;
namespace formats = latentdb::formats;

namespace {

void Read(const std::string& path, formats::VectorFormat format) {
  constexpr size_t kLimit = 1000;
  bool header_seen = false;
  formats::VectorFileHeader header;
  size_t count = 0;
  latentdb::Status st = formats::ReadVectorFile(
      path, format, kLimit,
      [&](const formats::VectorFileHeader& h) {
        Check(!header_seen, "one header callback");
        header_seen = true;
        header = h;
        Check(h.dim >= 1 && h.dim <= formats::kMaxWordDim, "header dimension in 1..kMaxWordDim");
        return latentdb::Status::Ok();
      },
      [&](formats::WordVector&& wv) {
        Check(header_seen, "the header callback runs before the first word");
        Check(!wv.word.empty(), "words are non-empty");
        Check(wv.vector.size() == header.dim, "every vector has the file's dimension");
        for (float x : wv.vector) Check(std::isfinite(x), "values are finite");
        ++count;
        return latentdb::Status::Ok();
      });
  (void)st;
  Check(count <= kLimit, "at most `limit` words");
  if (header_seen && header.declared_words > 0) Check(count <= header.declared_words, "at most the declared count");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = latentdb::fuzz::ScratchDir::Get().Write("vectors.txt", data, size);
  auto detected = formats::DetectVectorFormat(path);
  if (detected.ok() && *detected != formats::VectorFormat::kFastTextBin) Read(path, *detected);
  for (formats::VectorFormat f : {formats::VectorFormat::kWord2VecText, formats::VectorFormat::kWord2VecBinary,
                                formats::VectorFormat::kGlove}) {
    Read(path, f);
  }
  return 0;
}
