// Fuzz target: the IDX reader (MNIST / Fashion-MNIST files, plain or gzip) of `latentdb ingest`
// (formats/idx.h, idx_source.h): the same bytes as an images file and as a labels
// file, and as an images file whose sibling labels file holds the same bytes.
//
// Property: what ReadIdxImages returns is consistent (count × rows × cols pixels).

#include <cstdint>

#include "formats/idx.h"
#include "ingest/idx_source.h"
#include "fuzz/ingest_util.h"

using latentdb::fuzz::Check;
namespace ingest = latentdb::ingest;
namespace formats = latentdb::formats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& scratch = latentdb::fuzz::ScratchDir::Get();
  const std::string images = scratch.Write("train-images-idx3-ubyte", data, size);
  const std::string labels = scratch.Write("train-labels-idx1-ubyte", data, size);

  auto read = formats::ReadIdxImages(images, 1000);
  if (read.ok()) {
    Check(read->count <= 1000, "at most `limit` images");
    Check(read->pixels.size() == read->count * read->image_size(), "pixels match count × rows × cols");
  }
  auto read_labels = formats::ReadIdxLabels(labels, 1000);
  if (read_labels.ok()) Check(read_labels->size() <= 1000, "at most `limit` labels");

  for (bool as_images : {false, true}) {
    auto source = ingest::OpenIdxSource(images, labels, as_images);
    if (source.ok()) latentdb::fuzz::DrainSource(**source);
  }
  auto alone = ingest::OpenIdxSource(images, "", false);
  if (alone.ok()) latentdb::fuzz::DrainSource(**alone);
  return 0;
}
