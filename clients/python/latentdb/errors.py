"""The one exception the client raises for a failed request: :class:`LatentDBError`.

Every answer that is not a success (HTTP status >= 400), a server that cannot be reached, a
request that times out and an answer that is not what the API documents all raise it, so a
caller needs a single ``except LatentDBError``. Arguments the client can check before sending
(a NaN in a vector, a vector of the wrong shape) raise ``ValueError``/``TypeError`` instead, and
the word-model object raises ``KeyError`` for unknown words as gensim does.
"""

from typing import Optional

# HTTP status -> the symbolic code carried by LatentDBError.code: the status's meaning in the API
# (README "Responses"). The server's own name for the kind of error ({"status": {"error",
# "code"}}) is LatentDBError.kind, finer where one status covers several kinds (409: AlreadyExists
# or Conflict).
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal",
    501: "not_implemented",
    503: "unavailable",
    507: "insufficient_storage",
}


def code_for_status(status: Optional[int]) -> str:
    """The symbolic code of an HTTP status (``"http_<status>"`` for one the API does not use)."""
    if status is None:
        return "connection_error"
    return _CODES.get(status, "http_%d" % status)


class LatentDBError(Exception):
    """A request to LatentDB failed.

    Attributes:
        status: the HTTP status (int), or ``None`` when no answer arrived (connection refused,
            reset, timeout).
        message: the server's error message (``status.error`` of its answer), or what went wrong
            on the way.
        code: a symbolic code: ``bad_request`` (400), ``unauthorized`` (401), ``not_found`` (404),
            ``method_not_allowed`` (405), ``conflict`` (409), ``payload_too_large`` (413),
            ``unsupported_media_type`` (415), ``internal`` (500), ``not_implemented`` (501),
            ``unavailable`` (503, also when the server is busy: see ``retry_after``),
            ``insufficient_storage`` (507); without an answer ``connection_error`` or ``timeout``;
            ``invalid_response`` for an answer that is not the API's.
        kind: the server's name for the kind of error (its ``status.code``: ``InvalidArgument``,
            ``NotFound``, ``AlreadyExists``, ``Conflict``, ``Busy``, ``Unavailable``, ``NoSpace``,
            …), or ``None`` without an answer or from a server that does not send it.
        method, path: the request that failed.
        retry_after: seconds from a ``Retry-After`` header (503 when the server is busy), else None.
        body: the raw answer body (bytes), for diagnosis.
    """

    def __init__(self, status: Optional[int], message: str, code: Optional[str] = None, *,
                 method: str = "", path: str = "", retry_after: Optional[float] = None,
                 body: bytes = b"", kind: Optional[str] = None):
        self.status = status
        self.message = message
        self.code = code or code_for_status(status)
        self.kind = kind
        self.method = method
        self.path = path
        self.retry_after = retry_after
        self.body = body
        where = (" (%s %s)" % (method, path)) if method else ""
        head = ("HTTP %d %s" % (status, self.code)) if status is not None else self.code
        super().__init__("%s: %s%s" % (head, message, where))

    @property
    def not_found(self) -> bool:
        """True for a 404 (unknown collection, point, model, word or route)."""
        return self.status == 404
