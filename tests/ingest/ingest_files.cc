#include "tests/ingest/ingest_files.h"

#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

#include "engine/database.h"
#include "tests/support/test_database.h"

namespace latentdb::testing {

Matrix RandomMatrix(size_t n, size_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Matrix m(n, std::vector<float>(d));
  for (auto& row : m) {
    for (auto& x : row) x = u(rng);
  }
  return m;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::string ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

namespace {
void AppendLE32(std::string* out, int32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // x86: little-endian
  out->append(b, 4);
}
void AppendBE32(std::string* out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}
}  // namespace

void WriteFvecs(const std::string& path, const Matrix& m) {
  std::string out;
  for (const auto& row : m) {
    AppendLE32(&out, static_cast<int32_t>(row.size()));
    out.append(reinterpret_cast<const char*>(row.data()), row.size() * 4);
  }
  WriteBytes(path, out);
}

void WriteBvecs(const std::string& path, const std::vector<std::vector<uint8_t>>& m) {
  std::string out;
  for (const auto& row : m) {
    AppendLE32(&out, static_cast<int32_t>(row.size()));
    out.append(reinterpret_cast<const char*>(row.data()), row.size());
  }
  WriteBytes(path, out);
}

void WriteIvecs(const std::string& path, const std::vector<std::vector<int32_t>>& m) {
  std::string out;
  for (const auto& row : m) {
    AppendLE32(&out, static_cast<int32_t>(row.size()));
    for (int32_t v : row) AppendLE32(&out, v);
  }
  WriteBytes(path, out);
}

void WriteNpyRaw(const std::string& path, const std::string& header_dict, const std::string& data) {
  std::string header = header_dict;
  // Pad with spaces so that magic + len + header + '\n' is a multiple of 64, as numpy does.
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out += data;
  WriteBytes(path, out);
}

void WriteNpyF32(const std::string& path, const Matrix& m, bool fortran_order) {
  const size_t d = m.empty() ? 0 : m[0].size();
  std::string data;
  for (const auto& row : m) data.append(reinterpret_cast<const char*>(row.data()), row.size() * 4);
  WriteNpyRaw(path,
              "{'descr': '<f4', 'fortran_order': " + std::string(fortran_order ? "True" : "False") + ", 'shape': (" +
                  std::to_string(m.size()) + ", " + std::to_string(d) + "), }",
              data);
}

void WriteNpyU8(const std::string& path, const std::vector<std::vector<uint8_t>>& m) {
  const size_t d = m.empty() ? 0 : m[0].size();
  std::string data;
  for (const auto& row : m) data.append(reinterpret_cast<const char*>(row.data()), row.size());
  WriteNpyRaw(path, "{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(m.size()) + ", " +
                        std::to_string(d) + "), }",
              data);
}

void WriteIdxImages(const std::string& path, size_t count, size_t rows, size_t cols, const std::vector<uint8_t>& pixels) {
  std::string out;
  AppendBE32(&out, 0x00000803);
  AppendBE32(&out, static_cast<uint32_t>(count));
  AppendBE32(&out, static_cast<uint32_t>(rows));
  AppendBE32(&out, static_cast<uint32_t>(cols));
  out.append(reinterpret_cast<const char*>(pixels.data()), pixels.size());
  WriteBytes(path, out);
}

void WriteIdxLabels(const std::string& path, const std::vector<uint8_t>& labels) {
  std::string out;
  AppendBE32(&out, 0x00000801);
  AppendBE32(&out, static_cast<uint32_t>(labels.size()));
  out.append(reinterpret_cast<const char*>(labels.data()), labels.size());
  WriteBytes(path, out);
}


StoredCollection InspectCollection(const std::string& data_dir, const std::string& name) {
  auto db = latentdb::testing::OpenTestDatabase(data_dir);
  StoredCollection out;
  auto c = db->GetCollection(name);
  if (c.ok()) {
    out.exists = true;
    out.size = (*c)->size();
    out.dim = (*c)->config().dim;
    out.metric = index::MetricName((*c)->config().metric);
    out.index = (*c)->config().index;
  }
  db->Close();
  return out;
}

std::vector<std::optional<StoredPoint>> ReadPoints(const std::string& data_dir, const std::string& name,
                                                   const std::vector<nlohmann::json>& ids) {
  auto db = latentdb::testing::OpenTestDatabase(data_dir);
  auto c = db->GetCollection(name);
  if (!c.ok()) throw std::runtime_error("no collection " + name);
  std::vector<std::optional<StoredPoint>> out;
  for (const auto& given : ids) {
    // Literal ints in the tests arrive signed; ids are unsigned.
    const nlohmann::json j = given.is_number_integer() && given.get<int64_t>() >= 0 ? nlohmann::json(given.get<uint64_t>()) : given;
    auto id = engine::ExternalId::FromJson(j);
    if (!id.ok()) throw std::runtime_error("bad id " + j.dump());
    auto rec = (*c)->Get(*id, /*with_vector=*/true);
    if (!rec.ok()) throw std::runtime_error("Get failed: " + rec.status().ToString());
    if (!*rec) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(StoredPoint{(*rec)->vector.value_or(std::vector<float>{}), (*rec)->payload});
    }
  }
  db->Close();
  return out;
}

}  // namespace latentdb::testing
