"""The Python client's WordModel against gensim's KeyedVectors on the same vectors.

Word models are imported from tests/fixtures with `latentdb models import` into a fresh data
directory, served by a real `latentdb serve`, and every lookup is compared with gensim (Debian's
python3-gensim) on the same file: equal words in equal order, scores within 1e-4.
"""

import itertools
import logging
import unittest

import numpy as np

import ldb_server as S

from gensim.models import KeyedVectors
from gensim.models.fasttext import load_facebook_vectors

from latentdb import Client, LatentDBError

TOL = 1e-4
TIE = 1e-6  # gensim scores closer than this are ties: their order is float rounding, not meaning


def setUpModule():
    global DIR, SERVER, CLIENT, REF
    DIR = S.TempDir()
    data = DIR.sub("data")
    try:
        S.run_latentdb("models", "import", S.fixture("lee_fasttext.vec"), "--name", "lee", "--data-dir", data)
        S.run_latentdb("models", "import", S.fixture("test_glove.txt"), "--name", "glove", "--data-dir", data)
        S.run_latentdb("models", "import", S.fixture("crime-and-punishment.vec"), "--name", "cap", "--data-dir", data)
        S.run_latentdb("models", "import", S.fixture("lee_fasttext_new.bin"), "--name", "leesub", "--data-dir", data)
        SERVER = S.Server(data).start()
    except BaseException:
        DIR.cleanup()
        raise
    CLIENT = Client(SERVER.url)
    REF = {
        "lee": KeyedVectors.load_word2vec_format(S.fixture("lee_fasttext.vec")),
        "glove": KeyedVectors.load_word2vec_format(S.fixture("test_glove.txt"), no_header=True),
        "cap": KeyedVectors.load_word2vec_format(S.fixture("crime-and-punishment.vec")),
        "leesub": load_facebook_vectors(S.fixture("lee_fasttext_new.bin")),
    }


def tearDownModule():
    SERVER.stop()
    DIR.cleanup()


class GensimCase(unittest.TestCase):
    def assertSameResults(self, ours, theirs, what=""):
        """Equal words in equal order (ties below 1e-6 may swap) and scores within 1e-4."""
        msg = "%s\nours:   %s\ngensim: %s" % (what, ours[:12], theirs[:12])
        self.assertEqual(len(ours), len(theirs), msg)
        for i, ((w, s), (gw, gs)) in enumerate(zip(ours, theirs)):
            self.assertIsInstance(w, str, msg)
            self.assertAlmostEqual(s, float(gs), delta=TOL, msg=msg)
            if w != gw:
                # Only a tie may be ordered otherwise: gensim gives both words the same score.
                theirs_scores = dict(theirs)
                self.assertIn(w, theirs_scores, msg)
                self.assertLess(abs(float(theirs_scores[w]) - float(gs)), TIE, "position %d: %s" % (i, msg))

    @staticmethod
    def sample(ref, step, extra=()):
        words = ref.index_to_key[::step]
        return list(dict.fromkeys(list(words) + [w for w in extra if w in ref.key_to_index]))


class VocabularyAndVectors(GensimCase):
    def test_vocabulary_order_length_and_dimension(self):
        for name in ("lee", "glove", "cap", "leesub"):
            kv, ref = CLIENT.word_model(name), REF[name]
            self.assertEqual(len(kv), len(ref), name)
            self.assertEqual(kv.vector_size, ref.vector_size, name)
            self.assertEqual(kv.index_to_key, list(ref.index_to_key), name)
            self.assertEqual(kv.key_to_index, dict(ref.key_to_index), name)
            self.assertEqual(kv.get_index(ref.index_to_key[5]), 5)

    def test_getitem_returns_the_stored_float32_vectors(self):
        for name in ("lee", "glove", "cap"):
            kv, ref = CLIENT.word_model(name), REF[name]
            words = self.sample(ref, 7)
            for w in words[:40]:
                v = kv[w]
                self.assertEqual(v.dtype, np.float32)
                self.assertEqual(v.shape, (ref.vector_size,))
                np.testing.assert_array_equal(v, ref[w], err_msg="%s %r" % (name, w))
            both = kv[words]  # a list of keys: one request per 1,000 words, rows in order
            np.testing.assert_array_equal(both, ref[words])
            np.testing.assert_array_equal(kv[3], ref[3])  # an int is a position, as in gensim
            np.testing.assert_allclose(kv.get_vector(words[1], norm=True), ref.get_vector(words[1], norm=True),
                                       atol=1e-6)
        with self.assertRaises(KeyError):
            REF["lee"]["no-such-word"]
        with self.assertRaises(KeyError):
            CLIENT.word_model("lee")["no-such-word"]

    def test_contains(self):
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        for w in ["night", "the", "no-such-word", "Night", "night.", ""]:
            self.assertEqual(w in kv, w in ref, repr(w))
        for i in (0, len(ref) - 1, len(ref), -1):
            self.assertEqual(i in kv, i in ref, i)
        self.assertTrue("ö" in CLIENT.word_model("glove"))
        self.assertTrue(kv.has_index_for("night"))
        self.assertFalse(kv.has_index_for("no-such-word"))


class MostSimilar(GensimCase):
    def test_neighbours_of_words(self):
        for name, step in (("lee", 23), ("glove", 1), ("cap", 3)):
            kv, ref = CLIENT.word_model(name), REF[name]
            for w in self.sample(ref, step, ["night", "president", "police"]):
                for topn in (1, 10):
                    self.assertSameResults(kv.most_similar(w, topn=topn), ref.most_similar(w, topn=topn), (name, w, topn))
                self.assertSameResults(kv.similar_by_word(w, topn=5), ref.similar_by_word(w, topn=5), (name, w))
                self.assertSameResults(kv.similar_by_key(w, topn=5), ref.similar_by_key(w, topn=5), (name, w))

    def test_analogies(self):
        for name, step in (("lee", 61), ("glove", 3), ("cap", 9)):
            kv, ref = CLIENT.word_model(name), REF[name]
            words = self.sample(ref, step)
            for a, b, c in zip(words, words[1:], words[2:]):
                pos, neg = [b, c], [a]
                self.assertSameResults(kv.most_similar(positive=pos, negative=neg, topn=10),
                                       ref.most_similar(positive=pos, negative=neg, topn=10), (name, pos, neg))
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        for pos, neg in ((["president", "government"], ["man"]), (["police", "fire", "night"], ["day", "man"]),
                         (["night"], ["day"]), (["night", "night"], [])):
            self.assertSameResults(kv.most_similar(positive=pos, negative=neg), ref.most_similar(positive=pos, negative=neg),
                                   (pos, neg))

    def test_negative_only(self):
        # The server's /words analogy refuses an empty positive list; the client then ranks
        # gensim's mean itself through the collection's analogy route.
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        for neg in (["night"], ["president", "man"], "police"):
            self.assertSameResults(kv.most_similar(negative=neg, topn=10), ref.most_similar(negative=neg, topn=10), neg)

    def test_restrict_vocab_and_clipping(self):
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        for restrict in (50, 300, 1000):
            for pos, neg in ((["night"], []), (["president", "government"], ["man"]), (["the"], [])):
                self.assertSameResults(kv.most_similar(positive=pos, negative=neg, topn=10, restrict_vocab=restrict),
                                       ref.most_similar(positive=pos, negative=neg, topn=10, restrict_vocab=restrict),
                                       (pos, neg, restrict))
        for start, end in ((0, 400), (100, None), (100, 900)):
            self.assertSameResults(kv.most_similar("night", topn=10, clip_start=start, clip_end=end),
                                   ref.most_similar("night", topn=10, clip_start=start, clip_end=end), (start, end))

    def test_vectors_weights_and_positions(self):
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        night, day = ref["night"], ref["day"]
        cases = [
            dict(positive=[night]),
            dict(positive=[night, "day"], negative=["man"]),
            dict(positive=[("night", 2.0), ("day", 0.5)], negative=[("man", -1.5)]),
            dict(positive=[("night", 1.0)], negative=[("president", 3.0)]),  # a weight replaces the sign
            dict(positive=[(day, 0.3), "police"]),
            dict(positive=[10, 20], negative=[30]),  # positions, as gensim's int keys
            dict(positive=np.stack([night, day])),  # a 2-D array: its rows
        ]
        for case in cases:
            for topn in (3, 10):
                self.assertSameResults(kv.most_similar(topn=topn, **case), ref.most_similar(topn=topn, **case), case)
        self.assertSameResults(kv.most_similar([night], topn=5, restrict_vocab=200),
                               ref.most_similar([night], topn=5, restrict_vocab=200))

    def test_similar_by_vector(self):
        for name in ("lee", "glove", "cap"):
            kv, ref = CLIENT.word_model(name), REF[name]
            rng = np.random.default_rng(7)
            vectors = [ref[w] for w in self.sample(ref, 97)] + [rng.normal(size=ref.vector_size).astype(np.float32)
                                                               for _ in range(5)]
            for v in vectors:
                self.assertSameResults(kv.similar_by_vector(v, topn=10), ref.similar_by_vector(v, topn=10), name)
                self.assertSameResults(kv.similar_by_vector(v, topn=7, restrict_vocab=40),
                                       ref.similar_by_vector(v, topn=7, restrict_vocab=40), name)

    def test_topn_edges(self):
        kv, ref = CLIENT.word_model("glove"), REF["glove"]
        w = ref.index_to_key[4]
        self.assertEqual(kv.most_similar(w, topn=0), ref.most_similar(w, topn=0))
        self.assertEqual(kv.most_similar_cosmul(w, topn=0), [])
        # topn beyond the vocabulary: every other word, as gensim.
        self.assertSameResults(kv.most_similar(w, topn=500), ref.most_similar(w, topn=500))
        self.assertSameResults(kv.most_similar_cosmul(w, topn=500), ref.most_similar_cosmul(w, topn=500))
        with self.assertRaises(NotImplementedError):  # gensim: every similarity as an array
            kv.most_similar(w, topn=None)
        with self.assertRaises(ValueError):
            ref.most_similar(positive=[], negative=[])
        with self.assertRaises(ValueError):
            kv.most_similar(positive=[], negative=[])


class CosMul(GensimCase):
    def test_analogies(self):
        for name, step in (("lee", 61), ("glove", 3), ("cap", 9)):
            kv, ref = CLIENT.word_model(name), REF[name]
            words = self.sample(ref, step)
            for a, b, c in zip(words, words[1:], words[2:]):
                self.assertSameResults(kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=10),
                                       ref.most_similar_cosmul(positive=[b, c], negative=[a], topn=10), (name, a, b, c))
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        for pos, neg in ((["president", "government"], ["man"]), (["night"], []), ("night", "day"),
                         (["police", "fire", "night"], ["day", "man"])):
            self.assertSameResults(kv.most_similar_cosmul(positive=pos, negative=neg),
                                   ref.most_similar_cosmul(positive=pos, negative=neg), (pos, neg))

    def test_unit_vector_terms_and_positions(self):
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        unit_night = ref.get_vector("night", norm=True)
        unit_day = ref.get_vector("day", norm=True)
        for pos, neg in (([unit_night], []), ([unit_night, "president"], ["man"]), (["government", unit_day], [unit_night])):
            self.assertSameResults(kv.most_similar_cosmul(positive=pos, negative=neg, topn=10),
                                   ref.most_similar_cosmul(positive=pos, negative=neg, topn=10), (pos, neg))
        # Positions (int keys, as most_similar takes them; gensim 4.2's cosmul fails on them).
        words = ref.index_to_key
        self.assertSameResults(kv.most_similar_cosmul(positive=[5, 6], negative=[7]),
                               ref.most_similar_cosmul(positive=[words[5], words[6]], negative=[words[7]]))
        with self.assertRaises(ValueError):  # a raw vector: gensim's (1 + v·w/|w|)/2 is not the server's
            kv.most_similar_cosmul(positive=[ref["night"]])
        with self.assertRaises(ValueError):
            ref.most_similar_cosmul(negative=["night"])
        with self.assertRaises(ValueError):
            kv.most_similar_cosmul(negative=["night"])

    def test_restrict_vocab_ranks_the_first_words(self):
        # gensim 4 documents restrict_vocab for most_similar_cosmul but ignores it; the server
        # honours it. Reference: gensim's formula over the first N words (numpy, as gensim writes it).
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        ref.fill_norms()
        for restrict in (100, 700):
            for pos, neg in ((["president", "government"], ["man"]), (["night"], []), (["the", "police"], ["fire"])):
                vecs, norms = ref.vectors[:restrict], ref.norms[:restrict]
                num = np.prod([(1 + vecs @ ref.get_vector(w, norm=True) / norms) / 2 for w in pos], axis=0)
                den = np.prod([(1 + vecs @ ref.get_vector(w, norm=True) / norms) / 2 for w in neg], axis=0) if neg else 1.0
                dists = num / (den + 1e-6)
                inputs = {ref.key_to_index[w] for w in pos + neg}
                order = [i for i in np.argsort(-dists, kind="stable") if i not in inputs][:10]
                expected = [(ref.index_to_key[i], float(dists[i])) for i in order]
                self.assertSameResults(kv.most_similar_cosmul(positive=pos, negative=neg, topn=10, restrict_vocab=restrict),
                                       expected, (pos, neg, restrict))
        # Without restrict_vocab, equal to gensim itself (above); with N = the vocabulary, too.
        self.assertSameResults(kv.most_similar_cosmul(["president", "government"], ["man"], restrict_vocab=len(ref)),
                               ref.most_similar_cosmul(["president", "government"], ["man"]))


class SimilarityAndOddOneOut(GensimCase):
    def test_similarity(self):
        for name, step in (("lee", 41), ("glove", 2), ("cap", 5)):
            kv, ref = CLIENT.word_model(name), REF[name]
            words = self.sample(ref, step)
            for a, b in itertools.islice(itertools.combinations(words, 2), 120):
                self.assertAlmostEqual(kv.similarity(a, b), float(ref.similarity(a, b)), delta=TOL, msg=(name, a, b))
                self.assertAlmostEqual(kv.distance(a, b), float(ref.distance(a, b)), delta=TOL)
        with self.assertRaises(KeyError):
            CLIENT.word_model("lee").similarity("night", "no-such-word")

    def test_doesnt_match(self):
        for name, step in (("lee", 13), ("glove", 1), ("cap", 2)):
            kv, ref = CLIENT.word_model(name), REF[name]
            words = self.sample(ref, step)
            for i in range(0, len(words) - 4, 3):
                group = words[i:i + 4 + i % 3]
                self.assertEqual(kv.doesnt_match(group), ref.doesnt_match(group), (name, group))
                ours = kv.rank_by_centrality(group)
                theirs = ref.rank_by_centrality(group)
                self.assertEqual([w for _, w in ours], [w for _, w in theirs], group)
                for (s, _), (gs, _) in zip(ours, theirs):
                    self.assertAlmostEqual(s, float(gs), delta=TOL)
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        for group in (["police", "fire", "night", "Australia"], ["night", "day", "president", "minister"],
                      ["night", "night", "day"]):
            group = [w for w in group if w in ref]
            self.assertEqual(kv.doesnt_match(group), ref.doesnt_match(group), group)

    def test_doesnt_match_ignores_unknown_words_as_gensim(self):
        kv, ref = CLIENT.word_model("lee"), REF["lee"]
        group = ["night", "no-such-word", "day", "president", "zzz-unknown"]
        with self.assertLogs("latentdb", logging.WARNING):
            ours = kv.doesnt_match(group)
        self.assertEqual(ours, ref.doesnt_match(group))
        with self.assertRaises(ValueError):
            ref.doesnt_match(["no-such-word"])
        with self.assertRaises(ValueError):
            kv.doesnt_match(["no-such-word"])


class Subwords(GensimCase):
    """A fastText .bin: words outside the vocabulary get subword vectors (FastTextKeyedVectors)."""

    OOV = ["nightzzz", "policeman", "governments", "qqqq", "Australiaa"]

    def test_vectors_and_membership(self):
        kv, ref = CLIENT.word_model("leesub"), REF["leesub"]
        self.assertTrue(kv.has_subwords)
        for w in self.OOV + ["night", "the"]:
            np.testing.assert_allclose(kv[w], ref[w], atol=1e-6, err_msg=w)
            self.assertEqual(w in kv, w in ref, w)  # True for any word, as FastTextKeyedVectors
            self.assertEqual(kv.has_index_for(w), ref.has_index_for(w), w)

    def test_lookups_with_words_outside_the_vocabulary(self):
        kv, ref = CLIENT.word_model("leesub"), REF["leesub"]
        for w in self.OOV:
            self.assertSameResults(kv.most_similar(w, topn=10), ref.most_similar(w, topn=10), w)
            self.assertAlmostEqual(kv.similarity(w, "night"), float(ref.similarity(w, "night")), delta=TOL)
        pos, neg = ["nightzzz", "government"], ["policeman"]
        self.assertSameResults(kv.most_similar(positive=pos, negative=neg), ref.most_similar(positive=pos, negative=neg))
        self.assertSameResults(kv.most_similar(negative=["qqqq"]), ref.most_similar(negative=["qqqq"]))
        self.assertSameResults(kv.most_similar_cosmul(positive=pos, negative=neg),
                               ref.most_similar_cosmul(positive=pos, negative=neg))
        unit = ref.get_vector("governments", norm=True)
        self.assertSameResults(kv.most_similar_cosmul(positive=[unit, "nightzzz"], negative=["day"]),
                               ref.most_similar_cosmul(positive=[unit, "nightzzz"], negative=["day"]))
        group = ["night", "day", "qqqq", "policeman"]
        self.assertEqual(kv.doesnt_match(group), ref.doesnt_match(group))


class Errors(unittest.TestCase):
    def test_unknown_model_and_unknown_words(self):
        kv = CLIENT.word_model("no_such_model")
        with self.assertRaises(LatentDBError) as e:
            kv.most_similar("night")
        self.assertEqual(e.exception.status, 404)
        self.assertEqual(e.exception.code, "not_found")
        self.assertEqual(e.exception.kind, "NotFound")
        self.assertIn("no_such_model", e.exception.message)
        lee = CLIENT.word_model("lee")
        for call in (lambda: lee.most_similar("no-such-word"), lambda: lee.most_similar_cosmul(["no-such-word"]),
                     lambda: lee.most_similar(positive=[("no-such-word", 1.0)]),
                     lambda: lee.most_similar_cosmul(positive=[lee.get_vector("night", norm=True), "no-such-word"]),
                     lambda: lee.get_vector(len(REF["lee"]) + 5)):
            with self.assertRaises(KeyError):
                call()


if __name__ == "__main__":
    unittest.main()
