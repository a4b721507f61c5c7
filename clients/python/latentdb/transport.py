"""HTTP transport: one request, one connection, over ``urllib.request`` (standard library only).

Every LatentDB JSON answer is an envelope ``{"result": …, "status": "ok", "time": seconds}``;
:meth:`Transport.call` sends a JSON body and returns ``result``. Errors (HTTP status >= 400, no
connection, a timeout, an answer that is not JSON) raise :class:`~latentdb.errors.LatentDBError`.

Connections are not kept alive: urllib opens one per request (on loopback that costs about
0.1 ms). Thread-safety: a Transport holds no mutable state after construction, so one instance
may be used from any number of threads at once.
"""

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Mapping, Optional

import numpy as np

from .errors import LatentDBError

_NO_BODY = object()


def _json_default(obj: Any) -> Any:
    # numpy values anywhere in a body: arrays become lists, scalars Python numbers.
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    raise TypeError("%s is not JSON serializable" % type(obj).__name__)


def dumps(body: Any) -> bytes:
    """A body as compact JSON bytes; numpy arrays and scalars are accepted.

    Raises ValueError for NaN or infinite numbers (the server refuses them with 400 anyway).
    """
    try:
        return json.dumps(body, default=_json_default, allow_nan=False, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")
    except ValueError as e:
        raise ValueError("a request body holds a NaN or infinite number: %s" % e) from None


def quote(segment: Any) -> str:
    """One path segment, percent-encoded (``/`` included)."""
    return urllib.parse.quote(str(segment), safe="")


def _query_value(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return dumps(v).decode("utf-8")
    return str(v)


class Response:
    """A raw answer: ``status`` (int), ``headers`` (case-insensitive mapping), ``body`` (bytes)."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class Transport:
    """Sends requests to one LatentDB server.

    Args:
        url: the server's base URL, e.g. ``http://127.0.0.1:8080`` (a path prefix is kept).
        api_key: sent as the ``api-key`` header when the server runs with ``--api-key``.
        timeout: seconds to wait for a connection and for each read (float).
        headers: extra headers sent with every request.
    """

    def __init__(self, url: str = "http://127.0.0.1:8080", api_key: Optional[str] = None,
                 timeout: float = 60.0, headers: Optional[Mapping[str, str]] = None):
        if "://" not in url:
            url = "http://" + url
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._headers: Dict[str, str] = {"User-Agent": "latentdb-python/0.1", "Accept": "application/json"}
        if api_key:
            self._headers["api-key"] = api_key
        if headers:
            self._headers.update(headers)

    def request(self, method: str, path: str, *, query: Optional[Mapping[str, Any]] = None,
                json_body: Any = _NO_BODY, data: Optional[bytes] = None,
                content_type: Optional[str] = None, accept: Optional[str] = None) -> Response:
        """Sends one request and returns the raw successful answer.

        ``json_body`` is encoded with :func:`dumps`; ``data`` is sent as is with ``content_type``.
        ``query`` values: booleans become true/false, dicts and lists JSON; None values are left out.
        Raises LatentDBError for a status >= 400 and when no answer arrives.
        """
        url = self.url + path
        if query:
            items = [(k, _query_value(v)) for k, v in query.items() if v is not None]
            if items:
                url += "?" + urllib.parse.urlencode(items)
        headers = dict(self._headers)
        if accept:
            headers["Accept"] = accept
        if json_body is not _NO_BODY:
            data = dumps(json_body)
            headers["Content-Type"] = "application/json"
        elif data is not None:
            headers["Content-Type"] = content_type or "application/octet-stream"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            try:
                body = e.read()
            except OSError:
                body = b""
            raise _error_from_answer(e.code, e.headers, body, method, path) from None
        except urllib.error.URLError as e:
            reason = e.reason
            code = "timeout" if isinstance(reason, socket.timeout) else "connection_error"
            raise LatentDBError(None, "cannot reach %s: %s" % (self.url, reason), code,
                                method=method, path=path) from None
        except socket.timeout:
            raise LatentDBError(None, "no answer from %s within %s s" % (self.url, self.timeout),
                                "timeout", method=method, path=path) from None
        except OSError as e:  # reset while sending (e.g. a body over the server's limit)
            raise LatentDBError(None, "connection to %s failed: %s" % (self.url, e),
                                "connection_error", method=method, path=path) from None

    def call(self, method: str, path: str, body: Any = _NO_BODY, *,
             query: Optional[Mapping[str, Any]] = None) -> Any:
        """Sends a JSON request (``body`` if given) and returns the envelope's ``result``."""
        r = self.request(method, path, query=query, json_body=body)
        return self.result_of(r, method, path)

    def call_data(self, method: str, path: str, data: bytes, content_type: str, *,
                  query: Optional[Mapping[str, Any]] = None) -> Any:
        """Sends raw bytes (an image) and returns the envelope's ``result``."""
        r = self.request(method, path, query=query, data=data, content_type=content_type)
        return self.result_of(r, method, path)

    @staticmethod
    def result_of(r: Response, method: str = "", path: str = "") -> Any:
        """The ``result`` of a JSON envelope (a JSON answer without one is returned whole)."""
        try:
            doc = json.loads(r.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise LatentDBError(r.status, "the answer is not JSON (%s, %d bytes)" % (r.content_type or "no type", len(r.body)),
                                "invalid_response", method=method, path=path, body=r.body) from None
        if isinstance(doc, dict) and "result" in doc and doc.get("status") == "ok":
            return doc["result"]
        return doc


def _error_from_answer(status: int, headers: Mapping[str, str], body: bytes, method: str, path: str) -> LatentDBError:
    message, kind = "", None
    try:
        doc = json.loads(body.decode("utf-8"))
        st = doc.get("status") if isinstance(doc, dict) else None
        if isinstance(st, dict):
            message = str(st.get("error", ""))
            kind = st.get("code") if isinstance(st.get("code"), str) else None
        elif isinstance(doc, dict) and isinstance(doc.get("error"), str):
            message = doc["error"]
    except (UnicodeDecodeError, ValueError, AttributeError):
        message = body[:500].decode("utf-8", "replace")
    retry_after: Optional[float] = None
    if headers is not None and headers.get("Retry-After"):
        try:
            retry_after = float(headers.get("Retry-After"))
        except ValueError:
            pass
    return LatentDBError(status, message or "HTTP %d" % status, method=method, path=path,
                         retry_after=retry_after, body=body, kind=kind)

