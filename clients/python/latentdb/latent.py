"""Latent-space routes: decode, interpolate, sample, reconstruct, anomalies, the 2-D map, and
attribute directions with edits along them.

Mixed into :class:`latentdb.Client`. Decoding needs a collection (or model) with a generative
encoder — a VAE or a GAN — (LatentDBError 400 otherwise); anomalies need a VAE; the map and the
directions work on any collection. Decoded images are :class:`~latentdb.media.DecodedImage`:
``.png`` bytes, ``.to_pil()`` (Pillow, imported only then) and ``.to_numpy()``. Vectors are
float32 numpy arrays. Limits: 256 interpolation steps or samples per request, 64 edit strengths.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .media import DecodedImage, decoded_or_none, image_base64, image_bytes, content_type_of
from .records import PointId, ScoredPoint, as_vector, check_id, is_vector_like, scored_points, to_array
from .transport import quote


def _endpoint(x: Any, what: str) -> Any:
    """A stored point id, or a latent vector."""
    return as_vector(x, what=what) if is_vector_like(x) else check_id(x)


@dataclass(frozen=True)
class LatentImage:
    """A latent and its decoding: ``vector`` (float32), ``image`` (DecodedImage), ``nearest``
    (the nearest stored point, or None); ``t`` (interpolation position 0…1), ``id`` (a stored
    sample's id) and, for a class-conditional GAN's or VAE's samples, ``label`` (class index) and
    ``class_name``, when they apply."""

    vector: np.ndarray
    image: Optional[DecodedImage]
    nearest: Optional[ScoredPoint] = None
    t: Optional[float] = None
    id: Optional[PointId] = None
    label: Optional[int] = None
    class_name: Optional[str] = None

    @classmethod
    def from_json(cls, j: Dict[str, Any]) -> "LatentImage":
        nearest = j.get("nearest")
        return cls(np.asarray(j["vector"], np.float32), decoded_or_none(j),
                   ScoredPoint.from_json(nearest) if nearest else None, j.get("t"), j.get("id"), j.get("label"),
                   j.get("class"))


@dataclass(frozen=True)
class Samples:
    """``seed`` (give it again to draw the same samples), ``samples``, ``stored`` (count, when
    asked to store them as points; their ids are in each sample's ``id``)."""

    seed: int
    samples: List[LatentImage]
    stored: int = 0


@dataclass(frozen=True)
class Reconstruction:
    """An image through the VAE: ``vector`` (μ(x)), ``image`` (decoded μ), and the VAE's scores
    ``reconstruction_error``, ``kl``, ``neg_elbo`` (higher = more anomalous)."""

    vector: np.ndarray
    image: DecodedImage
    reconstruction_error: float
    kl: float
    neg_elbo: float


@dataclass(frozen=True)
class Anomaly:
    id: PointId
    neg_elbo: float
    payload: Dict[str, Any]


@dataclass(frozen=True)
class Map:
    """A 2-D PCA map of an evenly spaced sample: ``ids``, ``xy`` (float64, shape (n, 2)),
    ``labels`` (payload values at ``field``, None where absent; all None without a field),
    ``mean`` and ``axes`` (shape (2, dim)) of the projection, ``explained_variance(_ratio)``,
    ``total`` points in the collection."""

    ids: List[PointId]
    xy: np.ndarray
    labels: List[Any]
    mean: np.ndarray
    axes: np.ndarray
    explained_variance: List[float]
    explained_variance_ratio: List[float]
    total: int

    def project(self, vectors: Any) -> np.ndarray:
        """Places vectors (shape (dim,) or (n, dim)) on the map: ``(v − mean) · axesᵀ``."""
        v = np.asarray(vectors, dtype=np.float64)
        return (v - self.mean) @ self.axes.T


@dataclass(frozen=True)
class EditStep:
    """One strength of an edit: ``vector`` = start + strength · direction, its ``neighbors``, and
    its decoding (``image``) in VAE and GAN collections."""

    strength: float
    vector: np.ndarray
    neighbors: List[ScoredPoint]
    image: Optional[DecodedImage] = None


@dataclass(frozen=True)
class Edit:
    direction: str
    start: np.ndarray
    steps: List[EditStep] = field(default_factory=list)


def _direction(d: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(d)
    if out.get("vector") is not None:
        out["vector"] = np.asarray(out["vector"], np.float32)
    return out


class LatentMixin:
    _http: Any  # latentdb.transport.Transport

    # ------------------------------------------------------------------------- decoding
    def decode_point(self, collection: str, point_id: Any) -> DecodedImage:
        """The image decoded from a stored point's latent (any id type, "1990" included)."""
        r = self._http.call("POST", "/collections/%s/points/decode" % quote(collection),
                            {"id": check_id(point_id), "format": "json"})
        return DecodedImage.from_json(r)

    def decode(self, model: str, vector: Any) -> DecodedImage:
        """The image a generative model (VAE or GAN) decodes from a latent vector of its dimension."""
        r = self._http.call("POST", "/decode", {"model": model, "vector": as_vector(vector), "format": "json"})
        return DecodedImage.from_json(r)

    def interpolate(self, collection: str, start: Any, end: Any, steps: int = 8,
                    mode: str = "linear") -> List[LatentImage]:
        """``steps`` (2…256) latents from ``start`` to ``end`` (point ids or latent vectors),
        ``mode`` ``"linear"`` or ``"slerp"``, each decoded, with ``t`` and its nearest stored point."""
        r = self._http.call("POST", "/collections/%s/interpolate" % quote(collection),
                            {"from": _endpoint(start, "start"), "to": _endpoint(end, "end"), "steps": steps,
                             "mode": mode})
        return [LatentImage.from_json(s) for s in r["steps"]]

    def sample(self, collection: str, n: int = 16, seed: Optional[int] = None, store: bool = False,
               label: Optional[Union[int, str]] = None) -> Samples:
        """``n`` (1…256) latents drawn from the prior and decoded (N(0, I); a class-conditional
        GAN's or VAE's codes also carry a class, drawn uniformly or, with ``label``, the class of that name
        or index). The same ``seed`` draws the same latents; ``store=True`` also stores them as
        points. LatentDBError (400) for an unknown class or a ``label`` on another model."""
        body: Dict[str, Any] = {"n": n, "store": store}
        if seed is not None:
            body["seed"] = int(seed)
        if label is not None:
            body["class"] = label
        r = self._http.call("POST", "/collections/%s/sample" % quote(collection), body)
        return Samples(int(r["seed"]), [LatentImage.from_json(s) for s in r["samples"]], int(r.get("stored", 0)))

    def reconstruct(self, collection: str, image: Any) -> Reconstruction:
        """An image through the collection's VAE (or GAN: inverted, then decoded)."""
        data = image_bytes(image)
        r = self._http.call_data("POST", "/collections/%s/reconstruct" % quote(collection), data, content_type_of(data))
        return Reconstruction(np.asarray(r["vector"], np.float32), DecodedImage.from_json(r),
                              float(r.get("reconstruction_error", float("nan"))), float(r.get("kl", float("nan"))),
                              float(r.get("neg_elbo", float("nan"))))

    def anomalies(self, collection: str, k: int = 20) -> List[Anomaly]:
        """The ``k`` stored points of highest ``neg_elbo`` (payload written at upsert by a VAE)."""
        r = self._http.call("GET", "/collections/%s/anomalies" % quote(collection), query={"k": k})
        return [Anomaly(p["id"], float(p["neg_elbo"]), p.get("payload") or {}) for p in r["points"]]

    def map(self, collection: str, n: Optional[int] = None, field: Optional[str] = None) -> Map:
        """A 2-D PCA projection of ``n`` evenly spaced points (default min(5,000, …)), labelled by
        the payload ``field`` (a dotted path) when given."""
        r = self._http.call("GET", "/collections/%s/map" % quote(collection), query={"n": n, "field": field})
        pts = r["points"]
        basis = r["basis"]
        return Map([p["id"] for p in pts], np.array([[p["x"], p["y"]] for p in pts], dtype=np.float64).reshape(-1, 2),
                   [p.get("label") for p in pts], np.asarray(basis["mean"], np.float64),
                   np.asarray(basis["axes"], np.float64), list(r.get("explained_variance", [])),
                   list(r.get("explained_variance_ratio", [])), int(r.get("total", len(pts))))

    # ------------------------------------------------------------------------- directions
    def create_direction(self, collection: str, name: str, method: str, *, from_filter: Optional[Dict[str, Any]] = None,
                         to_filter: Optional[Dict[str, Any]] = None, component: Optional[int] = None,
                         orthogonal_to: Optional[Sequence[str]] = None, with_vector: bool = True) -> Dict[str, Any]:
        """Learns and stores a unit direction (replacing one of the same name: ``replaced``).

        ``method``: ``"mean_difference"`` or ``"linear"`` (from the points matching
        ``from_filter`` to those matching ``to_filter``), or ``"pca"`` (principal axis
        ``component``). ``orthogonal_to``: stored direction names projected out. The answer's
        ``vector`` is a float32 array (with ``with_vector``).
        """
        body: Dict[str, Any] = {"name": name, "method": method}
        for key, value in (("from", from_filter), ("to", to_filter), ("component", component),
                           ("orthogonal_to", None if orthogonal_to is None else list(orthogonal_to))):
            if value is not None:
                body[key] = value
        r = self._http.call("POST", "/collections/%s/directions" % quote(collection), body,
                            query={"with_vector": with_vector})
        return _direction(r)

    def list_directions(self, collection: str, with_vector: bool = False) -> List[Dict[str, Any]]:
        r = self._http.call("GET", "/collections/%s/directions" % quote(collection), query={"with_vector": with_vector})
        return [_direction(d) for d in r["directions"]]

    def get_direction(self, collection: str, name: str) -> Dict[str, Any]:
        """One stored direction with its ``vector`` (float32). 404 when absent."""
        return _direction(self._http.call("GET", "/collections/%s/directions/%s" % (quote(collection), quote(name))))

    def put_direction(self, collection: str, name: str, direction: Dict[str, Any],
                      with_vector: bool = True) -> Dict[str, Any]:
        """Stores a direction given with its ``vector`` (one learned elsewhere, or another
        collection's as ``get_direction`` returns it; ``method`` required), scaled to unit length.
        Replaces one of the same name (``replaced``)."""
        body = dict(direction)
        if body.get("vector") is not None:
            body["vector"] = as_vector(body["vector"])
        r = self._http.call("PUT", "/collections/%s/directions/%s" % (quote(collection), quote(name)), body,
                            query={"with_vector": with_vector})
        return _direction(r)

    def delete_direction(self, collection: str, name: str) -> None:
        """Deletes a stored direction (404 when absent)."""
        self._http.call("DELETE", "/collections/%s/directions/%s" % (quote(collection), quote(name)))

    def edit(self, collection: str, start: Any = None, direction: str = "", strengths: Sequence[float] = (0.0,), *,
             text: Optional[str] = None, image: Any = None, k: int = 5, with_images: Optional[bool] = None,
             with_payload: bool = True) -> Edit:
        """Moves ``start`` (a point id or a vector; or ``text=``/``image=``, encoded as a search's)
        along a stored direction: for each strength (1…64 of them) the latent, its ``k`` (1…100)
        nearest stored points and, by default in VAE/GAN collections, its decoded image."""
        given = [x for x in (start, text, image) if x is not None]
        if len(given) != 1:
            raise ValueError("edit takes exactly one of start, text or image")
        if text is not None:
            source: Any = {"text": text}
        elif image is not None:
            source = {"image": image_base64(image)}
        else:
            source = _endpoint(start, "start")
        body: Dict[str, Any] = {"from": source, "direction": direction, "strengths": [float(s) for s in strengths],
                                "k": k, "with_payload": with_payload}
        if with_images is not None:
            body["with_images"] = with_images
        r = self._http.call("POST", "/collections/%s/edit" % quote(collection), body)
        steps = [EditStep(float(s["strength"]), np.asarray(s["vector"], np.float32), scored_points(s.get("neighbors", [])),
                          decoded_or_none(s)) for s in r["steps"]]
        return Edit(r["direction"], to_array(r["start"]), steps)
