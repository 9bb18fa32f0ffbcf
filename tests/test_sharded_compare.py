"""A comparison whose documents' vectors stay in embed --ray's shards (``compare
--from-shards``, ``compare --ray``) writes the same bundle as one that reads them into the
process, byte for byte apart from the manifest's time; a rerun after a failed shard
computes only what was lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from analysis.bundle.files import bundle_contents
from analysis.cli.main import main
from analysis.inputs.corpus import load_corpus
from analysis.inputs.vectors import QUERY_PREFIX, write_vector_table
from tests.fakes import write_beir

DOMAINS = ("legal", "clinical", "finance")
N_DOCS, N_QUERIES, DIM, SHARD_ROWS = 25_000, 60, 32, 10_000  # shards of the tile width


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A three-domain corpus and both models' vectors as embed --ray writes them: a plan,
    documents in parts of 10,000 rows, then the queries (``query:<id>``)."""
    root = tmp_path_factory.mktemp("sharded")
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(len(DOMAINS), DIM))
    per_domain = N_DOCS // len(DOMAINS) + 1
    for domain in DOMAINS:
        docs = [{"_id": f"{domain[0]}{i}", "text": f"{domain} {i}"} for i in range(per_domain)]
        queries = [{"_id": f"{domain[0]}q{i}", "text": f"{domain} q{i}"} for i in range(20)]
        qrels = [(f"{domain[0]}q{i}", f"{domain[0]}{(i * 37) % per_domain}", 1) for i in range(20)]
        write_beir(root / "corpus" / domain, docs, queries, qrels)
    corpus = load_corpus(root / "corpus")
    assert corpus.n_queries == N_QUERIES
    labels = np.array([DOMAINS.index(d) for d in corpus.doc_domains])
    base = (centres[labels] + rng.normal(size=(corpus.n_docs, DIM))).astype(np.float32)
    base[17] = base[4]  # an exact tie
    shift = np.where((labels == 1)[:, None], rng.normal(size=base.shape) * 1.5, 0.1)
    cand = (base + shift).astype(np.float32)
    q_labels = np.array([DOMAINS.index(d) for d in corpus.query_domains])
    queries = (centres[q_labels] + rng.normal(size=(corpus.n_queries, DIM))).astype(np.float32)
    for name, docs, qs in (("base", base, queries), ("cand", cand, queries * 1.3 + 0.05)):
        folder = root / name
        folder.mkdir()
        plan = {"corpus": corpus.fingerprint, "model": name, "shard_rows": SHARD_ROWS}
        (folder / "_plan.json").write_text(json.dumps(plan))
        starts = range(0, corpus.n_docs, SHARD_ROWS)
        for part, start in enumerate(starts):
            ids = corpus.doc_ids[start : start + SHARD_ROWS]
            write_vector_table(
                folder / f"part-{part:05d}.parquet", ids, docs[start : start + SHARD_ROWS]
            )
        query_ids = [QUERY_PREFIX + q for q in corpus.query_ids]
        write_vector_table(folder / f"part-{len(starts):05d}.parquet", query_ids, qs)
    return {"root": root, "corpus": root / "corpus", "base": root / "base", "cand": root / "cand"}


def _compare(folders: dict[str, Path], out: Path, *extra: str) -> int:
    return main(
        [
            "compare",
            "--corpus",
            str(folders["corpus"]),
            "--baseline",
            f"vectors:{folders['base']}/",
            "--candidate",
            f"vectors:{folders['cand']}/",
            "--out",
            str(out),
            "--drift-max-docs",
            "1500",
            "--projection",
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def in_process(folders: dict[str, Path]) -> dict[str, bytes]:
    out = folders["root"] / "in-process"
    assert _compare(folders, out) == 0
    return bundle_contents(out)


def test_streaming_from_shards_writes_the_in_process_bundle_byte_for_byte(
    folders, in_process, tmp_path
):
    assert _compare(folders, tmp_path / "out", "--from-shards") == 0
    streamed = bundle_contents(tmp_path / "out")
    assert streamed.keys() == in_process.keys() and len(streamed) > 5
    assert [name for name in streamed if streamed[name] != in_process[name]] == []
    assert (tmp_path / "out.shard-results").is_dir()  # kept for a rerun


def test_a_rerun_after_lost_results_computes_only_those(folders, in_process, tmp_path):
    work = tmp_path / "work"
    assert _compare(folders, tmp_path / "a", "--from-shards", "--shard-work", str(work)) == 0
    kept = {p: p.stat().st_mtime_ns for p in work.iterdir()}
    lost = sorted(p for p in kept if p.name.startswith("histograms-"))[1]
    damaged = sorted(p for p in kept if p.name.startswith("moments-"))[0]
    lost.unlink()
    damaged.write_bytes(b"not an npz")
    assert _compare(folders, tmp_path / "b", "--from-shards", "--shard-work", str(work)) == 0
    assert bundle_contents(tmp_path / "b") == in_process
    rewritten = {p for p, t in kept.items() if not p.exists() or p.stat().st_mtime_ns != t}
    assert rewritten == {lost, damaged}


def test_on_a_local_ray_cluster_a_failed_shard_is_named_and_the_rerun_resumes(
    folders, in_process, tmp_path, capsys
):
    work = tmp_path / "work"
    shard = folders["cand"] / "part-00001.parquet"
    good = shard.read_bytes()
    shard.write_bytes(good[: len(good) // 2])  # a worker cannot read it
    try:
        code = _compare(folders, tmp_path / "a", "--ray", "--shard-work", str(work))
        assert code == 2
        said = capsys.readouterr().err
        assert "part-00001.parquet" in said and "rerunning resumes" in said
        assert not (tmp_path / "a").exists()  # nothing half-written
    finally:
        shard.write_bytes(good)
    before = {p: p.stat().st_mtime_ns for p in work.iterdir()}
    assert before  # the shards that were read have their results kept
    assert _compare(folders, tmp_path / "b", "--ray", "--shard-work", str(work)) == 0
    assert bundle_contents(tmp_path / "b") == in_process
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())  # none computed again
    assert os.environ.get("RAY_ADDRESS") is None


def test_shards_of_another_model_kind_are_refused_by_name(folders, tmp_path, capsys):
    code = main(
        [
            "compare",
            "--corpus",
            str(folders["corpus"]),
            "--baseline",
            "default",
            "--candidate",
            f"vectors:{folders['cand']}/",
            "--out",
            str(tmp_path / "out"),
            "--from-shards",
        ]
    )
    assert code == 2
    assert "must already be in shards, an embed --ray output folder" in capsys.readouterr().err


def test_remedies_over_shards_are_refused_before_any_work(folders, tmp_path, capsys):
    assert _compare(folders, tmp_path / "out", "--from-shards", "--remedies", "fusion") == 2
    assert "leave out --ray/--from-shards" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.shard-results").exists()


def test_a_query_log_over_shards_is_refused_with_the_reason(folders, tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("query,count\nwhat is alpha,2\n")
    assert _compare(folders, tmp_path / "out", "--from-shards", "--query-log", str(log)) == 2
    assert "shards hold no vectors for the log" in capsys.readouterr().err
