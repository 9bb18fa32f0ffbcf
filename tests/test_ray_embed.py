"""embed --ray on a local Ray: shards, an interrupted run resumed, vectors equal to the
in-process path, and the same comparison from either."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from analysis.inputs.corpus import load_corpus
from analysis.inputs.vectors import PrecomputedVectors

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "sample_corpora" / "enterprise"
SHARD_ROWS = 20  # 400 documents and 110 queries: 26 shards
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # the local cluster on 127.0.0.1 only
}


def _embed(*extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "analysis",
        "embed",
        "--corpus",
        str(CORPUS),
        "--model",
        "default",
        *extra,
    ]


def _shards(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.parquet"))


@pytest.fixture(scope="module")
def ray_run(tmp_path_factory):
    """An interrupted run (killed once two shards are written), then the same command again."""
    root = tmp_path_factory.mktemp("ray")
    out = root / "vectors"
    command = _embed("--out", str(out), "--ray", "--shard-rows", str(SHARD_ROWS))
    first = subprocess.Popen(
        command,
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while len(_shards(out)) < 2 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)  # the whole run, Ray's local processes included
        first.wait(timeout=30)
        # Ray's workers live in sessions of their own: stop them before counting, or a shard
        # one of them was renaming into place appears after the count (seen under load)
        _stop_ray()
        interrupted = len(_shards(out))
        second = subprocess.run(
            command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600
        )
    finally:
        _stop_ray()
    return root, out, interrupted, second


def _stop_ray() -> None:
    subprocess.run(
        [str(Path(sys.executable).parent / "ray"), "stop", "--force"],
        capture_output=True,
        timeout=120,
    )


def test_an_interrupted_run_resumes_after_the_shards_it_wrote(ray_run):
    _, out, interrupted, second = ray_run
    assert second.returncode == 0, second.stderr[-2000:]
    assert 2 <= interrupted < 26, "the run was not interrupted midway; the resume went untested"
    assert f"resuming: {interrupted} of 26 shards already written, skipped" in second.stderr
    assert len(_shards(out)) == 26
    assert not list(out.glob(".*.tmp"))  # no partial shard is left behind
    plan = json.loads((out / "_plan.json").read_text())
    assert plan["shards"] == 26 and plan["shard_rows"] == SHARD_ROWS


def test_ray_vectors_equal_the_in_process_vectors_and_compare_the_same(ray_run):
    root, out, _, second = ray_run
    assert second.returncode == 0, second.stderr[-2000:]
    single = root / "in_process.parquet"
    subprocess.run(
        _embed("--out", str(single), "--cache-dir", str(root / "cache")),
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        timeout=600,
    )
    corpus = load_corpus(CORPUS)
    for role, ids in (("document", corpus.doc_ids), ("query", corpus.query_ids)):
        ray_rows = PrecomputedVectors("r", out).embed(ids, [""] * len(ids), role=role)
        local_rows = PrecomputedVectors("l", single).embed(ids, [""] * len(ids), role=role)
        assert (np.einsum("ij,ij->i", ray_rows, local_rows) >= 0.9999).all()  # unit rows
    summaries = []
    for name, spec in (("ray", f"vectors:{out}/"), ("local", f"vectors:{single}")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "analysis",
                "compare",
                "--corpus",
                str(CORPUS),
                "--baseline",
                "default",
                "--candidate",
                spec,
                "--out",
                str(root / name),
                "--cache-dir",
                str(root / "cache"),
            ],
            cwd=ROOT,
            env=ENV,
            check=True,
            capture_output=True,
            timeout=600,
        )
        summary = json.loads((root / name / "summary.json").read_text())
        summary.pop("manifest")
        summaries.append(summary)
    # the same numbers: every count equal, every measure within float32 rounding (1e-6 was
    # seen: a shard of 20 texts is padded differently from the in-process batches of 64)
    assert _close(*summaries)


def _close(a: object, b: object) -> bool:
    """Nested JSON equal, numbers within 1e-5 (pytest.approx does not recurse into dicts)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float | int):
        return abs(a - b) <= 1e-5
    return a == b


def test_a_folder_of_another_run_is_refused(tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    (out / "_plan.json").write_text(json.dumps({"corpus": "other", "model": "m", "shard_rows": 1}))
    result = subprocess.run(
        _embed("--out", str(out), "--ray"),
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "holds shards of another run (its corpus, model, shard_rows differ)" in result.stderr
    assert "Traceback" not in result.stderr


def test_precomputed_vectors_cannot_be_encoded_on_ray(tmp_path):
    from tests.badinput import corpus, vectors

    folder = corpus(tmp_path)
    spec = vectors(tmp_path)
    command = [sys.executable, "-m", "analysis", "embed", "--corpus", str(folder)]
    result = subprocess.run(
        [*command, "--model", spec, "--out", str(tmp_path / "v"), "--ray"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--model must be a sentence-transformers model, not precomputed vectors" in (
        result.stderr
    )


def test_an_address_nothing_answers_at_fails_at_once_and_writes_nothing(tmp_path):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "v"
    result = subprocess.run(
        _embed("--out", str(out), "--ray", f"127.0.0.1:{port}"),
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--ray 127.0.0.1:{port}: nothing answers there" in result.stderr
    assert not out.exists()
