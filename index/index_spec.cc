#include "index/index_spec.h"

namespace latentdb::index {
namespace {

// Consumes `prefix` from the front of `s`.
bool Eat(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// Consumes a decimal number: digits only, no leading zero (except "0" itself), at most 9 digits so
// that it cannot overflow. False when there is none or it is malformed.
bool EatNumber(std::string_view* s, size_t* out) {
  size_t n = 0;
  while (n < s->size() && (*s)[n] >= '0' && (*s)[n] <= '9') ++n;
  if (n == 0 || n > 9 || (n > 1 && (*s)[0] == '0')) return false;
  size_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + static_cast<size_t>((*s)[i] - '0');
  s->remove_prefix(n);
  *out = v;
  return true;
}

Status Refuse(std::string_view spec, const std::string& why) {
  // The spec is echoed back cut short and without control bytes: it came from a request.
  std::string shown;
  for (char ch : spec.substr(0, 64)) shown.push_back(static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f ? '?' : ch);
  if (spec.size() > 64) shown += "...";
  return Status::InvalidArgument("index '" + shown + "': " + why + ". Supported: " + IndexSpecGrammar());
}

std::string Range(size_t lo, size_t hi) { return "between " + std::to_string(lo) + " and " + std::to_string(hi); }

}  // namespace

const char* IndexSpecGrammar() {
  return "Flat; HNSW<M> or HNSW<M>,Flat with M 2..256; IVF<nlist>,Flat, IVF<nlist>,PQ<m>[x<nbits>] or "
         "IVF<nlist>,SQ4|SQ6|SQ8|SQfp16 with nlist 1..65536 (nlist x dim at most 2^28), m dividing dim, "
         "nbits 1..8";
}

std::string ParsedIndexSpec::FaissFactory() const {
  switch (family) {
    case IndexFamily::kFlat: return "Flat";
    case IndexFamily::kHnsw: return "HNSW" + std::to_string(hnsw_m);
    case IndexFamily::kIvf: {
      std::string s = "IVF" + std::to_string(nlist) + ",";
      switch (encoding) {
        case IvfEncoding::kFlat: return s + "Flat";
        case IvfEncoding::kPQ: return s + "PQ" + std::to_string(pq_m) + "x" + std::to_string(pq_nbits);
        case IvfEncoding::kSQ: return s + sq;
      }
    }
  }
  return "Flat";
}

Result<ParsedIndexSpec> ParseIndexSpec(std::string_view spec, size_t dim) {
  if (dim == 0 || dim > 65536) {
    return Status::InvalidArgument("dim must be between 1 and 65536 (got " + std::to_string(dim) + ")");
  }
  ParsedIndexSpec p;
  std::string_view s = spec;
  if (s == "Flat") return p;

  if (Eat(&s, "HNSW")) {
    p.family = IndexFamily::kHnsw;
    if (!EatNumber(&s, &p.hnsw_m)) return Refuse(spec, "HNSW needs its M as a number, e.g. HNSW32");
    if (!s.empty() && s != ",Flat") return Refuse(spec, "HNSW stores its vectors Flat; nothing else may follow");
    if (p.hnsw_m < kMinHnswM || p.hnsw_m > kMaxHnswM) {
      return Refuse(spec, "HNSW's M must be " + Range(kMinHnswM, kMaxHnswM));
    }
    return p;
  }

  if (Eat(&s, "IVF")) {
    p.family = IndexFamily::kIvf;
    if (!EatNumber(&s, &p.nlist)) return Refuse(spec, "IVF needs its number of lists, e.g. IVF256,Flat");
    if (p.nlist < 1 || p.nlist > kMaxNlist) return Refuse(spec, "IVF's nlist must be " + Range(1, kMaxNlist));
    if (p.nlist * dim > kMaxCentroidFloats) {
      return Refuse(spec, "nlist x dim must be at most 2^28 (the centroids alone would take over 1 GiB)");
    }
    if (!Eat(&s, ",")) return Refuse(spec, "IVF<nlist> must be followed by ,Flat ,PQ<m> or ,SQ<type>");
    if (s == "Flat") {
      p.encoding = IvfEncoding::kFlat;
      return p;
    }
    if (s == "SQ4" || s == "SQ6" || s == "SQ8" || s == "SQfp16") {
      p.encoding = IvfEncoding::kSQ;
      p.sq = std::string(s);
      return p;
    }
    if (Eat(&s, "PQ")) {
      p.encoding = IvfEncoding::kPQ;
      if (!EatNumber(&s, &p.pq_m)) return Refuse(spec, "PQ needs its number of sub-quantizers, e.g. PQ16");
      p.pq_nbits = 8;
      if (Eat(&s, "x") && !EatNumber(&s, &p.pq_nbits)) return Refuse(spec, "PQ<m>x needs a number of bits");
      if (!s.empty()) {
        return Refuse(spec, s.find("fs") != std::string_view::npos
                                ? "fast-scan PQ (fs) cannot be searched with filters and is not supported"
                                : "unexpected text after PQ<m>[x<nbits>]");
      }
      if (p.pq_m < 1 || p.pq_m > dim || dim % p.pq_m != 0) {
        return Refuse(spec, "PQ's m must divide the dimension " + std::to_string(dim));
      }
      if (p.pq_nbits < 1 || p.pq_nbits > kMaxPqNbits) return Refuse(spec, "PQ's nbits must be " + Range(1, kMaxPqNbits));
      return p;
    }
    return Refuse(spec, "IVF<nlist> must be followed by ,Flat ,PQ<m>[x<nbits>] or ,SQ4|SQ6|SQ8|SQfp16");
  }
  return Refuse(spec, "not a supported index");
}

}  // namespace latentdb::index
