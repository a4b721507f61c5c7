#include "formats/fasttext_file.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace latentdb::formats {

namespace {

constexpr int32_t kMagic = 793712314;
constexpr int32_t kMaxVocab = 30000000;  // fastText's Dictionary::MAX_VOCAB_SIZE
constexpr int64_t kMaxCount = 1000000000000000;  // 1e15: the "infinite" count of fastText's Huffman tree

class Reader {
 public:
  Reader(FILE* f, uint64_t size, std::string path) : f_(f), size_(size), path_(std::move(path)) {}
  template <typename T>
  Status Read(T* v, const char* what) {
    if (std::fread(v, sizeof(T), 1, f_) != 1) return Truncated(what);
    pos_ += sizeof(T);
    return Status::Ok();
  }
  Status Skip(uint64_t bytes, const char* what) {
    if (bytes > size_ - pos_) return Truncated(what);
    if (fseeko(f_, static_cast<off_t>(bytes), SEEK_CUR) != 0) return Status::IOError(path_ + ": seek failed");
    pos_ += bytes;
    return Status::Ok();
  }
  Status SkipCString(const char* what) {
    int c;
    size_t n = 0;
    while ((c = std::getc(f_)) != 0) {
      if (c == EOF) return Truncated(what);
      if (++n > 65536) return Status::Corruption(path_ + ": a dictionary word is longer than 64 KiB: not a fastText model");
    }
    pos_ += n + 1;
    return Status::Ok();
  }
  uint64_t remaining() const { return size_ - pos_; }
  Status Truncated(const char* what) const {
    return Status::Corruption(path_ + ": truncated fastText model (file ends inside the " + what + ")");
  }

 private:
  FILE* f_;
  uint64_t size_;
  uint64_t pos_ = 0;
  std::string path_;
};

Status Matrix(Reader& r, const std::string& path, const char* what, int64_t want_rows, int32_t dim) {
  int64_t rows = 0, cols = 0;
  LDB_RETURN_IF_ERROR(r.Read(&rows, what));
  LDB_RETURN_IF_ERROR(r.Read(&cols, what));
  if (rows < 0 || cols != dim || (want_rows >= 0 && rows != want_rows)) {
    return Status::Corruption(path + ": the " + what + " is " + std::to_string(rows) + " x " + std::to_string(cols) +
                              ", expected " + (want_rows >= 0 ? std::to_string(want_rows) : std::string("N")) + " x " +
                              std::to_string(dim));
  }
  uint64_t bytes = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) * 4;
  if (rows > 0 && bytes / static_cast<uint64_t>(rows) / 4 != static_cast<uint64_t>(cols)) return Status::Corruption(path + ": matrix size overflows");
  return r.Skip(bytes, what);
}

// The magic number and file version.
Status ReadHeader(Reader& r, const std::string& path, FastTextFileInfo* info) {
  int32_t magic = 0;
  LDB_RETURN_IF_ERROR(r.Read(&magic, "header"));
  if (magic != kMagic) {
    return Status::UnsupportedMedia(path + ": not a fastText model in the current format (no magic number 0x2F4F16BA at the start); "
                                    "files from fastText before 0.9 or old gensim are not supported: re-save it with "
                                    "fastText >= 0.9 or import its .vec text file instead");
  }
  LDB_RETURN_IF_ERROR(r.Read(&info->version, "header"));
  if (info->version < 11 || info->version > 12) {
    return Status::UnsupportedMedia(path + ": fastText file version " + std::to_string(info->version) +
                                    " is not supported (11 or 12)");
  }
  return Status::Ok();
}

// The training arguments (fastText's Args::save), checked where a bad value would crash fastText
// when it loads the model.
Status ReadArguments(Reader& r, const std::string& path, FastTextFileInfo* info) {
  double t = 0;
  int32_t lr_update_rate = 0;
  for (int32_t* p : {&info->dim, &info->ws, &info->epoch, &info->min_count, &info->neg, &info->word_ngrams, &info->loss,
                     &info->model, &info->bucket, &info->minn, &info->maxn, &lr_update_rate}) {
    LDB_RETURN_IF_ERROR(r.Read(p, "arguments"));
  }
  LDB_RETURN_IF_ERROR(r.Read(&t, "arguments"));
  if (info->dim <= 0 || info->dim > 65536) {
    return Status::Corruption(path + ": dimension " + std::to_string(info->dim) + " out of range");
  }
  if (info->loss < 1 || info->loss > 4 || info->model < 1 || info->model > 3) {
    return Status::Corruption(path + ": unknown loss or model type");
  }
  if (info->bucket < 0 || info->minn < 0 || info->maxn < 0 || info->maxn > 64 || info->word_ngrams < 0 || info->word_ngrams > 64) {
    return Status::Corruption(path + ": bucket/minn/maxn/wordNgrams out of range");
  }
  // fastText hashes every n-gram modulo `bucket` when maxn > 0 (Dictionary::computeSubwords): a
  // bucket of 0 there is an integer division by zero (SIGFPE) when the model loads.
  if (info->maxn > 0 && info->bucket == 0) {
    return Status::Corruption(path + ": subword n-grams are on (maxn " + std::to_string(info->maxn) +
                              ") but the bucket count is 0");
  }
  if (info->maxn > 0 && info->minn > info->maxn) {
    return Status::Corruption(path + ": minn " + std::to_string(info->minn) + " is greater than maxn " + std::to_string(info->maxn));
  }
  if (info->model == 3) return Status::UnsupportedMedia(path + ": a supervised fastText classifier, not a word model");
  return Status::Ok();
}

// One dictionary entry (word, count, type); the counts and types fastText builds its loss
// tables from are checked. *word_count: the entry's count when it is a word, else 0.
Status ReadDictionaryEntry(Reader& r, const std::string& path, const FastTextFileInfo& info, int32_t i, int64_t* word_count) {
  LDB_RETURN_IF_ERROR(r.SkipCString("dictionary"));
  int64_t count = 0;
  int8_t type = 0;
  LDB_RETURN_IF_ERROR(r.Read(&count, "dictionary"));
  LDB_RETURN_IF_ERROR(r.Read(&type, "dictionary"));
  // The loss tables are built from the counts when the model loads: negative ones make
  // pow(count, 0.5) NaN (a NaN-sized negative-sampling table), counts of 1e15 and more break
  // the Huffman tree of the hierarchical softmax (out-of-bounds reads).
  if (count < 0 || count >= kMaxCount) {
    return Status::Corruption(path + ": dictionary entry " + std::to_string(i) + " has the count " + std::to_string(count));
  }
  // Words come first, then labels (Dictionary::threshold sorts them so).
  if (type != (i < info.nwords ? 0 : 1)) {
    return Status::Corruption(path + ": dictionary entry " + std::to_string(i) + " has the type " + std::to_string(type) +
                              ", expected " + (i < info.nwords ? "0 (word)" : "1 (label)"));
  }
  *word_count = i < info.nwords ? count : 0;
  return Status::Ok();
}

// The dictionary: its sizes, then every entry. Pruned (quantized) dictionaries are refused.
Status ReadDictionary(Reader& r, const std::string& path, FastTextFileInfo* info) {
  int32_t size = 0;
  int64_t prune = 0;
  LDB_RETURN_IF_ERROR(r.Read(&size, "dictionary"));
  LDB_RETURN_IF_ERROR(r.Read(&info->nwords, "dictionary"));
  LDB_RETURN_IF_ERROR(r.Read(&info->nlabels, "dictionary"));
  LDB_RETURN_IF_ERROR(r.Read(&info->ntokens, "dictionary"));
  LDB_RETURN_IF_ERROR(r.Read(&prune, "dictionary"));
  if (size < 0 || size > kMaxVocab || info->nwords < 0 || info->nlabels < 0 || info->nwords + int64_t{info->nlabels} != size ||
      info->ntokens < 0) {
    return Status::Corruption(path + ": dictionary sizes are inconsistent");
  }
  // fastText looks words up modulo a table sized from the vocabulary: an empty one divides by 0.
  if (info->nwords == 0) return Status::Corruption(path + ": the dictionary has no words");
  // Input rows are addressed as nwords + (hash % bucket) in int32 arithmetic.
  if (int64_t{info->nwords} + info->bucket > INT32_MAX) return Status::Corruption(path + ": nwords + bucket overflows");
  // Each entry takes at least 10 bytes: a NUL, int64 count, int8 type.
  if (static_cast<uint64_t>(size) * 10 > r.remaining()) return r.Truncated("dictionary");
  bool any_count = false;
  for (int32_t i = 0; i < size; ++i) {
    int64_t word_count = 0;
    LDB_RETURN_IF_ERROR(ReadDictionaryEntry(r, path, *info, i, &word_count));
    any_count = any_count || word_count > 0;
  }
  // All-zero counts divide 0 by 0 in the negative-sampling table.
  if (!any_count) return Status::Corruption(path + ": every word count in the dictionary is 0");
  if (prune >= 0) {
    return Status::UnsupportedMedia(path + ": a pruned (quantized) fastText model; only full .bin models are supported");
  }
  return Status::Ok();
}

// The input and output matrices, skipped once their shapes are checked; nothing may follow them.
Status ReadMatrices(Reader& r, const std::string& path, const FastTextFileInfo& info) {
  uint8_t quant = 0;
  LDB_RETURN_IF_ERROR(r.Read(&quant, "input matrix"));
  if (quant != 0) return Status::UnsupportedMedia(path + ": a quantized fastText model (.ftz); only full .bin models are supported");
  LDB_RETURN_IF_ERROR(Matrix(r, path, "input matrix", int64_t{info.nwords} + info.bucket, info.dim));
  uint8_t qout = 0;
  LDB_RETURN_IF_ERROR(r.Read(&qout, "output matrix"));
  if (qout != 0) return Status::UnsupportedMedia(path + ": a quantized fastText output matrix is not supported");
  // cbow and skipgram models have one output row per word (FastText::createTrainOutputMatrix).
  LDB_RETURN_IF_ERROR(Matrix(r, path, "output matrix", info.nwords, info.dim));
  if (r.remaining() != 0) {
    return Status::Corruption(path + ": " + std::to_string(r.remaining()) + " unexpected bytes after the output matrix");
  }
  return Status::Ok();
}

}  // namespace

std::string FastTextFileInfo::ModelName() const {
  switch (model) {
    case 1: return "cbow";
    case 2: return "skipgram";
    case 3: return "supervised";
    default: return "unknown";
  }
}

Result<FastTextFileInfo> InspectFastTextFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return Status::IOError("cannot open " + path + ": not a readable file");
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  Reader r(f.get(), static_cast<uint64_t>(st.st_size), path);
  FastTextFileInfo info;
  LDB_RETURN_IF_ERROR(ReadHeader(r, path, &info));
  LDB_RETURN_IF_ERROR(ReadArguments(r, path, &info));
  LDB_RETURN_IF_ERROR(ReadDictionary(r, path, &info));
  LDB_RETURN_IF_ERROR(ReadMatrices(r, path, info));
  return info;
}

}  // namespace latentdb::formats
