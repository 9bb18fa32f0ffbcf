"""Retrieval over document shards equals the in-process search index for index and score
for score (ties, exclusions, the unit-length rule included), on this machine from disk one
shard at a time and as Ray tasks on a local cluster; a rerun computes only the shards whose
results are missing; a missing or malformed shard is named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.errors import InputError
from analysis.inputs.vectors import PrecomputedVectors, write_vector_table
from analysis.retrieval import top_k_cosine
from analysis.shards.layout import DocumentShard, load_shard, ray_embed_shards, spill_shards
from analysis.shards.runner import LocalShards
from analysis.shards.topk import sharded_top_k
from tests.dashboard_fixture import build


def _case(seed: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None, int]:
    """Documents (with duplicates: exact ties at the edge), queries (some equal to
    documents), a depth, maybe exclusions, and a shard size."""
    rng = np.random.default_rng(seed)
    n, d, q = int(rng.integers(5, 1500)), int(rng.choice([8, 64, 384])), int(rng.integers(1, 120))
    docs = rng.normal(size=(n, d)).astype(np.float32)
    if seed % 2:
        docs[rng.integers(0, n, n // 3)] = docs[rng.integers(0, n, n // 3)]
    if seed % 5 == 0:  # unit rows but a few: every row is divided, as in-process
        docs /= np.linalg.norm(docs, axis=1, keepdims=True)
        docs[:3] *= 2
    queries = rng.normal(size=(q, d)).astype(np.float32)
    if seed % 3 == 0:
        queries[: q // 2] = docs[rng.integers(0, n, q // 2)]
    exclude = rng.integers(-1, n, q) if seed % 4 == 0 else None
    return docs, queries, int(rng.integers(1, 60)), exclude, int(rng.integers(1, n + 1))


@pytest.mark.parametrize("seed", range(16))
def test_retrieval_over_shards_from_disk_equals_the_in_process_search(seed, tmp_path):
    docs, queries, depth, exclude, rows = _case(seed)
    expected = top_k_cosine(queries, docs, depth, exclude=exclude)
    shards = spill_shards(docs, tmp_path / "shards", rows)
    found = sharded_top_k(queries, len(docs), depth, LocalShards(shards), exclude=exclude)
    assert np.array_equal(found.indices, expected.indices)
    assert np.array_equal(found.scores, expected.scores, equal_nan=True)


def test_a_rerun_computes_only_the_shards_whose_results_are_missing(tmp_path):
    docs, queries, depth, _, _ = _case(1)
    shards = spill_shards(docs, tmp_path / "shards", max(1, len(docs) // 4))
    work = tmp_path / "work"
    first = LocalShards(shards, work=work)
    expected = sharded_top_k(queries, len(docs), depth, first)
    assert {s for _, s in first.computed} == {s.number for s in shards}
    lost = sorted(work.glob("candidates-00002-*.npz"))
    assert len(lost) == 1
    lost[0].unlink()  # a worker lost before it wrote shard 2
    damaged = sorted(work.glob("candidates-00001-*.npz"))[0]
    damaged.write_bytes(b"half a file")  # a result that is not one is computed again
    again = LocalShards(shards, work=work)
    found = sharded_top_k(queries, len(docs), depth, again)
    assert again.computed == [("candidates", 1), ("candidates", 2)]
    assert np.array_equal(found.indices, expected.indices)


def test_retrieval_as_ray_tasks_on_a_local_cluster_equals_the_in_process_search(tmp_path):
    from analysis.shards.runner import RayShards

    docs, queries, depth, exclude, _ = _case(4)  # ties and exclusions
    shards = spill_shards(docs, tmp_path / "shards", max(1, len(docs) // 3))
    expected = top_k_cosine(queries, docs, depth, exclude=exclude)
    ray = RayShards(shards, tmp_path / "work", workers=2)
    try:
        assert ray.node_address == "127.0.0.1"  # the local cluster listens on the loopback
        found = sharded_top_k(queries, len(docs), depth, ray, exclude=exclude)
        assert np.array_equal(found.indices, expected.indices)
        assert np.array_equal(found.scores, expected.scores, equal_nan=True)
        written = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "work").glob("*.npz")}
        # a shard that cannot be read fails its task and the pass, naming it ...
        broken = DocumentShard(3, str(tmp_path / "shards" / "gone.npy"), len(docs), len(docs) + 1)
        failing = RayShards([*shards, broken], tmp_path / "work", workers=2)
        with pytest.raises(InputError, match="failed on Ray .*gone.npy"):
            sharded_top_k(queries, len(docs) + 1, depth, failing, exclude=exclude)
        # ... and a rerun reads every result already written instead of computing it
        sharded_top_k(queries, len(docs), depth, ray, exclude=exclude)
        after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "work").glob("*.npz")}
        assert all(after[name] == when for name, when in written.items())
    finally:
        ray.close()


def test_embed_ray_shards_are_read_in_corpus_order_and_checked(tmp_path):
    from analysis.inputs.corpus import load_corpus

    specs = build(tmp_path)
    corpus = load_corpus(specs["corpus"])
    folder = tmp_path / "encoded"
    folder.mkdir()
    (folder / "_plan.json").write_text(json.dumps({"corpus": corpus.fingerprint, "shard_rows": 7}))
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(corpus.n_docs, 8)).astype(np.float32)
    for number, start in enumerate(range(0, corpus.n_docs, 7)):
        ids = list(corpus.doc_ids[start : start + 7])
        write_vector_table(folder / f"part-{number:05d}.parquet", ids, vectors[start : start + 7])
    shards = ray_embed_shards(folder, corpus)
    assert [(s.start, s.stop) for s in shards] == [(0, 7), (7, 14), (14, 18)]
    back = np.vstack([load_shard(s, corpus.doc_ids[s.start : s.stop]) for s in shards])
    # read as the vectors reader reads the folder: unit rows, bit for bit
    reader = PrecomputedVectors(f"vectors:{folder}/", folder)
    read = reader.embed(corpus.doc_ids, corpus.doc_texts, role="document")
    assert np.array_equal(back, read) and not np.array_equal(back, vectors)
    with pytest.raises(
        InputError, match="row 0 is 'finance/d1' where the corpus has 'clinical/d0'"
    ):
        load_shard(shards[1], corpus.doc_ids[0:7])
    (folder / "part-00002.parquet").unlink()
    with pytest.raises(InputError, match="shard part-00002.parquet is missing"):
        ray_embed_shards(folder, corpus)


def test_a_ray_address_nothing_answers_at_is_an_error_at_once_and_nothing_is_written(tmp_path):
    import socket
    import time

    from analysis.shards.runner import RayShards

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(InputError, match=f"--ray 127.0.0.1:{port}: nothing answers there"):
        RayShards([], tmp_path / "work", address=f"127.0.0.1:{port}")
    assert time.perf_counter() - started < 30 and not (tmp_path / "work").exists()
