#pragma once
// Fashion-MNIST (Debian package dataset-fashion-mnist) as ImageDatasets. Header-only on purpose:
// it reads IDX files with ingest's reader, so only targets that link ldb_ingest (the tool,
// tests, benchmarks) include it, and ldb_encoders itself stays independent of the ingest pipeline.

#include <string>

#include "encoders/dataset.h"
#include "formats/idx.h"

namespace latentdb::encoders {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The first `limit` images of the train (60k) or test (10k) split, 1 × 28 × 28, labels 0–9.
inline Result<ImageDataset> LoadFashionMnist(bool train, size_t limit = SIZE_MAX, const std::string& dir = kFashionMnistDir) {
  const std::string prefix = dir + (train ? "/train" : "/t10k");
  LDB_ASSIGN_OR_RETURN(auto images, formats::ReadIdxImages(prefix + "-images-idx3-ubyte.gz", limit));
  LDB_ASSIGN_OR_RETURN(auto labels, formats::ReadIdxLabels(prefix + "-labels-idx1-ubyte.gz", limit));
  if (labels.size() != images.count) return Status::Corruption(prefix + ": image and label counts differ");
  ImageDataset ds;
  ds.channels = 1;
  ds.height = static_cast<int>(images.rows);
  ds.width = static_cast<int>(images.cols);
  ds.pixels = std::move(images.pixels);
  ds.labels.assign(labels.begin(), labels.end());
  ds.class_names = FashionMnistClasses();
  return ds;
}

}  // namespace latentdb::encoders
