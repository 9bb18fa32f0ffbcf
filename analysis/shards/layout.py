"""Where a model's document vectors lie when they do not fit one process: shards, each a
contiguous range of the corpus's documents in corpus order.

Two layouts are read: ``embed --ray``'s output folder (``_plan.json`` and
``part-NNNNN.parquet``, the documents first, then the queries) and this package's own
``.npy`` spill (``spill_shards``: any matrix cut into row ranges on disk, read back
memory-mapped, never unpickled). A shard whose rows are not the corpus's documents of its
range is an error naming the shard, as is a missing one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.errors import InputError
from analysis.inputs.corpus import Corpus

PLAN_FILE = "_plan.json"  # embed --ray's


@dataclass(frozen=True)
class DocumentShard:
    """Rows ``start``..``stop`` of the corpus's documents, in ``path`` (one model's).

    ``normalise``: scale the rows to unit length on reading, as the vectors reader does
    (``embed --ray``'s shards hold the model's output as it came)."""

    number: int
    path: str
    start: int
    stop: int
    normalise: bool = False

    @property
    def rows(self) -> int:
        return self.stop - self.start

    def load(self, side: int = 0) -> np.ndarray:
        return load_shard(self)

    def identity(self) -> str:
        """What names this shard's results: its file, size and modification time."""
        stat = os.stat(self.path)
        return f"{self}|{stat.st_size}|{stat.st_mtime_ns}"


@dataclass(frozen=True)
class ShardPair:
    """The same rows of the corpus's documents under both models (side 0: the baseline)."""

    baseline: DocumentShard
    candidate: DocumentShard

    def __post_init__(self) -> None:
        if (self.baseline.start, self.baseline.stop) != (self.candidate.start, self.candidate.stop):
            raise InputError(
                f"shard {self.baseline.path} holds documents {self.baseline.start} to "
                f"{self.baseline.stop - 1} but {self.candidate.path} holds "
                f"{self.candidate.start} to {self.candidate.stop - 1}: the two models' shards "
                "must cut the corpus alike (embed both with the same --shard-rows)"
            )

    @property
    def number(self) -> int:
        return self.baseline.number

    @property
    def start(self) -> int:
        return self.baseline.start

    @property
    def stop(self) -> int:
        return self.baseline.stop

    @property
    def rows(self) -> int:
        return self.baseline.rows

    def load(self, side: int = 0) -> np.ndarray:
        return (self.baseline, self.candidate)[side].load()

    def identity(self) -> str:
        return f"{self.baseline.identity()}|{self.candidate.identity()}"


@dataclass(frozen=True)
class MemoryShard:
    """Rows ``start``..``stop`` of matrices already in this process (one per model): how a
    comparison in one process runs the same passes as one over shards on disk."""

    number: int
    start: int
    stop: int
    matrices: tuple[np.ndarray, ...]

    @property
    def rows(self) -> int:
        return self.stop - self.start

    def load(self, side: int = 0) -> np.ndarray:
        return self.matrices[side][self.start : self.stop]

    def identity(self) -> str:
        raise ValueError("a shard in memory has no results on disk")


Shard = DocumentShard | ShardPair | MemoryShard


def paired(baseline: list[DocumentShard], candidate: list[DocumentShard]) -> list[ShardPair]:
    """Both models' shards of the same rows, side by side (an error where they differ)."""
    if len(baseline) != len(candidate):
        raise InputError(
            f"the baseline's vectors are in {len(baseline)} shards and the candidate's in "
            f"{len(candidate)}: embed both with the same --shard-rows"
        )
    return [ShardPair(b, c) for b, c in zip(baseline, candidate, strict=True)]


def spill_shards(matrix: np.ndarray, folder: Path, rows: int) -> list[DocumentShard]:
    """``matrix`` (documents x dimensions) written as ``.npy`` shards of ``rows`` rows."""
    if rows < 1:
        raise InputError(f"shard rows must be at least 1, got {rows}")
    folder.mkdir(parents=True, exist_ok=True)
    shards = []
    for number, start in enumerate(range(0, len(matrix), rows)):
        stop = min(start + rows, len(matrix))
        path = folder / f"docs-{number:05d}.npy"
        np.save(path, np.ascontiguousarray(matrix[start:stop], dtype=np.float32))
        shards.append(DocumentShard(number, str(path), start, stop))
    return shards


def ray_embed_shards(folder: Path, corpus: Corpus) -> list[DocumentShard]:
    """The document shards of an ``embed --ray`` output, checked against its plan and the
    corpus (the same corpus fingerprint; every shard present)."""
    plan_path = folder / PLAN_FILE
    try:
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{plan_path}: not an embed --ray output ({err})") from None
    if plan.get("corpus") != corpus.fingerprint:
        raise InputError(f"{folder}: its shards were encoded from another corpus")
    rows = int(plan["shard_rows"])
    shards = []
    for number, start in enumerate(range(0, corpus.n_docs, rows)):
        path = folder / f"part-{number:05d}.parquet"
        if not path.is_file():
            raise InputError(
                f"{folder}: shard {path.name} is missing (rerun embed --ray to finish it)"
            )
        stop = min(start + rows, corpus.n_docs)
        shards.append(DocumentShard(number, str(path), start, stop, normalise=True))
    return shards


def load_shard(shard: DocumentShard, doc_ids: tuple[str, ...] | None = None) -> np.ndarray:
    """The shard's vectors (float32, rows in corpus order); ``doc_ids``: the corpus's ids of
    its range, checked against a Parquet shard's own."""
    path = Path(shard.path)
    if path.suffix == ".npy":
        try:
            matrix = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as err:
            raise InputError(f"shard {path}: unreadable ({err})") from None
    else:
        matrix = _parquet_shard(path, doc_ids)
    if matrix.ndim != 2 or len(matrix) != shard.rows:
        raise InputError(
            f"shard {path}: {matrix.shape[0] if matrix.ndim else 0} rows where the plan has "
            f"{shard.rows} (documents {shard.start} to {shard.stop - 1})"
        )
    if not shard.normalise:
        return np.asarray(matrix, dtype=np.float32)
    from analysis.inputs.vectors import normalise_in_place

    unit = np.array(matrix, dtype=np.float32)  # a copy: a memory-mapped file stays as it is
    normalise_in_place(unit)
    return unit


def _parquet_shard(path: Path, doc_ids: tuple[str, ...] | None) -> np.ndarray:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=["id", "embedding"])
    except (OSError, ValueError, KeyError) as err:
        raise InputError(f"shard {path}: unreadable ({err})") from None
    ids = table.column("id").to_pylist()
    if doc_ids is not None and ids != list(doc_ids):
        wrong = next(i for i, (a, b) in enumerate(zip(ids, doc_ids, strict=False)) if a != b)
        raise InputError(
            f"shard {path}: row {wrong} is {ids[wrong]!r} where the corpus has "
            f"{doc_ids[wrong]!r}: not this corpus's documents in order"
        )
    column = table.column("embedding").combine_chunks()
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return np.asarray(flat, dtype=np.float32).reshape(len(column), -1)
