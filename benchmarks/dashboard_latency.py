"""How fast the dashboard answers once a 10,000-document comparison is computed.

Usage: python benchmarks/dashboard_latency.py [--docs 10000] [--queries 1000] [--work DIR]

Writes a synthetic 5-domain corpus (BEIR folders) and two precomputed-vector files
(384 dimensions; the candidate perturbed), opens the app with streamlit's AppTest, runs
the comparison once (cold), then times script reruns: moving the cutoff slider to new
values (each one re-cuts the exclusions) and switching between pages. AppTest measures
the server-side rerun, not the browser's drawing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from analysis.inputs.vectors import write_vector_table

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def write_inputs(
    work: Path, n_docs: int, n_queries: int, dim: int = 384, *, words: int = 0
) -> dict[str, str]:
    """The corpus and both vector files; ``words``: seeded filler words per document (so a
    bundle's text columns weigh what real passages would)."""
    rng = np.random.default_rng(0)
    filler = _filler(n_docs, words)
    domains = [f"domain{i}" for i in range(5)]
    centres = rng.normal(size=(5, dim))
    ids, vectors_base, vectors_cand = [], [], []
    for d, name in enumerate(domains):
        folder = work / "corpus" / name
        (folder / "qrels").mkdir(parents=True, exist_ok=True)
        n, m = n_docs // 5, n_queries // 5
        docs = centres[d] + rng.normal(size=(n, dim))
        queries = docs[rng.choice(n, m, replace=False)] + 0.5 * rng.normal(size=(m, dim))
        (folder / "corpus.jsonl").write_text(
            "".join(
                json.dumps({"_id": f"d{i}", "text": f"document {i} of {name}{filler[d * n + i]}"})
                + "\n"
                for i in range(n)
            )
        )
        (folder / "queries.jsonl").write_text(
            "".join(json.dumps({"_id": f"q{i}", "text": f"query {i}"}) + "\n" for i in range(m))
        )
        (folder / "qrels" / "test.tsv").write_text(
            "query-id\tcorpus-id\tscore\n"
            + "".join(f"q{i}\td{rng.integers(n)}\t1\n" for i in range(m))
        )
        ids += [f"{name}/d{i}" for i in range(n)] + [f"query:{name}/q{i}" for i in range(m)]
        vectors_base.append(np.vstack([docs, queries]))
        noise = 0.4 * rng.normal(size=docs.shape) if d % 2 else 0.0
        vectors_cand.append(np.vstack([docs + noise, queries]))
    specs = {"corpus": str(work / "corpus")}
    for label, parts in (("baseline", vectors_base), ("candidate", vectors_cand)):
        write_vector_table(work / f"{label}.parquet", ids, np.vstack(parts))
        specs[label] = f"vectors:{work / f'{label}.parquet'}"
    return specs


def _filler(n_docs: int, words: int) -> list[str]:
    if not words:
        return [""] * n_docs
    rng = np.random.default_rng(1)  # its own stream: the vectors stay as they were
    vocabulary = np.array([f"w{i:04d}" for i in range(5000)])
    return [" " + " ".join(rng.choice(vocabulary, words)) for _ in range(n_docs)]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp())
    specs = write_inputs(work, args.docs, args.queries)
    at = AppTest.from_file(APP, default_timeout=900)
    at.session_state["run"] = {
        "corpus": specs["corpus"],
        "baseline": specs["baseline"],
        "candidate": specs["candidate"],
        "queries": "",
        "qrels": "",
        "k": 10,
        "cutoff": None,
        "projection": False,
    }
    at.session_state["_url_loaded"] = True
    cold = timed(lambda: at.switch_page("views/thresholds.py").run())
    assert not at.exception, at.exception
    print(
        f"{args.docs:,} documents, {args.queries:,} queries: first computation {cold:.1f}s "
        "(without the projection)"
    )
    slider = at.slider[0]
    values = [round(slider.value + delta, 2) for delta in (-0.05, -0.03, 0.02, 0.04, 0.06)]
    moves = [timed(lambda v=v: at.slider[0].set_value(v).run()) for v in values]
    print(
        f"cutoff slider, new value each time: median {statistics.median(moves):.2f}s, "
        f"max {max(moves):.2f}s over {len(moves)} moves"
    )
    switches = {}
    views = (
        "overview",
        "overlap",
        "drift",
        "changed",
        "answers",
        "llm",
        "thresholds",
        "space",
        "export",
    )
    for view in views:
        switches[view] = timed(lambda view=view: at.switch_page(f"views/{view}.py").run())
        assert not at.exception, (view, at.exception)
    print("page switch: " + ", ".join(f"{k} {v:.2f}s" for k, v in switches.items()))


if __name__ == "__main__":
    main()
