"""Points: upsert (one by one, or batches from numpy arrays with progress), get, retrieve, scroll,
count, delete, and payload updates.

Mixed into :class:`latentdb.Client`. A write is durable when its call returns (the server
acknowledges after its write-ahead log). Limits of one request (the server's): 65,536 points per
upsert, retrieval or delete by ids; 64 MiB of body (``serve --body-limit-mb``); over a limit the
call raises LatentDBError 413 and nothing of that request is stored.
"""

from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .errors import LatentDBError
from .progress import ProgressArg, reporter
from .records import PointId, Record, as_vector, check_id, path_safe
from .transport import quote

MAX_POINTS_PER_REQUEST = 65536


def _point_json(p: Mapping[str, Any]) -> Dict[str, Any]:
    if "id" not in p:
        raise ValueError("a point needs an id")
    out = dict(p)
    out["id"] = check_id(p["id"])
    if "vector" in out and out["vector"] is not None:
        out["vector"] = as_vector(out["vector"])
    return out


def _selector(ids: Optional[Iterable[Any]], filter: Optional[Dict[str, Any]], ids_key: str = "points") -> Dict[str, Any]:
    if (ids is None) == (filter is None):
        raise ValueError("give exactly one of ids or filter")
    if ids is not None:
        return {ids_key: [check_id(i) for i in ids]}
    return {"filter": filter}


class PointsMixin:
    _http: Any  # latentdb.transport.Transport

    # ----------------------------------------------------------------------------- writes
    def upsert(self, collection: str, points: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
        """Stores points (a repeated id replaces the point) in one request.

        Each point is a dict ``{"id", "vector" | "text" | "image", "payload"?}``: ``vector`` a
        list or 1-D numpy array of the collection's dimension, ``text`` for a collection with a
        word-model encoder, ``image`` base64 (see :meth:`upsert_images` for bytes, files and
        arrays). Returns ``{"upserted": n, "status": "completed", "errors"?: [...]}``; ``errors``
        lists images that did not decode (the others are stored).
        Raises ValueError for a NaN/inf or non 1-D vector before sending; LatentDBError 400 for a
        wrong dimension, 413 over 65,536 points or the body limit.
        """
        return self._http.call("PUT", "/collections/%s/points" % quote(collection),
                               {"points": [_point_json(p) for p in points]})

    def upsert_numpy(self, collection: str, vectors: Any, ids: Optional[Sequence[Any]] = None,
                     payloads: Optional[Sequence[Optional[Dict[str, Any]]]] = None, *,
                     start_id: int = 0, batch_size: int = 1024, progress: ProgressArg = None) -> int:
        """Upserts the rows of a 2-D array in batches; returns the number of points stored.

        Args:
            vectors: array-like of shape ``(n, dim)``, any real dtype (sent as float64 text, stored
                by the server as float32).
            ids: ``n`` ids (ints or strs, e.g. a numpy integer array); default
                ``start_id, start_id + 1, …``.
            payloads: ``n`` dicts (or None for no payload).
            batch_size: points per request, 1…65,536 (the request must also stay under the server's
                body limit: 1024 rows of 784 floats are about 15 MB of JSON).
            progress: see :mod:`latentdb.progress` (True prints to stderr).
        Batches are sent in order, one at a time; when one fails (LatentDBError), the batches
        before it are stored and the error's message names the failed batch's rows (``rows i…j``).
        Raises ValueError before sending anything for a shape mismatch or a NaN/inf anywhere.
        """
        a = np.asarray(vectors)
        if a.ndim != 2:
            raise ValueError("vectors must be 2-D (n, dim), got shape %s" % (a.shape,))
        if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
            raise ValueError("vectors must hold real numbers, not %s" % a.dtype)
        a = a.astype(np.float64, copy=False)
        if not np.all(np.isfinite(a)):
            bad = int(np.argwhere(~np.isfinite(a))[0][0])
            raise ValueError("vectors row %d holds a NaN or infinite number" % bad)
        n = a.shape[0]
        if ids is None:
            id_list: List[PointId] = list(range(start_id, start_id + n))
        else:
            id_list = [check_id(i) for i in (ids.tolist() if isinstance(ids, np.ndarray) else ids)]
            if len(id_list) != n:
                raise ValueError("%d ids for %d vectors" % (len(id_list), n))
        if payloads is not None and len(payloads) != n:
            raise ValueError("%d payloads for %d vectors" % (len(payloads), n))
        if not 1 <= batch_size <= MAX_POINTS_PER_REQUEST:
            raise ValueError("batch_size must be 1…%d" % MAX_POINTS_PER_REQUEST)
        report = reporter(progress, "upsert " + collection)
        path = "/collections/%s/points" % quote(collection)
        done = 0
        for lo in range(0, n, batch_size):
            hi = min(lo + batch_size, n)
            rows = a[lo:hi].tolist()
            points = []
            for i, row in enumerate(rows):
                p: Dict[str, Any] = {"id": id_list[lo + i], "vector": row}
                if payloads is not None and payloads[lo + i] is not None:
                    p["payload"] = payloads[lo + i]
                points.append(p)
            try:
                r = self._http.call("PUT", path, {"points": points})
            except LatentDBError as e:
                raise LatentDBError(e.status, "%s (the batch of rows %d…%d; the rows before %d are stored)"
                                    % (e.message, lo, hi - 1, lo), e.code, method=e.method, path=e.path,
                                    retry_after=e.retry_after, body=e.body) from e
            done += int(r.get("upserted", hi - lo))
            report(hi, n)
        if n == 0:
            report(0, 0)
        return done

    def delete(self, collection: str, ids: Optional[Iterable[Any]] = None,
               filter: Optional[Dict[str, Any]] = None) -> int:
        """Deletes points by ids or by filter (exactly one); returns how many existed and were deleted."""
        r = self._http.call("POST", "/collections/%s/points/delete" % quote(collection), _selector(ids, filter, "ids"))
        return int(r["deleted"])

    # ------------------------------------------------------------------------------ reads
    def get(self, collection: str, point_id: Any, with_vector: bool = True) -> Record:
        """One point with its payload (and vector). LatentDBError 404 when it does not exist."""
        pid = check_id(point_id)
        if path_safe(pid):
            r = self._http.call("GET", "/collections/%s/points/%s" % (quote(collection), quote(pid)),
                                query={"with_vector": with_vector})
            return Record.from_json(r)
        # A string id of digits cannot be named in a path (it would be the integer id).
        found = self.retrieve(collection, [pid], with_payload=True, with_vector=with_vector)
        if not found:
            raise LatentDBError(404, "point %r does not exist in collection '%s'" % (pid, collection),
                                method="POST", path="/collections/%s/points" % quote(collection))
        return found[0]

    def retrieve(self, collection: str, ids: Iterable[Any], with_payload: bool = True,
                 with_vector: bool = False) -> List[Record]:
        """The points found among ``ids``, in the order asked, each once; missing ids are skipped.
        At most 65,536 ids (413)."""
        r = self._http.call("POST", "/collections/%s/points" % quote(collection),
                            {"ids": [check_id(i) for i in ids], "with_payload": with_payload, "with_vector": with_vector})
        return [Record.from_json(j) for j in r]

    def scroll(self, collection: str, limit: int = 100, offset: Any = None,
               filter: Optional[Dict[str, Any]] = None, with_payload: bool = True,
               with_vector: bool = False) -> Tuple[List[Record], Optional[PointId]]:
        """One page of points in id order (integer ids ascending, then string ids by bytes):
        ``(records, next_offset)``; ``next_offset`` is None after the last page. ``offset`` means
        "ids >= offset" and need not exist; ``limit`` 1…10,000."""
        body: Dict[str, Any] = {"limit": limit, "with_payload": with_payload, "with_vector": with_vector}
        if offset is not None:
            body["offset"] = check_id(offset)
        if filter is not None:
            body["filter"] = filter
        r = self._http.call("POST", "/collections/%s/points/scroll" % quote(collection), body)
        return [Record.from_json(j) for j in r["points"]], r.get("next_page_offset")

    def iter_points(self, collection: str, filter: Optional[Dict[str, Any]] = None, with_payload: bool = True,
                    with_vector: bool = False, page_size: int = 1000) -> Iterator[Record]:
        """Every point (matching ``filter``) in id order, fetched a page at a time. A point that
        exists for the whole iteration is returned exactly once, whatever changes meanwhile."""
        offset = None
        while True:
            records, offset = self.scroll(collection, page_size, offset, filter, with_payload, with_vector)
            yield from records
            if offset is None:
                return

    def sample_points(self, collection: str, limit: int = 10, filter: Optional[Dict[str, Any]] = None,
                      with_payload: bool = True, with_vector: bool = False) -> Tuple[List[Record], int]:
        """An evenly spaced sample of ``limit`` (1…100,000) of the points matching ``filter``, in
        id order, and how many match: ``(records, matched)``. Deterministic; the sample attribute
        directions learn from."""
        body: Dict[str, Any] = {"limit": limit, "with_payload": with_payload, "with_vector": with_vector}
        if filter is not None:
            body["filter"] = filter
        r = self._http.call("POST", "/collections/%s/points/sample" % quote(collection), body)
        return [Record.from_json(j) for j in r["points"]], int(r["matched"])

    def count(self, collection: str, filter: Optional[Dict[str, Any]] = None) -> int:
        """The number of points (matching ``filter``); always exact."""
        body = {} if filter is None else {"filter": filter}
        return int(self._http.call("POST", "/collections/%s/points/count" % quote(collection), body)["count"])

    # --------------------------------------------------------------------------- payloads
    def set_payload(self, collection: str, payload: Dict[str, Any], ids: Optional[Iterable[Any]] = None,
                    filter: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Merges ``payload``'s keys into the payloads of the points named by ids (every id must
        exist, else 404 and nothing changes) or matched by filter."""
        body = _selector(ids, filter)
        body["payload"] = payload
        return self._http.call("POST", "/collections/%s/points/payload" % quote(collection), body)

    def overwrite_payload(self, collection: str, payload: Dict[str, Any], ids: Optional[Iterable[Any]] = None,
                          filter: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Replaces the payloads of the selected points with ``payload``."""
        body = _selector(ids, filter)
        body["payload"] = payload
        return self._http.call("PUT", "/collections/%s/points/payload" % quote(collection), body)

    def delete_payload(self, collection: str, keys: Iterable[str], ids: Optional[Iterable[Any]] = None,
                       filter: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Removes ``keys`` from the payloads of the selected points."""
        body = _selector(ids, filter)
        body["keys"] = list(keys)
        return self._http.call("POST", "/collections/%s/points/payload/delete" % quote(collection), body)

    def clear_payload(self, collection: str, ids: Optional[Iterable[Any]] = None,
                      filter: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Empties the payloads of the selected points."""
        return self._http.call("POST", "/collections/%s/points/payload/clear" % quote(collection),
                               _selector(ids, filter))
