"""LatentDB's Python client (standard library and numpy; Pillow optional).

    from latentdb import Client, LatentDBError, filters as F
    db = Client("http://127.0.0.1:8080")
    kv = db.word_model("english")          # gensim KeyedVectors-like lookups

Modules: ``client`` (Client), ``transport`` (HTTP), ``errors`` (LatentDBError), ``collections``,
``points``, ``search``, ``filters``, ``images`` (images and texts), ``latent`` (latent-space
routes), ``words`` (WordModel), ``media`` (image encoding/decoding), ``progress``, ``records``.
"""

from . import filters
from .client import Client
from .errors import LatentDBError
from .latent import Anomaly, Edit, EditStep, LatentImage, Map, Reconstruction, Samples
from .media import DecodedImage
from .records import Record, ScoredPoint
from .search import AnalogyResult, search_request
from .words import WordModel

__version__ = "0.1.0"

__all__ = [
    "Client", "LatentDBError", "WordModel", "Record", "ScoredPoint", "DecodedImage", "AnalogyResult",
    "LatentImage", "Samples", "Reconstruction", "Anomaly", "Map", "Edit", "EditStep", "filters",
    "search_request", "__version__",
]
