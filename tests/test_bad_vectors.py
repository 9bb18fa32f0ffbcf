"""Bad-input catalogue: precomputed vectors and model specs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.inputs.vectors import write_vector_table
from tests.badinput import Case, compare, corpus, run_case, summary_of, vector_ids, vectors


def _with(candidate: object) -> object:
    """compare with the candidate that ``candidate(root)`` builds (a spec string)."""

    def setup(root: Path) -> list[str]:
        corpus(root)
        return compare(root, candidate=candidate(root))  # type: ignore[operator]

    return setup


def _frame(root: Path, frame: pd.DataFrame, name: str = "bad.parquet") -> str:
    frame.to_parquet(root / name)
    return f"vectors:{root / name}"


def _matrix(change: object) -> object:
    def build(root: Path) -> str:
        matrix = np.random.default_rng(1).normal(size=(len(vector_ids()), 8))
        change(matrix)  # type: ignore[operator]
        return vectors(root, "cand", matrix=matrix)

    return build


def _set(row: int, value: float) -> object:
    def change(matrix: np.ndarray) -> None:
        matrix[row, 0] = value

    return change


def _float64_overflow(root: Path) -> str:
    ids = vector_ids()
    rows = [[1e39] + [0.0] * 7] + [[1.0] * 8] * (len(ids) - 1)
    return _frame(root, pd.DataFrame({"id": ids, "embedding": rows}))


def _string_embedding(root: Path) -> str:
    ids = vector_ids()
    return _frame(root, pd.DataFrame({"id": ids, "embedding": [["a", "b"]] * len(ids)}))


def _ragged(root: Path) -> str:
    ids = vector_ids()
    rows = [[1.0] * 8] * (len(ids) - 1) + [[1.0] * 3]
    return _frame(root, pd.DataFrame({"id": ids, "embedding": rows}))


def _duplicate_id(root: Path) -> str:
    ids = vector_ids()
    ids[1] = ids[0]
    return _frame(root, pd.DataFrame({"id": ids, "embedding": [[1.0] * 8] * len(ids)}))


def _missing_id(root: Path) -> str:
    ids = vector_ids()[1:]
    return _frame(root, pd.DataFrame({"id": ids, "embedding": [[1.0] * 8] * len(ids)}))


def _no_embedding_column(root: Path) -> str:
    return _frame(root, pd.DataFrame({"id": vector_ids()}))


def _npy_without_ids(root: Path) -> str:
    np.save(root / "v.npy", np.ones((len(vector_ids()), 8), np.float32))
    return f"vectors:{root / 'v.npy'}"


def _npy_of_objects(root: Path) -> str:
    np.save(root / "v.npy", np.array([{"a": 1}] * 3, dtype=object), allow_pickle=True)
    (root / "v.ids.txt").write_text("a\nb\nc\n")
    return f"vectors:{root / 'v.npy'}"


def _shards(root: Path, parts: list[tuple[list[str], int]]) -> str:
    """A folder of Parquet shards: each part is (ids, dimension)."""
    folder = root / "shards"
    for number, (ids, dimension) in enumerate(parts):
        matrix = np.random.default_rng(number).normal(size=(len(ids), dimension))
        write_vector_table(folder / f"part-{number:05d}.parquet", ids, matrix)
    return f"vectors:{folder}/"


def _empty_folder(root: Path) -> str:
    (root / "shards").mkdir()
    (root / "shards" / "notes.txt").write_text("no vectors here")
    return f"vectors:{root / 'shards'}"


def _model_folder_without_config(root: Path) -> str:
    (root / "model").mkdir()
    (root / "model" / "weights.bin").write_bytes(b"x")
    return str(root / "model")


def _scaled_copy(root: Path) -> list[str]:
    """The candidate is the baseline times 1e30: finite in float32, the same directions."""
    corpus(root)
    matrix = np.random.default_rng(4).normal(size=(len(vector_ids()), 8))
    return compare(
        root,
        baseline=vectors(root, "base", matrix=matrix),
        candidate=vectors(root, "cand", matrix=matrix * 1e30),
    )


def _same_answers(summary: dict) -> None:
    overall = summary["overall"]
    assert overall["overlap_jaccard"] == 1.0 and overall["neighbourhood_jaccard"] == 1.0


CASES = [
    Case(
        "vectors file missing",
        _with(lambda r: f"vectors:{r / 'none.parquet'}"),
        2,
        ("vectors file not found",),
    ),
    Case(
        "vectors file type",
        _with(lambda r: (r / "v.csv").write_text("x") and f"vectors:{r / 'v.csv'}"),
        2,
        ("must be a .parquet file, a .npy file or a folder",),
    ),
    Case("no embedding column", _with(_no_embedding_column), 2, ("missing column(s) 'embedding'",)),
    Case("a document without a vector", _with(_missing_id), 2, ("no vector for 1 document id",)),
    Case("NaN in a vector", _with(_matrix(_set(0, np.nan))), 2, ("NaN or infinite",)),
    Case("a value beyond float32", _with(_float64_overflow), 2, ("beyond float32's range",)),
    Case(
        "embedding cells are strings", _with(_string_embedding), 2, ("must hold lists of numbers",)
    ),
    Case("vectors of two dimensions", _with(_ragged), 2, ("has 3 values where row 1 has 8",)),
    Case("duplicate vector id", _with(_duplicate_id), 2, ("duplicate id",)),
    Case(".npy without its ids file", _with(_npy_without_ids), 2, ("ids file",)),
    Case(".npy of Python objects", _with(_npy_of_objects), 2, ("not a plain numeric .npy",)),
    Case(
        "all-zero candidate vectors",
        _with(_matrix(lambda m: m.fill(0.0))),
        0,
        ("candidate", "are all zero", "Is the export broken?"),
    ),
    Case(
        "vectors scaled by 1e30",
        _scaled_copy,
        0,
        (),
        verify=lambda root: _same_answers(summary_of(root)),
    ),
    Case("a folder with no shards", _with(_empty_folder), 2, ("folder holds no .parquet vector",)),
    Case(
        "an id in two shards",
        _with(lambda r: _shards(r, [(vector_ids(), 8), (vector_ids()[:1], 8)])),
        2,
        ("part-00001.parquet: duplicate id", "rows 1 of part-00000.parquet and 1"),
    ),
    Case(
        "shards of two dimensions",
        _with(lambda r: _shards(r, [(vector_ids()[:3], 8), (vector_ids()[3:], 6)])),
        2,
        ("part-00001.parquet: vectors have 6 dimensions where part-00000.parquet has 8",),
    ),
    Case("empty model spec", _with(lambda r: " "), 2, ("empty model spec",)),
    Case(
        "model folder missing", _with(lambda r: "./no/such/model"), 2, ("model folder not found",)
    ),
    Case(
        "folder that is not a model",
        _with(_model_folder_without_config),
        2,
        ("not a sentence-transformers model folder",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_vectors(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(case, tmp_path, capsys)
