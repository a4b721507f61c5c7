"""The Python client against a real `latentdb serve`: collections, points, search, filters,
batch upserts from numpy arrays with progress, texts, payloads, errors and the API key.
Answers are checked against what was stored (and against numpy's brute force for exact
searches)."""

import io
import socket
import unittest

import numpy as np

import ldb_server as S

from latentdb import Client, LatentDBError, Record, ScoredPoint, filters as F, search_request
from latentdb.progress import StderrProgress


def setUpModule():
    global DIR, SERVER, DB
    DIR = S.TempDir()
    data = DIR.sub("data")
    try:
        S.run_latentdb("models", "import", S.fixture("lee_fasttext.vec"), "--name", "lee", "--data-dir", data)
        SERVER = S.Server(data).start()
    except BaseException:
        DIR.cleanup()
        raise
    DB = Client(SERVER.url)


def tearDownModule():
    SERVER.stop()
    DIR.cleanup()


def brute_force(vectors, query, metric):
    if metric == "l2":
        d = np.sqrt(((vectors.astype(np.float64) - query) ** 2).sum(axis=1))
        return np.argsort(d, kind="stable"), d
    if metric == "cosine":
        v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        s = v @ (query / np.linalg.norm(query))
    else:
        s = vectors.astype(np.float64) @ query
    return np.argsort(-s, kind="stable"), s


class Collections(unittest.TestCase):
    def test_lifecycle(self):
        info = DB.create_collection("py_life", dim=3, metric="cosine", index="Flat")
        self.assertEqual(info["config"]["dim"], 3)
        self.assertEqual(info["config"]["metric"], "cosine")
        self.assertTrue(DB.collection_exists("py_life"))
        self.assertIn("py_life", [c["name"] for c in DB.list_collections()])
        self.assertEqual(DB.get_collection("py_life")["points_count"], 0)
        with self.assertRaises(LatentDBError) as e:
            DB.create_collection("py_life", dim=3)
        self.assertEqual((e.exception.status, e.exception.code), (409, "conflict"))
        self.assertEqual(e.exception.kind, "AlreadyExists")  # the server's finer kind of 409
        self.assertIn("py_life", e.exception.message)
        self.assertTrue(DB.delete_collection("py_life"))
        self.assertFalse(DB.delete_collection("py_life"))  # nothing to delete: false, as Qdrant
        self.assertFalse(DB.collection_exists("py_life"))
        with self.assertRaises(LatentDBError) as e:
            DB.get_collection("py_life")
        self.assertEqual((e.exception.status, e.exception.code), (404, "not_found"))
        self.assertTrue(e.exception.not_found)
        with self.assertRaises(LatentDBError) as e:
            DB.create_collection("py_bad", dim=3, index="HNSW0")
        self.assertEqual(e.exception.status, 400)
        self.assertIn("HNSW", e.exception.message)

    def test_payload_index(self):
        DB.create_collection("py_pidx", dim=2, metric="l2", index="Flat")
        self.addCleanup(DB.delete_collection, "py_pidx")
        DB.upsert_numpy("py_pidx", np.arange(40, dtype=np.float32).reshape(20, 2),
                        payloads=[{"color": ["red", "blue"][i % 2], "n": i} for i in range(20)])
        r = DB.create_payload_index("py_pidx", "color", "keyword", wait=True)
        self.assertEqual(r["status"], "completed")
        schema = DB.get_collection("py_pidx")["payload_schema"]
        self.assertEqual(schema["color"]["data_type"], "keyword")
        hits, plan = DB.search("py_pidx", [0, 0], k=3, filter=F.must(F.match("color", "blue")), debug=True)
        self.assertEqual([h.id for h in hits], [1, 3, 5])
        self.assertEqual(plan["plan"], "indexed_scan")
        DB.delete_payload_index("py_pidx", "color")
        self.assertNotIn("color", DB.get_collection("py_pidx")["payload_schema"])


class Points(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        DB.create_collection("py_points", dim=4, metric="l2", index="Flat")
        cls.points = [
            {"id": 1, "vector": np.array([0.1, 0.9, 0.0, 0.2], np.float32), "payload": {"color": "red", "price": 30}},
            {"id": "b7", "vector": [0.2, 0.8, 0.1, 0.1], "payload": {"color": "blue", "price": 80,
                                                                    "items": [{"size": 1}, {"size": 9}]}},
            {"id": "1990", "vector": (1.0, 0.0, 0.0, 0.0), "payload": {"color": None}},
            {"id": "a/b c%é", "vector": [0.0, 0.0, 1.0, 0.0]},
            {"id": 2 ** 64 - 1, "vector": [0.5, 0.5, 0.5, 0.5], "payload": {"price": 100.5, "tags": []}},
        ]
        r = DB.upsert("py_points", cls.points)
        assert r["upserted"] == 5, r

    @classmethod
    def tearDownClass(cls):
        DB.delete_collection("py_points")

    def test_get_and_retrieve_keep_id_types(self):
        for p in self.points:
            rec = DB.get("py_points", p["id"])
            self.assertIsInstance(rec, Record)
            self.assertEqual(rec.id, p["id"])
            self.assertEqual(type(rec.id), type(p["id"]))
            np.testing.assert_array_equal(rec.vector, np.asarray(p["vector"], np.float32))
            self.assertEqual(rec.vector.dtype, np.float32)
            self.assertEqual(rec.payload, p.get("payload") or {})
        self.assertIsNone(DB.get("py_points", 1, with_vector=False).vector)
        with self.assertRaises(LatentDBError) as e:
            DB.get("py_points", 1990)  # the integer, not the string "1990"
        self.assertEqual(e.exception.status, 404)
        found = DB.retrieve("py_points", ["1990", 1990, "b7", 1, "b7", "nope"], with_vector=True)
        self.assertEqual([r.id for r in found], ["1990", "b7", 1])  # order asked, missing skipped, once each
        self.assertEqual(found[0].vector.tolist(), [1, 0, 0, 0])
        self.assertIsNone(DB.retrieve("py_points", [1], with_payload=False)[0].payload)

    def test_scroll_and_count(self):
        page, nxt = DB.scroll("py_points", limit=2)
        self.assertEqual([r.id for r in page], [1, 2 ** 64 - 1])  # integers first, ascending
        self.assertEqual(nxt, "1990")
        ids = [r.id for r in DB.iter_points("py_points", page_size=2)]
        self.assertEqual(ids, [1, 2 ** 64 - 1, "1990", "a/b c%é", "b7"])
        self.assertEqual(DB.count("py_points"), 5)
        self.assertEqual(DB.count("py_points", F.must(F.range_("price", gte=30, lt=100))), 2)
        red = list(DB.iter_points("py_points", filter=F.must(F.match("color", "red")), with_vector=True))
        self.assertEqual([(r.id, r.vector.shape) for r in red], [(1, (4,))])

    def test_filters(self):
        cases = [
            (F.must(F.match("color", "red")), [1]),
            (F.must(F.match_any("color", ["red", "blue"])), [1, "b7"]),
            (F.Filter(must=[F.match_except("color", ["red"])]), ["b7"]),
            (F.must(F.range_("price", gt=30)), ["b7", 2 ** 64 - 1]),
            (F.must(F.has_id(["1990", 1])), [1, "1990"]),
            (F.must(F.is_null("color")), ["1990"]),
            (F.must(F.is_empty("tags")), [1, "b7", 2 ** 64 - 1, "1990", "a/b c%é"]),  # missing or []
            (F.must_not(F.is_empty("items")), ["b7"]),
            (F.must(F.nested("items", F.must(F.match("size", 9)))), ["b7"]),
            (F.should(F.match("color", "red"), F.range_("price", gte=100)), [1, 2 ** 64 - 1]),
            (F.Filter(must=[], must_not=[F.has_id([1, "b7"])]), ["1990", "a/b c%é", 2 ** 64 - 1]),
            (F.Filter(should=[]), []),
        ]
        for f, expected in cases:
            hits = DB.search("py_points", [0, 0, 0, 0], k=10, filter=f)
            self.assertEqual(sorted(map(str, (h.id for h in hits))), sorted(map(str, expected)), f)
        with self.assertRaises(ValueError):
            F.range_("price")
        with self.assertRaises(LatentDBError) as e:
            DB.search("py_points", [0, 0, 0, 0], filter={"must": [{"geo_radius": {}}]})
        self.assertEqual(e.exception.status, 400)

    def test_search_by_vector_and_by_id(self):
        hits = DB.search("py_points", np.array([0.1, 0.9, 0.0, 0.2]), k=3, with_vector=True)
        self.assertIsInstance(hits[0], ScoredPoint)
        self.assertEqual(hits[0].id, 1)
        self.assertAlmostEqual(hits[0].score, 0.0, places=6)
        self.assertEqual(hits[1].id, "b7")
        self.assertAlmostEqual(hits[1].score, float(np.linalg.norm(np.array([0.1, -0.1, 0.1, -0.1]))), places=5)
        self.assertEqual(hits[0].vector.dtype, np.float32)
        by_id = DB.search("py_points", id="b7", k=2, with_payload=False)
        self.assertEqual(by_id[0].id, 1)  # the point itself is left out
        self.assertIsNone(by_id[0].payload)
        batch = DB.search_batch("py_points", [search_request([1, 0, 0, 0], k=1), search_request(id=1, k=2)])
        self.assertEqual([[h.id for h in b] for b in batch], [["1990"], ["b7", 2 ** 64 - 1]])
        with self.assertRaises(ValueError):
            DB.search("py_points", [0, 0, 0, 0], id=1)
        with self.assertRaises(ValueError):
            DB.search("py_points", [0, float("nan"), 0, 0])
        with self.assertRaises(LatentDBError) as e:
            DB.search("py_points", [0, 0, 0])
        self.assertEqual((e.exception.status, e.exception.code), (400, "bad_request"))

    def test_payload_updates(self):
        DB.create_collection("py_pl", dim=1, index="Flat")
        self.addCleanup(DB.delete_collection, "py_pl")
        DB.upsert_numpy("py_pl", np.zeros((3, 1)), payloads=[{"a": 1}, {"a": 2, "b": 1}, None])
        DB.set_payload("py_pl", {"c": True}, ids=[0, 1])
        self.assertEqual(DB.get("py_pl", 1).payload, {"a": 2, "b": 1, "c": True})
        DB.overwrite_payload("py_pl", {"z": 0}, filter=F.must(F.match("a", 2)))
        self.assertEqual(DB.get("py_pl", 1).payload, {"z": 0})
        DB.delete_payload("py_pl", ["c"], ids=[0])
        self.assertEqual(DB.get("py_pl", 0).payload, {"a": 1})
        DB.clear_payload("py_pl", ids=[0, 1])
        self.assertEqual([r.payload for r in DB.retrieve("py_pl", [0, 1, 2])], [{}, {}, {}])
        with self.assertRaises(LatentDBError) as e:
            DB.set_payload("py_pl", {"x": 1}, ids=[0, 99])  # every id must exist; nothing changes
        self.assertEqual(e.exception.status, 404)
        self.assertEqual(DB.get("py_pl", 0).payload, {})
        with self.assertRaises(ValueError):
            DB.set_payload("py_pl", {"x": 1})
        self.assertEqual(DB.delete("py_pl", ids=[0, 5]), 1)
        self.assertEqual(DB.delete("py_pl", filter=F.must(F.has_id([1]))), 1)
        self.assertEqual(DB.count("py_pl"), 1)


class NumpyUpserts(unittest.TestCase):
    def test_batches_with_progress_match_brute_force(self):
        for metric in ("l2", "cosine", "ip"):
            name = "py_np_" + metric
            DB.create_collection(name, dim=16, metric=metric, index="HNSW16")
            self.addCleanup(DB.delete_collection, name)
            rng = np.random.default_rng(1)
            vectors = rng.normal(size=(3000, 16)).astype(np.float32)
            ids = np.arange(10, 3010, dtype=np.uint64)
            calls = []
            n = DB.upsert_numpy(name, vectors, ids=ids, payloads=[{"i": i} for i in range(3000)], batch_size=700,
                                progress=lambda done, total: calls.append((done, total)))
            self.assertEqual(n, 3000)
            self.assertEqual(calls, [(700, 3000), (1400, 3000), (2100, 3000), (2800, 3000), (3000, 3000)])
            self.assertEqual(DB.count(name), 3000)
            np.testing.assert_array_equal(DB.get(name, 2000).vector, vectors[1990])
            for q in rng.normal(size=(5, 16)):
                order, scores = brute_force(vectors, q, metric)
                hits = DB.search(name, q, k=10, exact=True)
                self.assertEqual([h.id for h in hits], [int(ids[i]) for i in order[:10]], metric)
                for h, i in zip(hits, order[:10]):
                    self.assertAlmostEqual(h.score, float(scores[i]), delta=1e-4)
                approx = DB.search(name, q, k=10, ef=200)
                self.assertGreaterEqual(len({h.id for h in approx} & {h.id for h in hits}), 8)

    def test_refused_before_sending_or_reported_with_rows(self):
        DB.create_collection("py_np_bad", dim=4, index="Flat")
        self.addCleanup(DB.delete_collection, "py_np_bad")
        bad = np.ones((10, 4))
        bad[7, 2] = np.nan
        with self.assertRaises(ValueError) as e:
            DB.upsert_numpy("py_np_bad", bad)
        self.assertIn("row 7", str(e.exception))
        self.assertEqual(DB.count("py_np_bad"), 0)  # nothing was sent
        with self.assertRaises(ValueError):
            DB.upsert_numpy("py_np_bad", np.ones(4))
        with self.assertRaises(ValueError):
            DB.upsert_numpy("py_np_bad", np.ones((3, 4)), ids=[1, 2])
        with self.assertRaises(LatentDBError) as e:  # a wrong dimension: the server says 400
            DB.upsert_numpy("py_np_bad", np.ones((5, 3)), batch_size=2)
        self.assertEqual(e.exception.status, 400)
        self.assertIn("rows 0…1", e.exception.message)
        out = io.StringIO()
        DB.upsert_numpy("py_np_bad", np.ones((5, 4)), batch_size=2, progress=StderrProgress("load", out))
        lines = out.getvalue().splitlines()
        self.assertTrue(lines[-1].startswith("load: 5/5 (100.0%)"), lines)
        self.assertEqual(DB.upsert_numpy("py_np_bad", np.zeros((0, 4))), 0)


class Texts(unittest.TestCase):
    def test_texts_through_a_word_model_encoder(self):
        DB.create_collection("py_docs", metric="cosine", index="Flat", encoder="lee")
        self.addCleanup(DB.delete_collection, "py_docs")
        texts = ["police arrested a man", "the fire burned at night", "the government said on Monday"]
        r = DB.upsert_texts("py_docs", texts, ids=["p", "f", "g"], payloads=[{"n": i} for i in range(3)], batch_size=2,
                            progress=lambda d, t: None)
        self.assertEqual(r, {"upserted": 3, "errors": []})
        hits = DB.search("py_docs", text="fire at night", k=3)
        self.assertEqual(hits[0].id, "f")
        vec, tokens, unknown = DB.word_model("lee").text_vector("fire at night")
        self.assertEqual(tokens, ["fire", "at", "night"])
        self.assertEqual(unknown, [])
        same = DB.search("py_docs", vec, k=3)
        self.assertEqual([h.id for h in same], [h.id for h in hits])
        stored = DB.get("py_docs", "f").vector
        np.testing.assert_allclose(stored, DB.word_model("lee").text_vector(texts[1])[0], atol=1e-6)
        with self.assertRaises(TypeError):
            DB.upsert_texts("py_docs", [b"bytes"])


class Analogy(unittest.TestCase):
    def test_collection_analogy_with_ids_and_vectors(self):
        DB.create_collection("py_an", dim=2, metric="cosine", index="Flat")
        self.addCleanup(DB.delete_collection, "py_an")
        angles = np.linspace(0, np.pi, 7)
        DB.upsert_numpy("py_an", np.stack([np.cos(angles), np.sin(angles)], axis=1))
        r = DB.analogy("py_an", positive=[2, 4], negative=[3], k=2)
        # 2 + 4 − 3 points at 90°, which is point 3: it and 2, 4 are inputs, so 1 and 5 (tied).
        self.assertEqual({h.id for h in r.hits}, {1, 5})
        self.assertAlmostEqual(r.hits[0].score, r.hits[1].score, places=6)
        self.assertIsNone(r.image)
        r = DB.analogy("py_an", positive=[[1.0, 0.0]], k=1)
        self.assertEqual(r.hits[0].id, 0)
        self.assertAlmostEqual(r.hits[0].score, 1.0, places=5)


class ServerAndErrors(unittest.TestCase):
    def test_info_health_openapi(self):
        self.assertIn("version", DB.info())
        self.assertTrue(DB.health())
        doc = DB.openapi()
        self.assertTrue(doc["openapi"].startswith("3."))
        self.assertIn("/collections/{collection}/search", doc["paths"])

    def test_unreachable_server(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        with self.assertRaises(LatentDBError) as e:
            Client("127.0.0.1:%d" % port, timeout=5).list_collections()
        self.assertIsNone(e.exception.status)
        self.assertEqual(e.exception.code, "connection_error")

    def test_api_key(self):
        d = S.TempDir()
        self.addCleanup(d.cleanup)
        with S.Server(d.sub("data"), ["--api-key", "s3cret"]) as server:
            with self.assertRaises(LatentDBError) as e:
                Client(server.url).list_collections()
            self.assertEqual((e.exception.status, e.exception.code), (401, "unauthorized"))
            self.assertTrue(Client(server.url).health())  # the probes stay open
            ok = Client(server.url, api_key="s3cret")
            ok.create_collection("k", dim=2)
            self.assertEqual([c["name"] for c in ok.list_collections()], ["k"])

    def test_body_over_the_limit_is_413(self):
        d = S.TempDir()
        self.addCleanup(d.cleanup)
        with S.Server(d.sub("data"), ["--body-limit-mb", "1"]) as server:
            c = Client(server.url)
            c.create_collection("big", dim=256, index="Flat")
            with self.assertRaises(LatentDBError) as e:
                c.upsert_numpy("big", np.ones((2000, 256)), batch_size=2000)
            self.assertIn(e.exception.status, (413, None))  # 413, or a reset while still sending
            self.assertEqual(c.count("big"), 0)


if __name__ == "__main__":
    unittest.main()
