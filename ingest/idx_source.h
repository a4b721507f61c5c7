#pragma once
// IDX image files (MNIST, Fashion-MNIST) as raw pixel vectors: each image of rows × cols uint8
// pixels becomes one record whose vector is the pixels as floats 0…255, row-major (no scaling).
// A labels file (given, or the sibling found by replacing "images-idx3" with "labels-idx1" in the
// file name) adds {"label": n} to the payload of the images it covers.
//
// The reader (formats/idx.h) loads the whole file at open; IDX files are capped at
// formats::kMaxIdxBytes, so memory stays bounded.

#include <memory>

#include "ingest/source.h"

namespace latentdb::ingest {

// as_images: records become raw images (RawInput kImage with pixels) for an image encoder;
// otherwise their pixels are the vector (floats 0…255).
Result<std::unique_ptr<Source>> OpenIdxSource(const std::string& path, const std::string& labels_path, bool as_images = false);

// The labels file next to an images file, when it exists; "" otherwise.
std::string SiblingLabelsPath(const std::string& images_path);

}  // namespace latentdb::ingest
