"""Content-addressed embedding cache on disk.

One logical entry per (model fingerprint, normalisation, max sequence length, text sha256).
Entries are stored in shards: each shard is an ``.npz`` of plain arrays (``keys``: the
32-byte text digests, ``vectors``: float32) plus a sha256 of both, which is also the
shard's file name. A shard whose content does not match its name (truncated, corrupted)
is deleted and its texts are encoded again; it is never served. Writes go to a temporary
file that is renamed into place, so a crash never leaves a half-written shard.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_VAR = "RECALL_HORIZON_CACHE"
_LAYOUT = "embeddings-v1"
_KEY_BYTES = 32


def default_cache_dir() -> Path:
    """``$RECALL_HORIZON_CACHE``, else the platform's user cache folder + ``recall-horizon``."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "recall-horizon"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "recall-horizon" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "recall-horizon"


@dataclass(frozen=True)
class CacheNamespace:
    """Everything besides the text that changes an embedding."""

    model_fingerprint: str
    normalized: bool
    max_seq_length: int | None
    prompt: str = ""

    def digest(self) -> str:
        key = (
            f"{self.model_fingerprint}|norm={self.normalized}|maxlen={self.max_seq_length}"
            f"|prompt={self.prompt}"
        )
        return hashlib.sha256(key.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Look up and store embeddings by text digest inside a namespace."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.discarded: list[Path] = []  # corrupted shards found and removed, for reporting

    def lookup(
        self, namespace: CacheNamespace, keys: list[bytes]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return (found mask, vectors for all keys with unfound rows zero, or None if none).

        Keys are matched shard by shard as sorted 32-byte strings (a Python loop over every
        key of every shard, for each lookup, was most of a cached comparison's reading); a
        key in several shards takes the first shard's vector, in file-name order."""
        if any(len(key) != _KEY_BYTES for key in keys):
            raise ValueError(f"cache keys are {_KEY_BYTES}-byte digests")
        found = np.zeros(len(keys), dtype=bool)
        wanted = np.frombuffer(b"".join(keys), dtype=f"S{_KEY_BYTES}")
        # searched in sorted order: a binary search that starts where the last one ended
        # (1,000,000 keys in random order took 1.9 s, sorted 0.5 s with the sort)
        wanted_order = np.argsort(wanted)
        wanted_sorted = wanted[wanted_order]
        vectors: np.ndarray | None = None
        for shard in self._shards(namespace):
            if not len(shard.order) or found.all():
                continue
            at = np.empty(len(keys), dtype=np.intp)
            at[wanted_order] = np.searchsorted(shard.sorted_keys, wanted_sorted)
            np.minimum(at, len(shard.order) - 1, out=at)
            rows = np.flatnonzero((shard.sorted_keys[at] == wanted) & ~found)
            if not len(rows):
                continue
            if vectors is None:
                vectors = np.zeros((len(keys), shard.vectors.shape[1]), dtype=np.float32)
            if shard.vectors.shape[1] != vectors.shape[1]:
                continue  # cannot happen within one model; never mix dimensions
            vectors[rows] = shard.vectors[shard.order[at[rows]]]
            found[rows] = True
        return found, vectors

    def store(self, namespace: CacheNamespace, keys: list[bytes], vectors: np.ndarray) -> None:
        """Write one shard holding ``vectors`` for ``keys`` (atomic rename into place)."""
        if not keys:
            return
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), _KEY_BYTES)
        vector_array = np.ascontiguousarray(vectors, dtype=np.float32)
        checksum = _checksum(key_array, vector_array)
        folder = self._folder(namespace)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{checksum}.npz"
        handle, temp_name = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as temp:
                np.savez(temp, keys=key_array, vectors=vector_array)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _folder(self, namespace: CacheNamespace) -> Path:
        return self.root / _LAYOUT / namespace.digest()

    def _shards(self, namespace: CacheNamespace) -> Iterator[_Shard]:
        folder = self._folder(namespace)
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.npz")):
            shard = _read_checked_shard(path)
            if shard is None:
                path.unlink(missing_ok=True)
                self.discarded.append(path)
                continue
            yield shard


@dataclass(frozen=True)
class _Shard:
    """A checked shard, its keys sorted once for every later lookup (a repeated key: its
    first row)."""

    vectors: np.ndarray
    sorted_keys: np.ndarray  # the keys as 32-byte strings, sorted
    order: np.ndarray  # the row of each sorted key

    @classmethod
    def of(cls, keys: np.ndarray, vectors: np.ndarray) -> _Shard:
        held = np.ascontiguousarray(keys).view(f"S{_KEY_BYTES}").ravel()
        order = np.argsort(held, kind="stable")
        shard = cls(vectors, held[order], order)
        for array in (vectors, shard.sorted_keys, order):
            array.setflags(write=False)  # shared by every later lookup
        return shard

    @property
    def nbytes(self) -> int:
        return self.vectors.nbytes + self.sorted_keys.nbytes + self.order.nbytes


# Shards read and checked in this process, kept while their file is unchanged (a shard is
# never rewritten in place: its name is its content's digest). A comparison looks up its
# documents, its queries and any new texts in one namespace, and each lookup read and
# hashed every shard again; shards over a quarter of the budget are never kept.
_CHECKED_BUDGET = 256 * 2**20
_CHECKED: OrderedDict[tuple[str, int, int], _Shard] = OrderedDict()
_CHECKED_LOCK = threading.Lock()


def _read_checked_shard(path: Path) -> _Shard | None:
    """:func:`_read_shard`, sorted, or the shard of an earlier read of the same, unchanged
    file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _CHECKED_LOCK:  # a shared dashboard's workers look up from several threads
        if key in _CHECKED:
            _CHECKED.move_to_end(key)
            return _CHECKED[key]
    arrays = _read_shard(path)
    if arrays is None:
        return None
    shard = _Shard.of(*arrays)
    if shard.nbytes <= _CHECKED_BUDGET // 4:
        with _CHECKED_LOCK:
            _CHECKED[key] = shard
            while sum(kept.nbytes for kept in _CHECKED.values()) > _CHECKED_BUDGET:
                _CHECKED.popitem(last=False)
    return shard


def _read_shard(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The shard's arrays if they are intact and match the checksum in its name, else None."""
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    valid = (
        keys.ndim == 2
        and keys.shape[1] == _KEY_BYTES
        and vectors.ndim == 2
        and len(keys) == len(vectors)
        and _checksum(keys, vectors) == path.stem
    )
    return (keys, vectors) if valid else None


def _checksum(keys: np.ndarray, vectors: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(keys, dtype=np.uint8).tobytes())
    digest.update(str(vectors.shape).encode("ascii"))
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    return digest.hexdigest()
