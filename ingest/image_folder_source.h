#pragma once
// The image folder source (--format images, or a directory given as SOURCE): every file under the
// folder, recursively, whose name ends in .png, .jpg, .jpeg, .bmp or .gif (any case), as one record
// of raw image bytes for an image encoder.
//
// Order and rows: the files are listed once at open and sorted by their path relative to the
// folder ('/'-separated, byte order), so the order does not depend on the file system. A file's row
// is its index in that list; its stable id (--id-from path) is the relative path, e.g.
// "cat/001.png". Directory symlinks are not followed (no cycles); unreadable sub-folders are left out.
//
// Payload: {"path": "<relative path>"} plus, for a file inside a sub-folder, {"label": "<first
// sub-folder>"} — the one-sub-folder-per-class layout (torchvision's ImageFolder): "cat/001.png"
// gets label "cat"; a file directly in the folder gets no label.
//
// Bad files: a file that cannot be read (permissions, vanished, larger than 64 MiB, empty) is a
// BadRecord "unreadable file: <relative path>: <why>"; the bytes are not checked here — decoding
// (and the "corrupt image" skip) is the encoder's job.

#include <memory>

#include "ingest/source.h"

namespace latentdb::ingest {

// NotFound when `path` is not a directory; IOError when it cannot be listed.
Result<std::unique_ptr<Source>> OpenImageFolderSource(const std::string& path);

// Whether a file name has one of the image extensions above.
bool HasImageExtension(const std::string& name);

}  // namespace latentdb::ingest
