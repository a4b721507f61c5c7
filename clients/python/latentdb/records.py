"""What the API answers about points, as small read-only objects, and the conversions of ids and
vectors between Python and JSON.

Ids: an ``int`` (0 … 2**64-1) or a ``str`` (1 … 512 bytes). The JSON type is the id's type, so
``"1990"`` and ``1990`` are two different points. Vectors come back as 1-D ``numpy.float32``
arrays (the server stores float32; the JSON numbers it sends convert back exactly).
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

PointId = Union[int, str]


def check_id(point_id: Any) -> PointId:
    """An id as JSON will carry it; numpy integers become int. TypeError for anything else."""
    if isinstance(point_id, (bool, np.bool_)):
        raise TypeError("a point id is an unsigned integer or a string, not a bool")
    if isinstance(point_id, (int, np.integer)):
        if point_id < 0:
            raise ValueError("integer point ids are unsigned: %d" % point_id)
        return int(point_id)
    if isinstance(point_id, str):
        return point_id
    raise TypeError("a point id is an unsigned integer or a string, not %s" % type(point_id).__name__)


def path_safe(point_id: PointId) -> bool:
    """True when the id can be named in a URL path: a segment of digits only is read as an
    integer id by the server (Qdrant's rule), so a string id made of digits must go in a body."""
    return isinstance(point_id, int) or not (point_id.isascii() and point_id.isdigit())


def as_vector(v: Any, dim: Optional[int] = None, what: str = "vector") -> List[float]:
    """A 1-D vector as a list of floats for JSON. Accepts lists, tuples and numpy arrays.

    Raises ValueError for another shape, a wrong length (when ``dim`` is given) or a NaN/inf.
    """
    a = np.asarray(v, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError("%s must be 1-D, got shape %s" % (what, a.shape))
    if dim is not None and a.shape[0] != dim:
        raise ValueError("%s has %d components, expected %d" % (what, a.shape[0], dim))
    if not np.all(np.isfinite(a)):
        raise ValueError("%s holds a NaN or infinite number" % what)
    return a.tolist()


def to_array(v: Optional[Sequence[float]]) -> Optional[np.ndarray]:
    """A JSON vector as a float32 array (None stays None)."""
    return None if v is None else np.asarray(v, dtype=np.float32)


def is_vector_like(x: Any) -> bool:
    """True for a numpy array or a list/tuple of numbers (a vector rather than a point id)."""
    if isinstance(x, np.ndarray):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(
        isinstance(e, (int, float, np.integer, np.floating)) and not isinstance(e, bool) for e in x)


@dataclass(frozen=True)
class Record:
    """A stored point: ``id``, ``payload`` (dict; ``None`` when not asked for) and ``vector``
    (float32 array; ``None`` when not asked for)."""

    id: PointId
    payload: Optional[Dict[str, Any]] = None
    vector: Optional[np.ndarray] = field(default=None, compare=False)

    @classmethod
    def from_json(cls, j: Dict[str, Any]) -> "Record":
        return cls(j["id"], j.get("payload"), to_array(j.get("vector")))


@dataclass(frozen=True)
class ScoredPoint:
    """A search hit. ``score``: cosine similarity (cosine collections), inner product (ip) or
    Euclidean distance (l2, smaller is closer); hits are best first."""

    id: PointId
    score: float
    payload: Optional[Dict[str, Any]] = None
    vector: Optional[np.ndarray] = field(default=None, compare=False)

    @classmethod
    def from_json(cls, j: Dict[str, Any]) -> "ScoredPoint":
        return cls(j["id"], float(j["score"]), j.get("payload"), to_array(j.get("vector")))


def scored_points(items: Sequence[Dict[str, Any]]) -> List[ScoredPoint]:
    return [ScoredPoint.from_json(j) for j in items]


def search_answer(result: Any) -> Tuple[List[ScoredPoint], Optional[Dict[str, Any]]]:
    """A search answer -> (hits, debug plan or None). The server answers a plain list, or
    ``{"points", "debug"}`` when the search asked for ``debug``."""
    if isinstance(result, dict) and "points" in result:
        return scored_points(result["points"]), result.get("debug")
    return scored_points(result), None
