"""Word models: :class:`WordModel`, an object that answers lookups as gensim 4's ``KeyedVectors``
does, from a word model served by LatentDB (``latentdb models import`` or ``train word2vec``).

    kv = client.word_model("lee")
    kv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)   # [(word, cosine), …]
    kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"])
    kv.similarity("night", "day"); kv.doesnt_match(["breakfast", "cereal", "dinner", "lunch"])
    kv.similar_by_vector(kv["night"], topn=3); kv["night"]  # float32 array; "night" in kv

Where the computation happens: ``most_similar`` with plain words, ``most_similar_cosmul``,
``similarity`` and ``doesnt_match`` are computed by the server (``/words/{model}/…``, exact scans
of the model's unit vectors, float32). ``most_similar`` with vectors, weights, only negative
words or ``clip_start`` builds gensim's weighted mean of unit vectors here (from the server's
vectors) and lets the server rank the vocabulary against it (``/collections/{model}/analogy``,
the same exact scan), leaving the input words out as gensim does. Results equal gensim's on the
same vectors (same words in the same order, scores within float32 rounding); the test suite
checks this against gensim.

Differences from gensim, each raised rather than answered differently:
  * ``topn=None`` (gensim: every similarity as an array) raises NotImplementedError: the server
    answers the best k (at most 10,000), not the whole vocabulary's scores;
  * ``indexer`` raises NotImplementedError (the server's scan is exact);
  * in ``most_similar_cosmul`` a vector term must have unit length (ValueError otherwise): the
    server uses a vector's direction, gensim the raw vector's dot products;
  * ``most_similar_cosmul(restrict_vocab=N)`` ranks the first N words, as gensim documents; gensim
    4.2 (Debian 12's) accepts the argument but ignores it (its cosmul also fails on int keys,
    which are positions here as in ``most_similar``).

Words are case-sensitive. A word outside the vocabulary raises ``KeyError`` (as gensim), except
in models with subwords (a fastText ``.bin``), where it gets its subword vector as gensim's
``FastTextKeyedVectors`` does; ``doesnt_match`` leaves unknown words out with a warning (as gensim).
Other failures raise LatentDBError. Thread-safety: a WordModel may be shared between threads
(its caches fill under a lock); every lookup is one or two HTTP requests.
"""

import logging
import threading
from numbers import Integral
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .errors import LatentDBError
from .records import as_vector
from .transport import quote

logger = logging.getLogger("latentdb")

_KEY_TYPES = (str, int, np.integer)
MAX_WORDS_PER_REQUEST = 1000  # the server's limit of words in one list
MAX_K = 10000


def _ensure_list(value: Any) -> list:
    """gensim's rule: a single key or 1-D vector becomes a list of one; a 2-D array its rows."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _is_word_not_found(e: LatentDBError) -> bool:
    return e.status == 404 and e.message.startswith("word '")


class WordModel:
    """A served word model that behaves like gensim's ``KeyedVectors`` for lookups.

    Attributes and methods follow gensim 4 (see the module's doc for where they differ):
    ``vector_size``, ``len()``, ``index_to_key``, ``key_to_index``, ``kv[key]``,
    ``key in kv``, ``get_vector``, ``get_index``, ``has_index_for``, ``similarity``,
    ``distance``, ``most_similar``, ``most_similar_cosmul``, ``similar_by_word``,
    ``similar_by_key``, ``similar_by_vector``, ``doesnt_match``, ``rank_by_centrality``.
    Keys are words (str) or positions in frequency order (int).
    """

    def __init__(self, http: Any, name: str):
        self._http = http
        self.name = name
        self._lock = threading.Lock()
        self._manifest: Optional[Dict[str, Any]] = None
        self._index_to_key: Optional[List[str]] = None
        self._key_to_index: Optional[Dict[str, int]] = None

    def __repr__(self) -> str:
        return "WordModel(%r)" % self.name

    # ----------------------------------------------------------------- model description
    @property
    def manifest(self) -> Dict[str, Any]:
        """The model's manifest (``GET /models/{name}``), read once."""
        with self._lock:
            if self._manifest is None:
                self._manifest = self._http.call("GET", "/models/" + quote(self.name))
            return self._manifest

    @property
    def vector_size(self) -> int:
        return int(self.manifest["dim"])

    @property
    def has_subwords(self) -> bool:
        """True when the model gives vectors to words outside its vocabulary (fastText subwords)."""
        return bool(self.manifest.get("subwords", False))

    def __len__(self) -> int:
        """Words in the vocabulary (the model's collection's points, counted now)."""
        return int(self._http.call("POST", "/collections/%s/points/count" % quote(self.name), {})["count"])

    @property
    def index_to_key(self) -> List[str]:
        """The vocabulary in frequency order (the order of the imported file). Read once: a scroll
        of the whole model (about 20 bytes a word); later changes to the collection are not seen."""
        with self._lock:
            if self._index_to_key is None:
                ranked: List[Tuple[float, int, str]] = []
                offset = None
                n = 0
                while True:
                    page = self._http.call("POST", "/collections/%s/points/scroll" % quote(self.name),
                                           {"limit": MAX_K, "offset": offset, "with_payload": True,
                                            "with_vector": False})
                    for p in page["points"]:
                        rank = (p.get("payload") or {}).get("rank")
                        ranked.append((float("inf") if rank is None else rank, n, str(p["id"])))
                        n += 1
                    offset = page.get("next_page_offset")
                    if offset is None:
                        break
                ranked.sort()
                self._index_to_key = [w for _, _, w in ranked]
                self._key_to_index = {w: i for i, w in enumerate(self._index_to_key)}
            return self._index_to_key

    @property
    def key_to_index(self) -> Dict[str, int]:
        self.index_to_key
        assert self._key_to_index is not None
        return self._key_to_index

    # ------------------------------------------------------------------------ membership
    def _word(self, key: Any) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            words = self.index_to_key
            if 0 <= key < len(words):
                return words[int(key)]
            raise KeyError("Key '%s' not present" % key)
        raise TypeError("a key is a word (str) or a position (int), not %s" % type(key).__name__)

    def get_index(self, key: Any, default: Optional[int] = None) -> int:
        """The word's position in frequency order (an int key is returned when in range)."""
        if isinstance(key, str):
            val = self.key_to_index.get(key, -1)
            if val >= 0:
                return val
        elif isinstance(key, (int, np.integer)) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError("Key '%s' not present" % key)

    def has_index_for(self, key: Any) -> bool:
        """True when ``key`` is in the vocabulary (subword vectors do not count)."""
        if isinstance(key, str):
            return self.vocabulary_members([key])[0]
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return 0 <= key < len(self)
        return False

    def __contains__(self, key: Any) -> bool:
        """gensim's ``key in kv``: in the vocabulary; in a model with subwords every word (as
        ``FastTextKeyedVectors``, which builds a vector for any word)."""
        if self.has_subwords and isinstance(key, str):
            return True
        return self.has_index_for(key)

    def vocabulary_members(self, words: Sequence[str]) -> List[bool]:
        """For each word, whether it is in the vocabulary (one request per 65,536 words)."""
        found = set()
        # A word is a point id: 1…512 bytes (the server refuses other ids with 400).
        storable = [w for w in words if isinstance(w, str) and 0 < len(w.encode("utf-8")) <= 512]
        for lo in range(0, len(storable), 65536):
            chunk = storable[lo:lo + 65536]
            r = self._http.call("POST", "/collections/%s/points" % quote(self.name),
                                {"ids": chunk, "with_payload": False, "with_vector": False})
            found.update(p["id"] for p in r)
        return [w in found for w in words]

    # --------------------------------------------------------------------------- vectors
    def _vectors(self, words: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(words), self.vector_size), np.float32)
        for lo in range(0, len(words), MAX_WORDS_PER_REQUEST):
            chunk = list(words[lo:lo + MAX_WORDS_PER_REQUEST])
            try:
                r = self._http.call("POST", "/words/%s/vector" % quote(self.name), {"words": chunk})
            except LatentDBError as e:
                if _is_word_not_found(e):
                    raise KeyError(e.message) from e
                raise
            for i, item in enumerate(r):
                out[lo + i] = np.asarray(item["vector"], np.float32)
        return out

    def get_vector(self, key: Any, norm: bool = False) -> np.ndarray:
        """The word's vector, float32 of shape ``(vector_size,)`` (unit length with ``norm``).
        KeyError for a word outside the vocabulary (a subword vector in subword models)."""
        v = self._vectors([self._word(key)])[0]
        return _unit(v) if norm else v

    def __getitem__(self, key_or_keys: Any) -> np.ndarray:
        """``kv["word"]`` -> 1-D float32 array; ``kv[["a", "b"]]`` -> 2-D, one row per key."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        return self._vectors([self._word(k) for k in key_or_keys])

    def text_vector(self, text: str) -> Tuple[np.ndarray, List[str], List[str]]:
        """fastText's sentence vector of a text: ``(vector, tokens, unknown tokens)`` — the mean of
        the unit vectors of its known tokens (LatentDB's tokenizer). LatentDBError 404 when no
        token is known."""
        r = self._http.call("POST", "/words/%s/vector" % quote(self.name), {"text": text})
        return np.asarray(r["vector"], np.float32), list(r["tokens"]), list(r["unknown"])

    # ------------------------------------------------------------------------ similarity
    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words (computed by the server)."""
        try:
            r = self._http.call("GET", "/words/%s/similarity" % quote(self.name),
                                query={"a": self._word(w1), "b": self._word(w2)})
        except LatentDBError as e:
            if _is_word_not_found(e):
                raise KeyError(e.message) from e
            raise
        return float(r["similarity"])

    def distance(self, w1: str, w2: str) -> float:
        """1 − similarity."""
        return 1.0 - self.similarity(w1, w2)

    def _words_analogy(self, positive: List[str], negative: List[str], topn: int, method: str,
                       restrict_vocab: Optional[int]) -> List[Tuple[str, float]]:
        body: Dict[str, Any] = {"positive": positive, "negative": negative, "k": topn, "method": method}
        if restrict_vocab:
            body["restrict_vocab"] = int(restrict_vocab)
        try:
            r = self._http.call("POST", "/words/%s/analogy" % quote(self.name), body)
        except LatentDBError as e:
            if _is_word_not_found(e):
                raise KeyError(e.message) from e
            raise
        return [(h["word"], float(h["score"])) for h in r]

    def _rank(self, terms: List[Any], negative: List[Any], k: int, method: str, restrict_vocab: Optional[int],
              clip_start: int) -> List[Tuple[str, float]]:
        # The server's exact scan of the unit vectors (/collections/{model}/analogy) with the given
        # terms (vectors or in-vocabulary words, which it leaves out of the answer).
        body: Dict[str, Any] = {"positive": terms, "negative": negative, "k": k, "method": method,
                                "with_payload": False}
        if restrict_vocab:
            body["restrict_vocab"] = int(restrict_vocab)
        if clip_start:
            body["filter"] = {"must": [{"key": "rank", "range": {"gte": int(clip_start)}}]}
        r = self._http.call("POST", "/collections/%s/analogy" % quote(self.name), body)
        hits = r["hits"] if isinstance(r, dict) else r
        return [(str(h["id"]), float(h["score"])) for h in hits]

    def most_similar(self, positive: Any = None, negative: Any = None, topn: Optional[int] = 10,
                     clip_start: int = 0, clip_end: Optional[int] = None, restrict_vocab: Optional[int] = None,
                     indexer: Any = None) -> List[Tuple[str, float]]:
        """gensim's ``most_similar``: the ``topn`` words nearest (cosine) to the mean of the unit
        vectors of ``positive`` minus those of ``negative`` (3CosAdd), input words left out.

        Items are words, positions (int), vectors (1-D arrays, used as given) or ``(item, weight)``
        pairs (default weights 1 and −1). ``restrict_vocab`` (or ``clip_start``/``clip_end``)
        limits the ranking to those positions in frequency order. Returns ``[(word, score)]``.
        KeyError for a word outside the vocabulary; ValueError with no input.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        if not topn:
            raise NotImplementedError("most_similar(topn=None) returns every word's similarity in gensim; the "
                                      "server answers the best k (at most 10000): give topn")
        if indexer is not None:
            raise NotImplementedError("indexer: the server ranks exactly; approximate search is "
                                      "Client.search on the model's collection")
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        end = restrict_vocab if restrict_vocab else clip_end
        start = 0 if restrict_vocab else (clip_start or 0)
        items: List[Tuple[Any, float]] = []
        plain = True
        for idx, item in enumerate(positive + negative):
            default = 1.0 if idx < len(positive) else -1.0
            if isinstance(item, _KEY_TYPES) or isinstance(item, np.ndarray):
                items.append((item, default))
                plain = plain and isinstance(item, str)
            else:
                items.append((item[0], float(item[1])))
                plain = False
        if not items:
            raise ValueError("cannot compute mean with no input")
        if plain and positive and start == 0:
            return self._words_analogy([k for k, _ in items[:len(positive)]], [k for k, _ in items[len(positive):]],
                                       int(topn), "3cosadd", end)
        # gensim's get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True): keys
        # as unit vectors, arrays as given, divided by the total |weight|, then unit-normalized.
        words = [self._word(k) for k, _ in items if not isinstance(k, np.ndarray)]
        vectors = iter(self._vectors(words)) if words else iter(())
        mean = np.zeros(self.vector_size, np.float64)
        total = 0.0
        for key, weight in items:
            if isinstance(key, np.ndarray):
                mean += weight * np.asarray(key, np.float64)
            else:
                mean += weight * _unit(next(vectors).astype(np.float64))
            total += abs(weight)
        if total > 0:
            mean /= total
        mean = _unit(mean)
        exclude = words  # gensim leaves out every input key that has an index (OOV words never rank)
        # gensim ranks topn + len(inputs) and drops the inputs; k is capped at the server's 10,000
        # (a topn above it is refused by the server with 400).
        k = min(int(topn) + len(exclude), max(int(topn), MAX_K))
        hits = self._rank([as_vector(mean, what="mean vector")], [], k, "3cosadd", end, start)
        left_out = set(exclude)
        return [(w, s) for w, s in hits if w not in left_out][:int(topn)]

    def similar_by_word(self, word: str, topn: Optional[int] = 10, restrict_vocab: Optional[int] = None):
        """``most_similar(positive=[word])``."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_key = similar_by_word

    def similar_by_vector(self, vector: Any, topn: Optional[int] = 10,
                          restrict_vocab: Optional[int] = None) -> List[Tuple[str, float]]:
        """The ``topn`` words nearest (cosine) to a vector of ``vector_size``; nothing left out."""
        v = np.asarray(vector, dtype=np.float32)
        if v.ndim != 1 or v.shape[0] != self.vector_size:
            raise ValueError("vector must have shape (%d,), got %s" % (self.vector_size, v.shape))
        return self.most_similar(positive=[v], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive: Any = None, negative: Any = None, topn: Optional[int] = 10,
                            restrict_vocab: Optional[int] = None) -> List[Tuple[str, float]]:
        """gensim's ``most_similar_cosmul`` (3CosMul, Levy & Goldberg 2014): each word's score is
        ∏ (1 + cos(w, p)) / 2 over positive ÷ (∏ (1 + cos(w, n)) / 2 over negative + 1e-6),
        input words left out. Items are words, positions or unit-length vectors; positive must
        not be empty (ValueError, as gensim). Computed by the server."""
        if isinstance(topn, Integral) and topn < 1:
            return []
        if not topn:
            raise NotImplementedError("most_similar_cosmul(topn=None) returns every word's score in gensim; the "
                                      "server answers the best k (at most 10000): give topn")
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        if not positive:
            raise ValueError("cannot compute similarity with no input")
        if all(isinstance(t, _KEY_TYPES) for t in positive + negative):
            return self._words_analogy([self._word(t) for t in positive], [self._word(t) for t in negative],
                                       int(topn), "3cosmul", restrict_vocab)
        # Vectors among the terms: words in the vocabulary are named (the server leaves them out
        # of the answer, as gensim), subword words and vectors are sent as vectors.
        def term(t: Any) -> Any:
            if isinstance(t, np.ndarray) or not isinstance(t, _KEY_TYPES):
                v = np.asarray(t, np.float64)
                if abs(float(np.linalg.norm(v)) - 1.0) > 1e-5:
                    raise ValueError("most_similar_cosmul: vector terms must have unit length (gensim uses the raw "
                                     "vector's dot products, the server its direction); pass v / ‖v‖")
                return as_vector(v)
            return self._word(t)

        pos, neg = [term(t) for t in positive], [term(t) for t in negative]
        words = [t for t in pos + neg if isinstance(t, str)]
        if words and self.has_subwords:
            members = dict(zip(words, self.vocabulary_members(words)))
            oov = [w for w in words if not members[w]]
            vec = dict(zip(oov, self._vectors(oov))) if oov else {}
            pos = [as_vector(_unit(vec[t].astype(np.float64))) if isinstance(t, str) and t in vec else t for t in pos]
            neg = [as_vector(_unit(vec[t].astype(np.float64))) if isinstance(t, str) and t in vec else t for t in neg]
        try:
            return self._rank(pos, neg, int(topn), "3cosmul", restrict_vocab, 0)
        except LatentDBError as e:
            if e.status == 404 and e.message.startswith("point "):
                raise KeyError(e.message) from e
            raise

    # ------------------------------------------------------------------------ odd one out
    def _known(self, words: Iterable[str]) -> List[str]:
        words = list(words)
        if self.has_subwords:
            return words
        members = self.vocabulary_members(words)
        used = [w for w, ok in zip(words, members) if ok]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           set(words) - set(used))
        if not used:
            raise ValueError("cannot select a word from an empty list")
        return used

    def _odd_one_out(self, words: Iterable[str]) -> Dict[str, Any]:
        used = self._known(words)
        return self._http.call("POST", "/words/%s/odd-one-out" % quote(self.name), {"words": used})

    def doesnt_match(self, words: Iterable[str]) -> str:
        """gensim's ``doesnt_match``: the word whose unit vector is least similar to the mean of
        the words' unit vectors (computed by the server). Words outside the vocabulary are left
        out with a warning; ValueError when none is left."""
        return self._odd_one_out(words)["word"]

    def rank_by_centrality(self, words: Iterable[str], use_norm: bool = True) -> List[Tuple[float, str]]:
        """gensim's ``rank_by_centrality`` (``use_norm=True`` only): ``[(cosine to the mean, word)]``,
        most central first."""
        if not use_norm:
            raise NotImplementedError("rank_by_centrality(use_norm=False): the server ranks unit vectors only")
        scores = self._odd_one_out(words)["scores"]
        return [(float(s["score"]), s["word"]) for s in reversed(scores)]


class ModelsMixin:
    _http: Any  # latentdb.transport.Transport

    def list_models(self) -> List[Dict[str, Any]]:
        """Every registered model's manifest (word models and image models)."""
        return self._http.call("GET", "/models")

    def get_model(self, name: str) -> Dict[str, Any]:
        """One model's manifest (404 when absent)."""
        return self._http.call("GET", "/models/" + quote(name))

    def word_model(self, name: str) -> WordModel:
        """A :class:`WordModel` for a served word model (no request until it is used)."""
        return WordModel(self._http, name)


__all__ = ["WordModel", "ModelsMixin"]
