"""Search: nearest points to a vector, a stored point, a text or an image, with filters; batches;
and analogies over any collection (a − b + c, gensim's 3CosAdd/3CosMul).

Mixed into :class:`latentdb.Client`. Scores: cosine similarity (cosine collections), inner
product (ip), Euclidean distance (l2, smaller first); results best first. Searches on HNSW and
IVF indexes are approximate unless ``exact=True``; a filtered search returns k results whenever
k points match.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .media import DecodedImage, decoded_or_none, image_base64
from .records import ScoredPoint, as_vector, check_id, is_vector_like, scored_points, search_answer
from .transport import quote


def search_request(vector: Any = None, *, id: Any = None, text: Optional[str] = None, image: Any = None,
                   k: int = 10, filter: Optional[Dict[str, Any]] = None, with_payload: bool = True,
                   with_vector: bool = False, ef: Optional[int] = None, nprobe: Optional[int] = None,
                   exact: Optional[bool] = None, quantization: Optional[Dict[str, Any]] = None,
                   debug: bool = False) -> Dict[str, Any]:
    """The JSON body of one search (for :meth:`SearchMixin.search_batch`); arguments as
    :meth:`SearchMixin.search`. ValueError unless exactly one of vector, id, text, image."""
    given = [name for name, v in (("vector", vector), ("id", id), ("text", text), ("image", image)) if v is not None]
    if len(given) != 1:
        raise ValueError("a search takes exactly one of vector, id, text or image (got %s)" % (given or "none"))
    body: Dict[str, Any] = {"k": k, "with_payload": with_payload, "with_vector": with_vector}
    if vector is not None:
        body["vector"] = as_vector(vector)
    elif id is not None:
        body["id"] = check_id(id)
    elif text is not None:
        body["text"] = text
    else:
        body["image"] = image_base64(image)
    if filter is not None:
        body["filter"] = filter
    params = {name: v for name, v in (("ef", ef), ("nprobe", nprobe), ("exact", exact),
                                       ("quantization", quantization)) if v is not None}
    if params:
        body["params"] = params
    if debug:
        body["debug"] = True
    return body


def analogy_term(term: Any) -> Any:
    """An analogy term as JSON: a vector (numpy array, list or tuple of numbers) or a point id."""
    if is_vector_like(term):
        return as_vector(term, what="analogy vector")
    return check_id(term)


@dataclass(frozen=True)
class AnalogyResult:
    """``hits`` best first; on a collection with a generative encoder (VAE) also ``vector``
    (Σpositive − Σnegative, float32) and ``image`` (its decoding), else None."""

    hits: List[ScoredPoint]
    vector: Optional[np.ndarray] = None
    image: Optional[DecodedImage] = None


class SearchMixin:
    _http: Any  # latentdb.transport.Transport

    def search(self, collection: str, vector: Any = None, *, id: Any = None, text: Optional[str] = None,
               image: Any = None, k: int = 10, filter: Optional[Dict[str, Any]] = None,
               with_payload: bool = True, with_vector: bool = False, ef: Optional[int] = None,
               nprobe: Optional[int] = None, exact: Optional[bool] = None,
               quantization: Optional[Dict[str, Any]] = None,
               debug: bool = False) -> Union[List[ScoredPoint], Tuple[List[ScoredPoint], Dict[str, Any]]]:
        """The ``k`` (1…10,000) nearest points to exactly one of:

        * ``vector``: 1-D array-like of the collection's dimension;
        * ``id``: a stored point (left out of its own results);
        * ``text``: encoded by the collection's word-model encoder (400 without one);
        * ``image``: bytes, path, PIL image or uint8 array, encoded by its image encoder.

        ``filter``: see :mod:`latentdb.filters`. ``ef`` (HNSW beam), ``nprobe`` (IVF lists),
        ``exact`` (exhaustive scan), ``quantization`` (``{"rescore", "oversampling"}``).
        Returns the hits; with ``debug=True`` a tuple ``(hits, plan)`` where plan is the server's
        search plan (``plan``, ``estimated_matches``, …).
        Raises LatentDBError: 404 unknown collection or id, 400 wrong dimension or bad filter.
        """
        body = search_request(vector, id=id, text=text, image=image, k=k, filter=filter, with_payload=with_payload,
                              with_vector=with_vector, ef=ef, nprobe=nprobe, exact=exact,
                              quantization=quantization, debug=debug)
        hits, plan = search_answer(self._http.call("POST", "/collections/%s/search" % quote(collection), body))
        return (hits, plan or {}) if debug else hits

    def search_batch(self, collection: str, searches: Sequence[Dict[str, Any]]) -> List[List[ScoredPoint]]:
        """Several searches in one request (at most 1,024), each a body made by
        :func:`search_request` (or a dict of the same shape). One list of hits per search, in order."""
        r = self._http.call("POST", "/collections/%s/search/batch" % quote(collection), {"searches": list(searches)})
        return [search_answer(x)[0] for x in r]

    def analogy(self, collection: str, positive: Sequence[Any], negative: Sequence[Any] = (), *, k: int = 10,
                method: str = "3cosadd", restrict_vocab: Optional[int] = None,
                filter: Optional[Dict[str, Any]] = None, with_payload: bool = True) -> AnalogyResult:
        """The points nearest to Σpositive − Σnegative over the collection's unit vectors, the
        named points left out (gensim's ``most_similar`` with ``method="3cosadd"``,
        ``most_similar_cosmul`` with ``"3cosmul"``). Terms are point ids or vectors (normalized
        by the server). ``restrict_vocab``: only the first N points in insertion order.
        ``positive`` must not be empty (400)."""
        body: Dict[str, Any] = {"positive": [analogy_term(t) for t in positive],
                                "negative": [analogy_term(t) for t in negative],
                                "k": k, "method": method, "with_payload": with_payload}
        if restrict_vocab:
            body["restrict_vocab"] = int(restrict_vocab)
        if filter is not None:
            body["filter"] = filter
        r = self._http.call("POST", "/collections/%s/analogy" % quote(collection), body)
        if isinstance(r, dict):
            vec = r.get("vector")
            return AnalogyResult(scored_points(r.get("hits", [])),
                                 None if vec is None else np.asarray(vec, np.float32), decoded_or_none(r))
        return AnalogyResult(scored_points(r))
