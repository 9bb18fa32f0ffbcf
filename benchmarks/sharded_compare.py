"""A whole comparison at a million (or ten million) documents: in one process, streamed from
embed --ray's shards on this machine (``--from-shards``), and as Ray tasks with one and
with two workers (``--ray``).

Usage: PYTHONPATH=. python benchmarks/sharded_compare.py [--docs 1000000] [--dim 384]
        [--queries 1000] [--shard-rows 100000] [--drift-max-docs 5000]
        [--modes inprocess,local,ray1,ray2] [--workdir DIR] [--keep]

A seeded synthetic corpus (five domains; each query judged against one document) and both
models' vectors (each model: the domains' centres plus its own seeded noise, one domain of
the candidate's shrunk; so the candidate changes nearly everything: a cost benchmark, not a
realistic regression) are written as
``embed --ray`` writes them: a plan, the documents in Parquet parts of ``--shard-rows``
rows, then the queries. Each mode is the ``compare`` command in a fresh process under
``/usr/bin/time``: its seconds and the driver's peak resident memory; a Ray worker's peak
is the largest resident size seen of any ``ray::`` process (sampled every 0.2 s). Every
mode's output folder is checked byte for byte against the in-process one (apart from the
manifest's time) when both ran. Drift is exact in every mode (``--drift-exact-max-docs``
above the corpus) so that the in-process run is comparable.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

DOMAINS = ("alpha", "beta", "gamma", "delta", "epsilon")


def write_inputs(root: Path, n_docs: int, n_queries: int, dim: int, shard_rows: int) -> None:
    from analysis.inputs.corpus import load_corpus
    from analysis.inputs.vectors import QUERY_PREFIX, write_vector_table

    rng = np.random.default_rng(0)
    per = -(-n_docs // len(DOMAINS))
    for number, domain in enumerate(DOMAINS):
        folder = root / "corpus" / domain
        (folder / "qrels").mkdir(parents=True)
        count = min(per, n_docs - number * per)
        with open(folder / "corpus.jsonl", "w", encoding="utf-8") as out:
            for i in range(count):
                out.write(f'{{"_id": "{domain[0]}{i}", "text": "{domain} {i}"}}\n')
        share = n_queries // len(DOMAINS)
        with open(folder / "queries.jsonl", "w", encoding="utf-8") as out:
            for i in range(share):
                out.write(f'{{"_id": "{domain[0]}q{i}", "text": "{domain} question {i}"}}\n')
        lines = ["query-id\tcorpus-id\tscore"]
        lines += [f"{domain[0]}q{i}\t{domain[0]}{(i * 7919) % count}\t1" for i in range(share)]
        (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = load_corpus(root / "corpus")
    centres = rng.normal(size=(len(DOMAINS), dim)).astype(np.float32)
    doc_domain = np.array([DOMAINS.index(d) for d in corpus.doc_domains], dtype=np.int64)
    query_domain = np.array([DOMAINS.index(d) for d in corpus.query_domains], dtype=np.int64)
    for model in ("base", "cand"):
        folder = root / model
        folder.mkdir()
        plan = {"corpus": corpus.fingerprint, "model": model, "shard_rows": shard_rows}
        (folder / "_plan.json").write_text(json.dumps(plan))
        starts = range(0, corpus.n_docs, shard_rows)
        for part, start in enumerate(starts):
            stop = min(start + shard_rows, corpus.n_docs)
            seeded = np.random.default_rng([part, model == "cand"])
            vectors = centres[doc_domain[start:stop]] + seeded.normal(size=(stop - start, dim))
            if model == "cand":  # one domain moves: its documents drift and shrink
                moved = doc_domain[start:stop] == 1
                vectors[moved] = 0.5 * vectors[moved] + seeded.normal(size=(int(moved.sum()), dim))
            ids = corpus.doc_ids[start:stop]
            write_vector_table(folder / f"part-{part:05d}.parquet", ids, vectors.astype(np.float32))
        queries = centres[query_domain] + np.random.default_rng(9).normal(
            size=(len(query_domain), dim)
        )
        query_ids = [QUERY_PREFIX + q for q in corpus.query_ids]
        write_vector_table(
            folder / f"part-{len(starts):05d}.parquet", query_ids, queries.astype(np.float32)
        )


class RaySampler:
    """The largest resident size seen of any Ray worker process (``ray::`` in its name)."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.2):
            for process in psutil.process_iter(["name", "cmdline", "memory_info"]):
                words = " ".join(process.info["cmdline"] or [process.info["name"] or ""])
                if words.startswith("ray::") and process.info["memory_info"] is not None:
                    self.peak_mb = max(self.peak_mb, process.info["memory_info"].rss / 2**20)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def run_mode(root: Path, mode: str, drift_max_docs: int) -> dict[str, object]:
    out = root / f"out-{mode}"
    command = [
        sys.executable, "-m", "analysis", "compare",
        "--corpus", str(root / "corpus"),
        "--baseline", f"vectors:{root / 'base'}/",
        "--candidate", f"vectors:{root / 'cand'}/",
        "--out", str(out),
        "--drift-max-docs", str(drift_max_docs),
        "--drift-exact-max-docs", str(10**9),
    ]  # fmt: skip
    if mode == "local":
        command += ["--from-shards"]
    elif mode.startswith("ray"):
        command += ["--ray", "--ray-workers", mode[3:]]
    timed = ["/usr/bin/time", "-f", "%M %e", *command]
    sampler = RaySampler() if mode.startswith("ray") else None
    started = time.perf_counter()
    done = subprocess.run(timed, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    seconds = time.perf_counter() - started
    worker_mb = sampler.stop() if sampler else None
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-4000:]}")
    peak_kb, _ = done.stderr.strip().splitlines()[-1].split()
    return {
        "mode": mode,
        "seconds": round(seconds, 1),
        "driver_peak_mb": round(int(peak_kb) / 1024),
        "worker_peak_mb": None if worker_mb is None else round(worker_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--shard-rows", type=int, default=100_000)
    parser.add_argument("--drift-max-docs", type=int, default=5000)
    parser.add_argument("--modes", default="inprocess,local,ray1,ray2")
    parser.add_argument("--workdir", type=Path, help="where the inputs go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the inputs and outputs")
    args = parser.parse_args()
    from analysis.bundle.files import bundle_contents

    root = args.workdir or Path(tempfile.mkdtemp(prefix="sharded-compare-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        if not (root / "cand" / "_plan.json").is_file():
            started = time.perf_counter()
            write_inputs(root, args.docs, args.queries, args.dim, args.shard_rows)
            print(f"inputs written in {time.perf_counter() - started:.0f} s", flush=True)
        results = []
        for mode in args.modes.split(","):
            shutil.rmtree(root / f"out-{mode}", ignore_errors=True)
            shutil.rmtree(root / f"out-{mode}.shard-results", ignore_errors=True)
            result = run_mode(root, mode, args.drift_max_docs)
            if mode != "inprocess" and (root / "out-inprocess").is_dir():
                mine, reference = (bundle_contents(root / f"out-{m}") for m in (mode, "inprocess"))
                result["bundle_equal_to_inprocess"] = mine == reference
            results.append(result)
            print(json.dumps(result), flush=True)
        print(json.dumps({"docs": args.docs, "dim": args.dim, "queries": args.queries,
                          "shard_rows": args.shard_rows, "drift_max_docs": args.drift_max_docs,
                          "results": results}))  # fmt: skip
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
