"""Recall Horizon engine: did fine-tuning an embedding model shrink what retrieval can see?

Importing this package is cheap: heavy libraries (torch, sentence-transformers, umap)
are imported lazily inside the functions that need them.
"""

from __future__ import annotations

__version__ = "0.1.0"
