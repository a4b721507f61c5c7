#pragma once
// A tiny word model for the ingest tests: four words with known 3-d vectors, written as a
// word2vec text file and imported into a data directory (words::ImportWordModel), and the text
// vector the server and the ingest tool must compute for a list of its words.

#include <string>
#include <vector>

namespace latentdb::testing {

// Writes the word2vec file at `file` and imports it as model `name` into `data_dir` (the
// directory is closed again afterwards). Fails the test on error.
void ImportTinyWordModel(const std::string& data_dir, const std::string& file, const std::string& name);
// Mean of the unit vectors of `words` (each must be one of the tiny model's words, lower case).
std::vector<float> TinyTextVector(const std::vector<std::string>& words);

}  // namespace latentdb::testing
