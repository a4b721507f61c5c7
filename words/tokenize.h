#pragma once
// Tokenization of texts for word models (text vectors, the default corpus).
//
// Tokenize(): splits on Unicode-agnostic ASCII whitespace, then splits ASCII punctuation off as
// tokens of its own ("don't." -> "don", "'", "t", "."); bytes >= 0x80 (UTF-8 letters) stay
// inside words. Case is kept unless `lower` (ASCII lower-casing only). This is the same
// tokenization `latentdb corpus` applies to build its corpus, so a text is split the way the
// default model's training data was.

#include <string>
#include <string_view>
#include <vector>

namespace latentdb::words {

std::vector<std::string> Tokenize(std::string_view text, bool lower);

// Replaces invalid UTF-8 sequences by nothing; returns how many bytes were dropped.
size_t StripInvalidUtf8(std::string* s);

}  // namespace latentdb::words
