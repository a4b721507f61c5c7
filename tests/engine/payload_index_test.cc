// Payload indexes (engine/payload_index.h): the numeric postings against a multiset, what each
// schema indexes, and the property that matters — a filtered search answered through the indexes
// returns exactly what the unindexed filter returns — on random payloads, random filters, random
// upserts, updates and deletes, index builds during writes, and restarts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "engine/collection.h"
#include "engine/filter.h"
#include "engine/payload_index.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using namespace latentdb;
using engine::ExternalId;
using engine::FieldIndex;
using engine::Filter;
using engine::JsonPath;
using engine::NumericPostings;
using engine::PayloadSchema;
using engine::PointSet;
using nlohmann::json;

namespace {

std::set<uint64_t> ToSet(const PointSet& s) { return {s.begin(), s.end()}; }

uint64_t Num(const ExternalId& id) { return id.ToJson().get<uint64_t>(); }

std::shared_ptr<const Filter> ParseFilter(const json& spec) {
  auto f = Filter::Parse(spec);
  INFO(f.status().ToString());
  REQUIRE(f.ok());
  return *f;
}

}  // namespace

TEST_CASE("numeric postings agree with a multiset through adds, removes and merges", "[engine][payload_index]") {
  std::mt19937_64 rng(7);
  NumericPostings postings;
  std::multiset<std::pair<double, uint64_t>> oracle;
  std::vector<std::pair<double, uint64_t>> present;
  for (int step = 0; step < 60000; ++step) {
    if (present.empty() || rng() % 3 != 0) {
      const double v = static_cast<double>(static_cast<int>(rng() % 200) - 100) / 4;
      const uint64_t iid = rng() % 5000;
      if (oracle.count({v, iid})) continue;  // a (value, point) pair is indexed once
      postings.Add(v, iid);
      oracle.insert({v, iid});
      present.emplace_back(v, iid);
    } else {
      const size_t i = rng() % present.size();
      postings.Remove(present[i].first, present[i].second);
      oracle.erase(oracle.find(present[i]));
      present[i] = present.back();
      present.pop_back();
    }
    if (step % 997 == 0) {
      const double lo = static_cast<double>(static_cast<int>(rng() % 220) - 110) / 4;
      const double hi = lo + static_cast<double>(rng() % 80) / 4;
      std::set<uint64_t> want;
      size_t pairs = 0;
      for (const auto& [v, iid] : oracle) {
        if (v >= lo && v <= hi) {
          want.insert(iid);
          ++pairs;
        }
      }
      PointSet got;
      CHECK(postings.Collect(lo, hi, &got) == pairs);
      CHECK(postings.Count(lo, hi) == pairs);
      CHECK(ToSet(got) == want);
      CHECK(postings.size() == oracle.size());
    }
  }
}

TEST_CASE("each schema indexes its own kind of value and bounds conditions from above", "[engine][payload_index]") {
  auto path = JsonPath::Parse("v");
  REQUIRE(path.ok());
  const json payloads[] = {
      {{"v", "red"}}, {{"v", {"red", "blue"}}}, {{"v", 3}}, {{"v", 3.0}}, {{"v", 2.5}}, {{"v", true}},
      {{"v", {false, 7}}}, {{"v", nullptr}}, json::object(), {{"v", {{"x", 1}}}}, {{"v", 18446744073709551615ull}},
      {{"v", -9223372036854775807ll}}, {{"v", {{1, "red"}}}},
  };
  const char* conditions[] = {
      R"({"key":"v","match":{"value":"red"}})",  R"({"key":"v","match":{"any":["blue","x"]}})",
      R"({"key":"v","match":{"value":3}})",      R"({"key":"v","match":{"value":true}})",
      R"({"key":"v","match":{"any":[7, 3]}})",   R"({"key":"v","range":{"gt":2,"lte":3}})",
      R"({"key":"v","range":{"gte":2.5,"lt":3}})", R"({"key":"v","range":{"gte":18446744073709551615}})",
      R"({"key":"v","range":{"lt":-9223372036854775806}})", R"({"key":"v","match":{"except":["red"]}})",
  };
  for (PayloadSchema schema : {PayloadSchema::kKeyword, PayloadSchema::kInteger, PayloadSchema::kFloat, PayloadSchema::kBool}) {
    FieldIndex index(1, *path, schema);
    for (uint64_t iid = 0; iid < std::size(payloads); ++iid) index.Update(iid, {}, index.EntriesOf(iid, payloads[iid]));
    // Every entry read back the way a restart reads it is accepted.
    for (uint64_t iid = 0; iid < std::size(payloads); ++iid) {
      for (const auto& e : index.EntriesOf(iid, payloads[iid])) CHECK(index.AddStoredEntry(e).ok());
    }
    for (const char* text : conditions) {
      auto f = ParseFilter(json{{"must", {json::parse(text)}}});
      engine::PayloadIndexSet set;
      set.SetReady("v", &index);
      auto estimate = f->EstimateMatches(set);
      auto candidates = f->CandidatePoints(set);
      CAPTURE(engine::PayloadSchemaName(schema), text);
      REQUIRE(estimate.has_value() == candidates.has_value());
      if (!candidates) continue;
      CHECK(candidates->cardinality() <= *estimate);
      for (uint64_t iid = 0; iid < std::size(payloads); ++iid) {
        if (f->Matches(payloads[iid], ExternalId(iid).ToKey())) CHECK(candidates->contains(iid));
      }
    }
  }
  FieldIndex keyword(2, *path, PayloadSchema::kKeyword);
  CHECK(keyword.AddStoredEntry("bad").code() == StatusCode::kCorruption);
  CHECK(keyword.AddStoredEntry(FieldIndex::EntryPrefix(3) + "kred12345678").code() == StatusCode::kCorruption);
}

namespace {

// A random payload over the indexed fields, with the odd values users send: arrays, numbers of
// the other kind, strings that look like numbers, nulls, missing keys, objects where scalars go.
json RandomPayload(std::mt19937_64& rng) {
  const char* colors[] = {"red", "green", "blue", "teal"};
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  json p = json::object();
  switch (pick(8)) {
    case 0: break;
    case 1: p["color"] = nullptr; break;
    case 2: p["color"] = {colors[pick(4)], colors[pick(4)]}; break;
    case 3: p["color"] = 3; break;
    default: p["color"] = colors[pick(4)];
  }
  switch (pick(9)) {
    case 0: break;
    case 1: p["n"] = 2.5; break;
    case 2: p["n"] = {pick(11) - 5, pick(11) - 5}; break;
    case 3: p["n"] = "3"; break;
    case 4: p["n"] = 18446744073709551615ull; break;
    case 5: p["n"] = static_cast<double>(pick(11) - 5); break;
    default: p["n"] = pick(11) - 5;
  }
  switch (pick(5)) {
    case 0: break;
    case 1: p["x"] = pick(7) - 3; break;
    default: p["x"] = static_cast<double>(pick(600)) / 100 - 3;
  }
  switch (pick(5)) {
    case 0: break;
    case 1: p["ok"] = {true, false}; break;
    case 2: p["ok"] = "true"; break;
    default: p["ok"] = pick(2) == 0;
  }
  switch (pick(4)) {
    case 0: break;
    case 1: p["meta"] = {{{"size", pick(5)}}, {{"size", pick(5)}}}; break;
    default: p["meta"] = {{"size", pick(5)}};
  }
  return p;
}

json RandomCondition(std::mt19937_64& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const char* colors[] = {"red", "green", "blue", "teal", "none"};
  auto number = [&]() -> json {
    if (pick(3) == 0) return static_cast<double>(pick(120)) / 10 - 6;
    return pick(13) - 6;
  };
  auto range = [&]() {
    json r = json::object();
    for (const char* b : {"gt", "gte", "lt", "lte"}) {
      if (pick(3) == 0) r[b] = number();
    }
    if (r.empty()) r["gte"] = number();
    return r;
  };
  switch (pick(depth < 2 ? 12 : 10)) {
    case 0: return {{"key", "color"}, {"match", {{"value", colors[pick(5)]}}}};
    case 1: return {{"key", "color"}, {"match", {{"any", {colors[pick(5)], colors[pick(5)]}}}}};
    case 2: return {{"key", "color"}, {"match", {{"value", 3}}}};  // a number against a keyword index
    case 3: return {{"key", "n"}, {"match", {{"value", pick(13) - 6}}}};
    case 4: return {{"key", "n"}, {"range", range()}};
    case 5: return {{"key", "x"}, {"range", range()}};
    case 6: return {{"key", "ok"}, {"match", {{"value", pick(2) == 0}}}};
    case 7: return {{"key", "meta.size"}, {"range", range()}};
    case 8: return {{"key", "color"}, {"match", {{"except", {colors[pick(5)]}}}}};
    case 9: return {{"has_id", {rng() % 300, rng() % 300}}};
    default: {
      json sub = json::object();
      for (const char* clause : {"must", "should", "must_not"}) {
        if (pick(2) == 0) continue;
        json list = json::array();
        for (int i = pick(3); i >= 0; --i) list.push_back(RandomCondition(rng, depth + 1));
        sub[clause] = list;
      }
      if (sub.empty()) sub["must"] = json::array();  // {} is refused as a condition; {"must": []} holds always
      return sub;
    }
  }
}

json RandomFilter(std::mt19937_64& rng) {
  json f = json::object();
  for (const char* clause : {"must", "should", "must_not"}) {
    if (rng() % 3 == 0) continue;
    json list = json::array();
    for (int i = static_cast<int>(rng() % 3); i >= 0; --i) list.push_back(RandomCondition(rng, 1));
    f[clause] = list;
  }
  return f;
}

std::vector<float> RandomVector(std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  return {u(rng), u(rng), u(rng), u(rng)};
}

struct Model {
  std::map<uint64_t, std::pair<std::vector<float>, json>> points;

  // The k nearest matching points by exact L2, as (distance, id), ties by id.
  std::vector<std::pair<float, uint64_t>> Nearest(const Filter& f, const std::vector<float>& q, size_t k) const {
    std::vector<std::pair<float, uint64_t>> out;
    for (const auto& [id, p] : points) {
      if (!f.Matches(p.second, ExternalId(id).ToKey())) continue;
      float d = 0;
      for (size_t i = 0; i < q.size(); ++i) d += (q[i] - p.first[i]) * (q[i] - p.first[i]);
      out.emplace_back(std::sqrt(d), id);
    }
    std::sort(out.begin(), out.end());
    if (out.size() > k) out.resize(k);
    return out;
  }
};

std::vector<uint64_t> Ids(const std::vector<engine::ScoredPoint>& hits) {
  std::vector<uint64_t> ids;
  for (const auto& h : hits) ids.push_back(Num(h.id));
  return ids;
}

}  // namespace

TEST_CASE("a point's filter test through the indexes agrees with its payload and reads it only when needed",
          "[engine][payload_index][property]") {
  std::mt19937_64 rng(23);
  const std::pair<const char*, PayloadSchema> fields[] = {
      {"color", PayloadSchema::kKeyword}, {"n", PayloadSchema::kInteger}, {"x", PayloadSchema::kFloat},
      {"ok", PayloadSchema::kBool}, {"meta.size", PayloadSchema::kInteger}};
  std::vector<std::unique_ptr<FieldIndex>> indexes;
  engine::PayloadIndexSet set;
  uint32_t number = 1;
  for (const auto& [name, schema] : fields) {
    indexes.push_back(std::make_unique<FieldIndex>(number++, *JsonPath::Parse(name), schema));
    set.SetReady(name, indexes.back().get());
  }
  std::vector<json> payloads(400);
  auto replace = [&](uint64_t iid, json payload) {
    for (auto& index : indexes) index->Update(iid, index->EntriesOf(iid, payloads[iid]), index->EntriesOf(iid, payload));
    payloads[iid] = std::move(payload);
  };
  for (uint64_t iid = 0; iid < payloads.size(); ++iid) replace(iid, RandomPayload(rng));
  size_t loads = 0, tests = 0;
  const engine::PointView::Loader load = [&](uint64_t iid) -> std::optional<json> {
    ++loads;
    return payloads[iid];
  };
  for (int round = 0; round < 300; ++round) {
    // Updates move points between values, and between one number and several (the numbers by point).
    for (int u = 0; u < 20; ++u) replace(rng() % payloads.size(), RandomPayload(rng));
    const json spec = RandomFilter(rng);
    auto f = ParseFilter(spec);
    CAPTURE(spec.dump());
    for (uint64_t iid = 0; iid < payloads.size(); ++iid) {
      engine::PointView point(iid, ExternalId(iid).ToKey(), load);
      CAPTURE(iid, payloads[iid].dump());
      REQUIRE(f->MatchesPoint(point, set) == f->Matches(payloads[iid], ExternalId(iid).ToKey()));
      ++tests;
    }
  }
  // A filter the indexes answer exactly for every point reads no payload at all.
  loads = 0;
  auto indexed = ParseFilter(json::parse(R"({"must":[{"key":"color","match":{"any":["red","blue"]}},
      {"key":"x","range":{"gte":-1.5,"lt":2}}],"must_not":[{"key":"ok","match":{"value":true}}]})"));
  for (uint64_t iid = 0; iid < payloads.size(); ++iid) {
    engine::PointView point(iid, ExternalId(iid).ToKey(), load);
    CHECK(indexed->MatchesPoint(point, set) == indexed->Matches(payloads[iid], ExternalId(iid).ToKey()));
  }
  CHECK(loads == 0);
  CHECK(tests == 300 * payloads.size());
}

TEST_CASE("searches through payload indexes return what the unindexed filter returns", "[engine][payload_index][property]") {
  testing::TempDir dir;
  std::mt19937_64 rng(20261205);
  auto db = testing::OpenTestDatabase(dir.path());
  // "flat": every index, exact search; "hnsw": every index, the graph walk when many match;
  // "plain": no index, the reference.
  auto create = [&](const std::string& name, const std::string& spec) {
    auto config = engine::CollectionConfig::FromJson({{"dim", 4}, {"metric", "l2"}, {"index", spec}});
    REQUIRE(config.ok());
    REQUIRE(db->CreateCollection(name, *config).ok());
  };
  create("flat", "Flat");
  create("hnsw", "HNSW16");
  create("plain", "Flat");
  auto get = [&](const std::string& name) {
    auto c = db->GetCollection(name);
    REQUIRE(c.ok());
    return *c;
  };
  const std::pair<const char*, PayloadSchema> fields[] = {{"color", PayloadSchema::kKeyword},
                                                          {"n", PayloadSchema::kInteger},
                                                          {"x", PayloadSchema::kFloat},
                                                          {"ok", PayloadSchema::kBool},
                                                          {"meta.size", PayloadSchema::kInteger}};
  // Two indexes exist before any point, the rest are built over existing points (in the
  // background, while the next rounds write).
  for (const char* name : {"flat", "hnsw"}) {
    for (int i = 0; i < 2; ++i) REQUIRE(get(name)->CreatePayloadIndex(fields[i].first, fields[i].second, true).ok());
  }
  Model model;
  size_t indexed_plans = 0, checked = 0;
  for (int round = 0; round < 12; ++round) {
    // Writes: a batch with new points, updates and a repeated id; deletes by id and by filter.
    std::vector<engine::PointInput> batch;
    for (int i = 0; i < 60; ++i) {
      const uint64_t id = rng() % 300;
      batch.push_back({ExternalId(id), RandomVector(rng), RandomPayload(rng)});
    }
    batch.push_back(batch.front());
    batch.back().payload = RandomPayload(rng);
    for (const auto& p : batch) model.points[Num(p.id)] = {p.vector, p.payload};
    for (const char* name : {"flat", "hnsw", "plain"}) REQUIRE(get(name)->Upsert(batch).ok());
    std::vector<ExternalId> doomed = {ExternalId(rng() % 300), ExternalId(rng() % 300)};
    for (const auto& id : doomed) model.points.erase(Num(id));
    for (const char* name : {"flat", "hnsw", "plain"}) REQUIRE(get(name)->Delete(doomed).ok());
    if (round % 4 == 3) {
      auto f = ParseFilter(RandomFilter(rng));
      for (auto it = model.points.begin(); it != model.points.end();) {
        it = f->Matches(it->second.second, ExternalId(it->first).ToKey()) ? model.points.erase(it) : std::next(it);
      }
      for (const char* name : {"flat", "hnsw", "plain"}) REQUIRE(get(name)->DeleteMatching(*f).ok());
    }
    if (round == 2) {  // built in the background while rounds 3.. write
      for (const char* name : {"flat", "hnsw"}) {
        for (int i = 2; i < 5; ++i) REQUIRE(get(name)->CreatePayloadIndex(fields[i].first, fields[i].second, false).ok());
      }
    }
    if (round == 5) {  // a replaced and a dropped index
      REQUIRE(get("flat")->CreatePayloadIndex("n", PayloadSchema::kFloat, false).ok());
      REQUIRE(get("hnsw")->DeletePayloadIndex("ok").value());
    }
    if (round == 8) REQUIRE(get("hnsw")->CreatePayloadIndex("ok", PayloadSchema::kBool, true).ok());
    if (round % 3 == 2) {  // a restart, sometimes with builds unfinished
      db.reset();
      db = testing::OpenTestDatabase(dir.path());
    }
    // The indexes hold exactly the points that have values for them: no entry of a deleted or
    // rewritten point lingers (it would not change results, only inflate estimates and memory).
    for (const char* name : {"flat", "hnsw"}) {
      for (const auto& info : get(name)->PayloadIndexes()) {
        if (info.status != "ready") continue;
        FieldIndex fresh(1, *JsonPath::Parse(info.field_name), info.schema);
        size_t want = 0;
        for (const auto& [id, p] : model.points) want += !fresh.EntriesOf(id, p.second).empty();
        CAPTURE(round, name, info.field_name);
        CHECK(info.points == want);
      }
    }
    for (int q = 0; q < 40; ++q) {
      const json spec = RandomFilter(rng);
      CAPTURE(round, spec.dump());
      auto f = ParseFilter(spec);
      engine::SearchQuery query;
      query.vector = RandomVector(rng);
      query.filter = f;
      query.k = 1000;  // every match, nearest first
      const auto all = model.Nearest(*f, *query.vector, query.k);
      std::vector<uint64_t> want;
      for (const auto& [d, id] : all) want.push_back(id);
      engine::SearchPlan plan;
      auto flat = get("flat")->Search(query, &plan);
      auto plain = get("plain")->Search(query);
      REQUIRE(flat.ok());
      REQUIRE(plain.ok());
      indexed_plans += plan.strategy == "indexed_scan";
      // Ties in distance may order differently; compare the sets and the sorted scores.
      auto sorted = [](std::vector<uint64_t> v) { std::sort(v.begin(), v.end()); return v; };
      CHECK(sorted(Ids(*flat)) == sorted(want));
      CHECK(sorted(Ids(*plain)) == sorted(want));
      query.k = 5;
      auto hnsw = get("hnsw")->Search(query, &plan);
      REQUIRE(hnsw.ok());
      if (plan.strategy == "indexed_scan") {  // exact: the true 5 nearest
        std::vector<uint64_t> top(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(5, want.size())));
        CHECK(sorted(Ids(*hnsw)) == sorted(top));
      } else {
        CHECK(hnsw->size() == std::min<size_t>(5, want.size()));
      }
      ++checked;
    }
  }
  // Every index ends up built, and the indexed plan was really taken.
  for (const char* name : {"flat", "hnsw"}) {
    for (const auto& info : get(name)->PayloadIndexes()) {
      CAPTURE(name, info.field_name, info.status);
      REQUIRE(get(name)->CreatePayloadIndex(info.field_name, info.schema, true).ok());
    }
    for (const auto& info : get(name)->PayloadIndexes()) CHECK(info.status == "ready");
  }
  CHECK(checked == 12 * 40);
  CHECK(indexed_plans > 100);
}

TEST_CASE("the planner scans the indexed candidates when few match and walks the graph when many do", "[engine][payload_index]") {
  testing::TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  // 1024-d: Qdrant's threshold of 10,000 KB is 2,500 points of this size; √(16·ef·n) is 2,478.
  constexpr size_t kDim = 1024;
  auto config = engine::CollectionConfig::FromJson({{"dim", kDim}, {"metric", "l2"}, {"index", "HNSW16"}});
  REQUIRE(config.ok());
  auto c = db->CreateCollection("c", *config);
  REQUIRE(c.ok());
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g;
  std::vector<engine::PointInput> points;
  for (uint64_t i = 0; i < 6000; ++i) {
    std::vector<float> v(kDim);
    for (auto& x : v) x = g(rng);
    points.push_back({ExternalId(i), std::move(v), {{"group", i % 2 == 0 ? "even" : "odd"}, {"rare", i % 500 == 0}}});
  }
  REQUIRE((*c)->Upsert(points).ok());
  REQUIRE((*c)->CreatePayloadIndex("group", PayloadSchema::kKeyword, true).ok());
  REQUIRE((*c)->CreatePayloadIndex("rare", PayloadSchema::kBool, true).ok());
  engine::SearchQuery q;
  q.vector = points[10].vector;
  q.k = 5;
  engine::SearchPlan plan;

  q.filter = ParseFilter({{"must", {{{"key", "rare"}, {"match", {{"value", true}}}}}}});
  auto few = (*c)->Search(q, &plan);
  REQUIRE(few.ok());
  CHECK(plan.strategy == "indexed_scan");
  CHECK(plan.estimated_matches == size_t{12});
  CHECK(plan.full_scan_threshold == 2478);
  CHECK(few->size() == 5);
  for (const auto& h : *few) CHECK(Num(h.id) % 500 == 0);

  q.filter = ParseFilter({{"must", {{{"key", "group"}, {"match", {{"value", "even"}}}}}}});
  auto many = (*c)->Search(q, &plan);
  REQUIRE(many.ok());
  CHECK(plan.strategy == "graph");
  CHECK(plan.estimated_matches == size_t{3000});
  REQUIRE(!many->empty());
  CHECK(Num(many->front().id) == 10);
  for (const auto& h : *many) CHECK(Num(h.id) % 2 == 0);

  // The most selective condition bounds a conjunction; an unindexed key bounds nothing.
  q.filter = ParseFilter({{"must", {{{"key", "group"}, {"match", {{"value", "even"}}}}, {{"key", "rare"}, {"match", {{"value", true}}}}}}});
  REQUIRE((*c)->Search(q, &plan).ok());
  CHECK(plan.strategy == "indexed_scan");
  CHECK(plan.estimated_matches == size_t{12});
  q.filter = ParseFilter({{"must", {{{"key", "other"}, {"match", {{"value", "x"}}}}}}});
  REQUIRE((*c)->Search(q, &plan).ok());
  CHECK(plan.strategy == "graph");
  CHECK_FALSE(plan.estimated_matches.has_value());
}

TEST_CASE("payload index definitions are validated and change nothing when refused", "[engine][payload_index]") {
  testing::TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = testing::CreateFlatCollection(*db, "c", 2);
  CHECK(c->CreatePayloadIndex("", PayloadSchema::kKeyword, true).status().code() == StatusCode::kInvalidArgument);
  CHECK(c->CreatePayloadIndex("a..b", PayloadSchema::kKeyword, true).status().code() == StatusCode::kInvalidArgument);
  CHECK(c->CreatePayloadIndex("a[x]", PayloadSchema::kKeyword, true).status().code() == StatusCode::kInvalidArgument);
  CHECK(c->PayloadIndexes().empty());
  CHECK(c->CreatePayloadIndex("a", PayloadSchema::kKeyword, true).value());
  CHECK_FALSE(c->CreatePayloadIndex("a", PayloadSchema::kKeyword, true).value());  // the same: nothing to do
  CHECK(c->CreatePayloadIndex("a", PayloadSchema::kInteger, true).value());        // another schema replaces it
  REQUIRE(c->PayloadIndexes().size() == 1);
  CHECK(c->PayloadIndexes()[0].schema == PayloadSchema::kInteger);
  CHECK_FALSE(c->DeletePayloadIndex("b").value());
  CHECK(c->DeletePayloadIndex("a").value());
  CHECK(c->PayloadIndexes().empty());
  for (const char* bad : {R"("geo")", R"("text")", R"(5)", R"({"kind":"keyword"})", R"({"type":"uuid"})", R"(null)"}) {
    CAPTURE(bad);
    CHECK(engine::ParsePayloadSchema(json::parse(bad)).status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(engine::ParsePayloadSchema(json("keyword")).value() == PayloadSchema::kKeyword);
  CHECK(engine::ParsePayloadSchema(json{{"type", "float"}}).value() == PayloadSchema::kFloat);
}

TEST_CASE("index builds run beside writers and searchers, and a dropped collection stops its build", "[engine][payload_index][concurrency]") {
  testing::TempDir dir;
  auto db = testing::OpenTestDatabase(dir.path());
  auto c = testing::CreateFlatCollection(*db, "c", 4);
  std::mt19937_64 seed_rng(11);
  std::vector<engine::PointInput> initial;
  for (uint64_t i = 0; i < 20000; ++i) initial.push_back({ExternalId(i), RandomVector(seed_rng), {{"color", i % 2 ? "red" : "blue"}, {"n", i % 50}}});
  REQUIRE(c->Upsert(initial).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    std::mt19937_64 rng(12);
    while (!stop) {
      std::vector<engine::PointInput> batch;
      for (int i = 0; i < 50; ++i) batch.push_back({ExternalId(rng() % 30000), RandomVector(rng), RandomPayload(rng)});
      if (!c->Upsert(batch).ok()) ++failures;
      if (!c->Delete({ExternalId(rng() % 30000)}).ok()) ++failures;
    }
  });
  // Parsed here: Catch2's assertions (inside ParseFilter) may only run on the test's thread.
  auto f = ParseFilter({{"must", {{{"key", "color"}, {"match", {{"value", "red"}}}}}}});
  std::thread searcher([&] {
    std::mt19937_64 rng(13);
    while (!stop) {
      engine::SearchQuery q;
      q.vector = RandomVector(rng);
      q.filter = f;
      auto hits = c->Search(q);
      if (!hits.ok()) ++failures;
      for (const auto& h : hits.ok() ? *hits : std::vector<engine::ScoredPoint>{}) {
        const json& color = (*h.payload)["color"];
        const bool red = color == "red" || (color.is_array() && std::count(color.begin(), color.end(), "red") > 0);
        if (!red) ++failures;
      }
      c->Info();
    }
  });
  for (int round = 0; round < 3; ++round) {
    REQUIRE(c->CreatePayloadIndex("color", PayloadSchema::kKeyword, false).ok());
    REQUIRE(c->CreatePayloadIndex("n", PayloadSchema::kInteger, round % 2 == 0).ok());
    REQUIRE(c->CreatePayloadIndex("color", PayloadSchema::kKeyword, true).ok());
    if (round < 2) REQUIRE(c->DeletePayloadIndex("color").ok());
  }
  stop = true;
  writer.join();
  searcher.join();
  CHECK(failures == 0);
  // A build still running when its collection is dropped ends with the drop, and a request
  // waiting for it (wait=true) gets an answer: done, Unavailable or NotFound — never a wait
  // without end.
  REQUIRE(c->CreatePayloadIndex("x", PayloadSchema::kFloat, false).ok());
  Status waited;
  std::thread waiter([&] { waited = c->CreatePayloadIndex("y", PayloadSchema::kKeyword, true).status(); });
  REQUIRE(db->DropCollection("c").ok());
  waiter.join();
  // (NotFound when the drop came first: the definition's write is refused.)
  INFO(waited.ToString());
  CHECK((waited.ok() || waited.code() == StatusCode::kUnavailable || waited.code() == StatusCode::kNotFound));
  // The request still holds the dropped collection: its writes are refused and store nothing.
  CHECK(c->CreatePayloadIndex("z", PayloadSchema::kKeyword, false).status().code() == StatusCode::kNotFound);
  CHECK(c->Upsert(initial).code() == StatusCode::kNotFound);
  db.reset();
  c.reset();
}
