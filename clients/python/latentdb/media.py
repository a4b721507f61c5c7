"""Images in and out, with only the standard library and numpy (Pillow used when present).

Inputs (:func:`image_bytes`): encoded bytes (PNG, JPEG, BMP, GIF), a file path, a PIL image, or a
numpy ``uint8`` array of shape ``(H, W)`` (gray), ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA),
which is written as PNG here (zlib, no Pillow needed).

Outputs: :class:`DecodedImage` — the PNG bytes the server decoded, its size, and conversions to
a PIL image (Pillow imported only then) or to a numpy array (Pillow when present, else the small
PNG reader below, which reads the 8-bit non-interlaced PNGs the server writes).
"""

import base64
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def content_type_of(data: bytes) -> str:
    """The image type named by the first bytes; ``image/png`` when unknown (the server then
    answers 415 or 400 naming the problem)."""
    for magic, ctype in _MAGIC:
        if data.startswith(magic):
            return ctype
    return "image/png"


def image_bytes(image: Any) -> bytes:
    """An image argument as encoded bytes (see the module's doc for what is accepted).

    Raises TypeError for anything else, ValueError for an array of another shape or dtype,
    OSError when a path cannot be read.
    """
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as f:
            return f.read()
    if isinstance(image, np.ndarray):
        return encode_png(image)
    if hasattr(image, "save") and hasattr(image, "mode"):  # a PIL image, without importing Pillow
        import io
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()
    raise TypeError("an image is bytes, a path, a PIL image or a uint8 numpy array, not %s" % type(image).__name__)


def image_base64(image: Any) -> str:
    """An image argument as base64 text for JSON bodies."""
    return base64.b64encode(image_bytes(image)).decode("ascii")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(pixels: np.ndarray) -> bytes:
    """A ``uint8`` array ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` as PNG bytes."""
    a = np.asarray(pixels)
    if a.dtype != np.uint8:
        raise ValueError("image arrays must be uint8 (0…255), not %s" % a.dtype)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 2:
        color, channels = 0, 1
    elif a.ndim == 3 and a.shape[2] in (3, 4):
        color, channels = (2 if a.shape[2] == 3 else 6), a.shape[2]
    else:
        raise ValueError("image arrays are (H, W), (H, W, 3) or (H, W, 4), not %s" % (a.shape,))
    h, w = a.shape[0], a.shape[1]
    if h == 0 or w == 0:
        raise ValueError("an image needs at least one pixel")
    rows = np.ascontiguousarray(a).reshape(h, w * channels)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()  # filter 0 per row
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes -> ``uint8`` array ``(H, W)`` or ``(H, W, C)``: 8-bit depth, not interlaced,
    color types gray, gray+alpha, RGB, RGBA (what the server writes). ValueError otherwise."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    w, h, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError("only 8-bit, non-interlaced gray/RGB(A) PNGs are read without Pillow")
    raw = zlib.decompress(b"".join(idat))
    stride = w * channels
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = line.copy()
            for x in range(stride):
                left = int(cur[x - channels]) if x >= channels else 0
                up = int(prev[x])
                if f == 1:
                    pred = left
                elif f == 3:
                    pred = (left + up) >> 1
                elif f == 4:
                    pred = _paeth(left, up, int(prev[x - channels]) if x >= channels else 0)
                else:
                    raise ValueError("bad PNG filter %d" % f)
                cur[x] = (cur[x] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out.reshape(h, w) if channels == 1 else out.reshape(h, w, channels)


@dataclass(frozen=True)
class DecodedImage:
    """An image the server decoded from a latent: ``png`` (bytes), ``width``, ``height``,
    ``channels`` (1 gray, 3 RGB). Pixels follow the model's training images (Fashion-MNIST: 28x28
    gray, 0 = black)."""

    png: bytes
    width: int = 0
    height: int = 0
    channels: int = 0

    @classmethod
    def from_json(cls, j: dict) -> "DecodedImage":
        """From an answer's ``image`` (base64 PNG), ``width``, ``height``, ``channels``."""
        return cls(base64.b64decode(j["image"]), int(j.get("width", 0)), int(j.get("height", 0)),
                   int(j.get("channels", 0)))

    @classmethod
    def from_png(cls, png: bytes) -> "DecodedImage":
        """From raw PNG bytes (its size read from the PNG header)."""
        w = h = c = 0
        if png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) >= 26:
            w, h, _, color = struct.unpack(">IIBB", png[16:26])
            c = {0: 1, 2: 3, 4: 2, 6: 4}.get(color, 0)
        return cls(png, w, h, c)

    def to_pil(self) -> Any:
        """A ``PIL.Image.Image`` (loaded). ImportError naming the package when Pillow is missing."""
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("DecodedImage.to_pil needs Pillow (pip install Pillow, or Debian's python3-pil); "
                              "DecodedImage.png holds the PNG bytes and to_numpy() the pixels without it") from None
        import io
        img = Image.open(io.BytesIO(self.png))
        img.load()
        return img

    def to_numpy(self) -> np.ndarray:
        """The pixels as ``uint8``: ``(H, W)`` for gray, ``(H, W, C)`` otherwise."""
        try:
            return np.asarray(self.to_pil())
        except ImportError:
            return decode_png(self.png)

    def save(self, path: str) -> None:
        """Writes the PNG bytes to ``path``."""
        with open(path, "wb") as f:
            f.write(self.png)

    @property
    def size(self) -> Tuple[int, int]:
        """``(width, height)`` as PIL names it."""
        return (self.width, self.height)


def decoded_or_none(j: Optional[dict]) -> Optional[DecodedImage]:
    return DecodedImage.from_json(j) if j and j.get("image") else None
