"""Product embeddings for similar-item search: a pretrained encoder's pooled features of the
product cut out onto neutral grey (serving chain: onnxruntime only, no torch)."""

from skucut.embed.embedcfg import EMBED_METADATA_KEY, EmbedCfg
from skucut.embed.embedder import DEFAULT_EMBEDDER, Embedder, load_embedder
from skucut.embed.index import nearest, read_index, write_index
from skucut.embed.recall import recall_at_k
from skucut.embed.views import photo_view, product_view, view_for

__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBED_METADATA_KEY",
    "EmbedCfg",
    "Embedder",
    "load_embedder",
    "nearest",
    "photo_view",
    "product_view",
    "read_index",
    "recall_at_k",
    "view_for",
    "write_index",
]
