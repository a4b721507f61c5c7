"""The client: :class:`Client` gathers every route group (one mixin module each) over one
:class:`~latentdb.transport.Transport`.

    from latentdb import Client
    db = Client("http://127.0.0.1:8080")            # api_key="…" when the server has --api-key
    db.create_collection("shoes", dim=4, metric="cosine")
    db.upsert_numpy("shoes", vectors, payloads=[{"color": "red"}, …], progress=True)
    hits = db.search("shoes", [0.1, 0.9, 0.0, 0.2], k=5)

Thread-safety: a Client keeps no per-request state (each request opens its own connection), so
one instance may be used from many threads at once; the objects it returns are read-only
(WordModel fills its caches under a lock).
"""

from typing import Any, Dict, Mapping, Optional

from .collections import CollectionsMixin
from .images import ImagesMixin
from .latent import LatentMixin
from .points import PointsMixin
from .search import SearchMixin
from .transport import Transport
from .words import ModelsMixin


class Client(CollectionsMixin, PointsMixin, SearchMixin, ImagesMixin, LatentMixin, ModelsMixin):
    """A LatentDB server.

    Args:
        url: base URL (default ``http://127.0.0.1:8080``; ``host:port`` works too).
        api_key: the server's ``--api-key`` (sent as the ``api-key`` header).
        timeout: seconds for connecting and for each read; an image inversion (GAN) can take
            about a second per image, a large batch longer.
        headers: extra headers for every request.
    Every method raises :class:`~latentdb.errors.LatentDBError` when a request fails.
    """

    def __init__(self, url: str = "http://127.0.0.1:8080", api_key: Optional[str] = None, timeout: float = 60.0,
                 headers: Optional[Mapping[str, str]] = None):
        self._http = Transport(url, api_key=api_key, timeout=timeout, headers=headers)

    @property
    def url(self) -> str:
        return self._http.url

    def __repr__(self) -> str:
        return "Client(%r)" % self._http.url

    def info(self) -> Dict[str, Any]:
        """``GET /``: ``{"title", "version"}`` (the Qdrant API version the server answers as)."""
        return self._http.call("GET", "/")

    def health(self) -> bool:
        """True when ``GET /healthz`` answers 200 (raises LatentDBError when unreachable)."""
        self._http.call("GET", "/healthz")
        return True

    def ready(self) -> Any:
        """``GET /readyz``: the server's readiness answer (LatentDBError 503 while not ready)."""
        return self._http.call("GET", "/readyz")

    def openapi(self) -> Dict[str, Any]:
        """The server's OpenAPI 3 document (``GET /openapi.json``)."""
        return self._http.call("GET", "/openapi.json")
