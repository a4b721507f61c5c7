"""Filters (Qdrant's shape) built from small functions; each returns the plain ``dict`` the API
takes, so a hand-written dict works everywhere a built one does.

    from latentdb import filters as F
    f = F.Filter(must=[F.match("color", "red"), F.range_("price", lt=100)],
                 must_not=[F.has_id([7])])
    client.search("shoes", vector, k=5, filter=f)

Semantics (README "Filters"): ``must`` all hold, ``should`` at least one holds, ``must_not``
none holds; ``must: []`` matches everything and ``should: []`` nothing. Keys are payload paths:
``a.b``, ``items[].color``, ``items[0].color``. A condition on an array value holds if any
element matches; ``nested`` requires all its conditions on the same element. Conditions the
server does not support are refused with HTTP 400 (LatentDBError) naming them.
"""

from typing import Any, Dict, Iterable, List, Optional

from .records import check_id

Condition = Dict[str, Any]


def _conditions(conds: Optional[Iterable[Condition]]) -> Optional[List[Condition]]:
    return None if conds is None else list(conds)


def Filter(must: Optional[Iterable[Condition]] = None, should: Optional[Iterable[Condition]] = None,
           must_not: Optional[Iterable[Condition]] = None) -> Dict[str, Any]:
    """A filter; a clause left as None is absent (which is not the same as an empty list)."""
    out: Dict[str, Any] = {}
    for name, conds in (("must", must), ("should", should), ("must_not", must_not)):
        c = _conditions(conds)
        if c is not None:
            out[name] = c
    return out


def must(*conditions: Condition) -> Dict[str, Any]:
    """``{"must": [...]}``: every condition holds (a filter, usable as a condition too)."""
    return {"must": list(conditions)}


def should(*conditions: Condition) -> Dict[str, Any]:
    """``{"should": [...]}``: at least one condition holds."""
    return {"should": list(conditions)}


def must_not(*conditions: Condition) -> Dict[str, Any]:
    """``{"must_not": [...]}``: no condition holds."""
    return {"must_not": list(conditions)}


def match(key: str, value: Any) -> Condition:
    """The value at ``key`` equals ``value`` (a string, integer or bool; numbers compare by exact
    value across integer and floating JSON numbers)."""
    return {"key": key, "match": {"value": value}}


def match_any(key: str, values: Iterable[Any]) -> Condition:
    """The value at ``key`` is one of ``values`` (an empty list matches nothing)."""
    return {"key": key, "match": {"any": list(values)}}


def match_except(key: str, values: Iterable[Any]) -> Condition:
    """The value at ``key`` is none of ``values``."""
    return {"key": key, "match": {"except": list(values)}}


def range_(key: str, gt: Any = None, gte: Any = None, lt: Any = None, lte: Any = None) -> Condition:
    """A numeric range on ``key``; bounds left as None are open. ValueError without any bound."""
    r = {name: v for name, v in (("gt", gt), ("gte", gte), ("lt", lt), ("lte", lte)) if v is not None}
    if not r:
        raise ValueError("range_ needs at least one of gt, gte, lt, lte")
    return {"key": key, "range": r}


def has_id(ids: Iterable[Any]) -> Condition:
    """The point's id is one of ``ids`` (ints and strs keep their JSON type)."""
    return {"has_id": [check_id(i) for i in ids]}


def is_empty(key: str) -> Condition:
    """``key`` is missing, null or ``[]``."""
    return {"is_empty": {"key": key}}


def is_null(key: str) -> Condition:
    """``key`` holds an explicit null."""
    return {"is_null": {"key": key}}


def nested(key: str, filter: Dict[str, Any]) -> Condition:
    """All of ``filter``'s conditions hold on one element of the array at ``key``."""
    return {"nested": {"key": key, "filter": filter}}
