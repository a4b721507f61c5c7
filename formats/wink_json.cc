#include "formats/wink_json.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "common/file_util.h"
#include "common/utf8_bom.h"

namespace latentdb::formats {

namespace {

constexpr size_t kStreamBuffer = size_t{1} << 20;

// The SAX events, folded into one call so that the state machine below reads as a table.
enum class Ev { kNull, kBool, kNumber, kString, kKey, kStartObject, kEndObject, kStartArray, kEndArray, kBinary };

struct Event {
  Ev kind;
  double number = 0;
  bool is_unsigned = false;  // a JSON number without sign, fraction or exponent
  uint64_t unsigned_value = 0;
  std::string* text = nullptr;  // kString, kKey
};

const char* Describe(Ev ev) {
  switch (ev) {
    case Ev::kNull: return "null";
    case Ev::kBool: return "a boolean";
    case Ev::kNumber: return "a number";
    case Ev::kString: return "a string";
    case Ev::kStartObject: return "an object";
    case Ev::kStartArray: return "an array";
    default: return "something else";
  }
}

class WinkSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  WinkSax(uint64_t file_size, size_t limit, const std::function<Status(const VectorFileHeader&)>& on_header,
          const std::function<Status(WordVector&&)>& sink)
      : file_size_(file_size), limit_(limit), on_header_(on_header), sink_(sink) {}

  bool null() override { return On({Ev::kNull}); }
  bool boolean(bool) override { return On({Ev::kBool}); }
  bool number_integer(number_integer_t v) override { return On({Ev::kNumber, static_cast<double>(v)}); }
  bool number_unsigned(number_unsigned_t v) override { return On({Ev::kNumber, static_cast<double>(v), true, v}); }
  bool number_float(number_float_t v, const string_t&) override { return On({Ev::kNumber, v}); }
  bool string(string_t& s) override { return On({Ev::kString, 0, false, 0, &s}); }
  bool binary(binary_t&) override { return On({Ev::kBinary}); }
  bool start_object(std::size_t) override { return On({Ev::kStartObject}); }
  bool key(string_t& k) override { return On({Ev::kKey, 0, false, 0, &k}); }
  bool end_object() override { return On({Ev::kEndObject}); }
  bool start_array(std::size_t) override { return On({Ev::kStartArray}); }
  bool end_array() override { return On({Ev::kEndArray}); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    if (size_t close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string::npos) {
      what.erase(0, close + 2);
    }
    // nlohmann counts the end of the input as one more character: an error there is a cut file,
    // whatever token it was in the middle of.
    if (position > file_size_) {
      status_ = Status::Corruption("truncated: the JSON document is unfinished at the end of the file (byte " +
                                   std::to_string(file_size_) + "; " + what + ")");
    } else {
      status_ = Status::Corruption("not valid JSON at byte " + std::to_string(position) + " (" + what + ")");
    }
    return false;
  }

  // After the parse: the first error, or the checks that need the whole file.
  Status Finish() const {
    if (!status_.ok() || stopped_) return status_;
    if (state_ != State::kDone) return Status::Corruption("the JSON document ended early");
    if (!words_seen_) return Status::Corruption("no 'words' array: not the wink embeddings layout");
    if (!vectors_seen_) return Status::Corruption("no 'vectors' object: not the wink embeddings layout");
    if (read_ != words_.size()) {
      return Status::Corruption("'words' has " + std::to_string(words_.size()) + " words but 'vectors' has " +
                                std::to_string(read_) + " entries");
    }
    if (has_size_ && size_ != words_.size()) {
      return Status::Corruption("'size' is " + std::to_string(size_) + " but 'words' has " +
                                std::to_string(words_.size()) + " words");
    }
    for (size_t i = 0; i < keys_.size(); ++i) {  // `words` came after `vectors`
      if (keys_[i] != words_[i]) return OrderError(i, keys_[i]);
    }
    return Status::Ok();
  }

 private:
  enum class State { kTop, kInTop, kTopValue, kSkip, kWords, kVectors, kVectorValue, kVector, kDone };

  bool Fail(std::string message) {
    status_ = Status::Corruption(std::move(message));
    return false;
  }
  Status OrderError(size_t i, const std::string& key) const {
    return Status::Corruption("entry " + std::to_string(i + 1) + " of 'vectors' is '" + PrintableWord(key) +
                              "' but word " + std::to_string(i + 1) + " of 'words' is '" + PrintableWord(words_[i]) +
                              "': the vectors must be listed in the order of 'words'");
  }
  std::string Entry() const {
    return "the vector of '" + PrintableWord(word_) + "' (entry " + std::to_string(read_ + 1) + " of 'vectors')";
  }

  bool On(const Event& e) {
    switch (state_) {
      case State::kTop:
        if (e.kind != Ev::kStartObject) {
          return Fail(std::string("the file is ") + Describe(e.kind) +
                      ", not a JSON object {\"dimensions\":…, \"words\":[…], \"vectors\":{…}}");
        }
        state_ = State::kInTop;
        return true;
      case State::kInTop:
        if (e.kind == Ev::kEndObject) {
          state_ = State::kDone;
          return true;
        }
        key_ = *e.text;  // nlohmann only sends a key or the end here
        state_ = State::kTopValue;
        return true;
      case State::kTopValue:
        return OnTopValue(e);
      case State::kSkip:
        if (e.kind == Ev::kStartObject || e.kind == Ev::kStartArray) ++skip_depth_;
        if ((e.kind == Ev::kEndObject || e.kind == Ev::kEndArray) && --skip_depth_ == 0) state_ = State::kInTop;
        return true;
      case State::kWords:
        if (e.kind == Ev::kEndArray) {
          state_ = State::kInTop;
          return true;
        }
        if (e.kind != Ev::kString) {
          return Fail("word " + std::to_string(words_.size() + 1) + " of 'words' is " + Describe(e.kind) +
                      ", not a string");
        }
        words_.push_back(std::move(*e.text));
        return true;
      case State::kVectors:
        if (e.kind == Ev::kEndObject) {
          state_ = State::kInTop;
          return true;
        }
        word_ = std::move(*e.text);
        state_ = State::kVectorValue;
        return true;
      case State::kVectorValue:
        if (e.kind != Ev::kStartArray) return Fail(Entry() + " is " + Describe(e.kind) + ", not an array of numbers");
        vector_.clear();
        vector_.reserve(dim_);
        state_ = State::kVector;
        return true;
      case State::kVector:
        return OnVectorElement(e);
      case State::kDone:
        return Fail("unexpected data after the top-level object");
    }
    return Fail("internal: unknown reader state");
  }

  bool OnTopValue(const Event& e) {
    state_ = State::kInTop;
    if (key_ == "dimensions" || key_ == "size") {
      if (!e.is_unsigned) return Fail("'" + key_ + "' is " + Describe(e.kind) + ", not a whole number");
      if (key_ == "size") {
        has_size_ = true;
        size_ = e.unsigned_value;
        return true;
      }
      if (e.unsigned_value == 0 || e.unsigned_value > kMaxWordDim) {
        return Fail("'dimensions' is " + std::to_string(e.unsigned_value) + ", outside 1…" + std::to_string(kMaxWordDim));
      }
      dim_ = e.unsigned_value;
      return true;
    }
    if (key_ == "words") {
      if (e.kind != Ev::kStartArray) return Fail(std::string("'words' is ") + Describe(e.kind) + ", not an array of strings");
      if (words_seen_) return Fail("two 'words' arrays");
      words_seen_ = true;
      state_ = State::kWords;
      return true;
    }
    if (key_ == "vectors") {
      if (e.kind != Ev::kStartObject) {
        return Fail(std::string("'vectors' is ") + Describe(e.kind) + ", not an object mapping words to arrays");
      }
      if (vectors_seen_) return Fail("two 'vectors' objects");
      if (dim_ == 0) return Fail("no 'dimensions' before 'vectors' (the reader streams the vectors and needs it first)");
      vectors_seen_ = true;
      VectorFileHeader h;
      h.dim = dim_;
      h.declared_words = has_size_ ? size_ : words_.size();
      if (!Check(on_header_(h))) return false;
      state_ = State::kVectors;
      return true;
    }
    if (e.kind == Ev::kStartObject || e.kind == Ev::kStartArray) {  // a key this reader does not use
      skip_depth_ = 1;
      state_ = State::kSkip;
    }
    return true;
  }

  bool OnVectorElement(const Event& e) {
    if (e.kind == Ev::kEndArray) {
      state_ = State::kVectors;
      if (vector_.size() < dim_) {
        return Fail(Entry() + " has " + std::to_string(vector_.size()) + " numbers, fewer than the " +
                    std::to_string(dim_) + " 'dimensions'");
      }
      return Emit();
    }
    if (e.kind != Ev::kNumber) {
      return Fail(Entry() + ": element " + std::to_string(vector_.size() + extra_ + 1) + " is " + Describe(e.kind) +
                  ", not a number");
    }
    if (vector_.size() < dim_) {
      const auto f = static_cast<float>(e.number);
      if (!std::isfinite(f)) {
        return Fail(Entry() + ": element " + std::to_string(vector_.size() + 1) + " (" + std::to_string(e.number) +
                    ") is not a finite float32");
      }
      vector_.push_back(f);
    } else {
      ++extra_;  // the package's norm and index
    }
    return true;
  }

  bool Emit() {
    extra_ = 0;
    if (words_seen_) {  // `words` came first (as in the packages): check as we go
      if (read_ >= words_.size()) {
        return Fail("'vectors' has more entries than the " + std::to_string(words_.size()) + " words of 'words'");
      }
      if (words_[read_] != word_) {
        status_ = OrderError(read_, word_);
        return false;
      }
    } else {
      keys_.push_back(word_);  // compared with `words` at the end
    }
    WordVector wv;
    wv.word = word_;
    wv.vector = std::move(vector_);
    vector_ = {};
    if (!Check(sink_(std::move(wv)))) return false;
    ++read_;
    if (limit_ != 0 && read_ >= limit_) {
      stopped_ = true;
      return false;
    }
    return true;
  }

  bool Check(Status s) {
    if (s.ok()) return true;
    status_ = std::move(s);
    callback_error_ = true;
    return false;
  }

 public:
  bool callback_error() const { return callback_error_; }

 private:
  uint64_t file_size_;
  size_t limit_;
  const std::function<Status(const VectorFileHeader&)>& on_header_;
  const std::function<Status(WordVector&&)>& sink_;
  State state_ = State::kTop;
  Status status_;
  bool callback_error_ = false, stopped_ = false;
  std::string key_, word_;
  size_t skip_depth_ = 0, dim_ = 0, read_ = 0, extra_ = 0;
  bool has_size_ = false, words_seen_ = false, vectors_seen_ = false;
  uint64_t size_ = 0;
  std::vector<std::string> words_, keys_;
  std::vector<float> vector_;
};

}  // namespace

Result<bool> LooksLikeWinkJson(const std::string& path) {
  LDB_RETURN_IF_ERROR(RequireRegularFile(path));
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IOError("cannot open " + path);
  SkipUtf8Bom(f.get());
  auto next = [&] {
    int c;
    while ((c = std::getc(f.get())) == ' ' || c == '\t' || c == '\n' || c == '\r') {
    }
    return c;
  };
  return next() == '{' && next() == '"';
}

Status ReadWinkJsonFile(const std::string& path, size_t limit,
                        const std::function<Status(const VectorFileHeader&)>& on_header,
                        const std::function<Status(WordVector&&)>& sink) {
  LDB_RETURN_IF_ERROR(RequireRegularFile(path));
  std::vector<char> buffer(kStreamBuffer);
  std::ifstream in;
  in.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  in.open(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path);
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(path + ": " + ec.message());
  // A byte-order mark is not JSON: skip it as every text reader does (nlohmann counts from there).
  char bom[3] = {};
  if (in.read(bom, 3) && std::string_view(bom, 3) == kUtf8Bom) {
    size -= kUtf8Bom.size();
  } else {
    in.clear();
    in.seekg(0);
  }
  WinkSax sax(size, limit, on_header, sink);
  nlohmann::json::sax_parse(in, &sax);
  if (in.bad()) return Status::IOError(path + ": read error");
  Status s = sax.Finish();
  if (s.ok() || sax.callback_error()) return s;
  return s.WithContext(path);
}

}  // namespace latentdb::formats
