"""sha256 fingerprints of files, folders and texts: what identifies content, not names."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def files_sha256(root: Path, files: Iterable[Path]) -> str:
    """One digest over the relative names and contents of ``files`` under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii"))
    return digest.hexdigest()


def text_digests(texts: Iterable[str]) -> list[bytes]:
    """The 32-byte sha256 of each text (the embedding cache's per-text key)."""
    return [hashlib.sha256(text.encode("utf-8")).digest() for text in texts]
