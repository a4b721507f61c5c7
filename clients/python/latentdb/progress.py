"""Progress of long batch operations (batch upserts of numpy arrays, images, texts).

A ``progress`` argument is one of:
  * ``None`` or ``False``: silent;
  * ``True``: a line on stderr — redrawn in place on a terminal, otherwise printed at every 10 %
    — with the count, the rate (points/s) and the estimated time left;
  * a callable ``progress(done, total)``: called after each batch with the number of points sent
    so far and the total (ints). Exceptions it raises stop the upload (batches already sent stay
    stored).
"""

import sys
import time
from typing import Callable, Optional, TextIO, Union

ProgressArg = Union[None, bool, Callable[[int, int], None]]


class StderrProgress:
    """``done/total (pct) rate/s ETA`` on a stream (stderr by default). Not thread-safe: one
    upload at a time per instance."""

    def __init__(self, what: str = "points", stream: Optional[TextIO] = None):
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last_decile = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = done / elapsed
        pct = 100.0 * done / total if total else 100.0
        eta = (total - done) / rate if rate > 0 else float("inf")
        line = "%s: %d/%d (%.1f%%) %.0f/s ETA %s" % (self.what, done, total, pct, rate, _seconds(eta))
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            decile = int(pct // 10)
            if decile == self.last_decile and done < total:
                return
            self.last_decile = decile
            self.stream.write(line + "\n")
        self.stream.flush()


def _seconds(s: float) -> str:
    if s == float("inf"):
        return "?"
    s = int(round(s))
    return "%dm%02ds" % (s // 60, s % 60) if s >= 60 else "%ds" % s


def reporter(progress: ProgressArg, what: str = "points") -> Callable[[int, int], None]:
    """The callable behind a ``progress`` argument (see the module's doc)."""
    if progress is None or progress is False:
        return lambda done, total: None
    if progress is True:
        return StderrProgress(what)
    if callable(progress):
        return progress
    raise TypeError("progress must be None, a bool or a callable(done, total)")
