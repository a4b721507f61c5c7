"""Images and texts as points and as vectors: upserts through a collection's encoder (one image
raw, or many images/texts in batches with progress) and image encoding with a named model.

Mixed into :class:`latentdb.Client`. Searching by an image or a text is
:meth:`latentdb.Client.search` with ``image=`` or ``text=``. Image arguments are encoded bytes
(PNG, JPEG, BMP, GIF), a path, a PIL image or a uint8 numpy array (:mod:`latentdb.media`).
Server limits: 16,777,216 pixels per image and 67,108,864 per request (413); an image that does
not decode is 400, a file that is not an image 415.
"""

import json
from typing import Any, Dict, Optional, Sequence

import numpy as np

from .errors import LatentDBError
from .media import content_type_of, image_base64, image_bytes
from .progress import ProgressArg, reporter
from .records import check_id
from .transport import quote


class ImagesMixin:
    _http: Any  # latentdb.transport.Transport

    def upsert_image(self, collection: str, point_id: Any, image: Any,
                     payload: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Stores one image as point ``point_id`` of a collection with an image encoder; the
        image is sent raw (no base64). Returns ``{"upserted": 1, "id", "scores"?}`` — ``scores``
        (``reconstruction_error``, ``kl``, ``neg_elbo``) for a VAE collection, which also stores
        them in the payload."""
        data = image_bytes(image)
        # ?id= names the id as JSON (7, or "1990" with its quotes), so any id can be given.
        query: Dict[str, Any] = {"id": json.dumps(check_id(point_id), ensure_ascii=False)}
        if payload is not None:
            query["payload"] = payload
        return self._http.call_data("PUT", "/collections/%s/points" % quote(collection), data,
                                    content_type_of(data), query=query)

    def upsert_images(self, collection: str, images: Sequence[Any], ids: Optional[Sequence[Any]] = None,
                      payloads: Optional[Sequence[Optional[Dict[str, Any]]]] = None, *, start_id: int = 0,
                      batch_size: int = 64, progress: ProgressArg = None) -> Dict[str, Any]:
        """Stores many images (base64 in JSON batches of ``batch_size``), encoded by the
        collection's image model. ``ids`` default to ``start_id, start_id + 1, …``.

        Returns ``{"upserted": n, "errors": [{"index", "id", "status", "error"}, …]}``: an image
        that does not decode is reported with its index in ``images`` and the others are stored.
        A batch the server refuses whole raises LatentDBError (earlier batches stay stored).
        """
        return self._upsert_inputs(collection, "image", images, ids, payloads, start_id, batch_size, progress,
                                   image_base64)

    def upsert_texts(self, collection: str, texts: Sequence[str], ids: Optional[Sequence[Any]] = None,
                     payloads: Optional[Sequence[Optional[Dict[str, Any]]]] = None, *, start_id: int = 0,
                     batch_size: int = 1024, progress: ProgressArg = None) -> Dict[str, Any]:
        """Stores texts, encoded by the collection's word-model encoder (each text's vector is the
        mean of its tokens' unit vectors). Same arguments and answer as :meth:`upsert_images`;
        a text with no known token fails its whole batch (LatentDBError 404)."""
        for t in texts:
            if not isinstance(t, str):
                raise TypeError("texts must be strings, not %s" % type(t).__name__)
        return self._upsert_inputs(collection, "text", texts, ids, payloads, start_id, batch_size, progress,
                                   lambda t: t)

    def _upsert_inputs(self, collection: str, field: str, inputs: Sequence[Any], ids: Optional[Sequence[Any]],
                       payloads: Optional[Sequence[Optional[Dict[str, Any]]]], start_id: int, batch_size: int,
                       progress: ProgressArg, convert: Any) -> Dict[str, Any]:
        n = len(inputs)
        id_list = list(range(start_id, start_id + n)) if ids is None else [check_id(i) for i in ids]
        if len(id_list) != n:
            raise ValueError("%d ids for %d %ss" % (len(id_list), n, field))
        if payloads is not None and len(payloads) != n:
            raise ValueError("%d payloads for %d %ss" % (len(payloads), n, field))
        if not 1 <= batch_size <= 65536:
            raise ValueError("batch_size must be 1…65536")
        report = reporter(progress, "upsert %ss into %s" % (field, collection))
        path = "/collections/%s/points" % quote(collection)
        upserted, errors = 0, []
        for lo in range(0, n, batch_size):
            hi = min(lo + batch_size, n)
            points = []
            for i in range(lo, hi):
                p: Dict[str, Any] = {"id": id_list[i], field: convert(inputs[i])}
                if payloads is not None and payloads[i] is not None:
                    p["payload"] = payloads[i]
                points.append(p)
            try:
                r = self._http.call("PUT", path, {"points": points})
            except LatentDBError as e:
                raise LatentDBError(e.status, "%s (the batch of %ss %d…%d; those before %d are stored)"
                                    % (e.message, field, lo, hi - 1, lo), e.code, method=e.method, path=e.path,
                                    retry_after=e.retry_after, body=e.body) from e
            upserted += int(r.get("upserted", 0))
            for err in r.get("errors", []):
                err = dict(err)
                err["index"] = lo + int(err.get("index", 0))
                errors.append(err)
            report(hi, n)
        return {"upserted": upserted, "errors": errors}

    def encode_image(self, model: str, image: Any) -> np.ndarray:
        """The vector (float32, the model's dimension) an image model gives an image: a CNN's
        L2-normalized embedding, a VAE's posterior mean μ(x), a GAN's inverted latent."""
        data = image_bytes(image)
        r = self._http.call_data("POST", "/encode", data, content_type_of(data), query={"model": model})
        return np.asarray(r["vector"], dtype=np.float32)

