"""vectors:DIR/ — a folder of Parquet shards reads exactly like one file, a batch at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import InputError
from analysis.inputs import vectors as vectors_module
from analysis.inputs.vectors import PrecomputedVectors, write_vector_table


def _split(folder: Path, ids: list[str], matrix: np.ndarray, cuts: list[int]) -> None:
    bounds = [0, *cuts, len(ids)]
    for number, (start, stop) in enumerate(zip(bounds, bounds[1:], strict=False)):
        write_vector_table(
            folder / f"part-{number:05d}.parquet", ids[start:stop], matrix[start:stop]
        )


def test_a_folder_of_shards_reads_like_the_single_file(tmp_path, monkeypatch):
    monkeypatch.setattr(vectors_module, "_BATCH_ROWS", 7)  # many batches per shard
    rng = np.random.default_rng(0)
    ids = [f"d{i}" for i in range(100)] + ["query:q0", "query:q1"]
    matrix = rng.normal(size=(len(ids), 5)).astype(np.float32)
    write_vector_table(tmp_path / "one.parquet", ids, matrix)
    _split(tmp_path / "shards", ids, matrix, [30, 31, 80])
    (tmp_path / "shards" / "_SUCCESS").write_text("")  # what Spark-like writers leave
    wanted = [f"d{i}" for i in (99, 0, 45, 30, 31)]
    single = PrecomputedVectors("s", tmp_path / "one.parquet")
    sharded = PrecomputedVectors("f", tmp_path / "shards")
    for role, asked in (("document", wanted), ("query", ["q1", "q0"])):
        a = single.embed(asked, [""] * len(asked), role=role)
        b = sharded.embed(asked, [""] * len(asked), role=role)
        np.testing.assert_array_equal(a, b)
    expected = matrix[[99, 0, 45, 30, 31]]
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    got = sharded.embed(wanted, [""] * 5, role="document")
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # rows in the order asked, unit length


def test_a_folder_fingerprint_follows_its_content(tmp_path):
    ids = ["a", "b", "c"]
    matrix = np.eye(3, dtype=np.float32)
    _split(tmp_path / "v", ids, matrix, [1])
    first = PrecomputedVectors("v", tmp_path / "v").fingerprint
    assert PrecomputedVectors("v", tmp_path / "v").fingerprint == first
    write_vector_table(tmp_path / "v" / "part-00001.parquet", ids[1:], matrix[1:] * 2)
    assert PrecomputedVectors("v", tmp_path / "v").fingerprint != first


def test_a_npy_file_is_read_memory_mapped_rows_only(tmp_path, monkeypatch):
    loads = []
    original = np.load

    def spy(*args, **kwargs):
        loads.append(kwargs.get("mmap_mode"))
        return original(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3) + 1
    np.save(tmp_path / "v.npy", matrix)
    (tmp_path / "v.ids.txt").write_text("a\nb\nc\nd\n")
    got = PrecomputedVectors("v", tmp_path / "v.npy").embed(["d", "a"], ["", ""], role="document")
    assert loads and set(loads) == {"r"}
    expected = matrix[[3, 0]] / np.linalg.norm(matrix[[3, 0]], axis=1, keepdims=True)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize(("bad_row", "shard", "row"), [(0, 0, 1), (20, 1, 11)])
def test_a_bad_row_is_named_by_its_row_in_its_shard(tmp_path, monkeypatch, bad_row, shard, row):
    monkeypatch.setattr(vectors_module, "_BATCH_ROWS", 8)
    ids = [f"d{i}" for i in range(30)]
    matrix = np.ones((30, 4), dtype=np.float32)
    matrix[bad_row, 2] = np.nan
    _split(tmp_path / "v", ids, matrix, [10])
    source = PrecomputedVectors("v", tmp_path / "v")
    expected = rf"part-0000{shard}.parquet, row {row} \(id 'd{bad_row}'\): vector holds NaN"
    with pytest.raises(InputError, match=expected):
        source.embed(ids, [""] * 30, role="document")
