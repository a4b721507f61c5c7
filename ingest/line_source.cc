#include "ingest/line_source.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "common/json_parser.h"
#include "ingest/line_reader.h"

namespace latentdb::ingest {
namespace {

using nlohmann::json;

constexpr size_t kLookAheadLines = 1000;
constexpr int kMaxJsonDepth = 64;
constexpr uint64_t kMaxImageBytes = uint64_t{64} << 20;

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Clip(std::string_view s) {
  return s.size() <= 40 ? std::string(s) : std::string(s.substr(0, 40)) + "…";
}

// Common reading for line sources: a record per non-blank line, row = line index.
class LineSource : public Source {
 public:
  LineSource(std::string path, Format format) : Source(std::move(path), format) {}

  Status OpenLines() {
    LDB_RETURN_IF_ERROR(lines_.Open(path_));
    total_bytes_ = lines_.size();
    return Status::Ok();
  }

  size_t dim() const override { return dim_; }

  Result<bool> Read(size_t max_records, RecordBatch* batch) override {
    const uint64_t before = lines_.consumed();
    size_t n = 0;
    std::string_view line;
    bool more = true;
    while (n < max_records) {
      auto r = lines_.Next(&line);
      if (!r.ok()) {
        batch->bytes_consumed += lines_.consumed() - before;
        return r.status();
      }
      if (!*r) {
        more = false;
        break;
      }
      const uint64_t row = row_++;
      if (IsBlank(line)) continue;
      batch->records.push_back({row, batch->bytes.size(), line.size()});
      batch->bytes.append(line);
      ++n;
    }
    batch->bytes_consumed += lines_.consumed() - before;
    return more;
  }

 protected:
  // Decodes the first lines until one has a vector, to learn the dimension; then rewinds.
  Status LookAhead(uint64_t skip_lines) {
    LineReader probe;
    LDB_RETURN_IF_ERROR(probe.Open(path_));
    std::string_view line;
    for (uint64_t i = 0; i < skip_lines + kLookAheadLines; ++i) {
      LDB_ASSIGN_OR_RETURN(bool more, probe.Next(&line));
      if (!more) break;
      if (i < skip_lines || IsBlank(line)) continue;
      DecodedRecord rec;
      if (Decode(line, i, &rec).ok() && !rec.vector.empty()) {
        dim_ = rec.vector.size();
        break;
      }
    }
    return Status::Ok();
  }

  LineReader lines_;
  uint64_t row_ = 0;
  size_t dim_ = 0;
};

class JsonlSource final : public LineSource {
 public:
  JsonlSource(std::string path, SourceOptions options) : LineSource(std::move(path), Format::kJsonl), opt_(std::move(options)) {}

  Status Open() {
    LDB_RETURN_IF_ERROR(OpenLines());
    probing_ = true;  // single-threaded here, before any worker decodes
    Status s = LookAhead(0);
    probing_ = false;
    return s;
  }

  Status Decode(std::string_view record, uint64_t, DecodedRecord* out) const override {
    // The same parser as request bodies: depth and size bounded while parsing, numbers read fast.
    auto parsed = ParseJson(record, kMaxJsonDepth);
    if (!parsed.ok()) return Status::InvalidArgument("bad JSON: " + parsed.status().message() + " in '" + Clip(record) + "'");
    json j = std::move(parsed).value();
    if (!j.is_object()) return Status::InvalidArgument("bad JSON: the line is not an object");
    if (opt_.id_field) {
      auto it = j.find(*opt_.id_field);
      if (it == j.end()) return Status::InvalidArgument("missing id: no field '" + *opt_.id_field + "'");
      auto id = engine::ExternalId::FromJson(*it);
      if (!id.ok()) return Status::InvalidArgument("bad id: " + id.status().message());
      out->field_id = std::move(*id);
    }
    auto v = j.find(opt_.vector_field);
    if (v == j.end() || v->is_null()) {
      // No vector: raw input for an encoder, if the line has some.
      if (auto t = j.find(opt_.text_field); t != j.end() && t->is_string()) {
        out->raw.kind = RawInput::Kind::kText;
        out->raw.bytes = t->get<std::string>();
      } else if (auto im = j.find(opt_.image_field); im != j.end() && im->is_string()) {
        LDB_RETURN_IF_ERROR(ReadImageFile(im->get<std::string>(), &out->raw.bytes));
        out->raw.kind = RawInput::Kind::kImage;
      } else {
        return Status::InvalidArgument("missing vector: no field '" + opt_.vector_field + "'");
      }
      return DecodePayload(std::move(j), out);
    }
    if (!v->is_array()) return Status::InvalidArgument("bad vector: '" + opt_.vector_field + "' is not an array");
    out->vector.resize(v->size());
    for (size_t i = 0; i < v->size(); ++i) {
      const json& x = (*v)[i];
      if (!x.is_number()) return Status::InvalidArgument("bad vector: element " + std::to_string(i) + " is not a number");
      out->vector[i] = x.get<float>();
    }
    return DecodePayload(std::move(j), out);
  }

 private:
  Status DecodePayload(json j, DecodedRecord* out) const {
    if (opt_.payload_fields.empty()) {
      auto p = j.find(opt_.payload_field);
      if (p != j.end() && !p->is_null()) {
        if (!p->is_object()) return Status::InvalidArgument("bad payload: '" + opt_.payload_field + "' is not an object");
        out->payload = std::move(*p);
      }
    } else if (opt_.payload_fields.size() == 1 && opt_.payload_fields[0] == "*") {
      out->payload = json::object();
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == opt_.vector_field || it.key() == opt_.text_field || it.key() == opt_.image_field ||
            (opt_.id_field && it.key() == *opt_.id_field)) {
          continue;
        }
        out->payload[it.key()] = std::move(it.value());
      }
    } else {
      out->payload = json::object();
      for (const auto& f : opt_.payload_fields) {
        auto it = j.find(f);
        if (it != j.end()) out->payload[f] = std::move(*it);
      }
    }
    return Status::Ok();
  }

  Status ReadImageFile(const std::string& name, std::string* bytes) const {
    if (probing_) return Status::Ok();  // the look-ahead only wants the dimension
    const size_t slash = path_.rfind('/');
    const std::string full = name.empty() || name[0] == '/' || slash == std::string::npos ? name : path_.substr(0, slash + 1) + name;
    formats::FileReader f;
    if (Status s = f.Open(full); !s.ok()) return Status::InvalidArgument("bad image: " + s.message());
    if (f.size() > kMaxImageBytes) return Status::InvalidArgument("bad image: '" + full + "' is larger than 64 MiB");
    bytes->resize(f.size());
    auto got = f.Read(bytes->data(), bytes->size());
    if (!got.ok() || *got != bytes->size()) return Status::InvalidArgument("bad image: cannot read '" + full + "'");
    return Status::Ok();
  }

  SourceOptions opt_;
  bool probing_ = false;
};

json CsvValue(std::string_view s) {
  s = Trim(s);
  int64_t i = 0;
  auto ri = std::from_chars(s.data(), s.data() + s.size(), i);
  if (!s.empty() && ri.ec == std::errc() && ri.ptr == s.data() + s.size()) return i;
  double d = 0;
  auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
  if (!s.empty() && rd.ec == std::errc() && rd.ptr == s.data() + s.size() && std::isfinite(d)) return d;
  return std::string(s);
}

class CsvSource final : public LineSource {
 public:
  CsvSource(std::string path, SourceOptions options) : LineSource(std::move(path), Format::kCsv), opt_(std::move(options)) {}

  Status Open() {
    LDB_RETURN_IF_ERROR(OpenLines());
    std::string_view line;
    LDB_ASSIGN_OR_RETURN(bool any, lines_.Next(&line));
    if (!any) return Status::Corruption(path_ + ": empty CSV file (no header row)");
    auto header = SplitCsvLine(line);
    if (!header.ok()) return Status::Corruption(path_ + ": header row: " + header.status().message());
    columns_ = std::move(*header);
    for (auto& c : columns_) c = std::string(Trim(c));
    auto index_of = [&](const std::string& name) -> std::optional<size_t> {
      auto it = std::find(columns_.begin(), columns_.end(), name);
      if (it == columns_.end()) return std::nullopt;
      return static_cast<size_t>(it - columns_.begin());
    };
    if (opt_.id_field) {
      id_col_ = index_of(*opt_.id_field);
      if (!id_col_) return Status::InvalidArgument(path_ + ": no CSV column '" + *opt_.id_field + "' for the id");
    }
    std::set<size_t> payload;
    const bool all_payload = opt_.payload_fields.size() == 1 && opt_.payload_fields[0] == "*";
    if (!all_payload) {
      for (const auto& f : opt_.payload_fields) {
        auto c = index_of(f);
        if (!c) return Status::InvalidArgument(path_ + ": no CSV column '" + f + "' for the payload");
        payload.insert(*c);
      }
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (id_col_ && i == *id_col_) continue;
      const bool is_vector = opt_.vector_prefix.empty() ? payload.count(i) == 0
                                                        : columns_[i].rfind(opt_.vector_prefix, 0) == 0;
      if (is_vector) {
        vector_cols_.push_back(i);
      } else if (payload.count(i) || all_payload || opt_.payload_fields.empty()) {
        payload_cols_.push_back(i);
      }
    }
    if (vector_cols_.empty()) {
      return Status::InvalidArgument(path_ + ": no vector columns" +
                                     (opt_.vector_prefix.empty() ? std::string() : " starting with '" + opt_.vector_prefix + "'"));
    }
    dim_ = vector_cols_.size();
    return Status::Ok();
  }

  Status Decode(std::string_view record, uint64_t, DecodedRecord* out) const override {
    auto fields = SplitCsvLine(record);
    if (!fields.ok()) return Status::InvalidArgument("bad CSV row: " + fields.status().message());
    if (fields->size() != columns_.size()) {
      return Status::InvalidArgument("bad CSV row: " + std::to_string(fields->size()) + " fields, the header has " +
                                     std::to_string(columns_.size()));
    }
    if (id_col_) {
      std::string_view s = Trim((*fields)[*id_col_]);
      if (s.empty()) return Status::InvalidArgument("missing id: column '" + columns_[*id_col_] + "' is empty");
      uint64_t u = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), u);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) {
        out->field_id = engine::ExternalId(u);
      } else {
        auto id = engine::ExternalId::FromJson(json(std::string(s)));
        if (!id.ok()) return Status::InvalidArgument("bad id: " + id.status().message());
        out->field_id = std::move(*id);
      }
    }
    out->vector.resize(vector_cols_.size());
    for (size_t i = 0; i < vector_cols_.size(); ++i) {
      std::string_view s = Trim((*fields)[vector_cols_[i]]);
      if (!s.empty() && s.front() == '+') s.remove_prefix(1);
      float f = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), f);
      if (s.empty() || r.ec == std::errc::invalid_argument || r.ptr != s.data() + s.size()) {
        return Status::InvalidArgument("bad vector: column '" + columns_[vector_cols_[i]] + "' value '" + Clip(s) +
                                       "' is not a number");
      }
      if (r.ec == std::errc::result_out_of_range) f = HUGE_VALF;  // rejected as Inf by validation
      out->vector[i] = f;
    }
    if (!payload_cols_.empty()) {
      out->payload = json::object();
      for (size_t c : payload_cols_) out->payload[columns_[c]] = CsvValue((*fields)[c]);
    }
    return Status::Ok();
  }

 private:
  SourceOptions opt_;
  std::vector<std::string> columns_;
  std::optional<size_t> id_col_;
  std::vector<size_t> vector_cols_, payload_cols_;
};

class TextSource final : public LineSource {
 public:
  explicit TextSource(std::string path) : LineSource(std::move(path), Format::kText) {}
  Status Decode(std::string_view record, uint64_t, DecodedRecord* out) const override {
    out->raw.kind = RawInput::Kind::kText;
    out->raw.bytes.assign(record);
    return Status::Ok();
  }
};

}  // namespace

Result<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields;
  std::string cur;
  size_t i = 0;
  for (;;) {
    cur.clear();
    // A quoted field may follow leading spaces.
    size_t j = i;
    while (j < line.size() && line[j] == ' ') ++j;
    if (j < line.size() && line[j] == '"') {
      i = j + 1;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur.push_back('"');
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        cur.push_back(line[i++]);
      }
      if (!closed) return Status::InvalidArgument("unterminated quoted field");
      while (i < line.size() && line[i] != ',') ++i;  // ignore anything between the quote and the comma
    } else {
      size_t comma = line.find(',', i);
      size_t stop = comma == std::string_view::npos ? line.size() : comma;
      cur.assign(line.substr(i, stop - i));
      i = stop;
    }
    fields.push_back(cur);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

Result<std::unique_ptr<Source>> OpenJsonlSource(const std::string& path, const SourceOptions& options) {
  auto s = std::make_unique<JsonlSource>(path, options);
  LDB_RETURN_IF_ERROR(s->Open());
  return std::unique_ptr<Source>(std::move(s));
}

Result<std::unique_ptr<Source>> OpenCsvSource(const std::string& path, const SourceOptions& options) {
  auto s = std::make_unique<CsvSource>(path, options);
  LDB_RETURN_IF_ERROR(s->Open());
  return std::unique_ptr<Source>(std::move(s));
}

Result<std::unique_ptr<Source>> OpenTextSource(const std::string& path) {
  auto s = std::make_unique<TextSource>(path);
  LDB_RETURN_IF_ERROR(s->OpenLines());
  return std::unique_ptr<Source>(std::move(s));
}

}  // namespace latentdb::ingest
