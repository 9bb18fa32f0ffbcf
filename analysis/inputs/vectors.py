"""Precomputed vectors (``vectors:PATH``): compare models sentence-transformers cannot load.

Three layouts, all keyed by document and query ids:

* Parquet with columns ``id`` and ``embedding`` (a list or fixed-size list of floats per row);
* a folder of such Parquet files (shards, read in name order: ``embed --ray`` writes one,
  and vector stores export one);
* ``NAME.npy`` (a 2-D float array, read without pickle) plus ``NAME.ids.txt``, one id per line,
  in the same row order.

When a query id is also a document id and the two need different vectors, give the query's
row the id ``query:<id>``; it is preferred for queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.fingerprint import file_sha256
from analysis.inputs.readers import lines, read_text
from analysis.inputs.source import ProgressFn, Role

if TYPE_CHECKING:
    from analysis.inputs.corpus import Corpus
    from analysis.inputs.embed import CorpusEmbeddings

QUERY_PREFIX = "query:"
_EXAMPLES = 5
_BATCH_ROWS = 65_536  # rows read at a time: 96 MiB of float32 at 384 dimensions


class PrecomputedVectors:
    """An embedding source that reads vectors by id from a file or a folder of Parquet shards.

    Nothing is encoded, and nothing is held beyond what is asked for: the ids are indexed
    first, then the vectors are streamed batch by batch (``.npy`` memory-mapped) straight
    into the rows requested, so a million-row file costs its requested float32 rows plus
    one batch, never a second copy of the file.
    """

    def __init__(self, spec: str, path: Path) -> None:
        self.spec = spec
        self.path = path.expanduser()
        self.files = _vector_files(self.path)
        self._index: dict[str, tuple[int, int]] | None = None
        self._shard_ids: list[list[str]] = []
        self._fingerprint: str | None = None
        self._used: set[tuple[int, int]] = set()  # (shard, row) of every vector read

    @property
    def rows_ignored(self) -> int:
        """Rows of the file whose ids no document or query read so far (a vector store's
        export may hold more than the corpus: said, never dropped in silence)."""
        return len(self._ids()) - len(self._used) if self._used else 0

    @property
    def ids_path(self) -> Path:
        return self.path.with_suffix(".ids.txt")

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            if self.path.is_dir():
                digest = hashlib.sha256()
                for shard in self.files:
                    digest.update(f"{shard.name}\0{file_sha256(shard)}\n".encode())
                self._fingerprint = "vectors-dir-" + digest.hexdigest()
            else:
                parts = [file_sha256(self.path)]
                if self.path.suffix.lower() == ".npy":
                    parts.append(file_sha256(self.ids_path))
                self._fingerprint = "vectors-" + "-".join(parts)
        return self._fingerprint

    def cache_namespace(self, role: Role) -> None:
        return None

    def embed(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        *,
        role: Role,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        index = self._ids()
        located, missing = [], []
        for item_id in ids:
            where = index.get(QUERY_PREFIX + item_id) if role == "query" else None
            where = index.get(item_id) if where is None else where
            if where is None:
                missing.append(item_id)
            located.append(where or (0, 0))
        if missing:
            examples = ", ".join(repr(m) for m in missing[:_EXAMPLES])
            raise InputError(
                f"{self.path}: no vector for {len(missing)} {role} id(s) of the corpus "
                f"(e.g. {examples}); the file must cover every document and query"
            )
        if role == "document":  # a corpus reads its documents first: its own count starts
            self._used = set()
        self._used.update(located)
        shard_of = np.fromiter((f for f, _ in located), dtype=np.int64, count=len(located))
        row_of = np.fromiter((r for _, r in located), dtype=np.int64, count=len(located))
        out: np.ndarray | None = None
        for number, shard in enumerate(self.files):
            wanted = np.flatnonzero(shard_of == number)
            if len(wanted) == 0:
                continue
            reader = _read_npy_rows if shard.suffix.lower() == ".npy" else _read_parquet_rows
            for targets, block in reader(shard, self._shard_ids[number], row_of[wanted], wanted):
                if out is None:
                    out = np.zeros((len(ids), block.shape[1]), dtype=np.float32)
                elif block.shape[1] != out.shape[1]:
                    raise InputError(
                        f"{shard}: vectors have {block.shape[1]} dimensions where "
                        f"{self.files[0].name} has {out.shape[1]}; all vectors need one dimension"
                    )
                out[targets] = block
                if progress:
                    progress(len(targets))
        if out is None:
            return np.zeros((0, 0), dtype=np.float32)
        normalise_in_place(out)
        return out

    def _ids(self) -> dict[str, tuple[int, int]]:
        """Every id -> (shard number, row in the shard); duplicates named with both places."""
        if self._index is None:
            index: dict[str, tuple[int, int]] = {}
            self._shard_ids = []
            for number, shard in enumerate(self.files):
                shard_ids = _read_ids(shard)
                for row, item_id in enumerate(shard_ids):
                    if item_id in index:
                        first, first_row = index[item_id]
                        where = "" if first == number else f" of {self.files[first].name}"
                        raise InputError(
                            f"{shard}: duplicate id '{item_id}' at rows {first_row + 1}{where} "
                            f"and {row + 1}"
                        )
                    index[item_id] = (number, row)
                self._shard_ids.append(shard_ids)
            self._index = index
        return self._index


def normalise_in_place(matrix: np.ndarray) -> None:
    """Unit rows, block by block, in the array itself: every measure here is a cosine, and
    normalised vectors spare each later step a 1.5 GiB copy per model at a million rows.
    Zero rows stay zero; rows whose squared norm overflows float32 are left for
    :func:`analysis.retrieval.unit_rows`, which rescales them first."""
    for start in range(0, len(matrix), _BATCH_ROWS):
        block = matrix[start : start + _BATCH_ROWS]
        with np.errstate(over="ignore"):
            norms = np.sqrt(np.einsum("ij,ij->i", block, block))[:, None]
        np.divide(block, norms, out=block, where=(norms > 0) & np.isfinite(norms))


def _vector_files(path: Path) -> list[Path]:
    """The file, or a folder's Parquet shards in name order (hidden and partial files left out)."""
    if path.is_dir():
        shards = sorted(
            p for p in path.glob("*.parquet") if p.is_file() and not p.name.startswith((".", "_"))
        )
        if not shards:
            raise InputError(f"{path}: folder holds no .parquet vector shards")
        return shards
    if not path.is_file():
        raise InputError(f"{path}: vectors file not found")
    if path.suffix.lower() not in (".parquet", ".npy"):
        raise InputError(
            f"{path}: vectors must be a .parquet file, a .npy file or a folder of .parquet shards"
        )
    if path.suffix.lower() == ".npy" and not path.with_suffix(".ids.txt").is_file():
        raise InputError(
            f"{path}: the ids file {path.with_suffix('.ids.txt').name} (one id per row) is missing"
        )
    return [path]


def _read_ids(path: Path) -> list[str]:
    if path.suffix.lower() == ".npy":
        ids = [line.strip() for line in lines(read_text(path.with_suffix(".ids.txt")))]
        if ids and ids[-1] == "":
            ids.pop()
        rows = len(_open_npy(path))
        if len(ids) != rows:
            raise InputError(
                f"{path.with_suffix('.ids.txt')}: {len(ids)} ids for {rows} vector rows in "
                f"{path.name}; they must match one to one"
            )
        return ids
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as err:
        raise InputError(f"{path}: cannot read as Parquet ({err})") from None
    missing = [c for c in ("id", "embedding") if c not in schema.names]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))} "
            f"(found: {', '.join(schema.names)})"
        )
    return [str(v) for v in pq.read_table(path, columns=["id"]).column("id").to_pylist()]


def _open_npy(path: Path) -> np.ndarray:
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        raise InputError(f"{path}: not a plain numeric .npy array ({err})") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read .npy file ({err})") from None
    if matrix.ndim != 2:
        raise InputError(f"{path}: expected a 2-D array (rows x dimensions), got {matrix.ndim}-D")
    if not np.issubdtype(matrix.dtype, np.number):
        raise InputError(f"{path}: vectors must be numbers, got dtype {matrix.dtype}")
    return matrix


def _read_npy_rows(
    path: Path, ids: list[str], rows: np.ndarray, targets: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The requested rows of a memory-mapped .npy, a bounded block at a time."""
    matrix = _open_npy(path)
    for start in range(0, len(rows), _BATCH_ROWS):
        block_rows = rows[start : start + _BATCH_ROWS]
        block = _checked(path, np.asarray(matrix[block_rows]), block_rows, ids)
        yield targets[start : start + _BATCH_ROWS], block


def _read_parquet_rows(
    path: Path, ids: list[str], rows: np.ndarray, targets: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stream the embedding column batch by batch; yield the requested rows of each batch."""
    import pyarrow.parquet as pq

    order = np.argsort(rows, kind="stable")
    rows, targets = rows[order], targets[order]
    offset = 0
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS, columns=["embedding"])
        for batch in batches:
            size = batch.num_rows
            lo, hi = np.searchsorted(rows, [offset, offset + size])
            if hi > lo:  # a batch the corpus takes nothing from is not even converted
                matrix = _batch_matrix(path, batch.column(0), ids, offset)
                local = rows[lo:hi] - offset
                yield targets[lo:hi], _checked(path, matrix[local], rows[lo:hi], ids)
            offset += size
    except InputError:
        raise
    except Exception as err:
        raise InputError(f"{path}: cannot read as Parquet ({err})") from None


def _batch_matrix(path: Path, column: Any, ids: list[str], offset: int) -> np.ndarray:
    """One batch's embedding cells as a (rows, dimension) array, each cell checked."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_list(column.type) and not pa.types.is_fixed_size_list(column.type):
        raise InputError(f"{path}: column 'embedding' must hold a list of numbers per row")
    inner = column.type.value_type
    if not (pa.types.is_integer(inner) or pa.types.is_floating(inner)):
        raise InputError(
            f"{path}: column 'embedding' must hold lists of numbers, but its values are {inner}"
        )
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False).astype(float)
    if np.isnan(lengths).any():
        bad = int(np.flatnonzero(np.isnan(lengths))[0])
        raise InputError(
            f"{path}, row {offset + bad + 1} (id '{ids[offset + bad]}'): "
            "embedding is missing (null)"
        )
    if len(lengths) and lengths.min() != lengths.max():
        bad = int(np.flatnonzero(lengths != lengths[0])[0])
        raise InputError(
            f"{path}, row {offset + bad + 1} (id '{ids[offset + bad]}'): embedding has "
            f"{int(lengths[bad])} values where row {offset + 1} has {int(lengths[0])}; all "
            "vectors need one dimension"
        )
    dimension = int(lengths[0]) if len(lengths) else 0
    values = column.flatten().to_numpy(zero_copy_only=False)
    return values.reshape(len(lengths), dimension)


def _checked(path: Path, block: np.ndarray, rows: np.ndarray, ids: list[str]) -> np.ndarray:
    """Finite values that fit float32, as float32; the first bad row named by number and id."""
    if block.shape[1] == 0:
        raise InputError(f"{path}: vectors have zero dimensions")
    finite = np.isfinite(block).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise InputError(
            f"{path}, row {rows[bad] + 1} (id '{ids[rows[bad]]}'): vector holds NaN or infinite "
            f"values ({int((~finite).sum())} row(s) affected)"
        )
    with np.errstate(over="ignore"):
        single = np.asarray(block, dtype=np.float32)
    overflow = ~np.isfinite(single).all(axis=1)
    if overflow.any():
        bad = int(np.flatnonzero(overflow)[0])
        raise InputError(
            f"{path}, row {rows[bad] + 1} (id '{ids[rows[bad]]}'): values beyond float32's range "
            f"(±3.4e38), where vectors are compared ({int(overflow.sum())} row(s) affected)"
        )
    return single


def write_vector_table(path: Path, ids: Sequence[str], matrix: np.ndarray) -> None:
    """A ``vectors:PATH`` Parquet file: ``id`` and a fixed-size float32 ``embedding`` per row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    values = pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), matrix.shape[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": list(ids), "embedding": values}), path)


def write_vectors(path: Path, corpus: Corpus, embeddings: CorpusEmbeddings) -> None:
    """One model's vectors of a corpus: documents by id, queries as ``query:<id>``."""
    ids = list(corpus.doc_ids) + [QUERY_PREFIX + q for q in corpus.query_ids]
    write_vector_table(path, ids, np.vstack([embeddings.documents, embeddings.queries]))
