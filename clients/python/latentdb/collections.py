"""Collections: create, inspect, list, delete, and their payload indexes.

Mixed into :class:`latentdb.Client`; every method is one HTTP request and raises
:class:`~latentdb.errors.LatentDBError` on failure (404 unknown collection, 409 a name that
exists, 400 a config the server refuses, naming the field).
"""

from typing import Any, Dict, List, Optional

from .transport import quote


class CollectionsMixin:
    _http: Any  # latentdb.transport.Transport

    def create_collection(self, name: str, dim: Optional[int] = None, metric: str = "l2",
                          index: Optional[str] = None, *, encoder: Optional[str] = None,
                          hnsw_ef_construction: Optional[int] = None,
                          quantization_config: Optional[Dict[str, Any]] = None,
                          datatype: Optional[str] = None, on_disk: Optional[bool] = None) -> Dict[str, Any]:
        """Creates a collection and returns its info (the dict of :meth:`get_collection`).

        Args:
            name: ``[A-Za-z0-9_-]`` (the server's rule; 400 otherwise).
            dim: vector length 1…65536; may be left out with ``encoder`` (the model fixes it).
            metric: ``"l2"`` (Euclidean distance), ``"ip"`` (inner product) or ``"cosine"``.
            index: FAISS factory string (``"Flat"``, ``"HNSW32"`` (server default), ``"IVF256,Flat"``, …).
            encoder: a registered word or image model; points and searches may then give texts or images.
            hnsw_ef_construction, quantization_config, datatype (``"float16"``), on_disk: as the
                README's "Quantization" section; None leaves the server's default.
        Raises LatentDBError: 409 when the collection exists, 400 for a refused setting.
        """
        body: Dict[str, Any] = {"metric": metric}
        for key, value in (("dim", dim), ("index", index), ("encoder", encoder),
                           ("hnsw_ef_construction", hnsw_ef_construction),
                           ("quantization_config", quantization_config), ("datatype", datatype),
                           ("on_disk", on_disk)):
            if value is not None:
                body[key] = value
        return self._http.call("PUT", "/collections/" + quote(name), body)

    def get_collection(self, name: str) -> Dict[str, Any]:
        """The collection's info: ``config`` (dim, metric, index, encoder, …), ``points_count``,
        ``status`` (green/yellow), ``index`` state and ``payload_schema``. 404 when absent."""
        return self._http.call("GET", "/collections/" + quote(name))

    def list_collections(self) -> List[Dict[str, Any]]:
        """Every collection's info; one that failed to load is ``{"name", "status": "red", "error"}``."""
        return self._http.call("GET", "/collections")["collections"]

    def collection_exists(self, name: str) -> bool:
        return bool(self._http.call("GET", "/collections/%s/exists" % quote(name))["exists"])

    def delete_collection(self, name: str) -> bool:
        """Deletes a collection with its points; True when it existed, False when there was none."""
        return bool(self._http.call("DELETE", "/collections/" + quote(name)))

    def create_payload_index(self, collection: str, field_name: str, field_schema: Any,
                             wait: bool = True) -> Dict[str, Any]:
        """Indexes a payload field (``field_schema``: ``"keyword"``, ``"integer"``, ``"float"``,
        ``"bool"`` or Qdrant's ``{"type": …}``). With ``wait`` the call returns once the index is
        built for the existing points (``status`` ``completed``), else at once (``acknowledged``)."""
        return self._http.call("PUT", "/collections/%s/index" % quote(collection),
                               {"field_name": field_name, "field_schema": field_schema}, query={"wait": wait})

    def delete_payload_index(self, collection: str, field_name: str, wait: bool = True) -> Dict[str, Any]:
        return self._http.call("DELETE", "/collections/%s/index/%s" % (quote(collection), quote(field_name)),
                               query={"wait": wait})
