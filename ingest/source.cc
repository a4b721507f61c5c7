#include "ingest/source.h"

#include <sys/stat.h>

#include <algorithm>

#include "ingest/idx_source.h"
#include "ingest/image_folder_source.h"
#include "ingest/line_source.h"
#include "ingest/npy_source.h"
#include "ingest/vecs_source.h"

namespace latentdb::ingest {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const char* FormatName(Format f) {
  switch (f) {
    case Format::kFvecs: return "fvecs";
    case Format::kBvecs: return "bvecs";
    case Format::kIvecs: return "ivecs";
    case Format::kNpy: return "npy";
    case Format::kJsonl: return "jsonl";
    case Format::kCsv: return "csv";
    case Format::kIdx: return "idx";
    case Format::kText: return "text";
    case Format::kImageFolder: return "images";
  }
  return "?";
}

Result<Format> ParseFormat(const std::string& name) {
  for (Format f : {Format::kFvecs, Format::kBvecs, Format::kIvecs, Format::kNpy, Format::kJsonl, Format::kCsv,
                   Format::kIdx, Format::kText, Format::kImageFolder}) {
    if (name == FormatName(f)) return f;
  }
  if (name == "ndjson") return Format::kJsonl;
  if (name == "txt") return Format::kText;
  return Status::InvalidArgument("unknown --format '" + name +
                                 "' (fvecs, bvecs, ivecs, npy, jsonl, csv, idx, text, images)");
}

Result<Format> DetectFormat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound("source '" + path + "' does not exist");
  if (S_ISDIR(st.st_mode)) return Format::kImageFolder;
  std::string name = Lower(path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1));
  if (EndsWith(name, ".fvecs")) return Format::kFvecs;
  if (EndsWith(name, ".bvecs")) return Format::kBvecs;
  if (EndsWith(name, ".ivecs")) return Format::kIvecs;
  if (EndsWith(name, ".npy")) return Format::kNpy;
  if (EndsWith(name, ".jsonl") || EndsWith(name, ".ndjson")) return Format::kJsonl;
  if (EndsWith(name, ".csv")) return Format::kCsv;
  if (EndsWith(name, ".txt")) return Format::kText;
  if (EndsWith(name, ".gz")) name.resize(name.size() - 3);
  if (EndsWith(name, "idx3-ubyte") || EndsWith(name, ".idx")) return Format::kIdx;
  return Status::UnsupportedMedia("cannot tell the format of '" + path + "' from its name; give --format");
}

Result<std::unique_ptr<Source>> OpenSource(const std::string& path, Format format, const SourceOptions& options) {
  switch (format) {
    case Format::kFvecs:
    case Format::kBvecs:
    case Format::kIvecs: return OpenVecsSource(path, format);
    case Format::kNpy: return OpenNpySource(path);
    case Format::kJsonl: return OpenJsonlSource(path, options);
    case Format::kCsv: return OpenCsvSource(path, options);
    case Format::kIdx: return OpenIdxSource(path, options.labels_path, options.idx_as_images);
    case Format::kText: return OpenTextSource(path);
    case Format::kImageFolder: return OpenImageFolderSource(path);
  }
  return Status::Internal("unhandled format");
}

}  // namespace latentdb::ingest
