"""Precomputed vectors (``vectors:PATH``): compare models sentence-transformers cannot load.

Two file layouts, both keyed by document and query ids:

* Parquet with columns ``id`` and ``embedding`` (a list or fixed-size list of floats per row);
* ``NAME.npy`` (a 2-D float array, read without pickle) plus ``NAME.ids.txt``, one id per line,
  in the same row order.

When a query id is also a document id and the two need different vectors, give the query's
row the id ``query:<id>``; it is preferred for queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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


class PrecomputedVectors:
    """An embedding source that reads vectors by id from a file; nothing is encoded."""

    def __init__(self, spec: str, path: Path) -> None:
        self.spec = spec
        self.path = path.expanduser()
        if not self.path.is_file():
            raise InputError(f"{self.path}: vectors file not found")
        if self.path.suffix.lower() not in (".parquet", ".npy"):
            raise InputError(f"{self.path}: vectors must be a .parquet file or a .npy file")
        if self.path.suffix.lower() == ".npy" and not self.ids_path.is_file():
            raise InputError(
                f"{self.path}: the ids file {self.ids_path.name} (one id per row) is missing"
            )
        self._ids: dict[str, int] | None = None
        self._matrix: np.ndarray | None = None
        self._fingerprint: str | None = None

    @property
    def ids_path(self) -> Path:
        return self.path.with_suffix(".ids.txt")

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
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
        index, matrix = self._load()
        rows, missing = [], []
        for item_id in ids:
            row = index.get(QUERY_PREFIX + item_id) if role == "query" else None
            row = index.get(item_id) if row is None else row
            if row is None:
                missing.append(item_id)
            rows.append(row if row is not None else 0)
        if missing:
            examples = ", ".join(repr(m) for m in missing[:_EXAMPLES])
            raise InputError(
                f"{self.path}: no vector for {len(missing)} {role} id(s) of the corpus "
                f"(e.g. {examples}); the file must cover every document and query"
            )
        if progress:
            progress(len(ids))
        return np.asarray(matrix[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def _load(self) -> tuple[dict[str, int], np.ndarray]:
        if self._ids is None or self._matrix is None:
            if self.path.suffix.lower() == ".npy":
                ids, matrix = _read_npy(self.path, self.ids_path)
            else:
                ids, matrix = _read_parquet(self.path)
            self._ids = _index_ids(self.path, ids)
            self._matrix = _check_matrix(self.path, matrix, ids)
        return self._ids, self._matrix


def _read_npy(path: Path, ids_path: Path) -> tuple[list[str], np.ndarray]:
    try:
        matrix = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise InputError(f"{path}: not a plain numeric .npy array ({err})") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read .npy file ({err})") from None
    if not ids_path.is_file():
        raise InputError(f"{path}: the ids file {ids_path.name} (one id per row) is missing")
    ids = [line.strip() for line in lines(read_text(ids_path))]
    if ids and ids[-1] == "":
        ids.pop()
    if matrix.ndim != 2:
        raise InputError(f"{path}: expected a 2-D array (rows x dimensions), got {matrix.ndim}-D")
    if len(ids) != len(matrix):
        raise InputError(
            f"{ids_path}: {len(ids)} ids for {len(matrix)} vector rows in {path.name}; "
            "they must match one to one"
        )
    return ids, matrix


def _read_parquet(path: Path) -> tuple[list[str], np.ndarray]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:
        raise InputError(f"{path}: cannot read as Parquet ({err})") from None
    missing = [c for c in ("id", "embedding") if c not in table.column_names]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))} "
            f"(found: {', '.join(table.column_names)})"
        )
    column = table.column("embedding").combine_chunks()
    if not pa.types.is_list(column.type) and not pa.types.is_fixed_size_list(column.type):
        raise InputError(f"{path}: column 'embedding' must hold a list of numbers per row")
    inner = column.type.value_type
    if not (pa.types.is_integer(inner) or pa.types.is_floating(inner)):
        raise InputError(
            f"{path}: column 'embedding' must hold lists of numbers, but its values are {inner}"
        )
    ids = [str(v) for v in table.column("id").to_pylist()]
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False).astype(float)
    if np.isnan(lengths).any():
        bad = int(np.flatnonzero(np.isnan(lengths))[0])
        raise InputError(f"{path}, row {bad + 1} (id '{ids[bad]}'): embedding is missing (null)")
    if len(lengths) and lengths.min() != lengths.max():
        bad = int(np.flatnonzero(lengths != lengths[0])[0])
        raise InputError(
            f"{path}, row {bad + 1} (id '{ids[bad]}'): embedding has {int(lengths[bad])} values "
            f"where row 1 has {int(lengths[0])}; all vectors need one dimension"
        )
    dimension = int(lengths[0]) if len(lengths) else 0
    values = column.flatten().to_numpy(zero_copy_only=False)
    return ids, np.asarray(values, dtype=np.float64).reshape(len(ids), dimension)


def _index_ids(path: Path, ids: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for row, item_id in enumerate(ids):
        if item_id in index:
            raise InputError(
                f"{path}: duplicate id '{item_id}' at rows {index[item_id] + 1} and {row + 1}"
            )
        index[item_id] = row
    return index


def _check_matrix(path: Path, matrix: np.ndarray, ids: list[str]) -> np.ndarray:
    if not np.issubdtype(matrix.dtype, np.number):
        raise InputError(f"{path}: vectors must be numbers, got dtype {matrix.dtype}")
    if matrix.shape[1] == 0:
        raise InputError(f"{path}: vectors have zero dimensions")
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise InputError(
            f"{path}, row {bad + 1} (id '{ids[bad]}'): vector holds NaN or infinite values "
            f"({int((~finite).sum())} row(s) affected)"
        )
    with np.errstate(over="ignore"):
        single = np.asarray(matrix, dtype=np.float32)
    overflow = ~np.isfinite(single).all(axis=1)
    if overflow.any():
        bad = int(np.flatnonzero(overflow)[0])
        raise InputError(
            f"{path}, row {bad + 1} (id '{ids[bad]}'): values beyond float32's range "
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
